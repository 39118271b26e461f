"""load_parallel: split column, random seeded split, empty pairs, bad labels."""

import json

import pytest

from textrnn.errors import InputError
from textrnn.tasks.translation import load_parallel


def test_split_column_and_empty_pairs(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("split\ten\tes\ntrain\tHello .\tHola .\ntrain\t\tvacío\n"
                    "test\tGood\tBueno\nvalidation\tYes\t  \ntest\tNo\tNo\n", encoding="utf-8")
    corpus = load_parallel(path, "en", "es", "split")
    assert corpus.counts["empty_pairs"] == 2
    assert corpus.sources == {"train": ["Hello ."], "validation": [], "test": ["Good", "No"]}
    assert corpus.targets["test"] == ["Bueno", "No"]
    assert corpus.summary() == ("pairs train/validation/test: 1/0/2; 2 with an empty side "
                                "skipped")


def test_random_split_of_jsonl_is_seeded(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps({"a": f"s{i}\tx", "b": f"t{i}"}) + "\n"
                            for i in range(100)), encoding="utf-8")
    first, again = load_parallel(path, "a", "b", seed=1), load_parallel(path, "a", "b", seed=1)
    assert [len(first.sources[s]) for s in ("train", "validation", "test")] == [90, 5, 5]
    assert first.sources == again.sources
    assert first.sources["train"][0].endswith(" x")  # tabs become spaces


def test_bad_split_labels_and_no_pairs(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("en,es,split\na,b,dev\n", encoding="utf-8")
    with pytest.raises(InputError, match="expected only"):
        load_parallel(path, "en", "es", "split")
    path.write_text("en,es\na,\n", encoding="utf-8")
    with pytest.raises(InputError, match="no sentence pair"):
        load_parallel(path, "en", "es")


def test_undecodable_bytes_are_replaced_on_request(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_bytes(b"en\tes\n" + b"".join(b"a%d \xff\tb%d\n" % (i, i) for i in range(40)))
    with pytest.raises(InputError):
        load_parallel(path, "en", "es")
    corpus = load_parallel(path, "en", "es", encoding_errors="replace")
    assert all(text.endswith("\ufffd") for text in corpus.sources["train"])
