"""Document-classification data: labelled texts, stratified splits, label ids, class weights.

Rows with an empty text or a missing label are skipped and counted (`LabelledTexts.skipped`),
never guessed; the caller prints the counts. Labels are strings (a JSONL `1` becomes `"1"`),
and their ids are their positions in the sorted list of training labels (the
`ClassifierPreprocessor` saves that list as `labels.json` in the run folder).
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from textrnn.data import load_table
from textrnn.errors import InputError

CLASS_WEIGHTS = ("balanced", "none")
SPLITS = ("train", "validation", "test")


@dataclasses.dataclass
class LabelledTexts:
    """Documents with one label each.

    Attributes:
        texts: the documents.
        labels: one label string per document.
        skipped: reason -> number of rows left out when loading (`"empty_text"`,
            `"missing_label"`).
        splits: each document's part (`"train"`, `"validation"`, `"test"`) when read with a
            split column, else empty.
    """

    texts: list[str]
    labels: list[str]
    skipped: dict[str, int] = dataclasses.field(default_factory=dict)
    splits: list[str] = dataclasses.field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Sequence[int]) -> LabelledTexts:
        """The documents at `indices`, in that order."""
        return LabelledTexts([self.texts[i] for i in indices], [self.labels[i] for i in indices])


def load_labelled_texts(
    source: str | os.PathLike,
    text_column: str,
    label_column: str,
    encoding_errors: str = "strict",
    split: str = "train",
    split_column: str | None = None,
) -> LabelledTexts:
    """Reads texts and labels from a CSV / TSV / JSONL file or a hub dataset.

    Headerless CSV/TSV files name their columns `"0"`, `"1"`, ... (see `textrnn.data`).

    Args:
        source: a local file or a Hugging Face dataset name.
        text_column: the column holding the documents.
        label_column: the column holding the labels.
        encoding_errors: `"strict"` or `"replace"`.
        split: the split to read from a hub dataset (local files have one).
        split_column: a column naming each row's part (`train`, `validation` or `test`);
            the result's `splits` then holds it, row by row.

    Returns:
        The rows with a non-blank text and a non-empty label, and the number skipped.

    Raises:
        InputError: a missing column, a bad file, or no usable row.
    """
    if text_column == label_column:
        raise ValueError(f"Arguments `text_column` and `label_column` are both "
                         f"{text_column!r}; pass the two different columns.")
    columns = [text_column, label_column] + ([split_column] if split_column else [])
    table = load_table(source, columns, encoding_errors=encoding_errors, split=split)
    parts = table[split_column] if split_column else [None] * len(table)
    data = LabelledTexts([], [], {"empty_text": 0, "missing_label": 0})
    for text, label, part in zip(table[text_column], table[label_column], parts, strict=True):
        label = "" if label is None else str(label).strip()
        if text is None or not str(text).strip():
            data.skipped["empty_text"] += 1
        elif not label:
            data.skipped["missing_label"] += 1
        else:
            data.texts.append(str(text))
            data.labels.append(label)
            if split_column:
                data.splits.append(str(part).strip())
    if not data.texts:
        raise InputError(f"no row has both a text (column {text_column!r}) and a label (column "
                         f"{label_column!r}); skipped {data.skipped}", _local(source))
    if split_column and not set(data.splits) <= set(SPLITS):
        unknown = sorted(set(data.splits) - set(SPLITS))[:5]
        raise InputError(f"column {split_column!r} holds {unknown}; expected only {SPLITS}",
                         _local(source))
    return data


def stratified_split(
    labels: Sequence[str], fractions: tuple[float, float] = (0.1, 0.1), seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded train / validation / test indices with each label's share kept in every split.

    Each label's documents are shuffled and `round(n * fraction)` go to validation and to
    test, but at least one stays in training (so no label is unseen there); a label with
    fewer than 3 documents cannot be in every split.

    Args:
        labels: one label per document.
        fractions: shares of validation and test.
        seed: shuffling seed.

    Returns:
        Sorted int arrays of train, validation and test indices.
    """
    if not all(0.0 <= f < 1.0 for f in fractions) or sum(fractions) >= 1.0:
        raise ValueError(f"Received an invalid value for argument `fractions`: {fractions}; "
                         "expected validation and test shares in [0, 1) with a sum below 1.")
    rng = np.random.default_rng(seed)
    parts: tuple[list, list, list] = ([], [], [])
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    for label in sorted(by_label):
        indices = rng.permutation(by_label[label])
        n_val, n_test = (round(len(indices) * f) for f in fractions)
        while n_val + n_test >= len(indices) and n_val + n_test > 0:
            n_val, n_test = (n_val - 1, n_test) if n_val >= n_test else (n_val, n_test - 1)
        parts[1].extend(indices[:n_val])
        parts[2].extend(indices[n_val:n_val + n_test])
        parts[0].extend(indices[n_val + n_test:])
    return tuple(np.sort(np.asarray(part, dtype=np.int64)) for part in parts)


