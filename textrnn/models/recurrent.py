"""Recurrent layers by name, as the recipes' `--cell` flag names them."""

from __future__ import annotations

import keras

from textrnn import layers

RECURRENT_LAYERS = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


def recurrent_layer(cell: str, units: int, **kwargs) -> keras.layers.Layer:
    """Builds textrnn's `SimpleRNN` (`"rnn"`), `LSTM` or `GRU` layer.

    Args:
        cell: `"rnn"`, `"lstm"` or `"gru"`.
        units: width of the hidden state.
        **kwargs: passed to the layer (e.g. `return_sequences`, `stateful`, `dropout`).
    """
    if cell not in RECURRENT_LAYERS:
        raise ValueError(f"Received an invalid value for argument `cell`: {cell!r}; expected one "
                         f"of {sorted(RECURRENT_LAYERS)}.")
    return RECURRENT_LAYERS[cell](units, **kwargs)
