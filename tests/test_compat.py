"""Every private Keras / TensorFlow symbol textrnn uses is imported in `textrnn._compat` only."""

import importlib
import re
from pathlib import Path

import keras
import pytest

from textrnn import _compat

PACKAGE = Path(_compat.__file__).resolve().parent
PRIVATE = re.compile(r"keras\.src|tf\.__internal__|tensorflow\.__internal__")


@pytest.mark.parametrize(("module", "name"), _compat.PRIVATE_SYMBOLS)
def test_private_keras_symbol_still_exists(module, name):
    try:
        symbol = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        pytest.fail(f"Keras {keras.__version__} moved `{module}.{name}`, which textrnn uses "
                    f"through textrnn/_compat.py ({error}); update _compat for this release.")
    assert getattr(_compat, name) is symbol


def test_private_tensorflow_function_still_exists():
    tf = pytest.importorskip("tensorflow")
    target = tf.__internal__
    for name in _compat.TF_INTERNAL_PATH:
        if not hasattr(target, name):
            pytest.fail(f"TensorFlow {tf.__version__} has no "
                        f"`tf.__internal__.{'.'.join(_compat.TF_INTERNAL_PATH)}`, which "
                        "textrnn uses through textrnn/_compat.py; update _compat for it.")
        target = getattr(target, name)
    assert isinstance(_compat.strategy_supports_no_merge_call(), bool)


def test_a_moved_symbol_fails_loudly_naming_the_keras_version():
    with pytest.raises(ImportError, match=re.escape(f"Keras {keras.__version__}")):
        _compat.private_symbol("keras.src.layers.rnn.dropout_rnn_cell", "NoSuchCell")
    with pytest.raises(ImportError, match="keras.src.no_such_module.Thing"):
        _compat.private_symbol("keras.src.no_such_module", "Thing")


def test_no_other_module_mentions_a_private_api():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py")) if path.name != "_compat.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if PRIVATE.search(line)
    ]
    assert not offenders, ("private Keras/TensorFlow APIs belong in textrnn/_compat.py only; "
                           f"found in {offenders}")
