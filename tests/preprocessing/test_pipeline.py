import json
import tempfile

import datasets
import numpy as np
import pyarrow.parquet as pq
import pytest

from textrnn.errors import InputError
from textrnn.preprocessing.corpus_stats import CorpusStats
from textrnn.preprocessing.pipeline import (
    PreprocessOptions,
    count_only,
    merge_counts,
    preprocess,
)
from textrnn.preprocessing.tokenizers import CharTokenizer, SubwordTokenizer, WordTokenizer
from textrnn.preprocessing.vocabulary import Vocabulary
from textrnn.preprocessing.zipf_plot import plot_coverage, plot_zipf

WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "far", "away", "quick", "fox"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf_cache"))


@pytest.fixture
def corpus(tmp_path):
    rng = np.random.default_rng(0)
    weights = 1.0 / np.arange(1, len(WORDS) + 1)
    lines = [" ".join(rng.choice(WORDS, size=8, p=weights / weights.sum())) for _ in range(60)]
    lines[3] = "The Cat SAT"
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    return path, lines


def run(tmp_path, inputs, name="out", **options):
    out = tmp_path / name
    summary = preprocess([str(p) for p in inputs], out, PreprocessOptions(**options),
                         log=lambda line: None)
    return out, summary


def test_word_level_outputs_are_consistent(tmp_path, corpus):
    path, lines = corpus
    out, summary = run(tmp_path, [path], min_df=3)
    stats = CorpusStats.from_documents(lines, WordTokenizer())
    vocab = Vocabulary.load(out / "vocab.json")
    kept = [t for t, _ in stats.ranked() if stats.doc_freq[t] >= 3]
    assert vocab.tokens[2:] == kept
    on_disk = json.loads((out / "stats.json").read_text())
    assert on_disk == json.loads(json.dumps(summary))
    assert on_disk["num_docs"] == 60 and on_disk["num_tokens"] == stats.num_tokens
    assert on_disk["num_types"] == stats.num_types and on_disk["vocab_size"] == len(vocab)
    assert on_disk["removed_counts"]["min_df"] == stats.num_types - len(kept)
    mle = stats.fit_zipf()
    assert on_disk["zipf_exponent"] == pytest.approx(mle.exponent)
    assert on_disk["zipf_exponent_stderr"] == pytest.approx(mle.stderr)
    assert on_disk["zipf"]["two_regime"]["bend_rank"] == stats.fit_zipf_two_regime().bend
    encoded = datasets.load_from_disk(str(out / "encoded"))
    assert encoded.column_names == ["ids"] and len(encoded) == 60
    unknown = 0
    for ids, line in zip(encoded["ids"], lines, strict=True):
        tokens = WordTokenizer().tokenize(line)
        assert vocab.decode(ids) == [t if t in vocab else "<unk>" for t in tokens]
        unknown += ids.count(vocab.unk_id)
    assert on_disk["coverage"] == pytest.approx(1 - unknown / stats.num_tokens)
    for plot in ("zipf.png", "coverage.png"):
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_zipf_cut_reports_predicted_and_actual_coverage(tmp_path, corpus):
    path, lines = corpus
    _, summary = run(tmp_path, [path], zipf_cut=0.9)
    stats = CorpusStats.from_documents(lines, WordTokenizer())
    size = stats.zipf_size_for_coverage(0.9)
    assert summary["zipf_cut"] == {"target_coverage": 0.9, "size": size,
                                   "predicted_coverage": stats.zipf_coverage(size),
                                   "actual_coverage": stats.coverage(size)}
    assert summary["vocab_size"] == size + 2 and summary["coverage"] == stats.coverage(size)


