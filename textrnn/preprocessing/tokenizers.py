"""Tokenizers: characters, words (regexp or nltk Toktok) and subwords (sentencepiece).

Every tokenizer has `tokenize(text) -> list[str]`, `tokenize_batch(texts) -> list[list[str]]`
(the same tokens for many documents, faster where a subclass can loop in C), `detokenize(tokens)
-> str`, a
JSON-serialisable `get_config()` and `from_config(config)`, and a `level` name, so
`get_tokenizer(tok.level, **tok.get_config())` rebuilds any of them.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import sentencepiece as spm

from textrnn.errors import InputError
from textrnn.io import atomic_write

_NORMALIZATIONS = ("NFC", "NFKC", "NFD", "NFKD")

# Words keep inner hyphens and apostrophes ("don't", "well-known"); every other non-space
# character is a token of its own. A compiled `re` pattern tokenizes tinyshakespeare at
# ~30 MB/s on one core; nltk's ToktokTokenizer does ~0.5 MB/s and nltk's RegexpTokenizer
# with this same pattern ~4.5 MB/s (it compiles with extra flags), so plain `re` is the default.
DEFAULT_WORD_PATTERN = r"\w+(?:[-']\w+)*|[^\w\s]"


class Tokenizer:
    """Base class: text in, list of string tokens out, and back.

    Subclasses set `level` and implement `tokenize` / `detokenize`; `get_config` lists every
    `__init__` argument so that `from_config` is `cls(**config)`.
    """

    level: str = ""

    def tokenize(self, text: str) -> list[str]:
        """Split one document into tokens."""
        raise NotImplementedError

    def tokenize_batch(self, texts: Iterable[str]) -> list[list[str]]:
        """Tokenize many documents: `[self.tokenize(text) for text in texts]`, exactly.

        Args:
            texts: documents (any iterable of `str`).

        Returns:
            One token list per document, in order.
        """
        return [self.tokenize(text) for text in texts]

    def detokenize(self, tokens: Sequence[str]) -> str:
        """Join tokens back into text (see each subclass for how exact this is)."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """JSON-serialisable constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Tokenizer:
        """Rebuild a tokenizer from `get_config()`."""
        return cls(**config)

    def __reduce__(self):
        # Rebuild from config when pickled (e.g. sent to `datasets.map(num_proc=...)` workers):
        # compiled patterns, lambdas and sentencepiece processors need not pickle themselves.
        return (type(self).from_config, (self.get_config(),))

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _make_normalizer(lowercase: bool, normalization: str | None) -> Callable[[str], str] | None:
    """One function applying Unicode normalisation then lowercasing, or None for identity."""
    if normalization is not None and normalization not in _NORMALIZATIONS:
        raise ValueError(
            "Received an invalid value for argument `normalization`: "
            f"{normalization!r}; expected one of {_NORMALIZATIONS} or None."
        )
    if normalization and lowercase:
        return lambda text: unicodedata.normalize(normalization, text).lower()
    if normalization:
        return lambda text: unicodedata.normalize(normalization, text)
    if lowercase:
        return str.lower
    return None


def _normalized(normalize: Callable[[str], str] | None, texts: Iterable[str]) -> Iterable[str]:
    # Per document, not on the batch joined: `unicodedata.normalize` returns ASCII text as it is,
    # so most documents cost nothing, while one joined non-ASCII string is normalised in full
    # (measured 0.02 s vs 0.2 s for NFKC + lowercase on 8 MB of mixed English/French).
    return map(normalize, texts) if normalize else texts


class CharTokenizer(Tokenizer):
    """Splits text into Unicode code points; `detokenize` is `"".join` (exact inverse).

    Args:
        lowercase: lowercase the text first.
        normalization: Unicode normal form applied first (`"NFC"`, `"NFKC"`, ...), or None
            (the default: characters are kept exactly as written).

    Example:
    >>> CharTokenizer().tokenize("hi!")
    ['h', 'i', '!']
    """

    level = "char"

    def __init__(self, lowercase: bool = False, normalization: str | None = None):
        self.lowercase = lowercase
        self.normalization = normalization
        self._normalize = _make_normalizer(lowercase, normalization)

    def tokenize(self, text: str) -> list[str]:
        return list(self._normalize(text) if self._normalize else text)

    def tokenize_batch(self, texts: Iterable[str]) -> list[list[str]]:
        return list(map(list, _normalized(self._normalize, texts)))

    def detokenize(self, tokens: Sequence[str]) -> str:
        return "".join(tokens)

    def get_config(self) -> dict[str, Any]:
        return {"lowercase": self.lowercase, "normalization": self.normalization}


