"""Builder of a many-to-many sequence tagger: word + character features, stacked BiRNN, softmax
or CRF.

    word ids [b, t] ──Embedding─────────────────┐
    char ids [b, t, c] ──Embedding──CNN──max──┴─concat─ BiRNN x L ─ Dense ─ softmax | CRF

The character encoder sees each word's spelling (suffixes, capitals, digits, hyphens), which
is what tags an unseen word; the word embedding carries what the training text taught about
frequent words.
"""

from __future__ import annotations

import keras

from textrnn.layers import CRF
from textrnn.models.recurrent import recurrent_layer

CHAR_ENCODERS = ("cnn", "none")
MAX_LAYERS = 4


def build_tagger(
    vocab_size: int,
    num_tags: int,
    char_vocab_size: int = 0,
    max_word_length: int = 20,
    cell: str = "lstm",
    units: int = 100,
    num_layers: int = 1,
    embedding_dim: int = 100,
    char_encoder: str = "cnn",
    char_dim: int = 32,
    char_units: int = 64,
    dropout: float = 0.33,
    crf: bool = False,
) -> keras.Model:
    """A BiRNN tagger: one output per token.

    Args:
        vocab_size: word ids (0 padding, 1 unknown); the word embedding's `input_dim`.
        num_tags: number of tags.
        char_vocab_size: character ids (0 padding, 1 unknown); unused with `"none"`.
        max_word_length: characters per word in the `char_ids` input.
        cell: `"rnn"`, `"lstm"` or `"gru"` (textrnn's layers).
        units: width of each direction of every recurrent layer.
        num_layers: 1 to 4 stacked bidirectional layers.
        embedding_dim: width of the word embedding.
        char_encoder: `"cnn"` (width-3 convolution, max over each word's characters) or
            `"none"` (words only). A character BiLSTM is not offered: Keras'
            `TimeDistributed` runs it through `vectorized_map`, which fails on TensorFlow.
        char_dim, char_units: character embedding width and encoder output width.
        dropout: dropout rate on the word features, between layers and before the output.
        crf: end in a linear-chain `CRF` (train with `CRFLoss`) instead of a softmax.

    Returns:
        A model with inputs `{"word_ids": [b, t] int, "char_ids": [b, t, max_word_length]
        int}` (no `char_ids` with `"none"`) and output tag probabilities `[b, t, num_tags]`,
        or with `crf=True` the CRF's packed scores `[b, t, num_tags + 3, num_tags]`.

    Example:
    >>> model = build_tagger(vocab_size=100, num_tags=5, char_vocab_size=30, crf=True)
    >>> model.output_shape
    (None, None, 8, 5)
    """
    _check(vocab_size, num_tags, char_vocab_size, char_encoder, num_layers, dropout)
    word_ids = keras.Input((None,), dtype="int32", name="word_ids")
    inputs = {"word_ids": word_ids}
    features = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True,
                                      name="word_embedding")(word_ids)
    if char_encoder != "none":
        inputs["char_ids"] = keras.Input((None, max_word_length), dtype="int32",
                                         name="char_ids")
        spelling = _char_features(inputs["char_ids"], char_vocab_size, max_word_length,
                                  char_dim, char_units)
        features = keras.layers.Concatenate(name="word_features")([features, spelling])
    # Keras' Concatenate ORs its inputs' masks (the unmasked spelling features would unmask
    # the padding), so the recurrent layers get the padding mask explicitly.
    mask = keras.ops.not_equal(word_ids, 0)
    for index in range(num_layers):
        if dropout:
            features = keras.layers.Dropout(dropout, name=f"dropout_{index}")(features)
        layer = recurrent_layer(cell, units, return_sequences=True, name=f"{cell}_{index + 1}")
        features = keras.layers.Bidirectional(layer, name=f"bidirectional_{index + 1}")(
            features, mask=mask)
    if dropout:
        features = keras.layers.Dropout(dropout, name="dropout_out")(features)
    if crf:
        emissions = keras.layers.Dense(num_tags, name="emissions")(features)
        outputs = CRF(num_tags, name="crf")(emissions)
    else:
        outputs = keras.layers.Dense(num_tags, activation="softmax", name="emissions")(features)
    return keras.Model(inputs, outputs, name=f"bi{cell}_{'crf' if crf else 'softmax'}_tagger")


def _char_features(char_ids, char_vocab_size: int, max_word_length: int, char_dim: int,
                   char_units: int):
    """`[b, t, char_units]` spelling features of each word from its characters."""
    chars = keras.layers.Embedding(char_vocab_size, char_dim, name="char_embedding")(char_ids)
    # A (1, 3) kernel over [b, t, chars, dim] convolves within each word only.
    grams = keras.layers.Conv2D(char_units, (1, 3), padding="same", activation="tanh",
                                name="char_cnn")(chars)
    pooled = keras.layers.MaxPooling2D((1, max_word_length), name="char_max")(grams)
    return keras.layers.Reshape((-1, char_units), name="char_features")(pooled)


def _check(vocab_size, num_tags, char_vocab_size, char_encoder, num_layers, dropout) -> None:
    for name, value in (("vocab_size", vocab_size), ("num_tags", num_tags)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"Received an invalid value for argument `{name}`, expected a "
                             f"positive integer, got {value!r}.")
    if char_encoder not in CHAR_ENCODERS:
        raise ValueError(f"Received an invalid value for argument `char_encoder`: "
                         f"{char_encoder!r}; expected one of {CHAR_ENCODERS}.")
    if char_encoder != "none" and char_vocab_size < 2:
        raise ValueError(f"Received an invalid value for argument `char_vocab_size`, expected "
                         f"at least 2 (padding and unknown) with char_encoder="
                         f"{char_encoder!r}, got {char_vocab_size!r}.")
    if not 1 <= num_layers <= MAX_LAYERS:
        raise ValueError(f"Received an invalid value for argument `num_layers`, expected 1 to "
                         f"{MAX_LAYERS}, got {num_layers!r}.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"Received an invalid value for argument `dropout`, expected a rate "
                         f"in [0, 1), got {dropout!r}.")
