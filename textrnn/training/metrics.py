"""Language-model metrics: perplexity and bits per character.

Both accumulate the *total* cross-entropy (in nats) and the *number of tokens* over every batch
seen, and report `exp(total / count)` resp. `total / count / ln 2`. They never average
per-batch exponentials, so the result does not depend on how the data was batched or padded.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from textrnn._compat import in_symbolic_scope


class _TokenCrossEntropy(keras.metrics.Metric):
    """Sums token cross-entropy and token counts; subclasses turn the mean into a result."""

    def __init__(
        self,
        from_logits: bool = True,
        mask_token_id: int | None = None,
        name: str | None = None,
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype or "float32")
        self.from_logits = from_logits
        self.mask_token_id = mask_token_id
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total_cross_entropy")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="token_count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch.

        Args:
            y_true: integer token ids, `[batch, time]` (or any shape `S`).
            y_pred: logits or probabilities, `[batch, time, vocab]` (shape `S + [vocab]`).
            sample_weight: optional weights broadcastable to `y_true`'s shape, e.g. a
                `[batch, time]` padding mask or `[batch]` per-sequence weights.
        """
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        self._check_inputs(y_true, y_pred)
        weights = ops.ones(ops.shape(y_true), self.dtype)
        if self.mask_token_id is not None:
            weights = ops.cast(ops.not_equal(y_true, self.mask_token_id), self.dtype)
            # The padding id may lie outside the vocabulary (e.g. -1): look up id 0 there.
            y_true = ops.where(weights > 0, y_true, ops.zeros_like(y_true))
        cross_entropy = ops.sparse_categorical_crossentropy(
            y_true, ops.cast(y_pred, self.dtype), from_logits=self.from_logits)
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, self.dtype)
            while len(sample_weight.shape) < len(weights.shape):
                sample_weight = ops.expand_dims(sample_weight, -1)
            weights = weights * sample_weight
        # Masked positions may hold any id (even out of range): drop their value, not just weight.
        weighted = ops.where(weights > 0, cross_entropy * weights, 0.0)
        self.total.assign_add(ops.sum(weighted))
        self.count.assign_add(ops.sum(weights))

    def _check_inputs(self, y_true, y_pred) -> None:
        # Under a tf.distribute strategy Keras builds the metrics from a stand-in batch whose
        # `y` is the MEAN over replicas of the first real one (floats); real batches are checked.
        if not in_symbolic_scope() and "int" not in keras.backend.standardize_dtype(y_true.dtype):
            raise ValueError(
                f"{type(self).__name__} expects integer token ids as `y_true`, got dtype "
                f"{keras.backend.standardize_dtype(y_true.dtype)} with shape {y_true.shape}. "
                "Pass sparse ids (e.g. `y.astype('int32')`), not one-hot vectors."
            )
        if len(y_pred.shape) != len(y_true.shape) + 1:
            raise ValueError(
                f"{type(self).__name__} expects `y_pred` to have one more axis (the vocabulary) "
                f"than `y_true`; got y_true shape {y_true.shape} and y_pred shape {y_pred.shape}."
            )

    def mean_cross_entropy(self):
        """Mean cross-entropy per token in nats (0 before any token was seen)."""
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "mask_token_id": self.mask_token_id,
        }


@keras.saving.register_keras_serializable(package="textrnn")
class Perplexity(_TokenCrossEntropy):
    """Perplexity `exp(total cross-entropy / number of tokens)` over everything seen.

    Args:
        from_logits: whether `y_pred` holds logits (True) or probabilities.
        mask_token_id: token id in `y_true` to ignore (padding), or None.
        name: metric name (default "perplexity").
        dtype: accumulator dtype (default float32).

    Example:

    ```python
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[Perplexity(mask_token_id=0)])
    ```
    """

    def __init__(self, from_logits=True, mask_token_id=None, name="perplexity", dtype=None):
        super().__init__(from_logits=from_logits, mask_token_id=mask_token_id, name=name,
                         dtype=dtype)

    def result(self):
        return ops.exp(self.mean_cross_entropy())


@keras.saving.register_keras_serializable(package="textrnn")
class BitsPerCharacter(_TokenCrossEntropy):
    """Bits per character `total cross-entropy / number of characters / ln 2`.

    Use with character-level targets (one token per character). Same arguments as
    `Perplexity`; default name "bpc".
    """

    def __init__(self, from_logits=True, mask_token_id=None, name="bpc", dtype=None):
        super().__init__(from_logits=from_logits, mask_token_id=mask_token_id, name=name,
                         dtype=dtype)

    def result(self):
        return self.mean_cross_entropy() / math.log(2.0)
