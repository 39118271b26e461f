"""Language-model data: the corpus as one text, split into contiguous train/validation/test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textrnn import datasets as shipped
from textrnn.data import load_documents, read_text

SPLITS = ("train", "validation", "test")


@dataclass
class TextSplits:
    """The three contiguous parts of a corpus."""

    train: str
    validation: str
    test: str

    def items(self) -> list[tuple[str, str]]:
        """`(name, text)` for train, validation and test."""
        return [(name, getattr(self, name)) for name in SPLITS]


def split_text(text: str, fractions: tuple[float, float] = (0.9, 0.05)) -> TextSplits:
    """Contiguous train / validation / test split, each cut at the next line break.

    Args:
        text: the whole corpus.
        fractions: shares of train and validation; test gets the rest.
    """
    cuts, start = [], 0
    for share in (fractions[0], fractions[0] + fractions[1]):
        cut = text.find("\n", max(int(len(text) * share), start))
        cuts.append(len(text) if cut < 0 else cut + 1)
        start = cuts[-1]
    return TextSplits(text[:cuts[0]], text[cuts[0]:cuts[1]], text[cuts[1]:])


def load_corpus(data: str | None = None, text_column: str | None = None,
                encoding_errors: str = "strict") -> str:
    """The corpus as one text: the shipped tinyshakespeare, a txt file, or documents joined.

    Args:
        data: None (tinyshakespeare), a `.txt`/`.gz` file, a csv/tsv/jsonl file or a hub name.
        text_column: the column holding the text (csv/tsv/jsonl/hub).
        encoding_errors: `"strict"` or `"replace"` (undecodable bytes become U+FFFD).
    """
    if data is None:
        return read_text(shipped.path("tinyshakespeare"), encoding_errors)
    path = Path(data)
    if path.suffix in (".txt", ".gz") and path.exists() and text_column is None:
        return read_text(path, encoding_errors)
    documents = load_documents(data, text_column=text_column, encoding_errors=encoding_errors)
    return "\n".join(documents["text"]) + "\n"
