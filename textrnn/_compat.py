"""The one module that touches Keras' and TensorFlow's private APIs.

textrnn needs four things neither library makes public. Each is imported here and nowhere
else, so a Keras or TensorFlow release that moves one breaks this module (with a message naming
the symbol and the installed version), not a layer or an optimizer far from the cause.
`tests/test_compat.py` imports every symbol listed in `PRIVATE_SYMBOLS` and checks that no other
module of the package mentions a private path.

- `DropoutRNNCell`: `keras.layers.RNN` creates a cell's dropout masks before its loop (so the
  loop draws no random numbers, which JAX needs) only for cells deriving from this class.
- `no_automatic_dependency_tracking`: an optimizer wrapper's `build` must not track the inner
  optimizer's variables twice (Keras' own `LossScaleOptimizer` uses it the same way).
- `strategy_supports_no_merge_call`: whether a `tf.distribute` strategy can apply gradients
  without `merge_call` (the same check `LossScaleOptimizer` makes).
- `in_symbolic_scope`: whether Keras is only tracing shapes (its symbolic build), where a
  metric may see stand-in labels: under a `tf.distribute` strategy Keras builds the metrics
  from the MEAN over replicas of the first batch, which turns integer labels into floats.
"""

from __future__ import annotations

import importlib
from typing import Any

import keras

# (module, attribute) of every private symbol textrnn uses.
PRIVATE_SYMBOLS = (
    ("keras.src.layers.rnn.dropout_rnn_cell", "DropoutRNNCell"),
    ("keras.src.utils.tracking", "no_automatic_dependency_tracking"),
    ("keras.src.backend.common.symbolic_scope", "in_symbolic_scope"),
)
# Reached through `tf.__internal__` (TensorFlow is imported only when a TF strategy runs).
TF_INTERNAL_PATH = ("distribute", "strategy_supports_no_merge_call")


def private_symbol(module: str, name: str) -> Any:
    """`module.name`, or an `ImportError` naming it and the installed Keras version."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise ImportError(
            f"textrnn needs the private Keras symbol `{module}.{name}`, which Keras "
            f"{keras.__version__} does not have. Install a Keras release textrnn supports "
            "(see pyproject.toml), or update textrnn/_compat.py for this one."
        ) from error


DropoutRNNCell = private_symbol(*PRIVATE_SYMBOLS[0])
no_automatic_dependency_tracking = private_symbol(*PRIVATE_SYMBOLS[1])
in_symbolic_scope = private_symbol(*PRIVATE_SYMBOLS[2])


def strategy_supports_no_merge_call() -> bool:
    """Whether the current `tf.distribute` strategy applies gradients without `merge_call`.

    Raises:
        ImportError: the installed TensorFlow has moved the private function.
    """
    import tensorflow as tf

    target = tf.__internal__
    try:
        for name in TF_INTERNAL_PATH:
            target = getattr(target, name)
    except AttributeError as error:
        raise ImportError(
            "textrnn needs the private TensorFlow function "
            f"`tf.__internal__.{'.'.join(TF_INTERNAL_PATH)}`, which TensorFlow "
            f"{tf.__version__} does not have. Install a TensorFlow release textrnn supports, "
            "or update textrnn/_compat.py for this one."
        ) from error
    return target()
