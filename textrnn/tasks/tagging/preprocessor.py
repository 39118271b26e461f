"""`TaggerPreprocessor`: word and character vocabularies, the tag set, and the tokenizer of raw
text.

Strings in, model inputs out: a sentence (a list of tokens) becomes `word_ids [t]` (its
normalised words: lowercased, digits as 0; 0 padding, 1 unknown), `char_ids [t,
max_word_length]` (the raw spelling, case kept; 0 padding, 1 unknown) and, for training,
`tag_ids [t]`.

Run-folder files: `tagger_assets.json` (settings and the tag set), `word_vocab.json`,
`char_vocab.json`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from textrnn.errors import InputError
from textrnn.preprocessing import Vocabulary
from textrnn.tasks.base import Preprocessor
from textrnn.tasks.tagging.data import Sentence

TOKENIZERS = ("treebank", "whitespace")
_DIGITS = re.compile(r"\d")


def normalize_word(token: str, lowercase: bool = True) -> str:
    """The word-embedding key of a token: digits become 0 and (by default) lowercased."""
    token = _DIGITS.sub("0", token)
    return token.lower() if lowercase else token


class TaggerPreprocessor(Preprocessor):
    """Vocabularies of words and characters and the tag set, built from training sentences.

    Args:
        words: word vocabulary (normalised forms; see `normalize_word`).
        chars: character vocabulary.
        tags: the tag set, in id order.
        lowercase: lowercase words before the word lookup (characters keep their case).
        max_word_length: characters kept per word; a longer word keeps its first and last
            halves (prefixes and suffixes carry the most about its tag).
        tokenizer: how `tokenize` splits raw text: `"treebank"` (Penn Treebank conventions,
            as in Universal Dependencies and CoNLL-2003: "don't" -> "do n't") or
            `"whitespace"`.

    Example:
    >>> pre = TaggerPreprocessor.build([(["The", "cat"], ["DET", "NOUN"])])
    >>> pre.encode_words([["the", "dog"]])[0]
    array([2, 1], dtype=int32)
    """

    config_file = "tagger_assets.json"
    format = "textrnn.tagging"

    def __init__(self, words: Vocabulary, chars: Vocabulary, tags: Sequence[str],
                 lowercase: bool = True, max_word_length: int = 20,
                 tokenizer: str = "treebank"):
        if not tags:
            raise ValueError("Received an empty tag set for argument `tags`; the training data "
                             "must have at least one tagged token.")
        if len(set(tags)) != len(tags):
            raise ValueError(f"Received duplicate tags in argument `tags`: {list(tags)}.")
        if not isinstance(max_word_length, int) or max_word_length < 2:
            raise ValueError(f"Received an invalid value for argument `max_word_length`, "
                             f"expected an integer >= 2, got {max_word_length!r}.")
        if tokenizer not in TOKENIZERS:
            raise ValueError(f"Received an invalid value for argument `tokenizer`: "
                             f"{tokenizer!r}; expected one of {TOKENIZERS}.")
        self.words = words
        self.chars = chars
        self.tags = list(tags)
        self.lowercase = lowercase
        self.max_word_length = max_word_length
        self.tokenizer = tokenizer
        self._tag_index = {tag: i for i, tag in enumerate(self.tags)}
        self._splitter = None

    @classmethod
    def build(cls, sentences: Sequence[Sentence], min_count: int = 1,
              **settings: Any) -> TaggerPreprocessor:
        """Vocabularies and tag set of the training sentences.

        Args:
            sentences: `(tokens, tags)` pairs.
            min_count: words seen fewer times stay unknown (characters are all kept).
            **settings: `lowercase`, `max_word_length`, `tokenizer`.
        """
        lowercase = settings.get("lowercase", True)
        words = Counter(normalize_word(token, lowercase) for tokens, _ in sentences
                        for token in tokens)
        chars = Counter(char for tokens, _ in sentences for token in tokens for char in token)
        tags = Counter(tag for _, tags in sentences for tag in tags)
        if not tags:
            raise InputError("the training sentences hold no tagged tokens")
        return cls(Vocabulary.from_counts(words, min_count=min_count),
                   Vocabulary.from_counts(chars), sorted(tags, key=lambda t: (-tags[t], t)),
                   **settings)

    # === Run folder ===
    def get_config(self) -> dict[str, Any]:
        return {"tags": self.tags, "lowercase": self.lowercase,
                "max_word_length": self.max_word_length, "tokenizer": self.tokenizer}

    def save_assets(self, run_dir: Path) -> None:
        self.words.save(run_dir / "word_vocab.json")
        self.chars.save(run_dir / "char_vocab.json")

    @classmethod
    def from_config(cls, config: dict[str, Any], run_dir: Path) -> TaggerPreprocessor:
        return cls(Vocabulary.load(run_dir / "word_vocab.json"),
                   Vocabulary.load(run_dir / "char_vocab.json"), **config)

    def model_sizes(self, model: keras.Model) -> dict[str, tuple[int, int]]:
        output = model.get_layer("emissions").units
        sizes = {"word vocabulary size": (model.get_layer("word_embedding").input_dim,
                                          len(self.words)),
                 "number of tags": (output, len(self.tags))}
        if "char_ids" in model.input:
            sizes["character vocabulary size"] = (model.get_layer("char_embedding").input_dim,
                                                  len(self.chars))
        return sizes

    # === Strings <-> ids ===
    def tokenize(self, text: str) -> list[str]:
        """Splits raw text into tokens the way the training data was split."""
        if self.tokenizer == "whitespace":
            return text.split()
        if self._splitter is None:
            from nltk.tokenize import NLTKWordTokenizer

            self._splitter = NLTKWordTokenizer()
        return self._splitter.tokenize(text)

    def encode_words(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Word ids, one int32 array `[t]` per sentence."""
        return [np.asarray(self.words.encode([normalize_word(token, self.lowercase)
                                               for token in tokens]), dtype="int32")
                for tokens in sentences]

    def encode_chars(self, tokens: Sequence[str]) -> np.ndarray:
        """Character ids `[t, max_word_length]` of one sentence (0-padded on the right)."""
        width = self.max_word_length
        out = np.zeros((len(tokens), width), dtype="int32")
        for row, token in enumerate(tokens):
            if len(token) > width:
                token = token[:width // 2] + token[len(token) - (width - width // 2):]
            out[row, :len(token)] = self.chars.encode(list(token))
        return out

    def encode_tags(self, tags: Sequence[str]) -> np.ndarray:
        """Tag ids `[t]`; a tag unseen in training gets -1 (left out of the loss)."""
        return np.asarray([self._tag_index.get(tag, -1) for tag in tags], dtype="int32")

    def decode_tags(self, ids: Sequence[int]) -> list[str]:
        return [self.tags[int(i)] for i in ids]

    def known_words(self, tokens: Sequence[str]) -> np.ndarray:
        """Whether each token is in the word vocabulary `[t]` (False: out of vocabulary)."""
        return self.encode_words([tokens])[0] != self.words.unk_id
