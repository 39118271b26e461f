"""Builders for document classifiers: a TF-IDF logistic regression and a (bi)RNN many-to-one.

Both return a plain `keras.Model` whose output is the class probabilities `[batch,
num_classes]` (softmax), so a saved model predicts with no extra code.
"""

from __future__ import annotations

import keras

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


def build_rnn_classifier(
    vocab_size: int,
    num_classes: int,
    cell: str = "lstm",
    units: int = 64,
    num_layers: int = 1,
    bidirectional: bool = True,
    embedding_dim: int = 64,
    dropout: float = 0.2,
) -> keras.Sequential:
    """Embedding, stacked (bidirectional) recurrent layers read to the end, then softmax.

    Padding (id 0) is masked: each document's last state is taken at its own last token, and
    the backward direction of a bidirectional layer starts there too.

    Args:
        vocab_size: number of token ids (the embedding's `input_dim`).
        num_classes: number of labels (2 or more).
        cell: `"rnn"`, `"lstm"` or `"gru"` (textrnn's layers).
        units: width of every recurrent layer (per direction).
        num_layers: 1 to 4 stacked recurrent layers; all but the last return sequences.
        bidirectional: wrap each recurrent layer in `keras.layers.Bidirectional` (concatenated).
        embedding_dim: width of the learned token embedding.
        dropout: dropout rate on the embeddings, between layers and before the softmax.

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
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"Received an invalid value for argument `dropout`, expected a rate in "
                         f"[0, 1), got {dropout}.")
    stack = [keras.Input((None,), dtype="int32", name="token_ids"),
             keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name="embedding")]
    for index in range(num_layers):
        if dropout:
            stack.append(keras.layers.Dropout(dropout, name=f"dropout_{index}"))
        layer = recurrent_layer(cell, units, return_sequences=index < num_layers - 1,
                                name=f"{cell}_{index + 1}")
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{index + 1}")
        stack.append(layer)
    if dropout:
        stack.append(keras.layers.Dropout(dropout, name="dropout_out"))
    stack.append(keras.layers.Dense(num_classes, activation="softmax", name="probabilities"))
    prefix = "bi" if bidirectional else ""
    return keras.Sequential(stack, name=f"{prefix}{cell}_classifier")


def _check_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Received an invalid value for argument `{name}`, expected a positive "
                         f"integer, got {value!r}.")


def _check_classes(num_classes: int) -> None:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"Received an invalid value for argument `num_classes`, expected at "
                         f"least 2 classes, got {num_classes!r}. A classifier needs two or "
                         "more labels in the training data.")
