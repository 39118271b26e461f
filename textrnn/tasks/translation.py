"""Data for `recipes/translate.py`: parallel sentences, subword vocabularies, padded arrays.

- `load_parallel` reads a TSV / CSV / JSONL (or hub) table of sentence pairs, skips and
  counts pairs with an empty side, and splits them: by a split column when the table has one
  (the shipped Bible subset is split by book), otherwise at random (90/5/5, seeded).
- `TranslationAssets` holds the sentencepiece models and `Vocabulary`s (ids: 0 pad, 1 unk,
  2 `<s>`, 3 `</s>`), shared between the languages or one per side, and saves / loads them
  in the run folder.
- `encode_pairs` turns sentences into padded `source`, `target_in` (`<s>` + target) and
  `target_out` (target + `</s>`) arrays, dropping and counting pairs over the length limit.
- `log_prior` gives the output layer's starting bias (the targets' log unigram frequencies).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from textrnn.data import load_table
from textrnn.errors import InputError
from textrnn.io import read_json, write_json
from textrnn.preprocessing import SubwordTokenizer, Vocabulary

SPLITS = ("train", "validation", "test")
ASSETS_FILE = "translation_assets.json"
_SPECIALS = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>"}


@dataclass
class ParallelCorpus:
    """Sentence pairs per split and what was dropped on the way."""

    sources: dict[str, list[str]]
    targets: dict[str, list[str]]
    counts: dict[str, int] = field(default_factory=dict)


def _clean(text) -> str:
    # One line per sentence: tabs and newlines would break test_predictions.tsv.
    return " ".join(str(text or "").split())


def load_parallel(
    source: str | os.PathLike,
    source_column: str,
    target_column: str,
    split_column: str | None = None,
    seed: int = 0,
    fractions: tuple[float, float] = (0.9, 0.05),
) -> ParallelCorpus:
    """Loads sentence pairs and splits them into train / validation / test.

    Args:
        source: a `.tsv`/`.csv`/`.jsonl` file (optionally `.gz`) or a hub dataset name.
        source_column, target_column: the columns holding the two languages (`"0"`, `"1"`,
            ... for a headerless file).
        split_column: a column with the values `train` / `validation` / `test`; None splits
            at random with `seed` and `fractions` (train, validation; test is the rest).

    Returns:
        The corpus; `counts["empty_pairs"]` is the number of pairs skipped for an empty side.
    """
    columns = [source_column, target_column] + ([split_column] if split_column else [])
    table = load_table(source, columns)
    pairs = list(zip(map(_clean, table[source_column]), map(_clean, table[target_column]),
                     table[split_column] if split_column else [None] * len(table), strict=True))
    kept = [pair for pair in pairs if pair[0] and pair[1]]
    if not kept:
        raise InputError(f"no sentence pair has text in both columns {source_column!r} and "
                         f"{target_column!r}", source)
    if split_column:
        unknown = sorted({split for *_, split in kept} - set(SPLITS))
        if unknown:
            raise InputError(f"column {split_column!r} holds {unknown}; expected only {SPLITS}",
                             source)
        names = [split for *_, split in kept]
    else:
        order = np.random.default_rng(seed).permutation(len(kept))
        cuts = np.cumsum(np.asarray(fractions) * len(kept)).astype(int)
        names = np.empty(len(kept), dtype=object)
        for name, part in zip(SPLITS, np.split(order, cuts), strict=True):
            names[part] = name
    corpus = ParallelCorpus({name: [] for name in SPLITS}, {name: [] for name in SPLITS},
                            {"empty_pairs": len(pairs) - len(kept)})
    for (src, tgt, _), name in zip(kept, names, strict=True):
        corpus.sources[name].append(src)
        corpus.targets[name].append(tgt)
    for name in ("train", "test"):
        if not corpus.sources[name]:
            raise InputError(f"the {name} split is empty; give more pairs or other split "
                             "labels", source)
    return corpus


@dataclass
class TranslationAssets:
    """Subword tokenizers and vocabularies of both languages (the same objects if shared)."""

    source_tokenizer: SubwordTokenizer
    target_tokenizer: SubwordTokenizer
    source_vocabulary: Vocabulary
    target_vocabulary: Vocabulary
    shared: bool

    @classmethod
    def build(cls, sources: list[str], targets: list[str], run_dir: str | os.PathLike,
              vocab_size: int = 4000, shared: bool = False) -> TranslationAssets:
        """Trains sentencepiece (unigram) on the training sentences and makes vocabularies."""
        run_dir = Path(run_dir)
        if shared:
            tokenizer = _train(sources + targets, run_dir / "subword.model", vocab_size)
            vocabulary = _vocabulary(tokenizer)
            return cls(tokenizer, tokenizer, vocabulary, vocabulary, True)
        source_tokenizer = _train(sources, run_dir / "source.model", vocab_size)
        target_tokenizer = _train(targets, run_dir / "target.model", vocab_size)
        return cls(source_tokenizer, target_tokenizer, _vocabulary(source_tokenizer),
                   _vocabulary(target_tokenizer), False)

    def save(self, run_dir: str | os.PathLike) -> None:
        run_dir = Path(run_dir)
        write_json(run_dir / ASSETS_FILE, {"shared": self.shared})
        self.source_vocabulary.save(run_dir / "source_vocab.json")
        self.target_vocabulary.save(run_dir / "target_vocab.json")

    @classmethod
    def load(cls, run_dir: str | os.PathLike) -> TranslationAssets:
        """Reads what `build` + `save` wrote; `InputError` naming the file that is missing."""
        run_dir = Path(run_dir)
        config = read_json(run_dir / ASSETS_FILE)
        if not isinstance(config, dict) or "shared" not in config:
            raise InputError("not a textrnn translation assets file", run_dir / ASSETS_FILE)
        names = ("subword", "subword") if config["shared"] else ("source", "target")
        tokenizers = [SubwordTokenizer.load(run_dir / f"{name}.model") for name in names]
        vocabularies = [Vocabulary.load(run_dir / f"{side}_vocab.json")
                        for side in ("source", "target")]
        return cls(*tokenizers, *vocabularies, bool(config["shared"]))

    def check_model(self, model: keras.Model, path: str | os.PathLike | None = None) -> None:
        """Raises `InputError` when the model's vocabulary sizes differ from these."""
        sizes = {"source": (model.get_layer("source_embedding").input_dim,
                            len(self.source_vocabulary)),
                 "target": (model.get_layer("logits").units, len(self.target_vocabulary))}
        for side, (model_size, vocab_size) in sizes.items():
            if model_size != vocab_size:
                raise InputError(f"the model expects a {side} vocabulary of {model_size} "
                                 f"tokens but {side}_vocab.json has {vocab_size}; the "
                                 "vocabularies do not belong to this model", path)

    def encode_source(self, text: str) -> list[int]:
        return self.source_vocabulary.encode(self.source_tokenizer.tokenize(text))

    def encode_target(self, text: str) -> list[int]:
        return self.target_vocabulary.encode(self.target_tokenizer.tokenize(text))

    def decode_target(self, ids) -> str:
        return self.target_tokenizer.detokenize(self.target_vocabulary.decode(list(ids)))

    def unseen_characters(self, text: str) -> list[str]:
        """Characters of `text` the source subword model never saw (they become `<unk>`)."""
        alphabet = set("".join(self.source_tokenizer.pieces()))
        return sorted({char for char in text if not char.isspace() and char not in alphabet})


