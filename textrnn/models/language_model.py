"""Builder for recurrent language models (many-to-many: a next-token distribution per step).

With its options on it is an AWD-LSTM (Merity, Keskar & Socher 2017): embedding dropout,
locked dropout on the input, between layers and on the output, weight-dropped recurrent
kernels, AR/TAR and an output layer tied to the embedding. All are off by default.
"""

from __future__ import annotations

import keras

from textrnn import layers
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
    *,
    embedding_dropout: float = 0.0,
    input_dropout: float = 0.0,
    hidden_dropout: float = 0.0,
    output_dropout: float = 0.0,
    weight_dropout: float = 0.0,
    tie_weights: bool = False,
    ar: float = 0.0,
    tar: float = 0.0,
    seed: int | None = None,
    dtype: str | None = None,
) -> keras.Sequential:
    """A stack of recurrent layers from token ids to next-token logits.

    Args:
        vocab_size: number of token ids (the output has one logit per id).
        cell: `"rnn"`, `"lstm"` or `"gru"` (textrnn's layers).
        units: width of every recurrent layer.
        num_layers: 1 to 4 stacked recurrent layers.
        dropout: plain dropout (a new mask per step) on the input of every layer after the
            first and on the last layer's output.
        input_mode: `"embedding"` (a learned table of `embedding_dim`) or `"onehot"`.
        embedding_dim: width of the embedding (`input_mode="embedding"` only).
        batch_size: fixed batch size; when given the recurrent layers are stateful, as
            truncated-BPTT training and evaluation need. None: a stateless model.
        embedding_dropout: share of token ids whose embedding row is dropped per batch
            (`EmbeddingDropout`; AWD-LSTM 0.1, fastai 0.02).
        input_dropout, hidden_dropout, output_dropout: `LockedDropout` (one mask per
            sequence) on the embedded input, between recurrent layers and on the last
            layer's output (AWD-LSTM 0.65 / 0.3 / 0.4 for words; fastai 0.25 / 0.15 / 0.1).
        weight_dropout: DropConnect on every recurrent kernel (`recurrent_weight_dropout`;
            AWD-LSTM 0.5, fastai 0.2).
        tie_weights: the softmax reads the embedding matrix transposed (`TiedOutput`, with a
            projection when `units != embedding_dim`); the model is then a `TiedSequential`.
        ar, tar: AR and TAR weights on the last layer's output (`ActivationRegularization`;
            AWD-LSTM 2 and 1).
        seed: seed of the dropout masks.
        dtype: the dtype policy of every layer before the output (Keras' names; None:
            Keras' global policy): `"mixed_bfloat16"` computes in bfloat16 with float32
            weights, faster where the hardware multiplies bfloat16 natively (on a CPU with
            AMX, the default char model's training step took 250 against 311 ms). The output
            layer always computes in float32, so the logits and the loss keep full precision.

    Returns:
        A model mapping ids `[batch, time]` to logits `[batch, time, vocab_size]`.
    """
    if not 1 <= num_layers <= 4:
        raise ValueError(f"Received an invalid value for argument `num_layers`, expected 1 to 4, "
                         f"got {num_layers}.")
    if input_mode not in INPUT_MODES:
        raise ValueError(f"Received an invalid value for argument `input_mode`, expected one of "
                         f"{INPUT_MODES}, got {input_mode!r}.")
    if input_mode == "onehot" and (tie_weights or embedding_dropout):
        raise ValueError("Received `tie_weights` or `embedding_dropout` with "
                         "`input_mode='onehot'`; both need `input_mode='embedding'`.")
    stack = [keras.Input((None,), batch_size=batch_size, dtype="int32", name="token_ids")]
    if input_mode == "onehot":
        first = OneHot(vocab_size, name="one_hot", dtype=dtype)
    elif embedding_dropout:
        first = layers.EmbeddingDropout(vocab_size, embedding_dim, rate=embedding_dropout,
                                        seed=seed, name="embedding", dtype=dtype)
    else:
        first = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding", dtype=dtype)
    stack.append(first)
    _locked(stack, input_dropout, "input_dropout", seed, dtype)
    for index in range(num_layers):
        if index:
            _locked(stack, hidden_dropout, f"hidden_dropout_{index}", seed, dtype)
            if dropout:
                stack.append(keras.layers.Dropout(dropout, name=f"dropout_{index}", dtype=dtype))
        options = {"recurrent_weight_dropout": weight_dropout, "seed": seed} if weight_dropout \
            else {}
        stack.append(recurrent_layer(cell, units, return_sequences=True,
                                     stateful=batch_size is not None, name=f"{cell}_{index + 1}",
                                     dtype=dtype, **options))
    if tar:  # on the output before dropout, as in AWD-LSTM
        stack.append(layers.ActivationRegularization(tar=tar, name="tar", dtype=dtype))
    _locked(stack, output_dropout, "output_dropout", seed, dtype)
    if dropout:
        stack.append(keras.layers.Dropout(dropout, name="dropout_out", dtype=dtype))
    if ar:  # on the dropped output
        stack.append(layers.ActivationRegularization(ar=ar, name="ar", dtype=dtype))
    if tie_weights:
        stack.append(layers.TiedOutput(first, name="logits", dtype="float32"))
        return layers.TiedSequential(stack, name=f"{cell}_language_model")
    stack.append(keras.layers.Dense(vocab_size, name="logits", dtype="float32"))
    return keras.Sequential(stack, name=f"{cell}_language_model")


def _locked(stack: list, rate: float, name: str, seed: int | None,
            dtype: str | None) -> None:
    if rate:
        stack.append(layers.LockedDropout(rate, seed=seed, name=name, dtype=dtype))
