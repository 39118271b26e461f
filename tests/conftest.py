import importlib.util
import os
from pathlib import Path

import pytest

# Quiet TensorFlow's C++ logging; keep the backend the caller chose (CI runs some tests on JAX).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def script():
    """Imports a script of the repository as a module: `script("recipes/classify.py")`.

    Recipes and data scripts are files, not a package, so tests load them by path.
    """

    def load(relative_path: str):
        path = REPO / relative_path
        spec = importlib.util.spec_from_file_location(f"script_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
