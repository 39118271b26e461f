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

from textrnn import layers, training  # noqa: F401  (registration with Keras serialization)

__version__ = "0.1.0"
