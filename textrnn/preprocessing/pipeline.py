"""The preprocessing pipeline behind `textrnn-preprocess` (`textrnn.cli.preprocess`).

read inputs -> tokenize and count (`CorpusStats`) -> select features (`FeatureSelector`) ->
build a `Vocabulary` -> encode every document to ids -> write the outputs:

| file | content |
|---|---|
| `vocab.json` | the `Vocabulary` (JSON, versioned) |
| `stats.json` | corpus sizes, coverage, Zipf fit, per-rule removal counts, options used |
| `zipf.png` | rank-frequency plot with the Zipf fits and the vocabulary cut |
| `coverage.png` | share of tokens covered against vocabulary size, observed and predicted |
| `encoded/` | `datasets` Arrow folder (`load_from_disk`) with an `ids` column per document, |
|  | or with `format="parquet"` one Parquet file (`encoding.PARQUET_FILE`) with that column |
| `subword.model` | the sentencepiece model (`level="subword"` only) |

The inputs are read a batch at a time on each pass (`Corpus`): sentencepiece trains on a seeded
sample, counting merges each batch's counts into the totals, and encoding appends to an Arrow
file, so memory is bounded by the number of types, not by the corpus. With `num_proc > 1`,
batches are tokenized, counted and encoded in worker processes. The Arrow copies of table
inputs live in a temporary folder removed at the end of the run: a run adds nothing to the
`datasets` cache.

Shards are counted apart and merged exactly (`textrnn.preprocessing.count_files`):
`count_only` writes a shard's `counts.parquet` and `counts.json` instead of the outputs above,
and `merge_counts` sums such folders and writes `vocab.json`, `stats.json` and the plots as
counting the concatenated shards would (there is no corpus left to encode).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sentencepiece as spm

from textrnn.io import write_json
from textrnn.preprocessing.corpus_reader import Corpus
from textrnn.preprocessing.corpus_stats import CorpusStats
from textrnn.preprocessing.count_files import read_counts, write_counts
from textrnn.preprocessing.encoding import FORMATS, encode_corpus
from textrnn.preprocessing.feature_selection import RULES, FeatureSelector, Selection
from textrnn.preprocessing.stopwords import get_stopwords
from textrnn.preprocessing.tokenizers import (
    CharTokenizer,
    SubwordTokenizer,
    Tokenizer,
    WordTokenizer,
)
from textrnn.preprocessing.vocabulary import Vocabulary
from textrnn.preprocessing.zipf_plot import plot_coverage, plot_zipf

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
    zipf_cut: float | None = None  # cut where the Zipf fit predicts this coverage
    vocab_size: int | None = None  # sentencepiece pieces (subword level only; default 8000)
    text_column: str | None = None  # column of CSV/TSV/JSONL inputs holding the text
    num_proc: int = 1  # worker processes for tokenizing, counting and encoding
    encoding_errors: str = "strict"  # strict | replace (bad UTF-8 bytes -> U+FFFD)
    vocab: str | None = None  # encode with this existing vocab.json instead of building one
    batch_size: int = 10_000  # documents tokenized, counted, encoded together (memory)
    subword_sample: int = 1_000_000  # sentencepiece trains on at most this many documents
    seed: int = 0  # seeds the sentencepiece sample
    format: str = "arrow"  # arrow | parquet: how encoded/ is written

    def __post_init__(self):
        if self.level not in LEVELS:
            raise ValueError(f"Received an invalid value for `level`: {self.level!r}; "
                             f"expected one of {LEVELS}.")
        if self.vocab_size is not None and self.level != "subword":
            raise ValueError("`vocab_size` sets the sentencepiece model size and applies only "
                             "to level='subword'; use `top_k` to cap a char or word vocabulary.")
        if self.subword_sample <= 100:  # sentencepiece refuses smaller samples
            raise ValueError(f"Received an invalid value for `subword_sample`: "
                             f"{self.subword_sample}; expected an integer above 100.")
        if self.format not in FORMATS:
            raise ValueError(f"Received an invalid value for `format`: {self.format!r}; "
                             f"expected one of {FORMATS}.")
        if self.num_proc < 1:
            raise ValueError(f"Received an invalid value for `num_proc`: {self.num_proc}; "
                             "expected a positive integer.")
        # Validate the cuts now, before any work (stopwords are filled in after counting).
        self.selector(frozenset())

    def selector(self, stopwords: frozenset[str]) -> FeatureSelector:
        """The `FeatureSelector` these options describe."""
        return FeatureSelector(min_df=self.min_df, max_df=self.max_df, top_k=self.top_k,
                               coverage=self.coverage, stopwords=stopwords,
                               zipf_cut=self.zipf_cut)


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
    _check_inputs(inputs)
    # A given vocabulary is read first, so that a bad file fails before any long work.
    vocab = Vocabulary.load(options.vocab) if options.vocab is not None else None
    with tempfile.TemporaryDirectory(prefix="textrnn-preprocess-") as workdir:
        corpus = Corpus(inputs, options.text_column, options.encoding_errors, workdir,
                        lowercase=options.lowercase and options.level == "subword")
        tokenizer, sample = build_tokenizer(corpus, out_dir, options)
        stats = count_corpus(corpus, tokenizer, options, log)
        selection = None
        if vocab is None:
            vocab, selection = build_vocabulary(stats, options)
        encode_corpus(corpus, tokenizer, vocab, out_dir / "encoded", options.num_proc,
                      options.batch_size, options.format)
    summary = summarize(stats, vocab, selection, tokenizer, inputs, options)
    summary["subword_sample"] = sample
    write_outputs(out_dir, stats, vocab, summary, log, encoded=True)
    return summary


def count_only(inputs: Sequence[str | os.PathLike], out_dir: str | os.PathLike,
               options: PreprocessOptions | None = None,
               log: Callable[[str], Any] = print) -> None:
    """Count a shard and write its partial counts (`count_files.write_counts`) to `out_dir`.

    The counts are not cut: `merge_counts` applies the options' cuts to the merged totals.
    Char and word levels only (each shard would train its own subword model).
    """
    options = options or PreprocessOptions()
    _check_inputs(inputs)
    if options.level == "subword":
        raise ValueError("Shards are counted apart at level 'char' or 'word' only: a subword "
                         "model is trained on the whole corpus, so count it in one run.")
    with tempfile.TemporaryDirectory(prefix="textrnn-preprocess-") as workdir:
        corpus = Corpus(inputs, options.text_column, options.encoding_errors, workdir)
        tokenizer, _ = build_tokenizer(corpus, Path(out_dir), options)
        stats = count_corpus(corpus, tokenizer, options, log)
    write_counts(out_dir, stats, tokenizer, [str(source) for source in inputs])
    log(f"wrote {out_dir}/counts.parquet, counts.json")


def merge_counts(count_dirs: Sequence[str | os.PathLike], out_dir: str | os.PathLike,
                 options: PreprocessOptions | None = None,
                 log: Callable[[str], Any] = print) -> dict[str, Any]:
    """Merge shards' counts (`count_only`) and write what `preprocess` writes but `encoded/`.

    The level and lowercasing are the shards' (`options.level` and `options.lowercase` are
    not used); the options' cuts select the vocabulary from the merged totals, so the
    outputs equal those of counting the concatenated shards in one run.

    Returns:
        The summary written to `stats.json`.
    """
    options = options or PreprocessOptions()
    stats, tokenizer, inputs = read_counts(count_dirs)
    log(f"merged {len(count_dirs)} count(s): {stats.num_docs:,} documents, "
        f"{stats.num_tokens:,} tokens of {stats.num_types:,} types")
    options = dataclasses.replace(options, level=tokenizer.level,
                                  lowercase=bool(getattr(tokenizer, "lowercase", False)))
    vocab, selection = build_vocabulary(stats, options)
    summary = summarize(stats, vocab, selection, tokenizer, inputs, options)
    summary["subword_sample"] = None
    summary["merged_counts"] = [str(folder) for folder in count_dirs]
    write_outputs(out_dir, stats, vocab, summary, log, encoded=False)
    return summary


def count_corpus(corpus: Corpus, tokenizer: Tokenizer, options: PreprocessOptions,
                 log: Callable[[str], Any] = print) -> CorpusStats:
    """TF, DF and sizes of the corpus, counted a batch at a time in `options.num_proc`."""
    stats = CorpusStats.from_documents(corpus.texts(options.batch_size), tokenizer,
                                       num_proc=options.num_proc,
                                       batch_size=options.batch_size)
    log(f"counted {stats.num_docs:,} documents from {len(corpus.sources)} input(s): "
        f"{stats.num_tokens:,} tokens of {stats.num_types:,} types")
    return stats


def write_outputs(out_dir: Path, stats: CorpusStats, vocab: Vocabulary, summary: dict[str, Any],
                  log: Callable[[str], Any], encoded: bool) -> None:
    """Write `vocab.json`, `stats.json`, `zipf.png` and `coverage.png` into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab.save(out_dir / "vocab.json")
    write_json(out_dir / "stats.json", summary)
    write_plots(stats, out_dir, _cut_rank(stats, vocab))
    log(f"vocabulary of {len(vocab):,} ids covers {summary['coverage']:.2%} of the tokens; "
        f"wrote {out_dir}/vocab.json, stats.json, zipf.png, coverage.png"
        + (", encoded/" if encoded else ""))


