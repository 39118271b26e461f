"""The preprocessing pipeline behind `textrnn-preprocess` (`textrnn.cli.preprocess`).

read inputs -> tokenize and count (`CorpusStats`) -> select features (`FeatureSelector`) ->
build a `Vocabulary` -> encode every document to ids -> write the outputs:

| file | content |
|---|---|
| `vocab.json` | the `Vocabulary` (JSON, versioned) |
| `stats.json` | corpus sizes, coverage, Zipf fit, per-rule removal counts, options used |
| `zipf.png` | rank-frequency plot with the fit and the vocabulary cut |
| `encoded/` | `datasets` Arrow folder (`load_from_disk`) with an `ids` column per document |
| `subword.model` | the sentencepiece model (`level="subword"` only) |

Tokenizing, counting and encoding run in `Dataset.map(batched=True, num_proc=...)`, so they
use every core asked for, show `datasets` progress bars, and work on memory-mapped Arrow data.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import datasets

from textrnn.data import load_documents
from textrnn.io import write_json
from textrnn.preprocessing.corpus_stats import CorpusStats
from textrnn.preprocessing.counting import gc_paused
from textrnn.preprocessing.feature_selection import RULES, FeatureSelector, Selection
from textrnn.preprocessing.stopwords import get_stopwords
from textrnn.preprocessing.tokenizers import (
    CharTokenizer,
    SubwordTokenizer,
    Tokenizer,
    WordTokenizer,
)
from textrnn.preprocessing.vocabulary import Vocabulary
from textrnn.preprocessing.zipf_plot import plot_zipf

LEVELS = ("char", "word", "subword")
SUBWORD_MODEL = "subword.model"


@dataclasses.dataclass
class PreprocessOptions:
    """Options of the pipeline; the defaults keep every type (no cut) at word level."""

    level: str = "word"  # char | word | subword
    lowercase: bool = False  # lowercase before tokenizing
    stopwords: str = "none"  # none | auto | LANG | nltk:LANG | FILE (see get_stopwords)
    min_df: int | float = 1  # int: documents, float: fraction of documents
    max_df: int | float = 1.0  # int: documents, float: fraction of documents
    top_k: int | None = None  # keep at most this many types (by TF)
    coverage: float | None = None  # keep the fewest types covering this share of tokens
    vocab_size: int | None = None  # sentencepiece pieces (subword level only; default 8000)
    text_column: str | None = None  # column of CSV/TSV/JSONL inputs holding the text
    num_proc: int = 1  # worker processes for tokenizing, counting and encoding
    encoding_errors: str = "strict"  # strict | replace (bad UTF-8 bytes -> U+FFFD)
    vocab: str | None = None  # encode with this existing vocab.json instead of building one
    batch_size: int = 1000  # documents per map batch

    def __post_init__(self):
        if self.level not in LEVELS:
            raise ValueError(f"Received an invalid value for `level`: {self.level!r}; "
                             f"expected one of {LEVELS}.")
        if self.vocab_size is not None and self.level != "subword":
            raise ValueError("`vocab_size` sets the sentencepiece model size and applies only "
                             "to level='subword'; use `top_k` to cap a char or word vocabulary.")
        if self.num_proc < 1:
            raise ValueError(f"Received an invalid value for `num_proc`: {self.num_proc}; "
                             "expected a positive integer.")
        # Validate the cuts now, before any work (stopwords are filled in after counting).
        self.selector(frozenset())

    def selector(self, stopwords: frozenset[str]) -> FeatureSelector:
        """The `FeatureSelector` these options describe."""
        return FeatureSelector(min_df=self.min_df, max_df=self.max_df, top_k=self.top_k,
                               coverage=self.coverage, stopwords=stopwords)


def preprocess(
    inputs: Sequence[str | os.PathLike],
    out_dir: str | os.PathLike,
    options: PreprocessOptions | None = None,
    log: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Run the whole pipeline and write the outputs into `out_dir` (see the module docstring).

    Args:
        inputs: local files (`.txt`, `.csv`, `.tsv`, `.jsonl`, optionally `.gz`) or Hugging
            Face dataset names; their documents are concatenated.
        out_dir: output folder (created if missing).
        options: `PreprocessOptions`; None uses the defaults.
        log: called with one progress line per stage.

    Returns:
        The summary written to `stats.json`.

    Raises:
        textrnn.errors.InputError: a bad input or vocabulary file (the message names it).
        ValueError: options that cannot work together, or cuts that leave no type.
    """
    options = options or PreprocessOptions()
    out_dir = Path(out_dir)
    if not inputs:
        raise ValueError("Received no inputs; pass at least one file or dataset name.")
    # A given vocabulary is read first, so that a bad file fails before any long work.
    vocab = Vocabulary.load(options.vocab) if options.vocab is not None else None
    corpus = load_corpus(inputs, options)
    log(f"read {len(corpus):,} documents from {len(inputs)} input(s)")
    tokenizer = build_tokenizer(corpus, out_dir, options)
    stats = CorpusStats.from_documents(corpus, tokenizer, num_proc=options.num_proc,
                                       batch_size=options.batch_size)
    log(f"counted {stats.num_tokens:,} tokens of {stats.num_types:,} types")
    selection = None
    if vocab is None:
        vocab, selection = build_vocabulary(stats, options)
    encoded = encode_corpus(corpus, tokenizer, vocab, options)
    encoded.save_to_disk(str(out_dir / "encoded"))
    vocab.save(out_dir / "vocab.json")
    summary = summarize(stats, vocab, selection, tokenizer, inputs, options)
    write_json(out_dir / "stats.json", summary)
    fit = _fit_or_none(stats)
    plot_zipf(stats, out_dir / "zipf.png", fit=fit, cut_rank=_cut_rank(stats, vocab))
    log(f"vocabulary of {len(vocab):,} ids covers {summary['coverage']:.2%} of the tokens; "
        f"wrote {out_dir}/vocab.json, stats.json, zipf.png, encoded/")
    return summary


