"""`ClassifierPreprocessor`: documents and labels in, what a classifier model reads out.

It owns the model kind, the tokenizer (from `textrnn.preprocessing.registry`), the vocabulary
with its cuts, the labels, the TF-IDF weights and `max_length`, all learned from the training
documents only. A run folder holds them as `classifier.json`, `vocab.json`, `labels.json`,
`tfidf.json` and, at the subword level, `subword.model`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
)
from textrnn.preprocessing.registry import (
    build_tokenizer,
    check_level,
    load_tokenizer,
    tokenizer_config,
)
from textrnn.tasks.base import Preprocessor
from textrnn.tasks.classification.batches import FeatureBatches, SequenceBatches
from textrnn.tasks.classification.data import class_weights, encode_labels, label_list

LEVELS = ("word", "subword")
MODELS = ("bow", "rnn", "birnn")
VOCAB_FILE = "vocab.json"
LABELS_FILE = "labels.json"
TFIDF_FILE = "tfidf.json"
SUBWORD_FILE = "subword.model"


class ClassifierPreprocessor(Preprocessor):
    """Turns documents into TF-IDF rows or token-id sequences, and labels into ids.

    Args:
        model_kind: `"bow"` (the model reads TF-IDF vectors), `"rnn"` or `"birnn"` (token
            ids).
        tokenizer: a word or subword tokenizer.
        vocabulary: token ids (0 = padding, 1 = unknown).
        labels: class names; a label's id is its position.
        tfidf: TF-IDF weights fitted over `vocabulary`.
        max_length: sequence models read at most this many tokens of a document (the first
            ones); None reads everything.

    Example:
    >>> p = ClassifierPreprocessor.build(["free prize", "see you", "win cash"],
    ...                                  ["spam", "ham", "spam"], model_kind="bow", min_df=1)
    >>> x, y = p.inputs(["free cash"], ["spam"])[0]
    >>> x.shape, y.tolist()
    ((1, 8), [1])
    """

    config_file = "classifier.json"
    format = "textrnn.classifier"

    def __init__(self, model_kind: str, tokenizer: Tokenizer, vocabulary: Vocabulary,
                 labels: Sequence[str], tfidf: TfidfVectorizer, max_length: int | None = None):
        if model_kind not in MODELS:
            raise ValueError(f"Received an invalid value for argument `model_kind`: "
                             f"{model_kind!r}; expected one of {MODELS}.")
        check_level(tokenizer.level, LEVELS)
        if max_length is not None and max_length < 1:
            raise ValueError(f"Received an invalid value for argument `max_length`: "
                             f"{max_length}; expected a positive number of tokens or None.")
        self.model_kind = model_kind
        self.tokenizer = tokenizer
        self.vocabulary = vocabulary
        self.labels = list(labels)
        self.tfidf = tfidf
        self.max_length = max_length

    @property
    def level(self) -> str:
        """`"word"` or `"subword"`."""
        return self.tokenizer.level

    @classmethod
    def build(cls, texts: Sequence[str], labels: Sequence[str], model_kind: str = "birnn",
              level: str = "word", directory: str | os.PathLike | None = None,
              lowercase: bool = True, selector: FeatureSelector | None = None,
              vocab_size: int = 4000, max_length: int | None = None,
              **cuts: Any) -> ClassifierPreprocessor:
        """Learns tokenizer, vocabulary, labels and TF-IDF weights from training documents.

        Args:
            texts: the training documents (never validation or test ones).
            labels: their labels; the sorted distinct ones become the classes.
            model_kind: `"bow"`, `"rnn"` or `"birnn"`.
            level: `"word"` or `"subword"` (a sentencepiece model trained here).
            directory: where the sentencepiece model is written (default: a new temporary
                folder; `save` copies it into the run folder).
            lowercase: lowercase words (word level).
            selector: the vocabulary cuts; or give them as `**cuts` (`min_df`, `max_df`,
                `top_k`, `coverage`, `stopwords`, as in `FeatureSelector`). The default keeps
                every type. Applied to words or to subword pieces.
            vocab_size: number of sentencepiece pieces (subword level).
            max_length: longest token sequence the sequence models read.
        """
        check_level(level, LEVELS)
        classes = label_list(labels)
        model_path = None
        if level == "subword":
            folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="textrnn-"))
            model_path = folder / SUBWORD_FILE
        tokenizer = build_tokenizer(level, texts, model_path, lowercase=lowercase,
                                    vocab_size=vocab_size)
        documents = [tokenizer.tokenize(text) for text in texts]
        selection = (selector or FeatureSelector(**cuts)).select(
            CorpusStats.from_documents(documents))
        vocabulary = Vocabulary(list(selection.tokens))
        tfidf = TfidfVectorizer(vocabulary, sublinear_tf=True).fit(documents)
        return cls(model_kind, tokenizer, vocabulary, classes, tfidf, max_length)

    @classmethod
    def from_tokenizer(cls, tokenizer: Tokenizer, vocabulary: Vocabulary, texts: Sequence[str],
                       labels: Sequence[str], model_kind: str = "rnn",
                       max_length: int | None = None) -> ClassifierPreprocessor:
        """Reuses a tokenizer and vocabulary (a language model's, for transfer); learns only
        the labels and the TF-IDF weights from the training documents."""
        tfidf = TfidfVectorizer(vocabulary, sublinear_tf=True).fit(
            [tokenizer.tokenize(text) for text in texts])
        return cls(model_kind, tokenizer, vocabulary, label_list(labels), tfidf, max_length)

    @classmethod
    def load_or_build(cls, run_dir: str | os.PathLike, texts: Sequence[str],
                      labels: Sequence[str], **options: Any) -> ClassifierPreprocessor:
        """The preprocessor saved in `run_dir` (a resumed run keeps its vocabulary), else
        `build(texts, labels, directory=run_dir, **options)`."""
        if cls.exists(run_dir):
            return cls.load(run_dir)
        return cls.build(texts, labels, directory=run_dir, **options)

    # === Strings to model inputs ===

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

    def encode_labels(self, labels: Sequence[str], split: str = "test") -> np.ndarray:
        """Label ids `[num_docs]` (int32); `ValueError` naming `split` for an unseen label."""
        return encode_labels(labels, self.labels, split)

    def class_weights(self, labels: Sequence[str], mode: str = "balanced") -> dict | None:
        """Per-class loss weights `{id: weight}` of training `labels` (`"balanced"` or
        `"none"`, see `data.class_weights`)."""
        return class_weights(self.encode_labels(labels, "train"), len(self.labels), mode)

    def inputs(self, texts: Sequence[str], labels: Sequence[str] | None = None,
               batch_size: int = 32, shuffle: bool = False, seed: int = 0,
               class_weight: dict[int, float] | None = None, split: str = "train"):
        """A `PyDataset` for `fit`, `evaluate` or `predict`.

        Batches are `x`, `(x, y)` or, with `class_weight`, `(x, y, sample_weight)`: `x` is
        float32 TF-IDF `[batch, vocab]` for `"bow"`, else int32 ids `[batch, time]` padded
        with 0; `y` label ids `[batch]`. Without `shuffle`, sequence batches are sorted by
        length: `restore_order` puts predictions back in document order.
        """
        y = None if labels is None else self.encode_labels(labels, split)
        weights = None
        if class_weight is not None and y is not None:
            weights = np.asarray([class_weight[int(i)] for i in y], dtype=np.float32)
        if self.model_kind == "bow":
            return FeatureBatches(self.features(texts), y, batch_size, shuffle, seed,
                                  sample_weight=weights)
        return SequenceBatches(self.sequences(texts), y, batch_size, shuffle, seed,
                               sample_weight=weights)

    # === Run folder ===

    def get_config(self) -> dict[str, Any]:
        return {"model_kind": self.model_kind,
                "tokenizer": tokenizer_config(self.tokenizer, SUBWORD_FILE),
                "max_length": self.max_length}

    @classmethod
    def from_config(cls, config: dict[str, Any], run_dir: Path) -> ClassifierPreprocessor:
        config = _upgrade(config)
        path = run_dir / cls.config_file
        tokenizer = config["tokenizer"]
        if config["model_kind"] not in MODELS or not isinstance(tokenizer, dict) \
                or tokenizer.get("level") not in LEVELS:
            raise InputError(f"not a textrnn classifier file: expected a 'model_kind' in "
                             f"{MODELS} and a tokenizer level in {LEVELS}", path)
        vocabulary = Vocabulary.load(run_dir / VOCAB_FILE)
        tfidf = TfidfVectorizer.load(run_dir / TFIDF_FILE)
        if tfidf.vocabulary != vocabulary:
            raise InputError(f"the TF-IDF weights were fitted on another vocabulary than "
                             f"{VOCAB_FILE}", run_dir / TFIDF_FILE)
        return cls(config["model_kind"], load_tokenizer(tokenizer, run_dir),
                   vocabulary, load_labels(run_dir), tfidf, config.get("max_length"))

    def save_assets(self, run_dir: Path) -> None:
        if isinstance(self.tokenizer, SubwordTokenizer):
            target = run_dir / SUBWORD_FILE
            if not target.exists() or not target.samefile(self.tokenizer.model_path):
                self.tokenizer.save(target)
        self.vocabulary.save(run_dir / VOCAB_FILE)
        self.tfidf.save(run_dir / TFIDF_FILE)
        write_json(run_dir / LABELS_FILE, self.labels)

    def model_sizes(self, model: keras.Model) -> dict[str, tuple[int, int]]:
        if self.model_kind == "bow":
            width = model.input_shape[-1]
        else:
            embeddings = [layer for layer in model.layers
                          if isinstance(layer, keras.layers.Embedding)]
            if not embeddings:
                raise InputError("the model has no Embedding layer, so it does not read token "
                                 f"ids; the run folder's {self.config_file} says "
                                 f"model_kind {self.model_kind!r}")
            width = embeddings[0].input_dim
        return {"vocabulary size": (width, len(self.vocabulary)),
                "number of labels": (model.output_shape[-1], len(self.labels))}


def load_labels(run_dir: str | os.PathLike) -> list[str]:
    """Reads `labels.json`; `InputError` unless it is a list of two or more strings."""
    path = Path(run_dir) / LABELS_FILE
    labels = read_json(path)
    if not isinstance(labels, list) or len(labels) < 2 \
            or not all(isinstance(label, str) for label in labels):
        raise InputError("not a label list: expected a JSON list of two or more strings", path)
    return labels


def _upgrade(config: dict[str, Any]) -> dict[str, Any]:
    """A `classifier.json` of the layout before tasks were objects, in today's keys.

    It had `model` for `model_kind`, and a top-level `level` with the word tokenizer's bare
    settings (`{}` for subwords, whose model was always `subword.model`).
    """
    if "model_kind" in config or "model" not in config:
        return config
    level, settings = config["level"], config.get("tokenizer") or {}
    tokenizer = {"level": level, "model_file": SUBWORD_FILE} if level == "subword" \
        else {"level": level, "config": settings}
    return {"model_kind": config["model"], "tokenizer": tokenizer,
            "max_length": config.get("max_length")}