class WordTokenizer(Tokenizer):
    """Splits text into words and punctuation marks.

    Methods (speeds on tinyshakespeare, one core, NFKC included):
    - `"regexp"` (default): `re.findall(pattern, text)` with `DEFAULT_WORD_PATTERN`:
      runs of word characters keeping inner `-`/`'` ("don't", "well-known"), and each other
      non-space character alone. ~20 MB/s, about 40x faster than Toktok.
    - `"toktok"`: nltk's `ToktokTokenizer` (needs no downloaded data; splits clitics and
      handles URLs, numbers and quotes more carefully, but is slow: ~0.5 MB/s).
    - `"whitespace"`: `str.split()`, for text that is already tokenized (e.g. Penn
      Treebank style); ~60 MB/s.

    `detokenize` joins with spaces for `"whitespace"`; otherwise it uses nltk's
    `TreebankWordDetokenizer`, which re-attaches punctuation to the previous word
    ("Hello , world !" -> "Hello, world!"). That is a best effort: the original spacing is not
    stored, so it is not always the exact inverse.

    Args:
        lowercase: lowercase the text (after normalisation).
        normalization: Unicode normal form applied first (`"NFKC"` by default, which folds
            compatibility characters such as full-width letters and ligatures), or None.
        method: `"regexp"`, `"toktok"` or `"whitespace"`.
        pattern: the token regular expression for `method="regexp"` (default
            `DEFAULT_WORD_PATTERN`). scikit-learn's `CountVectorizer` uses
            `r"(?u)\\b\\w\\w+\\b"` with `lowercase=True`.

    Example:
    >>> WordTokenizer(lowercase=True).tokenize("Don't stop, Sam!")
    ["don't", 'stop', ',', 'sam', '!']
    """

    level = "word"
    methods = ("regexp", "toktok", "whitespace")

    def __init__(
        self,
        lowercase: bool = False,
        normalization: str | None = "NFKC",
        method: str = "regexp",
        pattern: str | None = None,
    ):
        if method not in self.methods:
            raise ValueError(
                f"Received an invalid value for argument `method`: {method!r}; "
                f"expected one of {self.methods}."
            )
        if pattern is not None and method != "regexp":
            raise ValueError(
                f"Argument `pattern` only applies to method='regexp', got method={method!r}."
            )
        self.lowercase = lowercase
        self.normalization = normalization
        self.method = method
        self.pattern = pattern
        self._normalize = _make_normalizer(lowercase, normalization)
        self._split = self._make_splitter()
        self._detokenizer = None

    def _make_splitter(self) -> Callable[[str], list[str]]:
        if self.method == "toktok":
            from nltk.tokenize import ToktokTokenizer

            return ToktokTokenizer().tokenize
        if self.method == "whitespace":
            return str.split
        try:
            return re.compile(self.pattern or DEFAULT_WORD_PATTERN).findall
        except re.error as error:
            raise ValueError(
                f"Received an invalid regular expression for argument `pattern`: "
                f"{self.pattern!r} ({error})."
            ) from None

    def tokenize(self, text: str) -> list[str]:
        return self._split(self._normalize(text) if self._normalize else text)

    def tokenize_batch(self, texts: Iterable[str]) -> list[list[str]]:
        return list(map(self._split, _normalized(self._normalize, texts)))

    def detokenize(self, tokens: Sequence[str]) -> str:
        if self.method == "whitespace":
            return " ".join(tokens)
        if self._detokenizer is None:
            from nltk.tokenize.treebank import TreebankWordDetokenizer

            self._detokenizer = TreebankWordDetokenizer()
        return self._detokenizer.detokenize(list(tokens))

    def get_config(self) -> dict[str, Any]:
        return {
            "lowercase": self.lowercase,
            "normalization": self.normalization,
            "method": self.method,
            "pattern": self.pattern,
        }


