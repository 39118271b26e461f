"""`TranslatorPreprocessor`: sentencepiece subwords and vocabularies of both languages.

Strings in, model inputs out: a sentence pair becomes `source` (the source ids),
`target_in` (`<s>` + target ids, the decoder's teacher-forced input) and `target_out`
(target ids + `</s>`, what the model learns to predict), padded with 0. Ids: 0 pad, 1 unk,
2 `<s>`, 3 `</s>`, then the sentencepiece pieces.

Run-folder files: `translation_assets.json` (settings), `source_vocab.json`,
`target_vocab.json` and the sentencepiece models `source.model` + `target.model`, or one
`subword.model` when the vocabulary is shared. Folders written before the settings named the
tokenizers (`{"shared": ...}` only) load too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from textrnn.errors import InputError
from textrnn.preprocessing import SubwordTokenizer, Vocabulary
from textrnn.preprocessing.registry import build_tokenizer, load_tokenizer, tokenizer_config
from textrnn.preprocessing.registry import subword_vocabulary as _subword_vocabulary
from textrnn.tasks.base import Preprocessor

SPECIAL_TOKENS = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>"}
MODEL_FILES = {"source": "source.model", "target": "target.model", "shared": "subword.model"}
# Run folders written before max_length was saved were made with the recipe's default.
DEFAULT_MAX_LENGTH = 40


def subword_vocabulary(tokenizer: SubwordTokenizer) -> Vocabulary:
    """The vocabulary of a tokenizer's pieces with the translator's special tokens."""
    return _subword_vocabulary(tokenizer, **SPECIAL_TOKENS)


@dataclass
class EncodedPairs:
    """Padded id arrays `[n, max_length (+ 1 for targets)]` and the indices of kept pairs.

    `x` (`[source, target_in]`) and `y` (`target_out`) are what `keras.Model.fit` takes.
    """

    source: np.ndarray
    target_in: np.ndarray
    target_out: np.ndarray
    kept: np.ndarray
    too_long: int

    @property
    def x(self) -> list[np.ndarray]:
        return [self.source, self.target_in]

    @property
    def y(self) -> np.ndarray:
        return self.target_out


def pad(sequences: list[list[int]], width: int) -> np.ndarray:
    """Right-pads id lists with 0 into an int32 array `[n, width]`."""
    out = np.zeros((len(sequences), width), dtype="int32")
    for row, ids in enumerate(sequences):
        out[row, :len(ids)] = ids[:width]
    return out


class TranslatorPreprocessor(Preprocessor):
    """Subword tokenizers and vocabularies of the two languages; pairs to padded arrays.

    Args:
        source_tokenizer: the source language's `SubwordTokenizer`.
        target_tokenizer: the target language's; None (or the same object) shares one
            tokenizer and one vocabulary between the languages.
        max_length: most pieces per sentence; longer training pairs are dropped (and
            counted), and translations stop after `max_length + 1` tokens by default.

    Call arguments:
        sources, targets: lists of sentences of the same length.

    Returns:
        `([source, target_in], target_out)`: `source [n, max_length]`, `target_in` and
        `target_out [n, max_length + 1]`, int32, for the pairs within `max_length`.

    Example:
    >>> pre = TranslatorPreprocessor.build(["the cat", "a dog"], ["el gato", "un perro"],
    ...                                    "run", vocab_size=20, max_length=8)
    >>> (source, target_in), target_out = pre(["the cat"], ["el gato"])
    >>> source.shape, target_in[0, 0] == pre.target_vocabulary.bos_id
    ((1, 8), True)
    """

    config_file = "translation_assets.json"
    format = "textrnn.translation"

    def __init__(self, source_tokenizer: SubwordTokenizer,
                 target_tokenizer: SubwordTokenizer | None = None,
                 max_length: int = DEFAULT_MAX_LENGTH):
        for name, tokenizer in (("source_tokenizer", source_tokenizer),
                                ("target_tokenizer", target_tokenizer or source_tokenizer)):
            if not isinstance(tokenizer, SubwordTokenizer):
                raise ValueError(f"Received an invalid value for argument `{name}`, expected "
                                 f"a SubwordTokenizer, got {type(tokenizer).__name__}.")
        if not isinstance(max_length, int) or max_length < 1:
            raise ValueError(f"Received an invalid value for argument `max_length`, expected "
                             f"a positive integer, got {max_length!r}.")
        self.source_tokenizer = source_tokenizer
        self.target_tokenizer = target_tokenizer or source_tokenizer
        self.max_length = max_length
        self.source_vocabulary = subword_vocabulary(self.source_tokenizer)
        self.target_vocabulary = (self.source_vocabulary if self.shared
                                  else subword_vocabulary(self.target_tokenizer))

    @property
    def shared(self) -> bool:
        """Whether both languages use one tokenizer and vocabulary."""
        return self.source_tokenizer is self.target_tokenizer

    @classmethod
    def build(cls, sources: list[str], targets: list[str], model_dir: str | os.PathLike,
              vocab_size: int = 4000, shared: bool = False,
              max_length: int = DEFAULT_MAX_LENGTH) -> TranslatorPreprocessor:
        """Trains sentencepiece (unigram) on the training sentences.

        Args:
            sources, targets: the training sentences of each language.
            model_dir: where the sentencepiece models are written (usually the run folder).
            vocab_size: pieces per model (an upper bound on small corpora).
            shared: one model trained on both languages.
            max_length: see the class arguments.
        """
        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        if shared:
            tokenizer = build_tokenizer("subword", [*sources, *targets],
                                        model_dir / MODEL_FILES["shared"], vocab_size=vocab_size)
            return cls(tokenizer, max_length=max_length)
        return cls(build_tokenizer("subword", sources, model_dir / MODEL_FILES["source"],
                                   vocab_size=vocab_size),
                   build_tokenizer("subword", targets, model_dir / MODEL_FILES["target"],
                                   vocab_size=vocab_size),
                   max_length=max_length)

    # === Run folder ===
    def _model_files(self) -> tuple[str, str]:
        if self.shared:
            return MODEL_FILES["shared"], MODEL_FILES["shared"]
        return MODEL_FILES["source"], MODEL_FILES["target"]

    def get_config(self) -> dict[str, Any]:
        source_file, target_file = self._model_files()
        return {"shared": self.shared, "max_length": self.max_length,
                "source_tokenizer": tokenizer_config(self.source_tokenizer, source_file),
                "target_tokenizer": tokenizer_config(self.target_tokenizer, target_file)}

    def save_assets(self, run_dir: Path) -> None:
        for tokenizer, name in zip((self.source_tokenizer, self.target_tokenizer),
                                   self._model_files(), strict=True):
            tokenizer.save(run_dir / name)
        self.source_vocabulary.save(run_dir / "source_vocab.json")
        self.target_vocabulary.save(run_dir / "target_vocab.json")

    @classmethod
    def from_config(cls, config: dict[str, Any], run_dir: Path) -> TranslatorPreprocessor:
        shared = bool(config["shared"])
        sides = ("source",) if shared else ("source", "target")
        # Older folders hold only {"shared": ...}: their model files have the fixed names.
        tokenizers = [load_tokenizer(config.get(f"{side}_tokenizer", {
            "level": "subword", "model_file": MODEL_FILES["shared" if shared else side]}),
            run_dir) for side in sides]
        preprocessor = cls(*tokenizers, max_length=config.get("max_length", DEFAULT_MAX_LENGTH))
        for side in ("source", "target"):
            preprocessor._check_vocabulary_file(run_dir / f"{side}_vocab.json", side)
        return preprocessor

    def _check_vocabulary_file(self, path: Path, side: str) -> None:
        expected = getattr(self, f"{side}_vocabulary")
        found = Vocabulary.load(path)
        if found != expected:
            raise InputError(f"the {side} vocabulary ({len(found)} tokens) does not match the "
                             f"{side} subword model ({len(expected)} tokens); the vocabulary "
                             "files do not belong to this run folder's subword models", path)

    def model_sizes(self, model: keras.Model) -> dict[str, tuple[int, int]]:
        return {"source vocabulary size": (model.get_layer("source_embedding").input_dim,
                                           len(self.source_vocabulary)),
                "target vocabulary size": (model.get_layer("logits").units,
                                           len(self.target_vocabulary))}

    # === Strings <-> ids ===
    def encode_source(self, text: str) -> list[int]:
        return self.source_vocabulary.encode(self.source_tokenizer.tokenize(text))

    def encode_target(self, text: str) -> list[int]:
        return self.target_vocabulary.encode(self.target_tokenizer.tokenize(text))

    def decode_target(self, ids) -> str:
        return self.target_tokenizer.detokenize(self.target_vocabulary.decode(list(ids)))

    def encode_sources(self, texts: list[str]) -> np.ndarray:
        """Source ids `[n, longest]` for decoding; an empty text becomes one `<unk>`."""
        ids = [self.encode_source(text) or [self.source_vocabulary.unk_id] for text in texts]
        return pad(ids, max(map(len, ids), default=1))

    def unseen_characters(self, text: str) -> list[str]:
        """Characters of `text` the source subword model never saw (they become `<unk>`)."""
        alphabet = set("".join(self.source_tokenizer.pieces()))
        return sorted({char for char in text if not char.isspace() and char not in alphabet})

    def encode_pairs(self, sources: list[str], targets: list[str]) -> EncodedPairs:
        """Encodes pairs, dropping (and counting) those with a side over `max_length` pieces."""
        if len(sources) != len(targets):
            raise ValueError(f"Expected as many targets as sources, got {len(sources)} sources "
                             f"and {len(targets)} targets.")
        source_ids = [self.encode_source(text) for text in sources]
        target_ids = [self.encode_target(text) for text in targets]
        limit = self.max_length
        kept = np.array([i for i, (s, t) in enumerate(zip(source_ids, target_ids, strict=True))
                         if len(s) <= limit and len(t) <= limit], dtype="int64")
        bos, eos = self.target_vocabulary.bos_id, self.target_vocabulary.eos_id
        return EncodedPairs(pad([source_ids[i] for i in kept], limit),
                            pad([[bos, *target_ids[i]] for i in kept], limit + 1),
                            pad([[*target_ids[i], eos] for i in kept], limit + 1),
                            kept, len(sources) - len(kept))

    def __call__(self, sources: list[str],
                 targets: list[str]) -> tuple[list[np.ndarray], np.ndarray]:
        encoded = self.encode_pairs(sources, targets)
        return encoded.x, encoded.y
