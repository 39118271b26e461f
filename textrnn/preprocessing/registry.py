"""The one place a tokenizer is chosen by level, trained, saved and loaded.

Every task preprocessor and the preprocessing utility go through these functions, so
`--level char|word|subword` means the same everywhere:

- `build_tokenizer(level, texts, model_path, ...)` makes a tokenizer, training a sentencepiece
  model on `texts` for the subword level (written to `model_path`);
- `tokenizer_config(tokenizer, model_file)` / `load_tokenizer(config, folder)` store and
  restore it through JSON (a subword tokenizer stores the name of its model file, relative to
  the folder, never an absolute path);
- `subword_vocabulary(tokenizer, **special_tokens)` turns sentencepiece pieces into a
  `Vocabulary`, leaving sentencepiece's own `<unk>`, `<s>`, `</s>` to the vocabulary's specials.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textrnn.errors import InputError
from textrnn.preprocessing.tokenizers import (
    CharTokenizer,
    SubwordTokenizer,
    Tokenizer,
    WordTokenizer,
)
from textrnn.preprocessing.vocabulary import Vocabulary

LEVELS = ("char", "word", "subword")
_SENTENCEPIECE_SPECIALS = ("<unk>", "<s>", "</s>")


def check_level(level: str, allowed: Iterable[str] = LEVELS) -> str:
    """Returns `level`, or raises a `ValueError` naming the allowed levels."""
    allowed = tuple(allowed)
    if level not in allowed:
        raise ValueError(f"Received an invalid value for argument `level`: {level!r}; expected "
                         f"one of {allowed}.")
    return level


def build_tokenizer(
    level: str,
    texts: Iterable[str] = (),
    model_path: str | os.PathLike | None = None,
    lowercase: bool = False,
    vocab_size: int = 8000,
    **subword_options: Any,
) -> Tokenizer:
    """A tokenizer for `level`, trained on `texts` when the level needs training.

    Args:
        level: `"char"`, `"word"` or `"subword"`.
        texts: training texts (read only for `"subword"`).
        model_path: where the sentencepiece model is written (`"subword"` only).
        lowercase: lowercase the text first (char and word levels).
        vocab_size: number of sentencepiece pieces; an upper bound on tiny corpora.
        **subword_options: further `SubwordTokenizer.train` options.

    Returns:
        A `CharTokenizer`, `WordTokenizer` or `SubwordTokenizer`.
    """
    check_level(level)
    if level == "char":
        return CharTokenizer(lowercase=lowercase)
    if level == "word":
        return WordTokenizer(lowercase=lowercase)
    if model_path is None:
        raise ValueError("Argument `model_path` is required for level='subword' (where the "
                         "sentencepiece model is written).")
    subword_options.setdefault("hard_vocab_limit", False)
    return SubwordTokenizer.train(texts, model_path, vocab_size=vocab_size, **subword_options)


def tokenizer_config(tokenizer: Tokenizer, model_file: str | None = None) -> dict[str, Any]:
    """JSON config of a tokenizer: `{"level", "config"}`, plus `model_file` for subwords."""
    if isinstance(tokenizer, SubwordTokenizer):
        return {"level": "subword", "model_file": model_file or Path(tokenizer.model_path).name}
    return {"level": tokenizer.level, "config": tokenizer.get_config()}


def load_tokenizer(config: dict[str, Any], folder: str | os.PathLike) -> Tokenizer:
    """Rebuilds what `tokenizer_config` described; subword models are read from `folder`."""
    if not isinstance(config, dict) or config.get("level") not in LEVELS:
        raise InputError(f"not a textrnn tokenizer config: expected an object with 'level' in "
                         f"{LEVELS}, got {config!r}", folder)
    if config["level"] == "subword":
        return SubwordTokenizer.load(Path(folder) / config.get("model_file", "subword.model"))
    kind = CharTokenizer if config["level"] == "char" else WordTokenizer
    try:
        return kind.from_config(config.get("config", {}))
    except TypeError as error:
        raise InputError(f"bad tokenizer settings ({error})", folder) from None


def subword_vocabulary(tokenizer: SubwordTokenizer, **special_tokens: str | None) -> Vocabulary:
    """A `Vocabulary` of the tokenizer's pieces, with `special_tokens` as its specials.

    Sentencepiece's `<unk>`, `<s>`, `</s>` are left out: the vocabulary's own pad/unk/bos/eos
    stand for them (pass `bos_token="<s>", eos_token="</s>"` to keep their spelling).
    """
    pieces = [piece for piece in tokenizer.pieces()
              if piece not in _SENTENCEPIECE_SPECIALS and piece not in special_tokens.values()]
    return Vocabulary(pieces, **special_tokens)
