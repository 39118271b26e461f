"""Model builders; each returns a plain `keras.Model`, and the n-gram baseline."""

from textrnn.models.language_model import build_language_model
from textrnn.models.ngram import NgramLanguageModel
from textrnn.models.recurrent import RECURRENT_LAYERS, recurrent_layer

__all__ = ["NgramLanguageModel", "RECURRENT_LAYERS", "build_language_model", "recurrent_layer"]