def label_list(train_labels: Sequence[str]) -> list[str]:
    """The sorted distinct labels of the training data (a label's id is its position).

    Raises:
        ValueError: fewer than two distinct labels.
    """
    labels = sorted(set(train_labels))
    if len(labels) < 2:
        raise ValueError(f"The training data has a single label {labels}; a classifier needs "
                         "at least two. Check --label-column, or add documents of other "
                         "classes.")
    return labels


def encode_labels(labels: Sequence[str], known: Sequence[str], split: str = "test") -> np.ndarray:
    """Label ids `[num_docs]` (int32) for labels that all occur in `known`.

    Args:
        labels: one label per document.
        known: the training labels (`label_list`).
        split: the split's name, for the error message.

    Raises:
        ValueError: a label never seen in training (the model could never predict it).
    """
    index = {label: i for i, label in enumerate(known)}
    unseen = Counter(label for label in labels if label not in index)
    if unseen:
        shown = ", ".join(f"{label!r} ({count} rows)" for label, count in unseen.most_common(5))
        raise ValueError(f"The {split} data has labels never seen in training: {shown}; the "
                         f"training labels are {list(known)}. Remove those rows or add "
                         "training documents with these labels.")
    return np.asarray([index[label] for label in labels], dtype=np.int32)


def class_weights(y: np.ndarray, num_classes: int, mode: str = "balanced") -> dict | None:
    """Per-class loss weights for `model.fit(class_weight=...)`.

    `"balanced"` gives class `c` the weight `n / (num_classes * count_c)`, as scikit-learn's
    `compute_class_weight("balanced")` does, so every class adds the same total weight.

    Args:
        y: label ids `[num_docs]`.
        num_classes: number of classes.
        mode: `"balanced"` or `"none"` (returns None).
    """
    if mode not in CLASS_WEIGHTS:
        raise ValueError(f"Received an invalid value for argument `mode`: {mode!r}; expected "
                         f"one of {CLASS_WEIGHTS}.")
    if mode == "none":
        return None
    counts = np.bincount(y, minlength=num_classes)
    return {c: float(len(y) / (num_classes * count)) if count else 0.0
            for c, count in enumerate(counts)}


def load_splits(
    source: str | os.PathLike,
    text_column: str,
    label_column: str,
    test_source: str | os.PathLike | None = None,
    encoding_errors: str = "strict",
    seed: int = 0,
    split_column: str | None = None,
) -> tuple[list[LabelledTexts], dict[str, int]]:
    """Reads labelled documents and splits them into train, validation and test parts.

    The split is stratified and seeded: 80/10/10 of `source`, or 90/10 of `source` and all of
    `test_source` as the test part (a hub dataset's `"test"` split). With `split_column`, the
    file says which row goes where (`train`, `validation`, `test`); with no validation rows,
    10% of the training rows (stratified) validate.

    Returns:
        The three parts, and the rows skipped in both files by reason (`"empty_text"`,
        `"missing_label"`).
    """
    if split_column is not None and test_source is not None:
        raise ValueError("Pass either `split_column` or `test_source`, not both: the split "
                         "column already names the test rows.")
    data = load_labelled_texts(source, text_column, label_column, encoding_errors,
                               split_column=split_column)
    if split_column is not None:
        return _split_by_column(data, split_column, seed), dict(data.skipped)
    fractions = (0.1, 0.0) if test_source is not None else (0.1, 0.1)
    parts = [data.subset(part) for part in stratified_split(data.labels, fractions, seed)]
    skipped = dict(data.skipped)
    if test_source is not None:
        parts[2] = load_labelled_texts(test_source, text_column, label_column, encoding_errors,
                                       split="test")
        skipped = {reason: count + parts[2].skipped[reason] for reason, count in skipped.items()}
    return parts, skipped


def _split_by_column(data: LabelledTexts, column: str, seed: int) -> list[LabelledTexts]:
    parts = [data.subset([i for i, part in enumerate(data.splits) if part == name])
             for name in SPLITS]
    for name, part in zip(("train", "test"), (parts[0], parts[2]), strict=True):
        if not len(part):
            raise ValueError(f"The split column {column!r} names no {name!r} row; expected "
                             f"rows of {SPLITS} (validation may be left out).")
    if not len(parts[1]):
        train, validation, _ = stratified_split(parts[0].labels, (0.1, 0.0), seed)
        parts[:2] = parts[0].subset(train), parts[0].subset(validation)
    return parts


def _local(source: str | os.PathLike) -> Path | None:
    return Path(source) if Path(source).exists() else None
