import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import datasets
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "data_scripts" / "preprocess.py"


@pytest.fixture(scope="module")
def preprocess_script(script):
    return script("data_scripts/preprocess.py")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf_cache"))


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("the cat sat\nthe dog ran\na cat ran\n", encoding="utf-8")
    return path


PROGRESS = re.compile(r"\d+ examples|\d+%\|")


@pytest.fixture
def run_main(preprocess_script, capsys):
    """Runs the script's main; returns the exit code and the stderr lines that are not
    `datasets` progress bars."""

    def run(argv):
        code = preprocess_script.main([str(a) for a in argv])
        lines = capsys.readouterr().err.replace("\r", "\n").splitlines()
        return code, [line for line in lines if line.strip() and not PROGRESS.search(line)]

    return run


def test_main_writes_all_outputs(tmp_path, corpus, run_main):
    out = tmp_path / "out"
    code, _ = run_main([corpus, "--out", out, "--min-df", "2", "--lowercase"])
    assert code == 0
    assert {p.name for p in out.iterdir()} >= {"vocab.json", "stats.json", "zipf.png",
                                               "coverage.png", "encoded"}
    stats = json.loads((out / "stats.json").read_text())
    for key in ("num_docs", "num_tokens", "num_types", "vocab_size", "coverage",
                "zipf_exponent", "zipf_exponent_stderr", "removed_counts"):
        assert key in stats
    # kept: the, cat, ran (DF 2); removed by min_df: sat, dog, a
    assert stats["vocab_size"] == 5 and stats["removed_counts"]["min_df"] == 3
    assert stats["coverage"] == pytest.approx(6 / 9)
    ids = datasets.load_from_disk(str(out / "encoded"))["ids"]
    assert len(ids) == 3 and all(len(row) == 3 for row in ids)


def test_tsv_input_with_text_column(tmp_path, run_main):
    path = tmp_path / "sms.tsv.gz"
    path.write_bytes(gzip.compress(b"ham\thello there\nspam\twin cash now\n"))
    code, _ = run_main([path, "--text-column", "1", "--out", tmp_path / "o"])
    assert code == 0
    assert json.loads((tmp_path / "o" / "stats.json").read_text())["num_tokens"] == 5


