"""What a classifier reads: tokens, a vocabulary with cuts, padded id batches, TF-IDF vectors.

`ClassifierAssets` are built from the training documents only and saved in the run folder:
`classifier.json` (level, tokenizer settings, `max_length`, the model kind), `vocab.json`,
`labels.json`, `tfidf.json` (the baseline's idf) and `subword.model` for subwords. Prediction
loads them from there.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import scipy.sparse

from textrnn.errors import InputError
from textrnn.io import read_json, write_json
from textrnn.preprocessing import (
    CorpusStats,
    FeatureSelector,
    SubwordTokenizer,
    TfidfVectorizer,
    Tokenizer,
    Vocabulary,
    WordTokenizer,
)
from textrnn.tasks.classification import load_labels, save_labels

LEVELS = ("word", "subword")
MODELS = ("bow", "rnn", "birnn")
FORMAT = "textrnn.classifier"
ASSETS_FILE = "classifier.json"
VOCAB_FILE = "vocab.json"
TFIDF_FILE = "tfidf.json"
SUBWORD_FILE = "subword.model"


@dataclasses.dataclass
class ClassifierAssets:
    """Tokenizer, vocabulary, labels and TF-IDF weights of a classification run.

    Attributes:
        model: the model kind, `"bow"`, `"rnn"` or `"birnn"`.
        level: `"word"` or `"subword"`.
        tokenizer: splits a document into tokens.
        vocabulary: token ids (0 = padding, 1 = unknown).
        labels: class names; a label's id is its position.
        tfidf: fitted TF-IDF weights over the same vocabulary (bag-of-words models).
        max_length: sequence models read at most this many tokens of a document (the first
            ones); None reads everything.
    """

    model: str
    level: str
    tokenizer: Tokenizer
    vocabulary: Vocabulary
    labels: list[str]
    tfidf: TfidfVectorizer
    max_length: int | None = None

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        """Tokens of each document (not truncated)."""
        return [self.tokenizer.tokenize(text) for text in texts]

    def sequences(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Token ids of each document, int32 `[min(length, max_length)]`; unknown -> 1.

        A document with no tokens reads as one unknown token (an all-padding row would be
        masked away entirely).
        """
        unk = [self.vocabulary.unk_id]
        return [np.asarray(self.vocabulary.encode(tokens[:self.max_length]) or unk, np.int32)
                for tokens in self.tokens(texts)]

    def features(self, texts: Sequence[str]) -> scipy.sparse.csr_matrix:
        """TF-IDF vectors `[num_docs, len(vocabulary)]` (float32 CSR) of whole documents."""
        return self.tfidf.transform(self.tokens(texts)).astype(np.float32)

    def save(self, run_dir: str | os.PathLike) -> None:
        run_dir = Path(run_dir)
        tokenizer = {} if self.level == "subword" else self.tokenizer.get_config()
        write_json(run_dir / ASSETS_FILE, {
            "format": FORMAT, "model": self.model, "level": self.level,
            "tokenizer": tokenizer, "max_length": self.max_length})
        self.vocabulary.save(run_dir / VOCAB_FILE)
        self.tfidf.save(run_dir / TFIDF_FILE)
        save_labels(run_dir, self.labels)

    @classmethod
    def load(cls, run_dir: str | os.PathLike) -> ClassifierAssets:
        """Loads what `save` wrote; `InputError` when the folder is not a classifier run."""
        run_dir = Path(run_dir)
        config = read_json(run_dir / ASSETS_FILE)
        if not isinstance(config, dict) or config.get("format") != FORMAT \
                or config.get("level") not in LEVELS or config.get("model") not in MODELS:
            raise InputError(f"not a textrnn classifier file: expected format {FORMAT!r}, a "
                             f"'level' in {LEVELS} and a 'model' in {MODELS}",
                             run_dir / ASSETS_FILE)
        if config["level"] == "subword":
            tokenizer = SubwordTokenizer.load(run_dir / SUBWORD_FILE)
        else:
            tokenizer = WordTokenizer.from_config(config.get("tokenizer", {}))
        vocabulary = Vocabulary.load(run_dir / VOCAB_FILE)
        tfidf = TfidfVectorizer.load(run_dir / TFIDF_FILE)
        if tfidf.vocabulary != vocabulary:
            raise InputError(f"the TF-IDF weights were fitted on another vocabulary than "
                             f"{VOCAB_FILE}", run_dir / TFIDF_FILE)
        return cls(config["model"], config["level"], tokenizer, vocabulary,
                   load_labels(run_dir), tfidf, config.get("max_length"))


def build_assets(
    train_texts: Sequence[str],
    labels: Sequence[str],
    model: str,
    level: str,
    run_dir: str | os.PathLike,
    lowercase: bool = True,
    selector: FeatureSelector | None = None,
    vocab_size: int = 4000,
    max_length: int | None = None,
) -> ClassifierAssets:
    """Builds tokenizer, vocabulary and TF-IDF weights from the training documents.

    Args:
        train_texts: the training documents (never validation or test ones).
        labels: the class names (`label_list`).
        model: `"bow"`, `"rnn"` or `"birnn"`.
        level: `"word"` (`WordTokenizer`) or `"subword"` (a sentencepiece model trained here
            and written to `run_dir/subword.model`).
        run_dir: the run folder.
        lowercase: lowercase words (word level).
        selector: the vocabulary cuts (min/max DF, top-k, coverage, stopwords); the default
            keeps every type. Applied to words or to subword pieces.
        vocab_size: number of sentencepiece pieces (subword level).
        max_length: longest token sequence the sequence models read.
    """
    if level not in LEVELS:
        raise ValueError(f"Received an invalid value for argument `level`: {level!r}; expected "
                         f"one of {LEVELS}.")
    if model not in MODELS:
        raise ValueError(f"Received an invalid value for argument `model`: {model!r}; expected "
                         f"one of {MODELS}.")
    if max_length is not None and max_length < 1:
        raise ValueError(f"Received an invalid value for argument `max_length`: {max_length}; "
                         "expected a positive number of tokens or None.")
    if level == "word":
        tokenizer = WordTokenizer(lowercase=lowercase)
    else:
        tokenizer = SubwordTokenizer.train(train_texts, Path(run_dir) / SUBWORD_FILE,
                                           vocab_size=vocab_size, hard_vocab_limit=False)
    documents = [tokenizer.tokenize(text) for text in train_texts]
    selection = (selector or FeatureSelector()).select(CorpusStats.from_documents(documents))
    vocabulary = Vocabulary(list(selection.tokens))
    tfidf = TfidfVectorizer(vocabulary, sublinear_tf=True).fit(documents)
    return ClassifierAssets(model, level, tokenizer, vocabulary, list(labels), tfidf, max_length)


