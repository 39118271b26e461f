"""Builders for document classifiers: a TF-IDF logistic regression and a (bi)RNN many-to-one.

Both return a plain `keras.Model` whose output is the class probabilities `[batch,
num_classes]` (softmax), so a saved model predicts with no extra code.
"""

from __future__ import annotations

import keras

from textrnn.layers import ConcatPooling, RNNLayer
from textrnn.models.recurrent import recurrent_layer

MAX_LAYERS = 4


def build_bow_classifier(num_features: int, num_classes: int, l2: float = 1e-5) -> keras.Model:
    """Multinomial logistic regression on bag-of-words / TF-IDF vectors, as a Keras model.

    Args:
        num_features: width of the feature vectors (the vocabulary size).
        num_classes: number of labels (2 or more).
        l2: L2 penalty on the weights (per weight, added to the mean loss).

    Returns:
        A model mapping features `[batch, num_features]` to probabilities
        `[batch, num_classes]`.

    Example:
    >>> model = build_bow_classifier(num_features=1000, num_classes=3)
    >>> model.output_shape
    (None, 3)
    """
    _check_positive("num_features", num_features)
    _check_classes(num_classes)
    inputs = keras.Input((num_features,), name="features")
    outputs = keras.layers.Dense(num_classes, activation="softmax",
                                 kernel_regularizer=keras.regularizers.L2(l2) if l2 else None,
                                 name="probabilities")(inputs)
    return keras.Model(inputs, outputs, name="bow_classifier")


POOLINGS = ("last", "concat")


def build_rnn_classifier(
    vocab_size: int,
    num_classes: int,
    cell: str = "lstm",
    units: int = 64,
    num_layers: int = 1,
    bidirectional: bool = True,
    embedding_dim: int = 64,
    dropout: float = 0.2,
    pooling: str = "last",
    embedding_dropout: float = 0.0,
    spatial_dropout: float = 0.0,
) -> keras.Sequential:
    """Embedding, stacked (bidirectional) recurrent layers, a pooled summary, then softmax.

    Padding (id 0) is masked: each document's last state is taken at its own last token, and
    the backward direction of a bidirectional layer starts there too.

    Layer names are fixed, so weights can be copied in by name (`transfer_encoder`): the
    `"embedding"`, the recurrent layers `"{cell}_{i}"` (or `"bidirectional_{i}"`), and the
    head `"pooling"` (with `pooling="concat"`) and `"probabilities"`.

    Args:
        vocab_size: number of token ids (the embedding's `input_dim`).
        num_classes: number of labels (2 or more).
        cell: `"rnn"`, `"lstm"` or `"gru"` (textrnn's layers).
        units: width of every recurrent layer (per direction).
        num_layers: 1 to 4 stacked recurrent layers.
        bidirectional: wrap each recurrent layer in `keras.layers.Bidirectional` (concatenated).
        embedding_dim: width of the learned token embedding.
        dropout: dropout rate on the embeddings, between layers and before the softmax.
        pooling: `"last"` (the last layer's final state) or `"concat"` (`ConcatPooling` of the
            last layer's outputs: last, masked max and masked mean over time).
        embedding_dropout: rate at which whole tokens are dropped (their embedded vector set
            to zero for the whole vector), a word-dropout regulariser.
        spatial_dropout: rate at which whole embedding features are dropped for a whole
            document (the same mask at every step: locked / variational dropout).

    Returns:
        A model mapping ids `[batch, time]` (int, 0 = padding) to probabilities
        `[batch, num_classes]`.

    Example:
    >>> model = build_rnn_classifier(vocab_size=500, num_classes=2, cell="gru")
    >>> model.output_shape
    (None, 2)
    """
    _check_positive("vocab_size", vocab_size)
    _check_classes(num_classes)
    if not 1 <= num_layers <= MAX_LAYERS:
        raise ValueError(f"Received an invalid value for argument `num_layers`, expected 1 to "
                         f"{MAX_LAYERS}, got {num_layers}.")
    for name, rate in (("dropout", dropout), ("embedding_dropout", embedding_dropout),
                       ("spatial_dropout", spatial_dropout)):
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Received an invalid value for argument `{name}`, expected a "
                             f"rate in [0, 1), got {rate}.")
    if pooling not in POOLINGS:
        raise ValueError(f"Received an invalid value for argument `pooling`, expected one of "
                         f"{POOLINGS}, got {pooling!r}.")
    stack = [keras.Input((None,), dtype="int32", name="token_ids"),
             keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name="embedding")]
    if embedding_dropout:
        stack.append(keras.layers.Dropout(embedding_dropout, noise_shape=(None, None, 1),
                                          name="embedding_dropout"))
    if spatial_dropout:
        stack.append(keras.layers.SpatialDropout1D(spatial_dropout, name="spatial_dropout"))
    for index in range(num_layers):
        if dropout:
            stack.append(keras.layers.Dropout(dropout, name=f"dropout_{index}"))
        sequences = index < num_layers - 1 or pooling == "concat"
        layer = recurrent_layer(cell, units, return_sequences=sequences,
                                name=f"{cell}_{index + 1}")
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{index + 1}")
        stack.append(layer)
    if pooling == "concat":
        stack.append(ConcatPooling(units if bidirectional else 0, name="pooling"))
    if dropout:
        stack.append(keras.layers.Dropout(dropout, name="dropout_out"))
    stack.append(keras.layers.Dense(num_classes, activation="softmax", name="probabilities"))
    prefix = "bi" if bidirectional else ""
    return keras.Sequential(stack, name=f"{prefix}{cell}_classifier")


def layer_groups(model: keras.Model) -> list[list[str]]:
    """Names of the model's layers in groups, from the input up: ULMFiT's layer groups.

    The embedding (with the dropout after it) is the first group, each recurrent layer opens
    a new one, and everything after the last recurrent layer (pooling, dropout, softmax) is
    the head, the last group. Gradual unfreezing and discriminative learning rates act on
    these groups.

    Returns:
        `[[embedding, ...], [recurrent_1, ...], ..., [head layers]]`.
    """
    groups: list[list[str]] = [[]]
    recurrent = (RNNLayer, keras.layers.Bidirectional, keras.layers.RNN)
    for layer in model.layers:
        if isinstance(layer, recurrent):
            groups.append([])
        groups[-1].append(layer.name)
    if len(groups) < 2 or len(groups[-1]) < 2:
        raise ValueError(f"Model `{model.name}` has no recurrent layer with a head after it; "
                         "expected embedding, recurrent layers, then pooling and softmax.")
    groups[-1], head = groups[-1][:1], groups[-1][1:]
    return [*groups, head]


def _check_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Received an invalid value for argument `{name}`, expected a positive "
                         f"integer, got {value!r}.")


def _check_classes(num_classes: int) -> None:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"Received an invalid value for argument `num_classes`, expected at "
                         f"least 2 classes, got {num_classes!r}. A classifier needs two or "
                         "more labels in the training data.")
