"""The translator's training loss and the output layer's starting bias.

- `MaskedSparseCrossentropy`: token cross-entropy from logits with label smoothing, padding
  excluded. Registered as `textrnn>MaskedSparseCrossentropy` (the name checkpoints written by
  earlier versions refer to, so they resume).
- `log_prior`: the targets' log unigram frequencies, the output bias to start from.
"""

from __future__ import annotations

import keras
import numpy as np


@keras.saving.register_keras_serializable(package="textrnn")
class MaskedSparseCrossentropy(keras.losses.Loss):
    """Token cross-entropy from logits with label smoothing; padding (id 0) counts zero.

    Args:
        label_smoothing: share of the probability mass spread evenly over the vocabulary.

    Call arguments:
        y_true: `[batch, Tt]` int target ids, 0 for padding.
        y_pred: `[batch, Tt, vocab]` logits.

    Example:
    >>> loss = MaskedSparseCrossentropy(label_smoothing=0.1)
    >>> float(loss([[1, 0]], [[[0.0, 0.0], [5.0, -5.0]]])) > 0
    True
    """

    def __init__(self, label_smoothing: float = 0.0, name="masked_sparse_crossentropy",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"Received an invalid value for argument `label_smoothing`, "
                             f"expected a number in [0, 1), got {label_smoothing!r}.")
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):
        ops = keras.ops
        y_true = ops.cast(y_true, "int32")
        log_probs = ops.log_softmax(y_pred, axis=-1)
        nll = -ops.take_along_axis(log_probs, ops.expand_dims(y_true, -1), axis=-1)[..., 0]
        loss = ((1.0 - self.label_smoothing) * nll
                - self.label_smoothing * ops.mean(log_probs, axis=-1))
        # Padding contributes nothing. Keras averages over the real tokens when the logits
        # carry the target mask (as `build_seq2seq`'s do), not over all positions.
        return loss * ops.cast(ops.not_equal(y_true, 0), loss.dtype)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def log_prior(target_out: np.ndarray, vocab_size: int) -> np.ndarray:
    """Log unigram frequencies of the target tokens (add-one smoothed, padding excluded).

    Starting the output layer's bias here gives the model the unigram distribution from step
    one. Without it, the fastest way to lower the loss is to saturate the `tanh` layers into
    a constant that acts as that bias; their gradients then vanish and training can sit on
    the unigram loss for thousands of steps.

    Args:
        target_out: `[n, T]` target ids (0 is padding).
        vocab_size: number of target ids.

    Returns:
        `[vocab_size]` float32 log-probabilities.
    """
    counts = np.bincount(target_out[target_out != 0], minlength=vocab_size) + 1.0
    return np.log(counts / counts.sum()).astype("float32")
