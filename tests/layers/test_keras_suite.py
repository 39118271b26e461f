"""Keras' own recurrent-layer tests, run against textrnn's layers: the drop-in check.

The test files ship inside the keras wheel (`keras/src/layers/rnn/*_test.py`). Each does
`from keras.src import layers` and builds `layers.LSTM(...)`; a fixture swaps that module
attribute for a copy of `keras.src.layers` whose SimpleRNN / LSTM / GRU (and cells) are
textrnn's, so every Keras test below runs unchanged on textrnn's classes. The subclasses
add nothing except the skips of tests of Keras' own fusion internals, each with its reason.
"""

import types
import unittest

import keras
import pytest
from keras.src import layers as keras_layers
from keras.src.layers.rnn import bidirectional_test, gru_test, lstm_test, simple_rnn_test

import textrnn.layers

SWAPPED = ("SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell")
LAYERS_WITH_TEXTRNN = types.SimpleNamespace(
    **{**vars(keras_layers), **{name: getattr(textrnn.layers, name) for name in SWAPPED}}
)


@pytest.fixture(autouse=True)
def textrnn_layers_in_keras_tests(monkeypatch):
    for module in (lstm_test, gru_test, simple_rnn_test, bidirectional_test):
        monkeypatch.setattr(module, "layers", LAYERS_WITH_TEXTRNN)


def keras_internal(reason):
    """Replaces a Keras test that checks Keras' own fused-kernel dispatch, not layer behaviour."""
    return unittest.skip(f"Keras internals: {reason}")(lambda self: None)


def not_on_jax(test):
    """Keras' `test_basics` (`run_layer_test` over argument sets: build, call, fit, save) is
    kept for TensorFlow: on JAX each one costs 10-45 s of compilation in CI, and the JAX run
    of tests/layers checks the same arguments, masking and saving on textrnn's own tests."""
    return unittest.skipIf(keras.backend.backend() == "jax",
                           "Keras' test_basics runs on TensorFlow only (CI time)")(test)


class TestKerasLSTM(lstm_test.LSTMTest):
    test_basics = not_on_jax(lstm_test.LSTMTest.test_basics)


class TestKerasGRU(gru_test.GRUTest):
    test_basics = not_on_jax(gru_test.GRUTest.test_basics)
    test_torch_cudnn_dispatch_fires = keras_internal(
        "spies on `torch._VF.gru` inside Keras' torch GRU kernel (CUDA only); textrnn has its "
        "own kernels"
    )


class TestKerasSimpleRNN(simple_rnn_test.SimpleRNNTest):
    test_basics = not_on_jax(simple_rnn_test.SimpleRNNTest.test_basics)


_FUSED_BIDIRECTIONAL = (
    "`Bidirectional._can_attempt_fused_*` accepts only Keras' own LSTM / GRU classes (an "
    "isinstance check) and then runs Keras' fused cuDNN kernel; with textrnn's layers it "
    "always takes the two-layer path, which the other tests check"
)


class TestKerasBidirectional(bidirectional_test.SimpleRNNTest):
    test_basics = not_on_jax(bidirectional_test.SimpleRNNTest.test_basics)
    test_fused_lstm_eligibility = keras_internal(_FUSED_BIDIRECTIONAL)
    test_fused_gru_eligibility = keras_internal(_FUSED_BIDIRECTIONAL)
    test_torch_cudnn_bidirectional_gru_dispatch_fires = keras_internal(
        "spies on `torch._VF.gru` inside Keras' fused bidirectional kernel (CUDA only)"
    )
