import json

import pandas as pd
import pytest

from textrnn.errors import InputError
from textrnn.preprocessing.corpus_stats import CorpusStats
from textrnn.preprocessing.count_files import read_counts, write_counts
from textrnn.preprocessing.tokenizers import CharTokenizer, WordTokenizer

LINES = ["the cat sat", "the dog ran", "a cat ran far", "the end", "dog days"]


def test_shards_merge_to_the_counts_of_the_whole(tmp_path):
    tokenizer = WordTokenizer()
    for name, shard in (("a", LINES[:2]), ("b", LINES[2:3]), ("c", LINES[3:])):
        write_counts(tmp_path / name, CorpusStats.from_documents(shard, tokenizer), tokenizer,
                     [f"{name}.txt"])
    stats, read_tokenizer, inputs = read_counts([tmp_path / "a", tmp_path / "b", tmp_path / "c"])
    whole = CorpusStats.from_documents(LINES, tokenizer)
    assert stats.term_freq == whole.term_freq and stats.doc_freq == whole.doc_freq
    assert (stats.num_docs, stats.num_tokens) == (whole.num_docs, whole.num_tokens)
    assert read_tokenizer.get_config() == tokenizer.get_config()
    assert inputs == ["a.txt", "b.txt", "c.txt"]


def test_counts_are_plain_parquet_and_json(tmp_path):
    tokenizer = WordTokenizer(lowercase=True)
    write_counts(tmp_path, CorpusStats.from_documents(LINES, tokenizer), tokenizer, ["x"])
    table = pd.read_parquet(tmp_path / "counts.parquet")
    assert list(table.columns) == ["token", "tf", "df"]
    assert table.iloc[0].tolist() == ["the", 3, 3]  # by TF descending
    meta = json.loads((tmp_path / "counts.json").read_text())
    assert meta["level"] == "word" and meta["lowercase"] is True and meta["num_docs"] == 5


def test_merge_refuses_other_settings_naming_the_folder(tmp_path):
    for name, tokenizer in (("word", WordTokenizer()), ("char", CharTokenizer())):
        write_counts(tmp_path / name, CorpusStats.from_documents(LINES, tokenizer), tokenizer,
                     [])
    with pytest.raises(InputError, match=r"char: counted with level='char' but .*word"):
        read_counts([tmp_path / "word", tmp_path / "char"])
    with pytest.raises(InputError, match="no counts.json here"):
        read_counts([tmp_path])
