import gc
import json
from collections import Counter

import datasets
import numpy as np
import pytest

from textrnn.preprocessing import CorpusStats, ZipfFit
from textrnn.preprocessing.counting import gc_paused
from textrnn.preprocessing.tokenizers import WordTokenizer

DOCS = [["a", "b", "a"], ["a", "c"], ["b", "b", "d"]]


def zipf_stats(s=1.0, num_types=1000, top=1_000_000):
    """A CorpusStats whose counts are round(top * r^-s): exactly Zipfian up to rounding."""
    stats = CorpusStats()
    counts = np.round(top * np.arange(1, num_types + 1, dtype=float) ** -s).astype(int)
    stats.term_freq = Counter({f"w{r:05d}": int(c) for r, c in enumerate(counts, 1)})
    stats.doc_freq = Counter(dict.fromkeys(stats.term_freq, 1))
    stats.num_docs, stats.num_tokens = 1, int(counts.sum())
    return stats


def test_counts_by_hand():
    stats = CorpusStats.from_documents(DOCS)
    assert stats.term_freq == Counter({"a": 3, "b": 3, "c": 1, "d": 1})
    assert stats.doc_freq == Counter({"a": 2, "b": 2, "c": 1, "d": 1})
    assert (stats.num_docs, stats.num_tokens, stats.num_types) == (3, 8, 4)
    assert stats.ranked() == [("a", 3), ("b", 3), ("c", 1), ("d", 1)]


def test_update_rejects_a_string():
    with pytest.raises(ValueError, match="sequence of tokens"):
        CorpusStats().update("a b")


def test_merge_equals_one_pass():
    whole = CorpusStats.from_documents(DOCS)
    merged = CorpusStats.from_documents(DOCS[:1]).merge(CorpusStats.from_documents(DOCS[1:]))
    assert merged.term_freq == whole.term_freq and merged.doc_freq == whole.doc_freq
    assert (merged.num_docs, merged.num_tokens) == (whole.num_docs, whole.num_tokens)
    assert merged.ranked() == whole.ranked()


def test_tokenizer_and_dataset_paths_agree():
    texts = ["The cat sat.", "the dog", "A cat, a dog!"] * 7
    tokenizer = WordTokenizer(lowercase=True)
    streamed = CorpusStats.from_documents(texts, tokenizer)
    assert streamed.term_freq["the"] == 14 and streamed.doc_freq["cat"] == 14
    dataset = datasets.Dataset.from_dict({"body": texts})
    for num_proc in (None, 2):
        counted = CorpusStats.from_documents(dataset, tokenizer, text_column="body",
                                             num_proc=num_proc, batch_size=4)
        assert counted.term_freq == streamed.term_freq
        assert counted.doc_freq == streamed.doc_freq
        assert (counted.num_docs, counted.num_tokens) == (21, streamed.num_tokens)
    iterable = dataset.to_iterable_dataset(num_shards=3)
    counted = CorpusStats.from_documents(iterable, tokenizer, text_column="body")
    assert counted.term_freq == streamed.term_freq and counted.doc_freq == streamed.doc_freq


def counted_one_by_one(token_lists):
    stats = CorpusStats()
    for tokens in token_lists:
        stats.update(tokens)
    return stats


def assert_same_counts(stats, expected):
    assert stats.term_freq == expected.term_freq and stats.doc_freq == expected.doc_freq
    assert (stats.num_docs, stats.num_tokens) == (expected.num_docs, expected.num_tokens)


def test_update_batch_equals_update_per_document():
    stats = CorpusStats()
    stats.update_batch(DOCS[:2])
    stats.update_batch(DOCS[2:])
    assert_same_counts(stats, counted_one_by_one(DOCS))
    with pytest.raises(ValueError, match="sequence of tokens"):
        stats.update_batch([["a"], "a b"])


TEXTS = [f"The cat {i % 7} sat, the dog {i % 5}; Ｃａｔ! Don't" * (1 + i % 4) for i in range(90)]


