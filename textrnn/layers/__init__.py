"""Recurrent cells and layers written with `keras.ops`, weight-compatible with Keras' built-ins,
plus the attention layers of the translator, a `OneHot` input layer, the tagger's `CRF`, the
classifier's `ConcatPooling` and the AWD-LSTM regularisers.

Importing this package registers every layer with Keras' serialization (package "textrnn"),
so models using them load with `keras.saving.load_model` and no `custom_objects`.
"""

from textrnn.layers.attention import BahdanauAttention, LuongAttention
from textrnn.layers.cell import RecurrentCell
from textrnn.layers.crf import CRF, CRFLoss
from textrnn.layers.gru import GRU, GRUCell
from textrnn.layers.lstm import LSTM, LSTMCell
from textrnn.layers.one_hot import OneHot
from textrnn.layers.pooling import ConcatPooling
from textrnn.layers.regularization import ActivationRegularization, EmbeddingDropout, LockedDropout
from textrnn.layers.rnn import GatedRNNLayer, RNNLayer
from textrnn.layers.simple_rnn import SimpleRNN, SimpleRNNCell
from textrnn.layers.tied import TiedOutput, TiedSequential

__all__ = [
    "ActivationRegularization",
    "EmbeddingDropout",
    "LockedDropout",
    "TiedOutput",
    "TiedSequential",
    "BahdanauAttention",
    "CRF",
    "CRFLoss",
    "ConcatPooling",
    "GRU",
    "GatedRNNLayer",
    "LSTM",
    "GRUCell",
    "LSTMCell",
    "LuongAttention",
    "OneHot",
    "RNNLayer",
    "RecurrentCell",
    "SimpleRNN",
    "SimpleRNNCell",
]