def test_cuts_stopwords_and_lowercase(tmp_path, corpus):
    path, _ = corpus
    _, summary = run(tmp_path, [path], lowercase=True, stopwords="en", top_k=3)
    vocab = Vocabulary.load(tmp_path / "out" / "vocab.json")
    assert len(vocab) == 5 and "the" not in vocab and "The" not in vocab
    assert summary["removed_counts"]["stopwords"] >= 2  # the, a, on ...
    assert summary["removed_counts"]["top_k"] > 0
    _, summary = run(tmp_path, [path], name="cov", coverage=0.5)
    assert summary["coverage"] >= 0.5 and summary["removed_counts"]["coverage"] > 0


def test_parallel_run_gives_the_same_outputs(tmp_path, corpus):
    path, _ = corpus
    one, _ = run(tmp_path, [path, path], name="one", batch_size=7)
    two, _ = run(tmp_path, [path, path], name="two", batch_size=7, num_proc=2)
    assert (one / "vocab.json").read_text() == (two / "vocab.json").read_text()
    ids_one = datasets.load_from_disk(str(one / "encoded"))["ids"]
    assert ids_one == datasets.load_from_disk(str(two / "encoded"))["ids"]
    assert len(ids_one) == 120


def test_char_level_and_reusing_a_vocabulary(tmp_path, corpus):
    path, lines = corpus
    out, summary = run(tmp_path, [path], level="char")
    assert summary["num_tokens"] == sum(len(line) for line in lines)
    vocab = Vocabulary.load(out / "vocab.json")
    assert set(vocab.tokens[2:]) == set("".join(lines))
    other = tmp_path / "other.txt"
    other.write_text("the zebra\n", encoding="utf-8")
    again, summary = run(tmp_path, [other], name="again", level="char",
                         vocab=str(out / "vocab.json"))
    assert (again / "vocab.json").read_text() == (out / "vocab.json").read_text()
    ids = datasets.load_from_disk(str(again / "encoded"))["ids"][0]
    assert vocab.decode(ids) == [c if c in vocab else "<unk>" for c in CharTokenizer()
                                 .tokenize("the zebra")]
    assert summary["coverage"] < 1.0  # "z" and "b" are unknown


def test_subword_level_and_retraining_in_place(tmp_path, corpus):
    path, lines = corpus
    for vocab_size in (45, 32):  # same folder, same model path: nothing stale may be reused
        out, summary = run(tmp_path, [path], level="subword", vocab_size=vocab_size)
        tokenizer = SubwordTokenizer.load(out / "subword.model")
        assert summary["num_tokens"] == sum(len(tokenizer.tokenize(line)) for line in lines)
        assert summary["tokenizer"]["level"] == "subword"
        vocab = Vocabulary.load(out / "vocab.json")
        assert len(vocab) <= vocab_size + 2 and summary["coverage"] == pytest.approx(1.0)
        ids = datasets.load_from_disk(str(out / "encoded"))["ids"][0]
        assert vocab.decode(ids) == tokenizer.tokenize(lines[0])


@pytest.mark.parametrize(
    "options, match",
    [
        ({"level": "byte"}, "level"),
        ({"vocab_size": 100}, "subword"),
        ({"subword_sample": 100}, "subword_sample"),
        ({"num_proc": 0}, "num_proc"),
        ({"min_df": 2.5}, "min_df"),
    ],
)
def test_bad_options(options, match):
    with pytest.raises(ValueError, match=match):
        PreprocessOptions(**options)


def test_plot_marks_fit_and_cut_without_pyplot_state(tmp_path):
    import matplotlib.pyplot as plt

    stats = CorpusStats.from_documents([["a"] * 9 + ["b"] * 5 + ["c"] * 3 + ["d"]])
    before = plt.get_fignums()
    plot_zipf(stats, tmp_path / "z.png", fits={"MLE": stats.fit_zipf()}, cut_rank=2)
    plot_coverage(stats, tmp_path / "c.png", fit=stats.fit_zipf(), cut_rank=2)
    assert plt.get_fignums() == before
    assert (tmp_path / "z.png").stat().st_size > 1000 and (tmp_path / "c.png").exists()
    for plot in (plot_zipf, plot_coverage):
        with pytest.raises(ValueError, match="empty corpus"):
            plot(CorpusStats(), tmp_path / "empty.png")


