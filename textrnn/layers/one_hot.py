"""`OneHot`: token ids to one-hot vectors, as a serializable Keras layer."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="textrnn")
class OneHot(keras.layers.Layer):
    """Maps integer ids `[...]` to float one-hot vectors `[..., num_tokens]`.

    The character-level language model uses it as its input layer (`--input onehot`): with a
    vocabulary of ~65 characters a one-hot input is as cheap as an embedding and has no
    parameters to learn.

    Args:
        num_tokens: size of the vocabulary (the last axis of the output).

    Example:

    >>> OneHot(4)(keras.ops.convert_to_tensor([[0, 3]])).shape
    (1, 2, 4)
    """

    def __init__(self, num_tokens: int, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(num_tokens, int) or num_tokens < 1:
            raise ValueError(
                f"Received an invalid value for argument `num_tokens`, expected a "
                f"positive integer, got {num_tokens!r}."
            )
        self.num_tokens = num_tokens

    def call(self, inputs):
        return ops.one_hot(ops.cast(inputs, "int32"), self.num_tokens, dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens}