class SubwordTokenizer(Tokenizer):
    """Subword pieces from a trained sentencepiece model (unigram or BPE).

    Build one with `SubwordTokenizer.train(texts, "run/spm.model")` or load a model file
    with `SubwordTokenizer.load(path)` (same as `SubwordTokenizer(path)`). `detokenize` is
    sentencepiece's decode, the exact inverse of `tokenize` up to its normalisation (NFKC and
    collapsed whitespace by default).

    Args:
        model_path: a sentencepiece `.model` file. `get_config()` stores this path, so the
            file must stay where it is for `from_config` to work.

    Example:
    >>> tok = SubwordTokenizer.train(["a tiny corpus", "of two lines"], "spm.model",
    ...                              vocab_size=20, hard_vocab_limit=False)
    >>> tok.detokenize(tok.tokenize("a tiny line"))
    'a tiny line'
    """

    level = "subword"

    def __init__(self, model_path: str | os.PathLike):
        self.model_path = str(model_path)
        self._processor = _load_processor(self.model_path)

    @classmethod
    def train(
        cls,
        texts: Iterable[str],
        model_path: str | os.PathLike,
        vocab_size: int = 8000,
        model_type: str = "unigram",
        character_coverage: float = 1.0,
        **kwargs: Any,
    ) -> SubwordTokenizer:
        """Train a sentencepiece model offline on an iterable of texts and load it.

        The texts stream into the trainer (`sentence_iterator=`); nothing is downloaded.

        Args:
            texts: documents or sentences (any iterable of `str`, read once).
            model_path: where to write the model; `.model` is appended unless the name
                already ends with it. The file is written atomically.
            vocab_size: number of pieces, including `<unk>`, `<s>` and `</s>`.
            model_type: `"unigram"`, `"bpe"`, `"char"` or `"word"`.
            character_coverage: share of characters the pieces must cover (1.0 for small
                alphabets, ~0.9995 for CJK).
            **kwargs: further sentencepiece trainer options, e.g. `hard_vocab_limit=False`
                (treat `vocab_size` as an upper bound on tiny corpora), `input_sentence_size`
                and `shuffle_input_sentence` (sample large corpora), `num_threads`.

        Returns:
            The trained tokenizer, reading the written model file.
        """
        if isinstance(texts, (str, bytes)):
            raise ValueError(
                "Received an invalid value for argument `texts`: a single string; expected an "
                "iterable of strings (documents), e.g. a list or a generator of lines."
            )
        path = Path(model_path)
        if path.suffix != ".model":
            path = path.with_name(path.name + ".model")
        kwargs.setdefault("minloglevel", 2)
        with atomic_write(path, "wb") as handle:
            try:
                spm.SentencePieceTrainer.train(
                    sentence_iterator=iter(texts),
                    model_writer=handle,
                    vocab_size=vocab_size,
                    model_type=model_type,
                    character_coverage=character_coverage,
                    **kwargs,
                )
            except RuntimeError as error:
                raise ValueError(_training_failure(str(error), vocab_size)) from None
        return cls(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> SubwordTokenizer:
        """Load a sentencepiece `.model` file; `InputError` naming it if missing or corrupt."""
        return cls(path)

    def save(self, path: str | os.PathLike) -> None:
        """Write a copy of the model file to `path` (atomically).

        The tokenizer keeps reading its own `model_path`; load the copy to refer to it.
        """
        with atomic_write(path, "wb") as handle:
            handle.write(self._processor.serialized_model_proto())

    @property
    def vocab_size(self) -> int:
        """Number of pieces (ids are `0 .. vocab_size - 1`)."""
        return self._processor.get_piece_size()

    def pieces(self) -> list[str]:
        """All pieces in id order, control pieces (`<unk>`, `<s>`, `</s>`) included."""
        return [self._processor.id_to_piece(i) for i in range(self.vocab_size)]

    def tokenize(self, text: str) -> list[str]:
        return self._processor.encode(text, out_type=str)

    def detokenize(self, tokens: Sequence[str]) -> str:
        return self._processor.decode(list(tokens))

    def get_config(self) -> dict[str, Any]:
        return {"model_path": self.model_path}


def _load_processor(path: str) -> spm.SentencePieceProcessor:
    if not os.path.isfile(path):
        raise InputError("sentencepiece model file not found", path)
    processor = spm.SentencePieceProcessor()
    try:
        processor.load(path)
    except (OSError, RuntimeError) as error:
        raise InputError(f"not a valid sentencepiece model ({error})", path) from None
    return processor


_TOKENIZERS = {cls.level: cls for cls in (CharTokenizer, WordTokenizer, SubwordTokenizer)}


def get_tokenizer(level: str, **kwargs: Any) -> Tokenizer:
    """Build a tokenizer by level name.

    `get_tokenizer(tok.level, **tok.get_config())` rebuilds a tokenizer from its config.

    Args:
        level: `"char"`, `"word"` or `"subword"`.
        **kwargs: the constructor arguments of that tokenizer (`SubwordTokenizer` needs
            `model_path`; to train one use `SubwordTokenizer.train`).

    Returns:
        A `CharTokenizer`, `WordTokenizer` or `SubwordTokenizer`.
    """
    if level not in _TOKENIZERS:
        raise ValueError(
            f"Received an invalid value for argument `level`: {level!r}; expected one of "
            f"{sorted(_TOKENIZERS)}."
        )
    return _TOKENIZERS[level](**kwargs)


def _training_failure(message: str, vocab_size: int) -> str:
    """sentencepiece's training error as advice about `vocab_size` where that is the cause."""
    if too_small := re.search(r"smaller than required_chars\. (\d+) vs (\d+)", message):
        return (f"Received an invalid value for argument `vocab_size`: {vocab_size} is below "
                f"the {too_small.group(2)} pieces this corpus needs (one per distinct "
                "character, plus <unk>, <s> and </s>); pass a larger `vocab_size`.")
    if too_large := re.search(r"too high \((\d+)\)\. Please set it to a value <= (\d+)",
                              message):
        return (f"Received an invalid value for argument `vocab_size`: this corpus yields at "
                f"most {too_large.group(2)} pieces, not {vocab_size}; pass a smaller "
                "`vocab_size`, or `hard_vocab_limit=False` to treat it as an upper bound.")
    return (f"sentencepiece training failed: {message.rstrip('.')}. Check that `texts` is not "
            "empty.")