class FeatureBatches(keras.utils.PyDataset):
    """Dense float32 batches `[batch, num_features]` cut from a sparse feature matrix.

    Densifying one batch at a time keeps memory small, and every batch has the same shape, so
    no backend recompiles per batch (a sparse batch's number of non-zeros varies, which makes
    JAX recompile every step).

    Args:
        features: CSR matrix `[num_docs, num_features]`.
        y: label ids `[num_docs]`, or None (prediction).
        batch_size: documents per batch.
        shuffle: reshuffle every epoch (training).
        seed: shuffling seed.
    """

    def __init__(self, features: scipy.sparse.csr_matrix, y: np.ndarray | None = None,
                 batch_size: int = 32, shuffle: bool = False, seed: int = 0):
        super().__init__()
        self.features = features
        self.y = y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._order = self._plan()

    def _plan(self) -> np.ndarray:
        count = self.features.shape[0]
        return self._rng.permutation(count) if self.shuffle else np.arange(count)

    def __len__(self) -> int:
        return -(-self.features.shape[0] // self.batch_size)

    def __getitem__(self, index: int):
        members = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        x = self.features[members].toarray()
        return x if self.y is None else (x, self.y[members])

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._order = self._plan()


class SequenceBatches(keras.utils.PyDataset):
    """Batches of token-id sequences padded (with 0) only to their own longest document.

    Documents of similar length are batched together, so little time goes to padding: the
    order is shuffled, cut into chunks of 32 batches, each chunk sorted by length, and the
    batches of all chunks shuffled again (every epoch when `shuffle=True`). Without
    `shuffle`, documents are sorted by length once; `restore_order` puts predictions back in
    the original order. Lengths are rounded up to a multiple of `multiple`, which bounds the
    number of distinct batch shapes (and compilations).

    Args:
        sequences: int arrays, one per document.
        y: label ids `[num_docs]`, or None (prediction).
        batch_size: documents per batch.
        shuffle: reshuffle every epoch (training).
        seed: shuffling seed.
        multiple: pad lengths up to a multiple of this.
    """

    def __init__(self, sequences: Sequence[np.ndarray], y: np.ndarray | None = None,
                 batch_size: int = 32, shuffle: bool = False, seed: int = 0, multiple: int = 8):
        super().__init__()
        if not sequences:
            raise ValueError("Received no documents for argument `sequences`.")
        self.sequences = sequences
        self.y = y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.multiple = multiple
        self._lengths = np.asarray([len(s) for s in sequences])
        self._rng = np.random.default_rng(seed)
        self._batches = self._plan()

    def _plan(self) -> list[np.ndarray]:
        return self._widest_and_narrowest_first(self._plan_batches())

    def _widest_and_narrowest_first(self, batches: list[np.ndarray]) -> list[np.ndarray]:
        # Keras' TensorFlow adapter takes the tf.data signature from the first two batches:
        # if both had the same length, the time axis would be fixed and a longer batch later
        # would fail. A widest batch then a narrowest one make that axis `None`.
        widths = [int(self._lengths[batch].max()) for batch in batches]
        first, second = int(np.argmax(widths)), int(np.argmin(widths))
        if first == second:
            return batches
        rest = [batch for i, batch in enumerate(batches) if i not in (first, second)]
        return [batches[first], batches[second], *rest]

    def _plan_batches(self) -> list[np.ndarray]:
        if not self.shuffle:
            order = np.argsort(self._lengths, kind="stable")
            return [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        order = self._rng.permutation(len(self.sequences))
        chunk = 32 * self.batch_size
        batches = []
        for start in range(0, len(order), chunk):
            part = order[start:start + chunk]
            part = part[np.argsort(self._lengths[part], kind="stable")]
            batches.extend(part[i:i + self.batch_size] for i in range(0, len(part),
                                                                        self.batch_size))
        return [batches[i] for i in self._rng.permutation(len(batches))]

    def __len__(self) -> int:
        return len(self._batches)

    def __getitem__(self, index: int):
        members = self._batches[index]
        longest = max(int(self._lengths[members].max()), 1)
        width = -(-longest // self.multiple) * self.multiple
        x = np.zeros((len(members), width), dtype=np.int32)
        for row, member in enumerate(members):
            x[row, :self._lengths[member]] = self.sequences[member]
        return x if self.y is None else (x, self.y[members])

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._batches = self._plan()

    def restore_order(self, outputs: np.ndarray) -> np.ndarray:
        """Rows of `outputs` (in batch order, `shuffle=False`) back in document order."""
        restored = np.empty_like(outputs)
        restored[np.concatenate(self._batches)] = outputs
        return restored