def load_corpus(inputs: Sequence[str | os.PathLike], options: PreprocessOptions):
    """Load and concatenate the inputs into one `datasets.Dataset` with a `"text"` column."""
    parts = [
        load_documents(source, options.text_column, encoding_errors=options.encoding_errors)
        for source in inputs
    ]
    corpus = parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)
    if options.lowercase and options.level == "subword":
        corpus = corpus.map(_lowercase, batched=True, num_proc=_procs(options),
                            desc="Lowercasing")
    return corpus


def build_tokenizer(corpus, out_dir: Path, options: PreprocessOptions) -> Tokenizer:
    """The tokenizer for `options.level`; trains sentencepiece on `corpus` for subwords.

    With `options.vocab`, a subword model is read from `subword.model` beside that file.
    """
    if options.level == "char":
        return CharTokenizer(lowercase=options.lowercase)
    if options.level == "word":
        return WordTokenizer(lowercase=options.lowercase)
    if options.vocab is not None:
        return SubwordTokenizer.load(Path(options.vocab).with_name(SUBWORD_MODEL))
    out_dir.mkdir(parents=True, exist_ok=True)
    # hard_vocab_limit=False: on a small corpus vocab_size is an upper bound, not an error.
    return SubwordTokenizer.train(
        corpus["text"], out_dir / SUBWORD_MODEL,
        vocab_size=options.vocab_size or 8000, hard_vocab_limit=False,
    )


def build_vocabulary(
    stats: CorpusStats, options: PreprocessOptions
) -> tuple[Vocabulary, Selection]:
    """Select features with the options' cuts and build the `Vocabulary`."""
    stopwords = get_stopwords(options.stopwords, stats=stats)
    selection = options.selector(stopwords).select(stats)
    specials = {"<pad>", "<unk>"}
    return Vocabulary([t for t in selection.tokens if t not in specials]), selection


def encode_corpus(corpus, tokenizer: Tokenizer, vocab: Vocabulary, options: PreprocessOptions):
    """Map every document to its ids: a `datasets.Dataset` with one column, `"ids"`."""
    features = datasets.Features({"ids": datasets.Sequence(datasets.Value("int32"))})
    return corpus.map(
        _encode_batch, batched=True, batch_size=options.batch_size, num_proc=_procs(options),
        input_columns=["text"], remove_columns=corpus.column_names, features=features,
        fn_kwargs={"tokenizer": tokenizer, "vocab": vocab},
        load_from_cache_file=False,  # always encode afresh; outputs go to save_to_disk
        desc="Encoding",
    )


def summarize(stats, vocab, selection, tokenizer, inputs, options) -> dict[str, Any]:
    """The `stats.json` content: sizes, coverage, Zipf fit, removal counts, options."""
    in_vocab = sum(stats.term_freq.get(token, 0) for token in vocab.tokens[vocab.num_special:])
    fit = _fit_or_none(stats)
    kept = len(vocab) - vocab.num_special
    return {
        "num_docs": stats.num_docs,
        "num_tokens": stats.num_tokens,
        "num_types": stats.num_types,
        "vocab_size": len(vocab),
        "num_special_tokens": vocab.num_special,
        "coverage": in_vocab / max(stats.num_tokens, 1),
        "zipf_exponent": fit.exponent if fit else None,
        "zipf_r2": fit.r2 if fit else None,
        "zipf_fit": fit.to_dict() if fit else None,
        "zipf_predicted_coverage": stats.zipf_coverage(kept, fit) if fit else None,
        "removed_counts": selection.removed_counts if selection else dict.fromkeys(RULES, 0),
        "corpus": stats.to_dict(),
        "level": options.level,
        "tokenizer": {"level": tokenizer.level, "config": tokenizer.get_config()},
        "inputs": [str(source) for source in inputs],
        "options": dataclasses.asdict(options),
    }


# === Helpers ===


def _procs(options: PreprocessOptions) -> int | None:
    return options.num_proc if options.num_proc > 1 else None


def _fit_or_none(stats: CorpusStats):
    try:
        return stats.fit_zipf()
    except ValueError:  # fewer than two types: no line to fit
        return None


def _cut_rank(stats: CorpusStats, vocab: Vocabulary) -> int | None:
    """Rank of the least frequent type the vocabulary keeps (None if it keeps none)."""
    kept = set(vocab.tokens)
    last = None
    for rank, (token, _) in enumerate(stats.ranked(), start=1):
        if token in kept:
            last = rank
    return last


def _lowercase(batch: dict) -> dict:
    return {"text": [text.lower() for text in batch["text"]]}


def _encode_batch(texts: list[str], tokenizer: Tokenizer, vocab: Vocabulary) -> dict:
    with gc_paused():
        return {"ids": [vocab.encode(tokenizer.tokenize(text)) for text in texts]}

