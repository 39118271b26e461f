"""Weight tying: a softmax layer that reads the embedding's matrix (Press & Wolf 2017; Inan et
al. 2017; AWD-LSTM; fastai's `LinearDecoder(tie_encoder=...)`).

`TiedOutput` computes `logits = (x @ projection) @ embeddings.T + bias`, where `embeddings` is
the variable of an `Embedding` layer elsewhere in the model: one variable, trained by both
uses. A layer config cannot hold another layer, so `TiedOutput` stores the embedding layer's
*name*, and `TiedSequential` (a `keras.Sequential`) connects the two when layers are added —
also when a saved model is loaded.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="textrnn")
class TiedOutput(keras.layers.Layer):
    """Output layer whose weight matrix is the transposed matrix of an `Embedding` layer.

    When the inputs are not as wide as the embedding, a learned linear `projection`
    `[features, embedding_dim]` maps them first. Own weights: `projection` (only then) and
    `bias [vocab]`; the embedding matrix stays the embedding layer's one variable.

    Args:
        embedding: The `keras.layers.Embedding` (or `EmbeddingDropout`) layer to tie to, or
            its name; given a name, the layer is connected by `TiedSequential` (or
            `link(layer)`) before the first call.
        use_bias: Whether to add a bias per token. Default `True`.

    Call arguments:
        inputs: `[..., features]`.

    Returns:
        Logits `[..., vocab]`.

    Example:

    >>> embedding = keras.layers.Embedding(50, 8, name="embedding")
    >>> model = TiedSequential([keras.Input((None,), dtype="int32"), embedding,
    ...                         LSTM(16, return_sequences=True), TiedOutput(embedding)])
    >>> model(np.zeros((2, 3), "int32")).shape
    (2, 3, 50)
    """

    def __init__(self, embedding, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        if isinstance(embedding, str):
            name, layer = embedding, None
        elif isinstance(embedding, keras.layers.Embedding):
            name, layer = embedding.name, embedding
        else:
            raise ValueError("Received an invalid value for argument `embedding`, expected a "
                             "`keras.layers.Embedding` layer or its name, got "
                             f"{embedding!r}.")
        self.embedding = name
        self.use_bias = use_bias
        # Not tracked: the matrix belongs to the embedding layer (saved once, with it).
        object.__setattr__(self, "_embedding_layer", None)
        if layer is not None:
            self.link(layer)

    def link(self, layer):
        """Connects the embedding layer whose matrix this layer reads."""
        if not isinstance(layer, keras.layers.Embedding):
            raise ValueError(f"Layer `{self.name}` must be tied to an Embedding layer, got "
                             f"{layer!r}.")
        object.__setattr__(self, "_embedding_layer", layer)
        pending = self.__dict__.pop("_pending_build_config", None)
        if pending is not None:
            super().build_from_config(pending)

    def build_from_config(self, config):
        # A loaded model builds each layer before `TiedSequential.add` links it: wait for it.
        if self._embedding_layer is None:
            object.__setattr__(self, "_pending_build_config", config)
            return
        super().build_from_config(config)

    @property
    def embedding_layer(self):
        if self._embedding_layer is None:
            raise ValueError(
                f"Layer `{self.name}` is tied to the embedding `{self.embedding}` but is not "
                "connected to it: use it inside a `textrnn.layers.TiedSequential` model (which "
                "connects layers by name), or call `link(embedding_layer)` first.")
        return self._embedding_layer

    def build(self, input_shape):
        layer = self.embedding_layer
        vocab, width = layer.input_dim, layer.output_dim
        self.projection = None
        if input_shape[-1] != width:
            self.projection = self.add_weight(shape=(input_shape[-1], width), name="projection",
                                              initializer="glorot_uniform")
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(vocab,), name="bias", initializer="zeros")

    def call(self, inputs):
        x = inputs if self.projection is None else ops.matmul(inputs, self.projection)
        table = ops.cast(self.embedding_layer.embeddings, x.dtype)
        logits = ops.matmul(x, ops.transpose(table))
        return logits if self.bias is None else logits + self.bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.embedding_layer.input_dim)

    def get_config(self):
        return {**super().get_config(), "embedding": self.embedding, "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(package="textrnn")
class TiedSequential(keras.Sequential):
    """`keras.Sequential` that connects each `TiedOutput` to the earlier layer it names.

    Use it in place of `keras.Sequential` for a model with a `TiedOutput`; saving and
    `keras.saving.load_model` work as usual, and the loaded model has one embedding variable.
    """

    def add(self, layer, rebuild=True):
        if isinstance(layer, TiedOutput) and layer._embedding_layer is None:
            named = [known for known in self._layers if known.name == layer.embedding]
            if not named:
                raise ValueError(
                    f"Layer `{layer.name}` is tied to `{layer.embedding}`, which is not an "
                    f"earlier layer of this model (layers: {[k.name for k in self._layers]}).")
            layer.link(named[0])
        super().add(layer, rebuild=rebuild)