@pytest.mark.parametrize("num_proc", [None, 2])
def test_dataset_counts_exactly_as_one_process(num_proc):
    tokenizer = WordTokenizer(lowercase=True)
    expected = counted_one_by_one(map(tokenizer.tokenize, TEXTS))
    dataset = datasets.Dataset.from_dict({"text": TEXTS})
    for batch_size in (1, 7, 1000):
        counted = CorpusStats.from_documents(dataset, tokenizer, num_proc=num_proc,
                                             batch_size=batch_size)
        assert_same_counts(counted, expected)
    token_lists = datasets.Dataset.from_dict({"text": list(map(tokenizer.tokenize, TEXTS))})
    assert_same_counts(CorpusStats.from_documents(token_lists, num_proc=num_proc), expected)
    characters = CorpusStats.from_documents(dataset, list, num_proc=num_proc)  # a callable
    assert characters.term_freq == Counter("".join(TEXTS))


def test_workers_count_any_iterable_exactly():
    expected = counted_one_by_one(map(str.split, TEXTS))
    for num_proc in (1, 2):
        streamed = CorpusStats.from_documents(iter(TEXTS), str.split, num_proc=num_proc,
                                              batch_size=8)
        assert_same_counts(streamed, expected)
    for bad in ({"num_proc": 0}, {"batch_size": 0}, {"batch_size": True}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            CorpusStats.from_documents(TEXTS, str.split, **bad)


def test_worker_errors_reach_the_caller():
    not_tokenized = datasets.Dataset.from_dict({"text": TEXTS})
    with pytest.raises(ValueError, match="sequence of tokens"):
        CorpusStats.from_documents(not_tokenized, num_proc=2, batch_size=30)


def test_gc_paused_restores_the_collector():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_empty_inputs():
    for documents in ([], datasets.Dataset.from_dict({"text": []})):
        stats = CorpusStats.from_documents(documents, str.split)
        assert (stats.num_docs, stats.num_tokens, stats.num_types) == (0, 0, 0)
        assert stats.coverage(3) == 0.0 and stats.size_for_coverage(0.5) == 0
        assert stats.to_dict()["zipf"] is None


def test_dataset_without_the_column():
    with pytest.raises(ValueError, match="'text'.*\\['body'\\]"):
        CorpusStats.from_documents(datasets.Dataset.from_dict({"body": ["x"]}), str.split)


def test_coverage_and_size_for_coverage_by_hand():
    stats = CorpusStats.from_documents([["a"] * 5 + ["b"] * 3 + ["c"] * 2])
    assert [stats.coverage(k) for k in range(5)] == [0.0, 0.5, 0.8, 1.0, 1.0]
    assert stats.size_for_coverage(0.5) == 1
    assert stats.size_for_coverage(0.51) == 2
    assert stats.size_for_coverage(0.8) == 2
    assert stats.size_for_coverage(1.0) == 3
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="`p`"):
            stats.size_for_coverage(bad)
    with pytest.raises(ValueError, match="`k`"):
        stats.coverage(-1)


def test_zipf_fits_of_the_counts_are_kept_until_the_counts_change():
    stats = zipf_stats(1.0, num_types=1000)
    fit = stats.fit_zipf()
    assert isinstance(fit, ZipfFit) and fit.exponent == pytest.approx(1.0, abs=0.01)
    assert stats.fit_zipf() is fit and stats.fit_zipf_two_regime() is stats.fit_zipf_two_regime()
    assert stats.zipf_coverage(10) == pytest.approx(stats.coverage(10), abs=0.01)
    assert stats.zipf_size_for_coverage(fit.coverage(10)) == 10
    assert stats.fit_zipf(min_rank=10, max_rank=100).max_rank == 100
    stats.update(["w00001"])
    assert stats.fit_zipf() is not fit


def test_zipf_summary_names_every_estimator_and_alpha():
    summary = zipf_stats(1.1, num_types=300).zipf_summary()
    assert set(summary) == {"maximum_likelihood", "two_regime", "least_squares_log_spaced",
                            "note"}
    assert all("estimator" in fit for name, fit in summary.items() if name != "note")
    assert "alpha = 1 + 1/s" in summary["note"]
    assert CorpusStats.from_documents([list("abcdefghi")]).zipf_summary() is None


def test_to_dict_is_json_ready_and_holds_no_tokens():
    stats = CorpusStats.from_documents([["secret", "x"], ["x", "y", "y"]])
    summary = json.loads(json.dumps(stats.to_dict()))
    assert summary["num_docs"] == 2 and summary["num_types"] == 3
    assert summary["hapax_legomena"] == 1
    assert summary["size_for_coverage"]["0.5"] == 2
    assert "secret" not in json.dumps(summary)