def _train(texts: list[str], path: Path, vocab_size: int) -> SubwordTokenizer:
    return SubwordTokenizer.train(texts, path, vocab_size=vocab_size, hard_vocab_limit=False)


def _vocabulary(tokenizer: SubwordTokenizer) -> Vocabulary:
    pieces = [piece for piece in tokenizer.pieces() if piece not in _SPECIALS.values()]
    return Vocabulary(pieces, **_SPECIALS)


@dataclass
class EncodedPairs:
    """Padded id arrays `[n, max_length + 1]` and the indices of the kept pairs."""

    source: np.ndarray
    target_in: np.ndarray
    target_out: np.ndarray
    kept: np.ndarray
    too_long: int


def encode_pairs(assets: TranslationAssets, sources: list[str], targets: list[str],
                 max_length: int) -> EncodedPairs:
    """Encodes pairs, dropping (and counting) those with a side over `max_length` pieces."""
    source_ids = [assets.encode_source(text) for text in sources]
    target_ids = [assets.encode_target(text) for text in targets]
    kept = np.array([i for i, (s, t) in enumerate(zip(source_ids, target_ids, strict=True))
                     if len(s) <= max_length and len(t) <= max_length], dtype="int64")
    vocabulary = assets.target_vocabulary
    return EncodedPairs(
        pad([source_ids[i] for i in kept], max_length),
        pad([[vocabulary.bos_id, *target_ids[i]] for i in kept], max_length + 1),
        pad([[*target_ids[i], vocabulary.eos_id] for i in kept], max_length + 1),
        kept, len(sources) - len(kept))


def log_prior(target_out: np.ndarray, vocab_size: int) -> np.ndarray:
    """Log unigram frequencies of the target tokens (add-one smoothed, padding excluded).

    Starting the output layer's bias here gives the model the unigram distribution from step
    one. Without it, the fastest way to lower the loss is to saturate the `tanh` layers into
    a constant that acts as that bias; their gradients then vanish and training can sit on
    the unigram loss for thousands of steps.

    Args:
        target_out: `[n, T]` target ids (0 is padding).
        vocab_size: number of target ids.

    Returns:
        `[vocab_size]` float32 log-probabilities.
    """
    counts = np.bincount(target_out[target_out != 0], minlength=vocab_size) + 1.0
    return np.log(counts / counts.sum()).astype("float32")


def pad(sequences: list[list[int]], width: int) -> np.ndarray:
    """Right-pads id lists with 0 into an int32 array `[n, width]`."""
    out = np.zeros((len(sequences), width), dtype="int32")
    for row, ids in enumerate(sequences):
        out[row, :len(ids)] = ids[:width]
    return out


@keras.saving.register_keras_serializable(package="textrnn")
class MaskedSparseCrossentropy(keras.losses.Loss):
    """Token cross-entropy from logits with label smoothing; padding (id 0) counts zero.

    Args:
        label_smoothing: share of the probability mass spread evenly over the vocabulary.
    """

    def __init__(self, label_smoothing: float = 0.0, name="masked_sparse_crossentropy",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"Received an invalid value for argument `label_smoothing`, "
                             f"expected a number in [0, 1), got {label_smoothing!r}.")
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):
        ops = keras.ops
        y_true = ops.cast(y_true, "int32")
        log_probs = ops.log_softmax(y_pred, axis=-1)
        nll = -ops.take_along_axis(log_probs, ops.expand_dims(y_true, -1), axis=-1)[..., 0]
        loss = ((1.0 - self.label_smoothing) * nll
                - self.label_smoothing * ops.mean(log_probs, axis=-1))
        # Padding contributes nothing. Keras averages over the real tokens when the logits
        # carry the target mask (as `build_seq2seq`'s do), not over all positions.
        return loss * ops.cast(ops.not_equal(y_true, 0), loss.dtype)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}
