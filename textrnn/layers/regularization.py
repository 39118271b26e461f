"""AWD-LSTM's regularisers as small layers (Merity, Keskar & Socher 2017; fastai's `awd_lstm`).

- `LockedDropout`: variational dropout on a sequence, one mask per sequence for all steps.
- `EmbeddingDropout`: an `Embedding` whose rows (whole words or characters) are dropped.
- `ActivationRegularization`: AR `alpha * mean(h^2)` and TAR `beta * mean((h_t - h_{t-1})^2)`.

All are identities at inference, so a generator that steps the model one token at a time
(`[batch, features]` inputs, `training=False`) passes straight through them.
"""

import keras
from keras import ops

from textrnn.layers.cell import check_rate


def _check_weight(value, argument):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"Received an invalid value for argument `{argument}`, expected a "
                         f"number >= 0, got {value!r}.")
    return float(value)


@keras.saving.register_keras_serializable(package="textrnn")
class LockedDropout(keras.layers.Layer):
    """Dropout with one mask per sequence, the same at every time step (variational dropout).

    Unlike `keras.layers.Dropout`, which draws a new mask for every step, a unit dropped here
    is dropped for the whole sequence (fastai's `RNNDropout`). Kept units are scaled by
    `1 / (1 - rate)`.

    Args:
        rate: Fraction of the features to drop, in `[0, 1)`.
        seed: Seed of the masks.

    Call arguments:
        inputs: `[batch, time, features]` (or `[batch, features]`: one step).
        training: Whether to drop; at inference the layer is the identity.

    Example:

    >>> LockedDropout(0.5, seed=1)(np.ones((2, 4, 3)), training=True)[:, :, 0]  # rows constant
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(rate, "rate")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or not self.rate:
            return inputs
        shape = ops.shape(inputs)
        noise_shape = (shape[0], 1, shape[-1]) if len(inputs.shape) == 3 else shape
        mask = keras.random.dropout(ops.ones(noise_shape, inputs.dtype), rate=self.rate,
                                    seed=self.seed_generator)
        return inputs * mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="textrnn")
class EmbeddingDropout(keras.layers.Embedding):
    """`keras.layers.Embedding` that drops whole rows of its matrix in training.

    A dropped token id (a word, or a character) reads a zero vector at every position of
    the batch; kept rows are scaled by `1 / (1 - rate)` (AWD-LSTM's embedding dropout). The
    weights are those of `keras.layers.Embedding` (one `embeddings` variable), so
    `set_weights(embedding.get_weights())` works both ways.

    Args:
        input_dim: Vocabulary size.
        output_dim: Width of the embedding.
        rate: Fraction of the rows (token ids) to drop in each call, in `[0, 1)`.
        seed: Seed of the masks.
        **kwargs: the other arguments of `keras.layers.Embedding`.

    Call arguments:
        inputs: int ids of any shape, e.g. `[batch, time]`.
        training: Whether to drop rows.

    Returns:
        `inputs.shape + [output_dim]`.

    Example:

    >>> layer = EmbeddingDropout(100, 8, rate=0.1)
    >>> layer(np.zeros((2, 5), "int32"), training=True).shape
    (2, 5, 8)
    """

    def __init__(self, input_dim, output_dim, rate=0.0, seed=None, **kwargs):
        super().__init__(input_dim, output_dim, **kwargs)
        self.rate = check_rate(rate, "rate")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or not self.rate:
            return super().call(inputs)
        if inputs.dtype != "int32" and inputs.dtype != "int64":
            inputs = ops.cast(inputs, "int32")
        table = self.embeddings
        keep = keras.random.dropout(ops.ones((table.shape[0], 1), table.dtype), rate=self.rate,
                                    seed=self.seed_generator)
        outputs = ops.take(table * keep, inputs, axis=0)
        return ops.cast(outputs, self.compute_dtype)

    def compute_output_spec(self, inputs, training=False):
        return super().compute_output_spec(inputs)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="textrnn")
class ActivationRegularization(keras.layers.Layer):
    """Identity layer that adds AR and TAR penalties on a sequence of activations to the loss.

    In training it adds `ar * mean(h^2)` (activation regularisation: keeps activations small)
    and `tar * mean((h[:, t] - h[:, t-1])^2)` (temporal activation regularisation: keeps the
    state from jumping between steps), means over all elements. AWD-LSTM applies AR to the
    last layer's dropped output and TAR to its output before dropout: place one layer of
    each. Nothing is added at inference or evaluation, so validation loss stays the plain
    cross-entropy. The step mask, if any, is not used (truncated-BPTT windows have none).

    Args:
        ar: AR weight (AWD-LSTM: 2). Default 0.
        tar: TAR weight (AWD-LSTM: 1). Default 0.

    Call arguments:
        inputs: `[batch, time, units]`.
        training: Whether to add the penalties.

    Example:

    >>> layer = ActivationRegularization(ar=2.0)
    >>> _ = layer(np.ones((1, 3, 2)), training=True)
    >>> float(layer.losses[0])
    2.0
    """

    def __init__(self, ar=0.0, tar=0.0, **kwargs):
        super().__init__(**kwargs)
        self.ar = _check_weight(ar, "ar")
        self.tar = _check_weight(tar, "tar")
        self.supports_masking = True

    def call(self, inputs, training=False):
        if training and self.ar:
            self.add_loss(self.ar * ops.mean(ops.square(ops.cast(inputs, "float32"))))
        if training and self.tar and len(inputs.shape) == 3:
            steps = ops.cast(inputs, "float32")
            self.add_loss(self.tar * ops.mean(ops.square(steps[:, 1:] - steps[:, :-1])))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "ar": self.ar, "tar": self.tar}
