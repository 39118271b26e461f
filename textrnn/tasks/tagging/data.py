"""Tagged sentences from CoNLL-U or CoNLL-2003-style column files, and sentence splits.

- CoNLL-U (`.conllu`, `.conllu.gz`, or any file whose first token line has the 10 CoNLL-U
  fields) is parsed with the `conllu` package. Multi-word token lines (`3-4`) and empty nodes
  (`5.1`) are skipped: the tags belong to the syntactic words. `tag_column` names a field
  (`"upos"`, `"xpos"`, `"deprel"`, ...).
- Column files: whitespace-separated, token first, `tag_column` an index (default -1, the
  last column); a blank line ends a sentence and `-DOCSTART-` lines are skipped.

Every bad row raises `InputError` naming the file and line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from textrnn.data import read_text
from textrnn.errors import InputError

Sentence = tuple[list[str], list[str]]  # (tokens, tags), the same length
CONLLU_FIELDS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps",
                 "misc")


def read_tagged(path: str | os.PathLike, tag_column: str | int | None = None,
                encoding_errors: str = "strict") -> list[Sentence]:
    """Reads a CoNLL-U or column file into `(tokens, tags)` sentences.

    Args:
        path: the file (plain or `.gz`).
        tag_column: CoNLL-U: a field name (default `"upos"`); column files: a 0-based index
            (default -1, the last). A digit string counts as an index.
        encoding_errors: `"strict"` or `"replace"` (undecodable bytes become U+FFFD).

    Returns:
        The sentences in file order.

    Raises:
        InputError: unreadable, empty or malformed file (names the file and line).
    """
    text = read_text(path, encoding_errors)
    blocks = list(_blocks(text))
    if not blocks:
        raise InputError("no sentences found; expected CoNLL-U or token/tag columns", path)
    if is_conllu(path, blocks):
        if isinstance(tag_column, int) or (isinstance(tag_column, str) and tag_column.isdigit()):
            tag_column = CONLLU_FIELDS[int(tag_column)]
        return [_conllu_sentence(block, start, path, tag_column or "upos")
                for start, block in blocks]
    column = -1 if tag_column is None else _column_index(tag_column, path)
    sentences = [_column_sentence(block, start, path, column) for start, block in blocks]
    return [sentence for sentence in sentences if sentence[0]]


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """`(first line number, lines)` of each blank-line separated block."""
    block: list[str] = []
    start = 1
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            if not block:
                start = number
            block.append(line.rstrip("\r\n"))
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def is_conllu(path: str | os.PathLike, blocks: Sequence[tuple[int, list[str]]]) -> bool:
    """CoNLL-U by name, or by a first token line of 10 tab-separated fields with an int id."""
    if ".conllu" in Path(path).name:
        return True
    for _, block in blocks[:1]:
        for line in block:
            if not line.startswith("#"):
                fields = line.split("\t")
                return len(fields) == len(CONLLU_FIELDS) and fields[0].split("-")[0].isdigit()
    return False


def _column_index(tag_column: str | int, path) -> int:
    try:
        return int(tag_column)
    except ValueError:
        raise InputError(f"--tag-column must be a column number for a column file (0 is the "
                         f"token, -1 the last column), got {tag_column!r}", path) from None


def _conllu_sentence(lines: list[str], start: int, path, field: str) -> Sentence:
    import conllu

    if field not in CONLLU_FIELDS[1:]:
        raise InputError(f"unknown CoNLL-U tag column {field!r}; expected one of "
                         f"{list(CONLLU_FIELDS[1:])}", path)
    numbers = [start + i for i, line in enumerate(lines) if not line.startswith("#")]
    for number, line in zip(numbers, (line for line in lines if not line.startswith("#")),
                            strict=True):
        if len(line.split("\t")) != len(CONLLU_FIELDS):
            raise InputError(f"expected {len(CONLLU_FIELDS)} tab-separated CoNLL-U fields, got "
                             f"{len(line.split(chr(9)))}: {line[:60]!r}", path, line=number)
    try:
        (sentence,) = conllu.parse("\n".join(lines) + "\n\n")
    except (conllu.exceptions.ParseException, ValueError) as error:
        raise InputError(f"bad CoNLL-U sentence: {error}", path, line=start) from None
    tokens, tags = [], []
    for number, token in zip(numbers, sentence, strict=True):
        if not isinstance(token["id"], int):  # multi-word token (tuple) or empty node
            continue
        tag = token[field]
        if tag in (None, "_", ""):
            raise InputError(f"token {token['form']!r} has no {field} tag", path, line=number)
        tokens.append(token["form"])
        tags.append(str(tag))
    return tokens, tags


def _column_sentence(lines: list[str], start: int, path, column: int) -> Sentence:
    tokens, tags = [], []
    width = None
    for number, line in enumerate(lines, start):
        fields = line.split()
        if fields[0] == "-DOCSTART-":
            continue
        if len(fields) < 2 or not -len(fields) <= column < len(fields) or column in (
                0, -len(fields)):
            raise InputError(f"expected a token and a tag in column {column} (whitespace-"
                             f"separated), got {len(fields)} column(s): {line[:60]!r}", path,
                             line=number)
        if width is not None and len(fields) != width:
            raise InputError(f"expected {width} columns as on the previous line, got "
                             f"{len(fields)}: {line[:60]!r}", path, line=number)
        width = len(fields)
        tokens.append(fields[0])
        tags.append(fields[column])
    return tokens, tags


def split_sentences(sentences: list[Sentence], fractions: Sequence[float],
                    seed: int = 0) -> list[list[Sentence]]:
    """Shuffles the sentences (seeded) and cuts them into parts of the given shares.

    Args:
        sentences: all sentences.
        fractions: the share of each part, e.g. `(0.8, 0.1, 0.1)`; they must sum to 1.
        seed: shuffling seed.

    Returns:
        One list of sentences per fraction; each part gets at least one sentence when there
        are enough.
    """
    if not np.isclose(sum(fractions), 1.0) or min(fractions) <= 0:
        raise ValueError(f"Received an invalid value for argument `fractions`, expected "
                         f"positive shares summing to 1, got {list(fractions)}.")
    if len(sentences) < len(fractions):
        raise InputError(f"only {len(sentences)} sentence(s); at least {len(fractions)} are "
                         "needed to make the training, validation and test parts")
    order = np.random.default_rng(seed).permutation(len(sentences))
    cuts = np.round(np.cumsum(fractions)[:-1] * len(sentences)).astype(int)
    cuts = np.clip(cuts, np.arange(1, len(cuts) + 1), len(sentences) - np.arange(len(cuts), 0,
                                                                                   -1))
    return [[sentences[i] for i in part] for part in np.split(order, cuts)]