def build_tokenizer(corpus: Corpus, out_dir: Path,
                    options: PreprocessOptions) -> tuple[Tokenizer, dict[str, int] | None]:
    """The tokenizer for `options.level`, and for a trained subword model its sample.

    Sentencepiece trains on a seeded random sample of at most `options.subword_sample`
    documents (its reservoir sampling, `input_sentence_size`, shuffled), so memory does not
    grow with the corpus. With `options.vocab`, a subword model is read from `subword.model`
    beside that file.
    """
    if options.level == "char":
        return CharTokenizer(lowercase=options.lowercase), None
    if options.level == "word":
        return WordTokenizer(lowercase=options.lowercase), None
    if options.vocab is not None:
        return SubwordTokenizer.load(Path(options.vocab).with_name(SUBWORD_MODEL)), None
    out_dir.mkdir(parents=True, exist_ok=True)
    spm.set_random_generator_seed(options.seed)
    read = itertools.count()  # next(read) is then the number of documents read
    texts = (text for text, _ in zip(corpus.texts(options.batch_size), read, strict=False))
    # hard_vocab_limit=False: on a small corpus vocab_size is an upper bound, not an error.
    tokenizer = SubwordTokenizer.train(
        texts, out_dir / SUBWORD_MODEL, vocab_size=options.vocab_size or 8000,
        hard_vocab_limit=False, input_sentence_size=options.subword_sample,
        shuffle_input_sentence=True,
    )
    num_docs = next(read)
    return tokenizer, {"documents_read": num_docs, "seed": options.seed,
                       "sample_size": min(num_docs, options.subword_sample)}


