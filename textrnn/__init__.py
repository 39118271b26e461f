"""textrnn: recurrent neural networks for text, in Keras 3.

Subpackages:
    preprocessing: tokenizers, `Vocabulary`, `CorpusStats`, feature selection, stopwords.
    layers: `SimpleRNN`, `LSTM`, `GRU` (and their cells) written in `keras.ops`.
    training: global-norm clipping, perplexity, truncated BPTT, checkpoints.
    generation: sampling, state-carrying generation, beam search.
    models: model builders and the n-gram baseline.
    datasets: the small corpora shipped with the package.

Importing `textrnn` registers its layers, metrics and optimizer wrapper with Keras'
serialization, so a saved model that uses them loads with `keras.saving.load_model` and no
`custom_objects`.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def _native_stderr_silenced(enabled: bool):
    """Send file descriptor 2 (C++ logging) to /dev/null while the block runs.

    TensorFlow 2.21 prints its start-up lines through absl before `TF_CPP_MIN_LOG_LEVEL` is
    read, so the variable alone does not hide them. Python errors raised in the block are
    printed after stderr is back.
    """
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# Hide TensorFlow's C++ start-up lines (oneDNN, CPU features, CUDA probing) unless the user
# chose a level (or asked for TEXTRNN_DEBUG). This has to happen before Keras loads its
# backend; console scripts and recipes import textrnn first.
with _native_stderr_silenced("TF_CPP_MIN_LOG_LEVEL" not in os.environ
                             and "keras" not in sys.modules
                             and not os.environ.get("TEXTRNN_DEBUG")):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras  # noqa: F401

from textrnn import layers, training  # noqa: E402, F401  (registration with Keras serialization)

__version__ = "0.1.0"
