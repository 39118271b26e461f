"""JAX kernels: the forward-only inference loops on `jax.lax.scan`.

`keras.ops.scan` is `jax.lax.scan` itself, so training keeps the `keras.ops` fast paths.
Inference gains from the loops of `inference.py`: the states are carried as a tuple (the
layers' generic loop packs them into one tensor and unpacks them every step, and stacks the
packed carry of every step) and, without `return_sequences`, no step's output is stacked.
"""

import functools

import jax

from textrnn.layers.backend import inference


def scan(step, init, xs, reverse=False, outputs=True):
    """`jax.lax.scan` (`outputs=False`: the steps return `None`, nothing is stacked)."""
    del outputs  # the steps already return None for outputs that are not kept
    return jax.lax.scan(step, init, xs, reverse=reverse)


simple_rnn_inference = functools.partial(inference.simple_rnn, scan)
lstm_inference = functools.partial(inference.lstm, scan)
gru_inference = functools.partial(inference.gru, scan)
