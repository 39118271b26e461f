"""A fast path for counting words: Arrow compute kernels (C++, RE2) on a batch's ASCII documents.

On ASCII text, Python's Unicode `\\w` and `\\s`, `str.lower` and Unicode normalisation coincide
with RE2's ASCII classes, Arrow's `ascii_lower` and the identity, except for five whitespace
characters: Python's `\\s` and `str.split` also take \\x1c-\\x1f, and RE2's `\\s` lacks \\x0b.
So `count_ascii` counts the ASCII documents without those characters with Arrow, exactly as the
Python path would, and hands every other document back to it. Measured on 8 MB of the shipped
corpora (one core): NFKC + lowercase + regexp + TF + DF took 1.84 s in Python; see the README
for the comparison with scikit-learn.

No token of these tokenizers spans whitespace, so each document is first split at whitespace
(Arrow's ASCII split) and only the distinct pieces of the batch are tokenized, by one of the
rules below; every occurrence of a piece is then replaced by the piece's tokens (numpy
`repeat` and a gather). In a batch of 10,000 short documents about one piece in five is
distinct, so the regular expression runs over a fifth of the text. The tokenizers taken:
`WordTokenizer` with the default pattern (every non-space character is in a token, so marking
the end of each match splits a piece into its tokens), with `\\S+` / method `"whitespace"`
(the pieces are the tokens), or with scikit-learn's `(?u)\\b\\w\\w+\\b` (its matches are the
maximal runs of word characters two or longer: split at non-word characters, keep pieces of
length >= 2). Anything else raises `NotImplementedError`, and the caller counts in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from textrnn.preprocessing.count_table import SCHEMA
from textrnn.preprocessing.tokenizers import DEFAULT_WORD_PATTERN, WordTokenizer

# Documents with these go to the Python path (see the module docstring).
_PYTHON_ONLY = r"[\x0b\x1c-\x1f]"
# Marks the end of each token; not ASCII, so it cannot occur in the documents counted here.
_END = "\u00ff"
# scikit-learn's default token pattern, and what separates its tokens in ASCII text.
SKLEARN_PATTERNS = (r"(?u)\b\w\w+\b", r"\b\w\w+\b")
_ASCII_NON_WORD = r"[^0-9A-Za-z_]+"


def count_ascii(tokenizer: Any, texts: list[str]) -> tuple[pa.Table, int, list[str]]:
    """Count the TF and DF of the documents Arrow can tokenize exactly.

    Args:
        tokenizer: the tokenizer the counts must match.
        texts: a batch of documents.

    Returns:
        A `(token, tf, df)` table (`count_table.SCHEMA`), the number of tokens counted, and the
        documents left for the Python path (in order).

    Raises:
        NotImplementedError: the tokenizer is not one this path reproduces.
    """
    split_pieces = _piece_splitter(tokenizer)
    array = pa.array(texts, pa.large_string())
    fast = pc.and_(pc.string_is_ascii(array),
                   pc.invert(pc.match_substring_regex(array, _PYTHON_ONLY)))
    rest = [text for text, ok in zip(texts, fast.to_pylist(), strict=True) if not ok]
    array = array.filter(fast)
    if tokenizer.lowercase:
        array = pc.ascii_lower(array)
    lists = pc.ascii_split_whitespace(array)
    pieces, documents = lists.flatten(), _parents(lists)
    if split_pieces is None:  # the tokens are the pieces
        tokens, documents = _non_empty(pieces, documents)
        encoded = pc.dictionary_encode(tokens)
        token_ids, dictionary = encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary
    else:
        token_ids, dictionary, documents = _tokens_of_pieces(pc.dictionary_encode(pieces),
                                                             split_pieces, documents)
    return _count(token_ids, dictionary, documents), len(token_ids), rest


def _piece_splitter(tokenizer: Any) -> Callable[[pa.Array], tuple[pa.Array, np.ndarray]] | None:
    """How to split the whitespace-separated pieces into tokens (None: they are the tokens)."""
    if not isinstance(tokenizer, WordTokenizer):
        raise NotImplementedError("the Arrow path counts WordTokenizer tokens only")
    if tokenizer.method == "whitespace" or tokenizer.pattern == r"\S+":
        return None
    if tokenizer.method == "regexp" and tokenizer.pattern in (None, DEFAULT_WORD_PATTERN):
        return _split_default_pattern
    if tokenizer.method == "regexp" and tokenizer.pattern in SKLEARN_PATTERNS:
        return _split_word_runs
    raise NotImplementedError(f"no Arrow path for {tokenizer!r}")


# Each splitter takes distinct whitespace-free pieces and returns the tokens of all of them in
# order, with the index of the piece each token comes from.

def _split_default_pattern(pieces: pa.Array) -> tuple[pa.Array, np.ndarray]:
    # Every non-space character is in a token, so marking the end of each match splits a piece
    # into its tokens: "cat," -> "cat\xff,\xff" -> ["cat", ",", ""].
    marked = pc.replace_substring_regex(pieces, pattern=DEFAULT_WORD_PATTERN,
                                        replacement="\\0" + _END)
    lists = pc.split_pattern(marked, pattern=_END)
    return _non_empty(lists.flatten(), _parents(lists))


def _split_word_runs(pieces: pa.Array) -> tuple[pa.Array, np.ndarray]:
    lists = pc.split_pattern_regex(pieces, pattern=_ASCII_NON_WORD)
    tokens = lists.flatten()
    keep = pc.greater_equal(pc.binary_length(tokens), 2)
    return tokens.filter(keep), _parents(lists)[keep.to_numpy(zero_copy_only=False)]


def _tokens_of_pieces(
    pieces: pa.DictionaryArray, split: Callable, documents: np.ndarray
) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """Every token occurrence of a batch, from its pieces: each distinct piece is tokenized
    once (`split`), then every occurrence of a piece is replaced by the piece's tokens.

    Args:
        pieces: the batch's whitespace-separated pieces, dictionary-encoded.
        split: a splitter (above).
        documents: the document index of each piece.

    Returns:
        Token ids (one per occurrence), the token dictionary, and each token's document.
    """
    tokens, owners = split(pieces.dictionary)
    encoded = pc.dictionary_encode(tokens)
    ids_in_piece_order = encoded.indices.to_numpy(zero_copy_only=False)
    piece_ids = pieces.indices.to_numpy(zero_copy_only=False)
    per_piece = np.bincount(owners, minlength=len(pieces.dictionary))
    first_of_piece = np.cumsum(per_piece) - per_piece
    repeats = per_piece[piece_ids]
    # Position of each output token within `ids_in_piece_order`: its piece's first token plus
    # its rank within the piece occurrence.
    offsets = np.repeat(first_of_piece[piece_ids] - (np.cumsum(repeats) - repeats), repeats)
    positions = offsets + np.arange(len(offsets))
    return (ids_in_piece_order[positions], encoded.dictionary,
            np.repeat(documents, repeats))


def _parents(lists: pa.Array) -> np.ndarray:
    """The index of the list each element of `lists.flatten()` belongs to."""
    return pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)


def _non_empty(pieces: pa.Array, owners: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    keep = pc.greater(pc.binary_length(pieces), 0)
    return pieces.filter(keep), owners[keep.to_numpy(zero_copy_only=False)]


def _count(token_ids: np.ndarray, dictionary: pa.Array, documents: np.ndarray) -> pa.Table:
    """TF: occurrences of each token; DF: distinct (document, token) pairs of each."""
    token_ids = token_ids.astype(np.int64)
    size = len(dictionary)
    # pandas' hash table finds the distinct pairs in 40% of the time Arrow's `unique` takes.
    pairs = pd.unique(documents.astype(np.int64) * size + token_ids)
    return pa.table([dictionary, np.bincount(token_ids, minlength=size),
                     np.bincount(pairs % size, minlength=size)], schema=SCHEMA)
