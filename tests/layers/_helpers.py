"""Shared data and comparisons for the layer tests (tiny shapes, fixed seeds)."""

import keras
import numpy as np
from keras import ops

import textrnn.layers as textrnn_layers

BATCH, STEPS, FEATURES, UNITS = 3, 5, 4, 6
RNG = np.random.default_rng(0)
INPUTS = RNG.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
TARGETS = RNG.normal(size=(BATCH, STEPS, UNITS)).astype("float32")
# Row 0 is pre-padded, row 1 post-padded, row 2 complete.
MASK = np.array([[0, 0, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
IDS = np.array([[1, 2, 3, 4], [4, 3, 2, 1]], "int32")  # token ids for the tied models

# (layer name, extra arguments): every variant compared with Keras.
VARIANTS = [
    ("SimpleRNN", {}),
    ("LSTM", {}),
    ("LSTM", {"unit_forget_bias": False, "use_bias": False}),
    ("GRU", {}),
    ("GRU", {"reset_after": False}),
]
VARIANT_IDS = [name + "".join(f"-{k}={v}" for k, v in extra.items()) for name, extra in VARIANTS]


def pair(name, extra=None, **kwargs):
    """A built-in Keras layer and ours with the same (random, non-trivial) weights."""
    extra = extra or {}
    builtin = getattr(keras.layers, name)(UNITS, **extra, **kwargs)
    ours = getattr(textrnn_layers, name)(UNITS, **extra, **kwargs)
    shape = (kwargs.get("batch_size"), STEPS, FEATURES)
    builtin.build(shape)
    ours.build(shape)
    rng = np.random.default_rng(1)
    weights = [0.5 * rng.normal(size=w.shape).astype("float32") for w in builtin.get_weights()]
    builtin.set_weights(weights)
    ours.set_weights(weights)
    return builtin, ours


def as_list(outputs):
    return [
        ops.convert_to_numpy(o)
        for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])
    ]


def assert_close(expected, actual, atol=1e-5):
    expected, actual = as_list(expected), as_list(actual)
    assert len(expected) == len(actual)
    for e, a in zip(expected, actual, strict=True):
        assert e.shape == a.shape
        np.testing.assert_allclose(a, e, atol=atol, rtol=0)


def one_sgd_step(layer, masked=False, jit_compile=False):
    """Weights of `layer` after one SGD step on a squared error (so: compares gradients).

    With `masked`, the padded steps of `MASK` are zeros and a `Masking` layer masks them.
    """
    inputs = INPUTS * MASK[..., None] if masked else INPUTS
    sequences = keras.Input((STEPS, FEATURES))
    hidden = keras.layers.Masking(0.0)(sequences) if masked else sequences
    output = layer(hidden)
    model = keras.Model(sequences, output)
    model.compile(keras.optimizers.SGD(0.5), "mse", jit_compile=jit_compile)
    targets = TARGETS if len(output.shape) == 3 else TARGETS[:, -1]
    model.train_on_batch(inputs, targets)
    return layer.get_weights()


def tied_model(units=6, width=6):
    """Embedding -> LSTM -> `TiedOutput` reading the embedding matrix (10 tokens)."""
    embedding = textrnn_layers.EmbeddingDropout(10, width, rate=0.1, name="embedding")
    return textrnn_layers.TiedSequential(
        [
            keras.Input((None,), dtype="int32"),
            embedding,
            textrnn_layers.LSTM(units, return_sequences=True),
            textrnn_layers.TiedOutput(embedding),
        ]
    )
