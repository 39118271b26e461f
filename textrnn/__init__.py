"""textrnn: recurrent neural networks for text, in Keras 3.

Subpackages (imported on first use: `import textrnn` alone loads neither Keras nor TensorFlow,
so `textrnn.preprocessing` and `textrnn-preprocess` start in a fraction of the time):
    preprocessing: tokenizers, `Vocabulary`, `CorpusStats`, feature selection, stopwords.
    layers: `SimpleRNN`, `LSTM`, `GRU` (and their cells) written in `keras.ops`.
    training: global-norm clipping, perplexity, truncated BPTT, checkpoints.
    generation: sampling, state-carrying generation, beam search.
    models: model builders and the n-gram baseline.
    tasks: preprocessor + model + training loop per task.
    datasets: the small corpora shipped with the package.

`textrnn.layers` and `textrnn.training` register their layers, metrics and optimizer wrapper
with Keras' serialization when imported, so after `import textrnn.layers` a saved model that
uses them loads with `keras.saving.load_model` and no `custom_objects` (textrnn's own loaders
import them for you). TensorFlow's C++ start-up lines are hidden when Keras is first imported
after textrnn (see `textrnn._startup`).
"""

import importlib
from types import ModuleType

from textrnn._startup import quiet_keras_import

__version__ = "0.1.0"

_SUBPACKAGES = ("datasets", "generation", "layers", "models", "preprocessing", "tasks",
                "training")

quiet_keras_import()


def __getattr__(name: str) -> ModuleType:
    """`textrnn.layers` etc. without importing them up front (PEP 562)."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_SUBPACKAGES])