def bad_inputs(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(b"fine\ncaf\xe9 au lait\n")
    table = tmp_path / "table.csv"
    table.write_text("label,body\nx,y\n", encoding="utf-8")
    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"format": "textrnn.vocabulary", ', encoding="utf-8")
    future = tmp_path / "future.json"
    future.write_text('{"format": "textrnn.vocabulary", "version": 99}', encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text("a b\n", encoding="utf-8")
    return [
        ([empty], "empty.txt: file is empty"),
        ([latin1], "latin1.txt:2 (byte 8): not valid UTF-8"),
        ([table, "--text-column", "text"], "table.csv: missing column 'text'; available "
                                           "columns: ['label', 'body']"),
        ([tmp_path / "missing.txt"], "missing.txt: file not found"),
        ([tmp_path / "missing.model"], "missing.model: file not found"),
        ([good, "--vocab", malformed], "malformed.json:1: malformed JSON"),
        ([good, "--vocab", future], "future.json"),
        ([good, "--min-df", "5", "--max-df", "9"], "After pruning, no terms remain"),
    ]


@pytest.mark.parametrize("case", range(8))
def test_bad_input_is_one_line_and_exit_2(tmp_path, run_main, case):
    args, expected = bad_inputs(tmp_path)[case]
    code, lines = run_main([*args, "--out", tmp_path / "out"])
    assert code == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and expected in lines[0]
    assert "Traceback" not in lines[0]


def test_encoding_errors_replace_pushes_through(tmp_path, run_main):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"fine\ncaf\xe9 au lait\n")
    code, _ = run_main([path, "--encoding-errors", "replace", "--out", tmp_path / "o"])
    assert code == 0
    vocab = json.loads((tmp_path / "o" / "vocab.json").read_text(encoding="utf-8"))
    assert "\ufffd" in vocab["tokens"]


@pytest.mark.parametrize("value", ["many", "2.5", "-1", "1.5", "0.0"])
def test_bad_flag_values_exit_2_via_argparse(preprocess_script, tmp_path, corpus, capsys,
                                             value):
    with pytest.raises(SystemExit) as exited:
        preprocess_script.main([str(corpus), "--out", str(tmp_path), "--min-df", value])
    assert exited.value.code == 2
    assert "--min-df" in capsys.readouterr().err


@pytest.mark.parametrize(("min_df", "kept"),
                         [("1", 5), ("2", 3), ("3", 1), ("0.5", 3), ("1.0", 1)])
def test_min_df_int_is_a_count_float_a_share(tmp_path, run_main, min_df, kept):
    path = tmp_path / "docs.txt"
    # DF over 3 documents: the 3, cat 2, ran 2, sat 1, dog 1.
    path.write_text("the cat sat\nthe dog ran\nthe cat ran\n", encoding="utf-8")
    code, _ = run_main([path, "--out", tmp_path / "o", "--min-df", min_df])
    assert code == 0
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["vocab_size"] - stats["num_special_tokens"] == kept


def test_console_script_and_shim_run_the_same_main(preprocess_script):
    from textrnn.cli.preprocess import main

    assert preprocess_script.main is main


def test_script_runs_as_a_subprocess(tmp_path, corpus):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\n")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(corpus), str(bad), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"error: {bad}:1 (byte 0): not valid UTF-8")
    assert "Traceback" not in result.stderr


def test_shards_counted_apart_and_merged_equal_one_run(tmp_path, run_main):
    lines = ["the cat sat", "The dog ran", "a cat ran far", "the end", "Dog days", "a b c"]
    whole, first, second = (tmp_path / name for name in ("all.txt", "s1.txt", "s2.txt"))
    whole.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[4:]) + "\n", encoding="utf-8")
    cuts = ["--min-df", "2"]
    assert run_main([whole, "--out", tmp_path / "whole", "--lowercase", *cuts])[0] == 0
    for shard, out in ((first, "c1"), (second, "c2")):
        assert run_main([shard, "--out", tmp_path / out, "--counts-only", "--lowercase"])[0] == 0
    code, _ = run_main(["--merge-counts", tmp_path / "c1", tmp_path / "c2",
                        "--out", tmp_path / "merged", *cuts])
    assert code == 0
    for name in ("vocab.json",):
        assert (tmp_path / "merged" / name).read_text() == (tmp_path / "whole" / name).read_text()
    merged, one = (json.loads((tmp_path / d / "stats.json").read_text())
                   for d in ("merged", "whole"))
    for key in ("num_docs", "num_tokens", "num_types", "coverage", "zipf", "corpus"):
        assert merged[key] == one[key]
    assert merged["inputs"] == [str(first), str(second)]


def test_merge_refuses_counts_made_with_other_settings(tmp_path, corpus, run_main):
    assert run_main([corpus, "--out", tmp_path / "c1", "--counts-only"])[0] == 0
    assert run_main([corpus, "--out", tmp_path / "c2", "--counts-only", "--lowercase"])[0] == 0
    code, lines = run_main(["--merge-counts", tmp_path / "c1", tmp_path / "c2",
                            "--out", tmp_path / "m"])
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith(f"error: {tmp_path / 'c2'}: counted with lowercase=True")


@pytest.mark.parametrize(("args", "expected"), [
    (["--counts-only", "--top-k", "3"], "--top-k does not apply to --counts-only"),
    (["--merge-counts", "c1"], "either INPUT files to count or --merge-counts"),
    (["--counts-only", "--level", "subword"], "level 'char' or 'word' only"),
])
def test_bad_shard_flag_combinations_are_one_line(tmp_path, corpus, run_main, args, expected):
    code, lines = run_main([corpus, *args, "--out", tmp_path / "o"])
    assert code == 2 and len(lines) == 1 and expected in lines[0]


def test_merge_without_inputs_refuses_corpus_flags(tmp_path, corpus, run_main):
    assert run_main([corpus, "--out", tmp_path / "c1", "--counts-only"])[0] == 0
    code, lines = run_main(["--merge-counts", tmp_path / "c1", "--format", "parquet",
                            "--out", tmp_path / "m"])
    assert code == 2 and len(lines) == 1 and "--format reads or encodes a corpus" in lines[0]
    code, lines = run_main(["--out", tmp_path / "m"])
    assert code == 2 and len(lines) == 1 and "no INPUT" in lines[0]
