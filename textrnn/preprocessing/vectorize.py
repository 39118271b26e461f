"""Bag-of-words and TF-IDF document vectors over a `Vocabulary` (sparse CSR), for baselines.

Columns are vocabulary ids. Special tokens (pad, unk, bos, eos) never count: their columns
stay zero, so out-of-vocabulary words are simply dropped, as in scikit-learn.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse

from textrnn.errors import InputError
from textrnn.io import read_json, write_json
from textrnn.preprocessing.vocabulary import Vocabulary

FORMAT = "textrnn.tfidf"
VERSION = 1
_NORMS = ("l1", "l2", None)


def bag_of_words(
    documents: Iterable[Sequence[str]], vocabulary: Vocabulary, binary: bool = False
) -> scipy.sparse.csr_matrix:
    """Count each vocabulary token in each document.

    Args:
        documents: tokenized documents (any iterable, read once), e.g.
            `(tokenizer.tokenize(text) for text in texts)`.
        vocabulary: maps tokens to columns.
        binary: 1 where a token occurs instead of its count.

    Returns:
        int64 CSR matrix of shape `[num_docs, len(vocabulary)]`; the columns of special
        tokens (pad, unk, bos, eos) are all zero.
    """
    if isinstance(documents, str):
        raise ValueError(
            "Received an invalid value for argument `documents`: a single string; expected an "
            "iterable of tokenized documents (lists of tokens)."
        )
    lengths, ids = [], []
    for document in documents:
        encoded = vocabulary.encode(document)
        lengths.append(len(encoded))
        ids.extend(encoded)
    cols = np.asarray(ids, dtype=np.int64)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    keep = cols >= vocabulary.num_special
    counts = scipy.sparse.coo_matrix(
        (np.ones(int(keep.sum()), dtype=np.int64), (rows[keep], cols[keep])),
        shape=(len(lengths), len(vocabulary)),
    ).tocsr()  # sums duplicate (row, column) entries
    counts.sort_indices()
    if binary:
        counts.data[:] = 1
    return counts


class TfidfVectorizer:
    """TF-IDF document vectors, computed as scikit-learn's `TfidfTransformer` does.

    `idf(t) = ln((1 + n) / (1 + df(t))) + 1` with `smooth_idf=True`, else
    `ln(n / df(t)) + 1`, where `n` is the number of documents passed to `fit`. With
    `smooth_idf=False`, tokens absent from the fitted documents get idf 0 (scikit-learn gives
    them infinity). The value for token `t` in a document is `tf(t) * idf(t)` with `tf` the
    raw count (or `1 + ln(count)` with `sublinear_tf=True`), then each row is scaled to unit
    norm.

    Args:
        vocabulary: a `Vocabulary`, or its `get_config()` dict; defines the columns.
        sublinear_tf: use `1 + ln(count)` instead of the count.
        smooth_idf: add one to document frequencies, as if one extra document held every
            token once (prevents division by zero).
        norm: `"l2"`, `"l1"` or None (no row normalisation).

    Example:
    >>> docs = [["a", "cat"], ["a", "dog"]]
    >>> vectorizer = TfidfVectorizer(Vocabulary(["a", "cat", "dog"]))
    >>> vectorizer.fit_transform(docs).shape
    (2, 5)
    """

    def __init__(
        self,
        vocabulary: Vocabulary | dict[str, Any],
        sublinear_tf: bool = False,
        smooth_idf: bool = True,
        norm: str | None = "l2",
    ):
        if isinstance(vocabulary, dict):
            vocabulary = Vocabulary.from_config(vocabulary)
        if not isinstance(vocabulary, Vocabulary):
            raise ValueError(
                f"Argument `vocabulary` must be a `Vocabulary`, got {type(vocabulary).__name__}."
            )
        if norm not in _NORMS:
            raise ValueError(
                f"Received an invalid value for argument `norm`: {norm!r}; expected one of "
                f"{_NORMS}."
            )
        self.vocabulary = vocabulary
        self.sublinear_tf = sublinear_tf
        self.smooth_idf = smooth_idf
        self.norm = norm
        self.idf_: np.ndarray | None = None

    def fit(self, documents: Iterable[Sequence[str]]) -> TfidfVectorizer:
        """Learn `idf_` (float64, shape `[len(vocabulary)]`) from tokenized documents."""
        presence = bag_of_words(documents, self.vocabulary, binary=True)
        num_docs = presence.shape[0]
        if num_docs == 0:
            raise ValueError("Cannot fit TF-IDF on no documents; `documents` was empty.")
        df = np.bincount(presence.indices, minlength=presence.shape[1]).astype(np.float64)
        smooth = float(self.smooth_idf)
        with np.errstate(divide="ignore"):
            idf = np.log((num_docs + smooth) / (df + smooth)) + 1.0
        idf[df + smooth == 0] = 0.0
        self.idf_ = idf
        return self

    def transform(self, documents: Iterable[Sequence[str]]) -> scipy.sparse.csr_matrix:
        """TF-IDF vectors: float64 CSR matrix of shape `[num_docs, len(vocabulary)]`."""
        if self.idf_ is None:
            raise ValueError("This TfidfVectorizer is not fitted yet; call `fit` first.")
        matrix = bag_of_words(documents, self.vocabulary).astype(np.float64)
        if self.sublinear_tf:
            matrix.data = 1.0 + np.log(matrix.data)
        matrix.data *= self.idf_[matrix.indices]
        if self.norm is not None:
            _normalize_rows(matrix, self.norm)
        return matrix

    def fit_transform(self, documents: Iterable[Sequence[str]]) -> scipy.sparse.csr_matrix:
        """`fit` then `transform` on the same documents (materialised once as a list)."""
        documents = list(documents)
        return self.fit(documents).transform(documents)

    # === Serialisation ===

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (the vocabulary as its config); `idf_` is saved by `save`."""
        return {
            "vocabulary": self.vocabulary.get_config(),
            "sublinear_tf": self.sublinear_tf,
            "smooth_idf": self.smooth_idf,
            "norm": self.norm,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TfidfVectorizer:
        return cls(**config)

    def save(self, path: str | os.PathLike) -> None:
        """Write config and `idf_` as JSON: `{"format": "textrnn.tfidf", "version": 1,
        "config": {...}, "idf": [...]}` (`idf` is null when not fitted)."""
        idf = None if self.idf_ is None else self.idf_.tolist()
        write_json(
            path, {"format": FORMAT, "version": VERSION, "config": self.get_config(), "idf": idf}
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> TfidfVectorizer:
        """Read a file written by `save`; `InputError` naming the file if it is bad."""
        data = read_json(path)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"not a textrnn TF-IDF file (expected format {FORMAT!r})", path)
        if data.get("version") != VERSION:
            raise InputError(f"unsupported TF-IDF file version {data.get('version')!r}; this "
                             f"textrnn reads version {VERSION}", path)
        if not isinstance(data.get("config"), dict) or "idf" not in data:
            raise InputError("TF-IDF file lacks `config` or `idf`", path)
        try:
            vectorizer = cls.from_config(data["config"])
        except (TypeError, ValueError) as error:
            raise InputError(f"bad TF-IDF config: {error}", path) from None
        if data["idf"] is not None:
            try:
                idf = np.asarray(data["idf"], dtype=np.float64)
            except (TypeError, ValueError):
                raise InputError("`idf` must be a list of numbers", path) from None
            if idf.shape != (len(vectorizer.vocabulary),):
                raise InputError(f"`idf` has shape {idf.shape}, expected "
                                 f"({len(vectorizer.vocabulary)},) to match the vocabulary", path)
            vectorizer.idf_ = idf
        return vectorizer


def _normalize_rows(matrix: scipy.sparse.csr_matrix, norm: str) -> None:
    """Scale each row of a CSR matrix in place to unit l1 or l2 norm; zero rows stay zero."""
    values = np.abs(matrix.data) if norm == "l1" else matrix.data**2
    row_ids = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    norms = np.bincount(row_ids, weights=values, minlength=matrix.shape[0])
    if norm == "l2":
        norms = np.sqrt(norms)
    norms[norms == 0] = 1.0
    matrix.data /= norms[row_ids]
