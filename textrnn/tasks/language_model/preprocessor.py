"""`LanguageModelPreprocessor`: text <-> one token stream, and its truncated-BPTT windows.

Characters keep the newline as a token; word and subword streams mark each line end with the
vocabulary's end token `<eol>`, which decodes back to a newline. The tokenizer comes from the
one registry (`textrnn.preprocessing.registry`) and is built from the training text only.

Texts are encoded a chunk of about 1M characters at a time (cut after a line break, so the ids
are those of the whole text) into one int32 array, never a token list of the whole corpus.
`from_corpus` goes further and streams the corpus from its file (`corpus_stream`): the
vocabulary is counted and the ids encoded chunk by chunk, and the train / validation / test
split is cut by position as `split_text` cuts it, without the text ever held as one string.
Subword models train on the training lines streamed into sentencepiece (which keeps the
sentences it trains on in its own memory); their encoding streams like the other levels.

A run folder holds `tokenizer.json` (`{"format", "level", "tokenizer"}`), `vocab.json` and,
for subwords, `subword.model` — the layout run folders have always had (files written before
the `format` key existed load too).
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np

from textrnn.preprocessing import CorpusStats, FeatureSelector, Tokenizer, Vocabulary
from textrnn.preprocessing.registry import (
    build_tokenizer,
    check_level,
    load_tokenizer,
    subword_vocabulary,
)
from textrnn.tasks.base import Preprocessor
from textrnn.tasks.language_model.corpus_stream import (
    SPLITS,
    CorpusChunks,
    chunks_of,
    split_pieces,
)
from textrnn.training import bptt_batches

EOL = "<eol>"
TOKENIZER_FILE = "tokenizer.json"
VOCAB_FILE = "vocab.json"
SUBWORD_FILE = "subword.model"


class LanguageModelPreprocessor(Preprocessor):
    """Tokenizer and vocabulary of a language model: text to token ids and BPTT windows.

    Args:
        level: `"char"`, `"word"` or `"subword"`.
        tokenizer: the level's tokenizer (from `textrnn.preprocessing.registry`).
        vocabulary: the token <-> id mapping; word and subword vocabularies have `<eol>` as
            their end token.

    Call arguments:
        data: a text (str) or its token ids `[num_tokens]`.
        batch_size: number of parallel streams `B` (the stateful model's batch size).
        seq_len: window length `T`.

    Returns:
        `(x, y, sample_weight)`: `x` and `y` are `[num_windows * B, T]` int32 windows for
        `model.fit(x, y, batch_size=B, shuffle=False)` (`y` is `x` shifted by one token);
        `sample_weight` is None, as every token counts.

    Example:

    >>> preprocessor = LanguageModelPreprocessor.build(text, "char", "runs/lm")
    >>> x, y, _ = preprocessor(text, batch_size=32, seq_len=128)
    """

    config_file = TOKENIZER_FILE
    format = "textrnn.language_model"

    def __init__(self, level: str, tokenizer: Tokenizer, vocabulary: Vocabulary):
        self.level = check_level(level)
        self.tokenizer = tokenizer
        self.vocabulary = vocabulary

    @classmethod
    def build(
        cls,
        train_text: str,
        level: str,
        run_dir: str | os.PathLike,
        lowercase: bool = False,
        min_df: int | float = 1,
        vocab_top_k: int | None = None,
        coverage: float | None = None,
        vocab_size: int = 2000,
    ) -> LanguageModelPreprocessor:
        """Builds tokenizer and vocabulary from the training text (never validation or test).

        Args:
            train_text: the training split.
            level: `"char"`, `"word"` or `"subword"`.
            run_dir: where a subword model is written (`run_dir/subword.model`).
            lowercase: lowercase words (word level).
            min_df: word level: keep words in at least this many lines (int) or this share
                of lines (float); documents are lines.
            vocab_top_k: word level: keep at most this many words.
            coverage: word level: keep the most frequent words covering this share of tokens.
            vocab_size: number of sentencepiece pieces (subword level).
        """
        return cls.build_from_chunks(chunks_of(train_text), level, run_dir, lowercase=lowercase,
                                     min_df=min_df, vocab_top_k=vocab_top_k,
                                     coverage=coverage, vocab_size=vocab_size)

    @classmethod
    def build_from_chunks(
        cls,
        train_chunks: Iterable[str],
        level: str,
        run_dir: str | os.PathLike,
        lowercase: bool = False,
        min_df: int | float = 1,
        vocab_top_k: int | None = None,
        coverage: float | None = None,
        vocab_size: int = 2000,
    ) -> LanguageModelPreprocessor:
        """As `build`, from the training text in chunks that each end at a line break.

        The chunks are read once; memory holds the counts, not the text.
        """
        check_level(level)
        if level == "char":
            counts = Counter()
            for chunk in train_chunks:
                counts.update(chunk)
            return cls(level, build_tokenizer("char"), Vocabulary.from_counts(counts))
        lines = _non_blank_lines(train_chunks)
        if level == "word":
            tokenizer = build_tokenizer("word", lowercase=lowercase)
            stats = CorpusStats.from_documents(lines, tokenizer=tokenizer)
            selection = FeatureSelector(min_df=min_df, top_k=vocab_top_k,
                                        coverage=coverage).select(stats)
            return cls(level, tokenizer, Vocabulary(list(selection.tokens), eos_token=EOL))
        tokenizer = build_tokenizer("subword", lines, Path(run_dir) / SUBWORD_FILE,
                                    vocab_size=vocab_size)
        return cls(level, tokenizer, subword_vocabulary(tokenizer, eos_token=EOL))

    @classmethod
    def from_corpus(
        cls,
        data: str | None,
        run_dir: str | os.PathLike,
        text_column: str | None = None,
        encoding_errors: str = "strict",
        level: str = "char",
        **vocabulary_options: Any,
    ) -> tuple[LanguageModelPreprocessor, dict[str, np.ndarray]]:
        """Streams a corpus: the run folder's (or a new) preprocessor and each split's ids.

        Gives what `split_text(load_corpus(...))`, `build(train, ...)` and `encode` of each
        split give, reading the corpus in chunks (`corpus_stream.CorpusChunks`) instead of
        holding it as one string.

        Args:
            data, text_column, encoding_errors: as for `load_corpus`.
            run_dir: the run folder; its preprocessor is reused when it holds one.
            level, **vocabulary_options: as for `build`.

        Returns:
            `(preprocessor, ids)`: ids `[num_tokens]` int32 keyed `train`, `validation`, `test`.
        """
        chunks = CorpusChunks(data, text_column, encoding_errors)
        num_chars = chunks.num_chars()
        if cls.exists(run_dir):
            preprocessor = cls.load(run_dir)
        else:
            pieces = split_pieces(chunks, num_chars)  # stops reading where validation starts
            train = (text for _, text in itertools.takewhile(_is_train, pieces))
            preprocessor = cls.build_from_chunks(train, level, run_dir, **vocabulary_options)
        buffer, ends = _IdBuffer(num_chars + 1), {}
        for name, text in split_pieces(chunks, num_chars):
            buffer.extend(preprocessor._encode_chunk(text))
            ends[name] = buffer.size
        every, ids, end = buffer.result(), {}, 0
        for name in SPLITS:  # the splits are consecutive views of one array
            start, end = end, ends.get(name, end)
            ids[name] = every[start:end]
        return preprocessor, ids

    # === Text <-> ids ===

    def tokens(self, text: str) -> list[str]:
        """The token stream of a text (line ends marked with `<eol>` for words and subwords)."""
        if self.level == "char":
            return self.tokenizer.tokenize(text)
        stream = []
        for line in text.splitlines():
            stream.extend(self.tokenizer.tokenize(line))
            stream.append(EOL)
        return stream

    def encode(self, text: str) -> np.ndarray:
        """Token ids `[num_tokens]` (int32) of a text; unknown tokens map to `<unk>`.

        The text is tokenized a chunk at a time (`corpus_stream.chunks_of`), so no token list
        of the whole text is built.
        """
        buffer = _IdBuffer(len(text) + 1)
        for chunk in chunks_of(text):
            buffer.extend(self._encode_chunk(chunk))
        return buffer.result()

    def _encode_chunk(self, text: str) -> np.ndarray:
        return np.asarray(self.vocabulary.encode(self.tokens(text)), dtype="int32")

    def decode(self, ids) -> str:
        """Text of token ids `[num_tokens]` (padding dropped, `<eol>` back to newlines)."""
        tokens = self.vocabulary.decode(np.asarray(ids).tolist(), skip_special=False)
        pad = self.vocabulary.id_to_token(self.vocabulary.pad_id)
        lines, line = [], []
        for token in tokens:
            if token == EOL:
                lines.append(self.tokenizer.detokenize(line))
                line = []
            elif token != pad:
                line.append(token)
        lines.append(self.tokenizer.detokenize(line))
        return "\n".join(lines)

    def unknown_tokens(self, text: str) -> list[str]:
        """Tokens of `text` that the vocabulary does not hold (they become `<unk>`)."""
        return sorted({token for token in self.tokens(text) if token not in self.vocabulary})

    def __call__(self, data: str | np.ndarray, batch_size: int,
                 seq_len: int) -> tuple[np.ndarray, np.ndarray, None]:
        ids = self.encode(data) if isinstance(data, str) else np.asarray(data, dtype="int32")
        x, y = bptt_batches(ids, batch_size, seq_len)
        return x, y, None

    # === Run folder ===

    def get_config(self) -> dict[str, Any]:
        # A subword tokenizer is its model file, `subword.model` beside tokenizer.json.
        config = {} if self.level == "subword" else self.tokenizer.get_config()
        return {"level": self.level, "tokenizer": config}

    @classmethod
    def from_config(cls, config: dict[str, Any], run_dir: Path) -> LanguageModelPreprocessor:
        tokenizer = load_tokenizer({"level": config["level"], "model_file": SUBWORD_FILE,
                                    "config": config.get("tokenizer", {})}, run_dir)
        return cls(config["level"], tokenizer, Vocabulary.load(run_dir / VOCAB_FILE))

    def save_assets(self, run_dir: Path) -> None:
        self.vocabulary.save(run_dir / VOCAB_FILE)
        if self.level == "subword":
            target = run_dir / SUBWORD_FILE
            if not target.exists() or not target.samefile(self.tokenizer.model_path):
                self.tokenizer.save(target)

    def model_sizes(self, model: keras.Model) -> dict[str, tuple[int, int]]:
        sizes = {}
        input_size = _input_vocabulary_size(model)
        if input_size is not None:
            sizes["an input vocabulary of"] = (input_size, len(self.vocabulary))
        sizes["an output vocabulary of"] = (int(model.output_shape[-1]), len(self.vocabulary))
        return sizes


def _non_blank_lines(chunks: Iterable[str]) -> Iterator[str]:
    """The lines of the chunks that are not blank (the documents of word counts)."""
    for chunk in chunks:
        yield from (line for line in chunk.splitlines() if line.strip())


def _is_train(piece: tuple[str, str]) -> bool:
    return piece[0] == "train"


class _IdBuffer:
    """An int32 array filled a chunk at a time, with room for `capacity` ids to start with.

    Chars and words give at most one id per character (plus one): the buffer is allocated
    once and never copied. Pages never written are never resident, so a generous capacity
    costs no memory; past it the buffer grows by half.
    """

    def __init__(self, capacity: int):
        self.array = np.empty(max(capacity, 1), dtype="int32")
        self.size = 0

    def extend(self, ids: np.ndarray) -> None:
        end = self.size + len(ids)
        if end > len(self.array):
            grown = np.empty(max(end, len(self.array) * 3 // 2), dtype="int32")
            grown[:self.size] = self.array[:self.size]
            self.array = grown
        self.array[self.size:end] = ids
        self.size = end

    def result(self) -> np.ndarray:
        """The ids `[size]`; the unused tail is released (the buffer is not used again)."""
        self.array.resize(self.size, refcheck=False)
        return self.array


def _input_vocabulary_size(model: keras.Model) -> int | None:
    """The number of ids the model's first embedding or one-hot layer accepts."""
    for layer in model.layers:
        for attribute in ("input_dim", "num_tokens"):  # Embedding, OneHot
            if hasattr(layer, attribute):
                return int(getattr(layer, attribute))
    return None
