"""Benchmark: corpus statistics + vocabulary with textrnn vs scikit-learn's CountVectorizer.

Run:
    python recipes/benchmark_preprocessing.py            # ~24 MB built from the shipped corpora
    python recipes/benchmark_preprocessing.py --mb 8 --num-proc 1   # one core each

Both sides get the same documents as one Python list in memory (tinyshakespeare lines, SMS
messages and English/French sentences, repeated up to `--mb` megabytes) and the same
tokenisation, and must produce identical term and document frequencies (checked). Three
tokenisations are timed:

- `textrnn`: textrnn's default `WordTokenizer(lowercase=True)` (NFKC + regexp), passed to
  CountVectorizer as `tokenizer=`;
- `sklearn`: scikit-learn's default analyzer (lowercase, `token_pattern=r"(?u)\\b\\w\\w+\\b"`),
  reproduced in textrnn with `WordTokenizer(lowercase=True, normalization=None, pattern=...)`;
- `whitespace`: `str.split`-like tokens (`pattern=r"\\S+"` on both sides), where tokenizing is
  cheap and the counting itself dominates.

textrnn: `CorpusStats.from_documents(documents, tokenizer, num_proc=N, batch_size=B)` (each
batch's ASCII documents tokenized and counted by Arrow's C++ kernels where the tokenizer allows
it exactly — textrnn's default pattern, scikit-learn's and whitespace —, the rest by
`tokenize_batch` and `Counter.update`; the batch totals summed by Arrow's group-by; with N > 1
the batches are counted in N worker processes) + `FeatureSelector().select` + `Vocabulary`.
scikit-learn: `CountVectorizer.fit_transform` (what `fit` runs; its matrix gives the counts that are
compared). scikit-learn has no parallel option here and runs on one core.

Each side runs `--repeats` times, the two sides taking turns; the best wall time and the best
CPU time (this process plus its worker processes) count. Wall time is what a user waits for on
an idle machine; CPU time, the work done on all cores together, is much less disturbed by other
jobs on a shared machine (though contention for caches still inflates it somewhat).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import datasets
import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from textrnn import data
from textrnn import datasets as shipped
from textrnn.cli.entry import cli
from textrnn.preprocessing.corpus_stats import CorpusStats
from textrnn.preprocessing.counting import gc_paused
from textrnn.preprocessing.feature_selection import FeatureSelector
from textrnn.preprocessing.tokenizers import WordTokenizer
from textrnn.preprocessing.vocabulary import Vocabulary

SKLEARN_PATTERN = r"(?u)\b\w\w+\b"
WHITESPACE_PATTERN = r"\S+"


def build_corpus(megabytes: float) -> list[str]:
    """Documents from the shipped corpora, repeated until they hold `megabytes` of text."""
    base = list(data.load_documents(shipped.path("tinyshakespeare"))["text"])
    base += list(data.load_table(shipped.path("sms_spam"), ["1"])["1"])
    pairs = data.load_table(shipped.path("eng_fra_tatoeba_5k"), ["0", "1"])
    base += list(pairs["0"]) + list(pairs["1"])
    base = [doc for doc in base if doc.strip()]
    size = sum(len(doc.encode("utf-8")) for doc in base)
    return base * max(1, round(megabytes * 1e6 / size))


def cpu_seconds() -> float:
    """CPU time of this process plus its finished (reaped) child processes."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def time_best(functions: dict, repeats: int) -> dict:
    """name -> (best wall s, best CPU s, last result) over `repeats` rounds.

    Each round calls every function once in turn, so that load from other jobs on a shared
    machine falls on both sides alike.
    """
    best = {name: [float("inf"), float("inf"), None] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            cpu, start = cpu_seconds(), time.perf_counter()
            result = function()
            wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
            best[name] = [min(best[name][0], wall), min(best[name][1], cpu), result]
    return {name: tuple(values) for name, values in best.items()}


def run_textrnn(documents: list[str], tokenizer, num_proc: int, batch_size: int):
    stats = CorpusStats.from_documents(documents, tokenizer, num_proc=num_proc,
                                       batch_size=batch_size)
    vocab = Vocabulary(FeatureSelector().select(stats).tokens)
    return stats, vocab


def run_sklearn(documents: list[str], vectorizer_kwargs: dict):
    vectorizer = CountVectorizer(**vectorizer_kwargs)
    with gc_paused():  # as textrnn counts: no cyclic collections over TensorFlow's objects
        matrix = vectorizer.fit_transform(documents)
    return vectorizer, matrix


def check_identical(stats: CorpusStats, vectorizer, matrix) -> None:
    names = vectorizer.get_feature_names_out()
    tf = np.asarray(matrix.sum(axis=0)).ravel()
    df = np.diff(matrix.tocsc().indptr)
    sklearn_tf = dict(zip(names, tf.tolist(), strict=True))
    sklearn_df = dict(zip(names, df.tolist(), strict=True))
    if sklearn_tf != dict(stats.term_freq) or sklearn_df != dict(stats.doc_freq):
        raise SystemExit("MISMATCH: textrnn and scikit-learn counts differ")


@cli
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=24.0, help="corpus size in megabytes")
    parser.add_argument("--num-proc", type=int, default=2,
                        help="textrnn worker processes (1 compares one core with one core)")
    parser.add_argument("--batch-size", type=int, default=10_000,
                        help="documents per batch (with workers, one exchange of counts each)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per side; best counts")
    args = parser.parse_args(argv)

    datasets.disable_progress_bars()  # loading the shipped corpora prints bars otherwise
    documents = build_corpus(args.mb)
    megabytes = sum(len(doc.encode("utf-8")) for doc in documents) / 1e6
    print(f"corpus: {len(documents):,} documents, {megabytes:.1f} MB in memory; textrnn "
          f"num_proc={args.num_proc}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at start")
    setups = {  # name: (textrnn tokenizer, CountVectorizer arguments; None = tokenizer=)
        "textrnn": (WordTokenizer(lowercase=True), None),
        "sklearn": (WordTokenizer(lowercase=True, normalization=None, pattern=SKLEARN_PATTERN),
                    {"lowercase": True, "token_pattern": SKLEARN_PATTERN}),
        "whitespace": (WordTokenizer(normalization=None, pattern=WHITESPACE_PATTERN),
                       {"lowercase": False, "token_pattern": WHITESPACE_PATTERN}),
    }
    print(f"{'tokenisation':<13}{'types':>8} | {'wall s: textrnn':>15}{'sklearn':>9}{'ratio':>8}"
          f" | {'CPU s: textrnn':>14}{'sklearn':>9}{'ratio':>8}")
    for name, (tokenizer, sklearn_kwargs) in setups.items():
        sklearn_kwargs = sklearn_kwargs or {
            "tokenizer": tokenizer.tokenize, "lowercase": False, "token_pattern": None}
        timings = time_best({
            "textrnn": lambda t=tokenizer: run_textrnn(documents, t, args.num_proc,
                                                      args.batch_size),
            "sklearn": lambda k=sklearn_kwargs: run_sklearn(documents, k),
        }, args.repeats)
        ours, ours_cpu, (stats, vocab) = timings["textrnn"]
        theirs, theirs_cpu, (vectorizer, matrix) = timings["sklearn"]
        check_identical(stats, vectorizer, matrix)
        print(f"{name:<13}{len(vocab) - vocab.num_special:>8,} | {ours:>15.2f}{theirs:>9.2f}"
              f"{theirs / ours:>7.2f}x | {ours_cpu:>14.2f}{theirs_cpu:>9.2f}"
              f"{theirs_cpu / ours_cpu:>7.2f}x")
    print("counts identical (TF and DF of every type); ratio = sklearn time / textrnn time; "
          "CPU = all processes")


if __name__ == "__main__":
    sys.exit(main())
