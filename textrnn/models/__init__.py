"""Model builders (language model, classifier, seq2seq), each returning a plain `keras.Model`,
and the n-gram baseline."""

from textrnn.models.classifier import (
    POOLINGS,
    build_bow_classifier,
    build_rnn_classifier,
    layer_groups,
)
from textrnn.models.language_model import build_language_model
from textrnn.models.ngram import NgramLanguageModel
from textrnn.models.recurrent import RECURRENT_LAYERS, recurrent_layer
from textrnn.models.seq2seq import ATTENTIONS, Seq2SeqDecoder, build_seq2seq

__all__ = [
    "ATTENTIONS",
    "POOLINGS",
    "NgramLanguageModel",
    "RECURRENT_LAYERS",
    "Seq2SeqDecoder",
    "build_bow_classifier",
    "build_language_model",
    "build_rnn_classifier",
    "build_seq2seq",
    "layer_groups",
    "recurrent_layer",
]
