"""Stopword lists: maintained multilingual lists, nltk's list, a user file, or corpus-derived.

Lists are lowercase; lowercase your tokens (e.g. `WordTokenizer(lowercase=True)`) before
matching them, or `"The"` will not count as a stopword.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import stopwordsiso

from textrnn.errors import InputError


class DocumentFrequencies(Protocol):
    """What `corpus_stopwords` needs from corpus statistics (e.g. `CorpusStats`)."""

    doc_freq: Mapping[str, int]
    num_docs: int


def stopword_languages() -> list[str]:
    """ISO 639-1 codes with a built-in (offline) list, from the `stopwordsiso` package."""
    return sorted(stopwordsiso.langs())


def get_stopwords(
    spec: str, stats: DocumentFrequencies | None = None, max_df: float = 0.5
) -> frozenset[str]:
    """Resolve a stopword specification to a set of words.

    Args:
        spec: one of
            - `"none"`: no stopwords;
            - a language code such as `"en"`, `"es"`, `"fr"`: the maintained stopwords-iso list
              (works offline; see `stopword_languages()`);
            - `"nltk:LANGUAGE"`, e.g. `"nltk:english"`: nltk's stopwords corpus, which must be
              installed (`python -m nltk.downloader stopwords`);
            - a path to a UTF-8 file with one word per line (`#` starts a comment line);
            - `"auto"`: corpus-derived, see `corpus_stopwords(stats, max_df)`.
        stats: corpus statistics with `doc_freq` and `num_docs`; required for `"auto"`.
        max_df: for `"auto"`, words in more than this fraction of documents are stopwords.

    Returns:
        A frozenset of stopwords.
    """
    if not isinstance(spec, str):
        raise ValueError(f"Argument `spec` must be a string, got {spec!r}.")
    if spec == "none":
        return frozenset()
    if spec == "auto":
        if stats is None:
            raise ValueError(
                "Stopwords spec 'auto' derives stopwords from document frequencies; pass "
                "`stats=` (e.g. a `CorpusStats` of the corpus)."
            )
        return corpus_stopwords(stats, max_df)
    if spec.startswith("nltk:"):
        return _nltk_stopwords(spec[len("nltk:") :])
    if stopwordsiso.has_lang(spec):
        return frozenset(stopwordsiso.stopwords(spec))
    if os.sep in spec or "/" in spec or "." in spec or os.path.exists(spec):
        return read_stopword_file(spec)
    raise ValueError(
        f"Received an invalid value for argument `spec`: {spec!r} is not 'none', 'auto', "
        "'nltk:LANGUAGE', a language code or an existing file. Language codes are listed by "
        "`textrnn.preprocessing.stopword_languages()`."
    )


def corpus_stopwords(stats: DocumentFrequencies, max_df: float = 0.5) -> frozenset[str]:
    """Types whose document frequency fraction `doc_freq[t] / num_docs` is above `max_df`.

    Args:
        stats: an object with `doc_freq: Mapping[str, int]` and `num_docs: int`.
        max_df: a fraction in `(0, 1]`.

    Returns:
        A frozenset of the frequent types.
    """
    if isinstance(max_df, bool) or not isinstance(max_df, (int, float)) or not 0 < max_df <= 1:
        raise ValueError(
            f"Received an invalid value for argument `max_df`: {max_df!r}; expected a fraction "
            "of documents in (0, 1]."
        )
    if stats.num_docs <= 0:
        raise ValueError("Corpus statistics hold no documents (`num_docs` is 0).")
    threshold = max_df * stats.num_docs
    return frozenset(token for token, df in stats.doc_freq.items() if df > threshold)


def read_stopword_file(path: str | os.PathLike) -> frozenset[str]:
    """Read one stopword per line (UTF-8; blank lines and lines starting with `#` skipped)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("stopword file not found", path) from None
    except OSError as error:
        raise InputError(f"cannot read stopword file: {error.strerror}", path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError("stopword file is not valid UTF-8", path, line, error.start) from None
    words = (line.strip() for line in text.splitlines())
    return frozenset(word for word in words if word and not word.startswith("#"))


def _nltk_stopwords(language: str) -> frozenset[str]:
    import nltk
    from nltk.corpus.reader import StopwordsCorpusReader

    # A fresh reader (not the cached `nltk.corpus.stopwords`) honours the current
    # `nltk.data.path`, so installing the corpus mid-session works.
    try:
        root = nltk.data.find("corpora/stopwords")
    except LookupError:
        raise ValueError(
            "nltk's stopwords corpus is not installed. Install it with "
            "`python -m nltk.downloader stopwords`, or use an offline list by language code "
            "such as 'en'."
        ) from None
    stopwords = StopwordsCorpusReader(root, r"(?!README|\.).*", encoding="utf8")
    available = stopwords.fileids()
    if language not in available:
        raise ValueError(
            f"nltk has no stopword list {language!r}; available: {', '.join(available)}."
        )
    return frozenset(stopwords.words(language))