def test_subword_sample_is_seeded_and_reported(tmp_path, corpus):
    path, _ = corpus
    models = []
    for name in ("a", "b"):
        out, summary = run(tmp_path, [path] * 3, name=name, level="subword", vocab_size=30,
                           subword_sample=101, seed=3)
        assert summary["subword_sample"] == {"documents_read": 180, "seed": 3,
                                             "sample_size": 101}
        models.append((out / "subword.model").read_bytes())
    assert models[0] == models[1]


def test_a_run_leaves_no_cache_or_temporary_files(tmp_path, corpus, monkeypatch):
    path, lines = corpus
    table = tmp_path / "table.csv"
    table.write_text("text\n" + "\n".join(lines[:5]) + "\n", encoding="utf-8")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    _, summary = run(tmp_path, [path, table], text_column="text", num_proc=2)
    assert summary["num_docs"] == 65
    cache = tmp_path / "hf_cache"
    assert not cache.exists() or not any(p.is_file() for p in cache.rglob("*"))
    assert list(scratch.iterdir()) == []


def test_replacing_bad_bytes_streams_the_file(tmp_path, monkeypatch):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"caf\xe9 au lait\n\nfine\n")

    def whole_file(*args, **kwargs):
        raise AssertionError("read the whole file into memory")

    monkeypatch.setattr("textrnn.text_files.read_text", whole_file)
    monkeypatch.setattr("textrnn.data.read_text", whole_file)
    out, summary = run(tmp_path, [path], encoding_errors="replace")
    tokens = Vocabulary.load(out / "vocab.json").tokens[2:]
    assert tokens == ["au", "caf", "fine", "lait", "\ufffd"]  # all once: ties by type
    assert summary["num_docs"] == 2
    with pytest.raises(InputError, match=r"bad.txt:1 \(byte 3\)"):
        run(tmp_path, [path], name="strict")


def test_parquet_output_has_the_ids_of_the_arrow_output(tmp_path, corpus):
    path, _ = corpus
    arrow, _ = run(tmp_path, [path], name="arrow")
    parquet, _ = run(tmp_path, [path], name="parquet", format="parquet", batch_size=7)
    expected = datasets.load_from_disk(str(arrow / "encoded"))["ids"]
    files = sorted(str(p) for p in (parquet / "encoded").glob("*.parquet"))
    loaded = datasets.load_dataset("parquet", data_files=files, split="train",
                                   cache_dir=str(tmp_path / "cache"))
    assert loaded.column_names == ["ids"] and loaded["ids"] == expected
    assert pq.read_table(files[0])["ids"].to_pylist() == expected
    run(tmp_path, [path], name="parquet")  # Arrow over Parquet: no stale file is left
    assert not list((parquet / "encoded").glob("*.parquet"))
    assert datasets.load_from_disk(str(parquet / "encoded"))["ids"] == expected


def test_count_only_then_merge_equals_one_run(tmp_path, corpus):
    path, lines = corpus
    halves = [tmp_path / "h1.txt", tmp_path / "h2.txt"]
    halves[0].write_text("\n".join(lines[:25]) + "\n", encoding="utf-8")
    halves[1].write_text("\n".join(lines[25:]) + "\n", encoding="utf-8")
    for number, half in enumerate(halves):
        count_only([half], tmp_path / f"c{number}", PreprocessOptions(level="char"),
                   log=lambda line: None)
    merged = merge_counts([tmp_path / "c0", tmp_path / "c1"], tmp_path / "merged",
                          PreprocessOptions(top_k=10), log=lambda line: None)
    out, whole = run(tmp_path, [path], level="char", top_k=10)
    assert (tmp_path / "merged" / "vocab.json").read_bytes() == (out / "vocab.json").read_bytes()
    assert merged["corpus"] == whole["corpus"] and merged["level"] == "char"
    assert not (tmp_path / "merged" / "encoded").exists()
