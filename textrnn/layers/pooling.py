"""`ConcatPooling`: a document vector from a recurrent layer's outputs (ULMFiT's head input)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="textrnn")
class ConcatPooling(keras.layers.Layer):
    """Concat pooling over time: `[last, max, mean]` of the unpadded steps (ULMFiT's head).

    The last state is each document's output at its own last unpadded step; for the trailing
    `backward_units` features (the backward half of a bidirectional layer, whose final state
    is at step 0) it is the output at step 0. Max and mean run over unpadded steps only.

    Args:
        backward_units: number of trailing features that come from a backward recurrent
            layer (0 for a unidirectional one).

    Call arguments:
        sequences: `[batch, time, features]`.
        mask: bool `[batch, time]` (True = a real step), or None (every step counts).

    Returns:
        `[batch, 3 * features]`: last, max and mean, concatenated in that order.

    Example:
    >>> pool = ConcatPooling()
    >>> pool(keras.ops.ones((2, 5, 4))).shape
    (2, 12)
    """

    def __init__(self, backward_units: int = 0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(backward_units, bool) or not isinstance(backward_units, int) \
                or backward_units < 0:
            raise ValueError(f"Received an invalid value for argument `backward_units`, "
                             f"expected a non-negative integer, got {backward_units!r}.")
        self.backward_units = backward_units
        self.supports_masking = True

    def call(self, sequences, mask=None):
        if mask is None:
            mask = ops.ones(ops.shape(sequences)[:2], dtype="bool")
        weights = ops.cast(mask, sequences.dtype)[..., None]  # [batch, time, 1]
        lengths = ops.maximum(ops.sum(weights, axis=1), 1.0)  # [batch, 1]
        mean = ops.sum(sequences * weights, axis=1) / lengths
        lowest = ops.min(sequences, axis=1, keepdims=True)  # padded steps never win the max
        maximum = ops.max(ops.where(weights > 0, sequences, lowest), axis=1)
        last_index = ops.cast(lengths - 1.0, "int32")[..., None]  # [batch, 1, 1]
        last = ops.take_along_axis(sequences, last_index, axis=1)[:, 0]
        if self.backward_units:
            split = ops.shape(sequences)[-1] - self.backward_units
            last = ops.concatenate([last[:, :split], sequences[:, 0, split:]], axis=-1)
        return ops.concatenate([last, maximum, mean], axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        features = None if input_shape[-1] is None else 3 * input_shape[-1]
        return (input_shape[0], features)

    def get_config(self):
        return {**super().get_config(), "backward_units": self.backward_units}
