"""Attention for encoder-decoder models: additive (Bahdanau) and multiplicative (Luong).

Both layers score every value (encoder output) against a query (decoder state), turn the
scores into weights with a softmax over the unmasked values, and return the weighted sum of
the values (the context) with the weights:

- `BahdanauAttention`: `score(q, v) = w . tanh(W_q q + W_v v)` (Bahdanau et al., 2015).
- `LuongAttention`: `score(q, v) = q . W v` (`"general"`) or `q . v` (`"dot"`)
  (Luong et al., 2015).

A query is `[batch, units]` (one decoder step) or `[batch, Tq, units]` (teacher forcing,
all steps at once); the outputs follow it. In a functional model the values' Keras mask
(e.g. from `Embedding(mask_zero=True)` through a recurrent encoder) is used as `values_mask`
when none is passed.
"""

from __future__ import annotations

import keras
from keras import ops

# Added to the scores of masked values: large enough to vanish in the softmax, small enough
# to stay finite in float16.
_MASKED_SCORE = -1e4


class _Attention(keras.layers.Layer):
    """Shared masking, softmax and weighted sum; subclasses define `_scores`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, query, values, values_mask=None):
        single_step = len(query.shape) == 2
        queries = ops.expand_dims(query, 1) if single_step else query
        scores = self._scores(queries, values)  # [batch, Tq, Tv]
        if values_mask is not None:
            keep = ops.expand_dims(ops.cast(values_mask, "bool"), 1)
            scores = ops.where(keep, scores, ops.cast(_MASKED_SCORE, scores.dtype))
        weights = ops.softmax(scores, axis=-1)
        context = ops.matmul(weights, values)  # [batch, Tq, value_dim]
        if single_step:
            return ops.squeeze(context, 1), ops.squeeze(weights, 1)
        return context, weights

    def compute_mask(self, query, previous_mask=None):
        # The outputs are per query step, so they keep the query's mask.
        return [previous_mask, previous_mask]

    def compute_output_shape(self, query_shape, values_shape, values_mask_shape=None):
        prefix = tuple(query_shape[:-1])
        return prefix + (values_shape[-1],), prefix + (values_shape[1],)


@keras.saving.register_keras_serializable(package="textrnn")
class BahdanauAttention(_Attention):
    """Additive attention: `score(q, v) = w . tanh(W_q q + W_v v)`.

    Args:
        units: width of the hidden layer inside the score.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        query: `[batch, query_dim]` or `[batch, Tq, query_dim]`.
        values: `[batch, Tv, value_dim]`.
        values_mask: optional `[batch, Tv]` booleans; `False` values get zero weight.

    Returns:
        `(context, weights)`: `[batch, (Tq,) value_dim]` and `[batch, (Tq,) Tv]`; the weights
        sum to 1 over the unmasked values.

    Example:
    >>> import numpy as np
    >>> context, weights = BahdanauAttention(8)(np.ones((2, 4)), np.ones((2, 5, 6)))
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 6), (2, 5))
    """

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"Received an invalid value for argument `units`, expected a "
                             f"positive integer, got {units!r}.")
        self.units = units

    def build(self, query_shape, values_shape, values_mask_shape=None):
        self.query_kernel = self.add_weight(
            name="query_kernel", shape=(query_shape[-1], self.units),
            initializer="glorot_uniform")
        self.values_kernel = self.add_weight(
            name="values_kernel", shape=(values_shape[-1], self.units),
            initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.score_kernel = self.add_weight(
            name="score_kernel", shape=(self.units,), initializer="glorot_uniform")

    def _scores(self, queries, values):
        projected_q = ops.matmul(queries, self.query_kernel)[:, :, None, :]
        projected_v = ops.matmul(values, self.values_kernel)[:, None, :, :]
        hidden = ops.tanh(projected_q + projected_v + self.bias)  # [batch, Tq, Tv, units]
        return ops.tensordot(hidden, self.score_kernel, axes=1)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="textrnn")
class LuongAttention(_Attention):
    """Multiplicative attention: `score(q, v) = q . W v` (`"general"`) or `q . v` (`"dot"`).

    Args:
        score: `"general"` (a learned `[value_dim, query_dim]` matrix `W`) or `"dot"` (query
            and values must have the same width).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        query: `[batch, query_dim]` or `[batch, Tq, query_dim]`.
        values: `[batch, Tv, value_dim]`.
        values_mask: optional `[batch, Tv]` booleans; `False` values get zero weight.

    Returns:
        `(context, weights)`: `[batch, (Tq,) value_dim]` and `[batch, (Tq,) Tv]`.

    Example:
    >>> import numpy as np
    >>> context, weights = LuongAttention()(np.ones((2, 3, 4)), np.ones((2, 5, 6)))
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 3, 6), (2, 3, 5))
    """

    SCORES = ("general", "dot")

    def __init__(self, score: str = "general", **kwargs):
        super().__init__(**kwargs)
        if score not in self.SCORES:
            raise ValueError(f"Received an invalid value for argument `score`, expected one "
                             f"of {self.SCORES}, got {score!r}.")
        self.score = score

    def build(self, query_shape, values_shape, values_mask_shape=None):
        if self.score == "general":
            self.kernel = self.add_weight(
                name="kernel", shape=(values_shape[-1], query_shape[-1]),
                initializer="glorot_uniform")
        elif query_shape[-1] != values_shape[-1]:
            raise ValueError(f"`score='dot'` needs query and values of the same width; got "
                             f"query {tuple(query_shape)} and values {tuple(values_shape)}. "
                             "Use `score='general'` for different widths.")

    def _scores(self, queries, values):
        keys = ops.matmul(values, self.kernel) if self.score == "general" else values
        return ops.matmul(queries, ops.transpose(keys, (0, 2, 1)))

    def get_config(self):
        return {**super().get_config(), "score": self.score}
