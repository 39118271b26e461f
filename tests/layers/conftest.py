"""The layer tests run on every Keras backend; PyTorch is an optional extra (`.[torch]`).

With `KERAS_BACKEND=torch` and no PyTorch installed, importing Keras itself fails, so the test
modules are not collected and one test reports the skip and its reason instead.
"""

import importlib.util
import os

import pytest

TORCH_MISSING = (
    os.environ.get("KERAS_BACKEND") == "torch" and importlib.util.find_spec("torch") is None
)

if TORCH_MISSING:
    collect_ignore_glob = ["test_*.py"]

    class TorchMissing(pytest.Item):
        def runtest(self):
            pytest.skip(
                "KERAS_BACKEND=torch but PyTorch is not installed: "
                'pip install -e ".[torch]" to run the layer tests on torch.'
            )

    def pytest_collection_modifyitems(session, items):
        items.append(TorchMissing.from_parent(session, name="layers_on_torch"))
