"""Builder for recurrent language models (many-to-many: a next-token distribution per step)."""

from __future__ import annotations

import keras

from textrnn.layers.one_hot import OneHot
from textrnn.models.recurrent import recurrent_layer

INPUT_MODES = ("embedding", "onehot")


def build_language_model(
    vocab_size: int,
    cell: str = "lstm",
    units: int = 512,
    num_layers: int = 1,
    dropout: float = 0.0,
    input_mode: str = "embedding",
    embedding_dim: int = 64,
    batch_size: int | None = None,
) -> keras.Sequential:
    """A stack of recurrent layers from token ids to next-token logits.

    Args:
        vocab_size: number of token ids (the output has one logit per id).
        cell: `"rnn"`, `"lstm"` or `"gru"` (textrnn's layers).
        units: width of every recurrent layer.
        num_layers: 1 to 4 stacked recurrent layers.
        dropout: dropout rate on the input of every layer after the first and on the last
            layer's output (between layers, not on the recurrent connections).
        input_mode: `"embedding"` (a learned table of `embedding_dim`) or `"onehot"`.
        embedding_dim: width of the embedding (`input_mode="embedding"` only).
        batch_size: fixed batch size; when given the recurrent layers are stateful, as
            truncated-BPTT training and evaluation need. None: a stateless model.

    Returns:
        A model mapping ids `[batch, time]` to logits `[batch, time, vocab_size]`.
    """
    if not 1 <= num_layers <= 4:
        raise ValueError(f"Received an invalid value for argument `num_layers`, expected 1 to 4, "
                         f"got {num_layers}.")
    if input_mode not in INPUT_MODES:
        raise ValueError(f"Received an invalid value for argument `input_mode`, expected one of "
                         f"{INPUT_MODES}, got {input_mode!r}.")
    if input_mode == "onehot":
        first = OneHot(vocab_size, name="one_hot")
    else:
        first = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")
    stack = [keras.Input((None,), batch_size=batch_size, dtype="int32", name="token_ids"), first]
    for index in range(num_layers):
        if index and dropout:
            stack.append(keras.layers.Dropout(dropout, name=f"dropout_{index}"))
        stack.append(recurrent_layer(cell, units, return_sequences=True,
                                     stateful=batch_size is not None, name=f"{cell}_{index + 1}"))
    if dropout:
        stack.append(keras.layers.Dropout(dropout, name="dropout_out"))
    stack.append(keras.layers.Dense(vocab_size, name="logits"))
    return keras.Sequential(stack, name=f"{cell}_language_model")
