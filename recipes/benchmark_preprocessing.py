"""Benchmark: corpus statistics + vocabulary with textrnn vs scikit-learn's CountVectorizer.

Run:
    python recipes/benchmark_preprocessing.py            # ~24 MB built from the shipped corpora
    python recipes/benchmark_preprocessing.py --mb 8 --num-proc 2

Both sides see the same documents (tinyshakespeare lines, SMS messages and English/French
sentences, repeated up to `--mb` megabytes) and the same tokenisation, and must produce identical
term and document frequencies (checked). Three tokenisations are timed:

- `textrnn`: textrnn's default `WordTokenizer(lowercase=True)` (NFKC + regexp), passed to
  CountVectorizer as `tokenizer=`;
- `sklearn`: scikit-learn's default analyzer (lowercase, `token_pattern=r"(?u)\\b\\w\\w+\\b"`),
  reproduced in textrnn with `WordTokenizer(lowercase=True, normalization=None, pattern=...)`;
- `whitespace`: `str.split`-like tokens (`pattern=r"\\S+"` on both sides), where tokenizing is
  cheap and the counting itself dominates.

With the two regexp tokenisations most of the time goes into the regular expression, the same
work on both sides, so textrnn's gain there comes mainly from running on `--num-proc` cores.

textrnn: `CorpusStats.from_documents(Dataset, tokenizer, num_proc=N)` (TF + DF in
`Dataset.map(batched=True, num_proc=N)`) + `FeatureSelector().select` + `Vocabulary`.
scikit-learn: `CountVectorizer.fit_transform` (what `fit` runs; its matrix gives the counts that
are compared). Each side runs `--repeats` times; the best time counts.
"""

from __future__ import annotations

import argparse
import os
import time

import datasets
import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from textrnn import data
from textrnn import datasets as shipped
from textrnn.preprocessing.corpus_stats import CorpusStats
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


def time_best(function, repeats: int):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def run_textrnn(corpus: datasets.Dataset, tokenizer, num_proc: int):
    stats = CorpusStats.from_documents(corpus, tokenizer, num_proc=num_proc, batch_size=10_000)
    vocab = Vocabulary(FeatureSelector().select(stats).tokens)
    return stats, vocab


def run_sklearn(documents: list[str], vectorizer_kwargs: dict):
    vectorizer = CountVectorizer(**vectorizer_kwargs)
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=24.0, help="corpus size in megabytes")
    parser.add_argument("--num-proc", type=int, default=os.cpu_count() or 1,
                        help="textrnn worker processes (default: all cores)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per side; best counts")
    args = parser.parse_args(argv)
    datasets.disable_progress_bars()
    datasets.disable_caching()  # otherwise repeats would reload the first run's counts

    documents = build_corpus(args.mb)
    megabytes = sum(len(doc.encode("utf-8")) for doc in documents) / 1e6
    # Both sides start from the documents in memory (textrnn as an in-memory Dataset).
    corpus = datasets.Dataset.from_dict({"text": documents})
    print(f"corpus: {len(documents):,} documents, {megabytes:.1f} MB; textrnn num_proc="
          f"{args.num_proc}, {os.cpu_count()} cores")
    setups = {  # name: (textrnn tokenizer, CountVectorizer arguments; None = tokenizer=)
        "textrnn": (WordTokenizer(lowercase=True), None),
        "sklearn": (WordTokenizer(lowercase=True, normalization=None, pattern=SKLEARN_PATTERN),
                    {"lowercase": True, "token_pattern": SKLEARN_PATTERN}),
        "whitespace": (WordTokenizer(normalization=None, pattern=WHITESPACE_PATTERN),
                       {"lowercase": False, "token_pattern": WHITESPACE_PATTERN}),
    }
    print(f"{'tokenisation':<14}{'types':>9}{'textrnn s':>11}{'MB/s':>7}"
          f"{'sklearn s':>11}{'MB/s':>7}{'ratio':>8}")
    for name, (tokenizer, sklearn_kwargs) in setups.items():
        sklearn_kwargs = sklearn_kwargs or {
            "tokenizer": tokenizer.tokenize, "lowercase": False, "token_pattern": None}
        ours, (stats, vocab) = time_best(
            lambda t=tokenizer: run_textrnn(corpus, t, args.num_proc), args.repeats)
        theirs, (vectorizer, matrix) = time_best(
            lambda k=sklearn_kwargs: run_sklearn(documents, k), args.repeats)
        check_identical(stats, vectorizer, matrix)
        print(f"{name:<14}{len(vocab) - vocab.num_special:>9,}{ours:>11.2f}"
              f"{megabytes / ours:>7.1f}{theirs:>11.2f}{megabytes / theirs:>7.1f}"
              f"{theirs / ours:>7.2f}x")
    print("counts identical (TF and DF of every type); ratio = sklearn time / textrnn time")


if __name__ == "__main__":
    main()
