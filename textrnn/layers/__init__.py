"""Recurrent cells and layers written with `keras.ops`, weight-compatible with Keras' built-ins.

Importing this package registers every layer with Keras' serialization (package "textrnn"),
so models using them load with `keras.saving.load_model` and no `custom_objects`.
"""

from textrnn.layers.cell import RecurrentCell
from textrnn.layers.gru import GRU, GRUCell
from textrnn.layers.lstm import LSTM, LSTMCell
from textrnn.layers.rnn import RNNLayer
from textrnn.layers.simple_rnn import SimpleRNN, SimpleRNNCell

__all__ = [
    "GRU",
    "LSTM",
    "GRUCell",
    "LSTMCell",
    "RNNLayer",
    "RecurrentCell",
    "SimpleRNN",
    "SimpleRNNCell",
]
