"""Language-modelling data: splitting a corpus, tokenizing it into one stream, the vocabulary.

A corpus becomes one token stream per split (contiguous 90/5/5 by default, cut at line
breaks). Characters keep the newline as a token; word and subword streams mark each line end
with the vocabulary's end token `<eol>`, which decodes back to a newline. The tokenizer and the
vocabulary are saved in the run folder (`tokenizer.json`, `vocab.json`, and `subword.model`
for subwords), and a resumed run or `--generate` loads them from there.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textrnn.errors import InputError
from textrnn.io import read_json, write_json
from textrnn.preprocessing import (
    CharTokenizer,
    CorpusStats,
    SubwordTokenizer,
    Tokenizer,
    Vocabulary,
    WordTokenizer,
)
from textrnn.preprocessing.feature_selection import FeatureSelector

LEVELS = ("char", "word", "subword")
EOL = "<eol>"
TOKENIZER_FILE = "tokenizer.json"
VOCAB_FILE = "vocab.json"
SUBWORD_FILE = "subword.model"


@dataclass
class TextSplits:
    train: str
    validation: str
    test: str


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


@dataclass
class LanguageModelAssets:
    """The tokenizer and vocabulary of a language-model run."""

    level: str
    tokenizer: Tokenizer
    vocabulary: Vocabulary

    def tokens(self, text: str) -> list[str]:
        """The token stream of a text (line ends marked for word and subword levels)."""
        if self.level == "char":
            return self.tokenizer.tokenize(text)
        stream = []
        for line in text.splitlines():
            stream.extend(self.tokenizer.tokenize(line))
            stream.append(EOL)
        return stream

    def encode(self, text: str) -> np.ndarray:
        """Token ids `[num_tokens]` (int32) of a text; unknown tokens map to `<unk>`."""
        return np.asarray(self.vocabulary.encode(self.tokens(text)), dtype="int32")

    def decode(self, ids) -> str:
        """Text of token ids (padding dropped, `<eol>` back to newlines)."""
        tokens = self.vocabulary.decode(np.asarray(ids).tolist(), skip_special=False)
        lines, line = [], []
        for token in tokens:
            if token == EOL:
                lines.append(self.tokenizer.detokenize(line))
                line = []
            elif token != self.vocabulary.tokens[self.vocabulary.pad_id]:
                line.append(token)
        lines.append(self.tokenizer.detokenize(line))
        return "\n".join(lines)

    def unknown_tokens(self, text: str) -> list[str]:
        """Tokens of `text` that the vocabulary does not hold (they become `<unk>`)."""
        return sorted({token for token in self.tokens(text) if token not in self.vocabulary})

    def save(self, run_dir: str | os.PathLike) -> None:
        run_dir = Path(run_dir)
        config = {"level": self.level, "tokenizer": self.tokenizer.get_config()}
        if self.level == "subword":
            config["tokenizer"] = {}  # the model file is `subword.model` beside this file
        write_json(run_dir / TOKENIZER_FILE, config)
        self.vocabulary.save(run_dir / VOCAB_FILE)

    @classmethod
    def load(cls, run_dir: str | os.PathLike) -> LanguageModelAssets:
        """Loads what `save` wrote; `InputError` when the folder is not a language-model run."""
        run_dir = Path(run_dir)
        config = read_json(run_dir / TOKENIZER_FILE)
        if not isinstance(config, dict) or config.get("level") not in LEVELS:
            raise InputError(f"not a textrnn language-model tokenizer file: expected an object "
                             f"with 'level' in {LEVELS}", run_dir / TOKENIZER_FILE)
        level = config["level"]
        if level == "subword":
            tokenizer = SubwordTokenizer.load(run_dir / SUBWORD_FILE)
        else:
            kind = CharTokenizer if level == "char" else WordTokenizer
            tokenizer = kind.from_config(config.get("tokenizer", {}))
        return cls(level, tokenizer, Vocabulary.load(run_dir / VOCAB_FILE))


def build_assets(
    train_text: str,
    level: str,
    run_dir: str | os.PathLike,
    lowercase: bool = False,
    min_df: int | float = 1,
    top_k: int | None = None,
    coverage: float | None = None,
    vocab_size: int = 2000,
) -> LanguageModelAssets:
    """Builds tokenizer and vocabulary from the training text (not from validation or test).

    Args:
        train_text: the training split.
        level: `"char"`, `"word"` or `"subword"`.
        run_dir: where a subword model is written.
        lowercase: lowercase words (word level).
        min_df, top_k, coverage: vocabulary cuts for words (`FeatureSelector`; documents are
            lines).
        vocab_size: number of sentencepiece pieces (subword level).
    """
    if level not in LEVELS:
        raise ValueError(f"Received an invalid value for argument `level`: {level!r}; expected "
                         f"one of {LEVELS}.")
    lines = [line for line in train_text.splitlines() if line.strip()]
    if level == "char":
        tokenizer = CharTokenizer()
        vocabulary = Vocabulary.from_counts(Counter(train_text))
    elif level == "word":
        tokenizer = WordTokenizer(lowercase=lowercase)
        stats = CorpusStats.from_documents(lines, tokenizer=tokenizer)
        selection = FeatureSelector(min_df=min_df, top_k=top_k, coverage=coverage).select(stats)
        vocabulary = Vocabulary(list(selection.tokens), eos_token=EOL)
    else:
        tokenizer = SubwordTokenizer.train(lines, Path(run_dir) / SUBWORD_FILE,
                                           vocab_size=vocab_size, hard_vocab_limit=False)
        specials = {"<unk>", "<s>", "</s>"}
        vocabulary = Vocabulary([p for p in tokenizer.pieces() if p not in specials],
                                eos_token=EOL)
    return LanguageModelAssets(level, tokenizer, vocabulary)