def build_vocabulary(
    stats: CorpusStats, options: PreprocessOptions
) -> tuple[Vocabulary, Selection]:
    """Select features with the options' cuts and build the `Vocabulary`."""
    stopwords = get_stopwords(options.stopwords, stats=stats)
    selection = options.selector(stopwords).select(stats)
    specials = {"<pad>", "<unk>"}
    return Vocabulary([t for t in selection.tokens if t not in specials]), selection


def summarize(stats, vocab, selection, tokenizer, inputs, options) -> dict[str, Any]:
    """The `stats.json` content: sizes, coverage, Zipf fits, removal counts, options."""
    in_vocab = sum(stats.term_freq.get(token, 0) for token in vocab.tokens[vocab.num_special:])
    corpus = stats.to_dict()
    zipf_fits = corpus.pop("zipf")
    mle = zipf_fits["maximum_likelihood"] if zipf_fits else None
    kept = len(vocab) - vocab.num_special
    return {
        "num_docs": stats.num_docs,
        "num_tokens": stats.num_tokens,
        "num_types": stats.num_types,
        "vocab_size": len(vocab),
        "num_special_tokens": vocab.num_special,
        "coverage": in_vocab / max(stats.num_tokens, 1),
        "zipf_exponent": mle["exponent"] if mle else None,
        "zipf_exponent_stderr": mle["stderr"] if mle else None,
        "zipf_ks_distance": mle["ks_distance"] if mle else None,
        "zipf": zipf_fits,
        "zipf_predicted_coverage": stats.zipf_coverage(kept) if mle else None,
        "zipf_cut": _zipf_cut_report(stats, options.zipf_cut),
        "removed_counts": selection.removed_counts if selection else dict.fromkeys(RULES, 0),
        "corpus": corpus,
        "level": options.level,
        "tokenizer": {"level": tokenizer.level, "config": tokenizer.get_config()},
        "inputs": [str(source) for source in inputs],
        "options": dataclasses.asdict(options),
    }


def write_plots(stats: CorpusStats, out_dir: Path, cut_rank: int | None) -> None:
    """`zipf.png` (rank-frequency with the three fits) and `coverage.png` (with the cut)."""
    if stats.zipf_summary() is None:  # too few types to fit: plot the counts alone
        plot_zipf(stats, out_dir / "zipf.png", cut_rank=cut_rank)
        plot_coverage(stats, out_dir / "coverage.png", cut_rank=cut_rank)
        return
    mle, two, least = (stats.fit_zipf(), stats.fit_zipf_two_regime(),
                       stats.fit_zipf_least_squares())
    fits = {
        f"Zipf MLE s={mle.exponent:.3f}±{mle.stderr:.3f} (KS {mle.ks_distance:.3f})": mle,
        f"two regimes: s={two.head.exponent:.2f} to rank {two.bend:,}, "
        f"then {two.tail.exponent:.2f}": two,
        f"least squares, log-spaced ranks: s={least.exponent:.3f}": least,
    }
    plot_zipf(stats, out_dir / "zipf.png", fits=fits, cut_rank=cut_rank)
    plot_coverage(stats, out_dir / "coverage.png", fit=mle, cut_rank=cut_rank)


def _zipf_cut_report(stats: CorpusStats, target: float | None) -> dict[str, Any] | None:
    """Where `--zipf-cut` cut, and the coverage the fit predicted there against the actual."""
    if target is None:
        return None
    size = stats.zipf_size_for_coverage(target)
    return {"target_coverage": target, "size": size,
            "predicted_coverage": stats.zipf_coverage(size),
            "actual_coverage": stats.coverage(size)}


# === Helpers ===


def _check_inputs(inputs: Sequence[str | os.PathLike]) -> None:
    if not inputs:
        raise ValueError("Received no inputs; pass at least one file or dataset name.")


def _cut_rank(stats: CorpusStats, vocab: Vocabulary) -> int | None:
    """Rank of the least frequent type the vocabulary keeps (None if it keeps none)."""
    kept = set(vocab.tokens)
    last = None
    for rank, (token, _) in enumerate(stats.ranked(), start=1):
        if token in kept:
            last = rank
    return last



