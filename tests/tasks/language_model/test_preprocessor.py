import json

import keras
import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.io import write_json
from textrnn.models import build_language_model
from textrnn.preprocessing import Vocabulary
from textrnn.tasks.language_model import (
    EOL,
    LanguageModelPreprocessor,
    evaluated_streams,
    split_text,
)

TEXT = "the cat sat on the mat.\na dog ran in the fog.\nthe cat ran to the dog.\n" * 4


@pytest.fixture(scope="module")
def char_preprocessor():
    return LanguageModelPreprocessor.build(TEXT, "char", run_dir=None)


def test_char_level_round_trips_text_and_keeps_newlines(char_preprocessor):
    ids = char_preprocessor.encode("the dog\n")
    assert ids.dtype == np.int32 and ids.shape == (8,)
    assert char_preprocessor.decode(ids) == "the dog\n"
    assert char_preprocessor.unknown_tokens("the Zebra") == ["Z", "b"]


def test_word_level_marks_line_ends_and_cuts_the_vocabulary():
    preprocessor = LanguageModelPreprocessor.build(TEXT, "word", run_dir=None, vocab_top_k=5)
    assert preprocessor.vocabulary.eos_token == EOL
    assert len(preprocessor.vocabulary) == 5 + 3  # pad, unk, <eol>
    assert preprocessor.tokens("the cat\nthe dog") == ["the", "cat", EOL, "the", "dog", EOL]
    full = LanguageModelPreprocessor.build(TEXT, "word", run_dir=None)
    assert full.decode(full.encode("the cat sat.\na dog")) == "the cat sat.\na dog\n"


def test_word_level_min_df_counts_lines():
    # "cat" is on 8 of the 12 lines, "mat" on 4: a share of 0.5 keeps the first only.
    preprocessor = LanguageModelPreprocessor.build(TEXT, "word", run_dir=None, min_df=0.5)
    assert "cat" in preprocessor.vocabulary and "mat" not in preprocessor.vocabulary


def test_windows_are_the_bptt_batches_of_text_or_ids(char_preprocessor):
    x, y, sample_weight = char_preprocessor(TEXT, batch_size=2, seq_len=5)
    assert sample_weight is None
    assert x.shape == y.shape and x.shape[1] == 5 and len(x) % 2 == 0
    np.testing.assert_array_equal(x[0, 1:], y[0, :-1])  # y is x shifted by one token
    x_ids, y_ids, _ = char_preprocessor(char_preprocessor.encode(TEXT), 2, 5)
    np.testing.assert_array_equal(x, x_ids)
    np.testing.assert_array_equal(y, y_ids)
    streams = evaluated_streams(x, y, 2)
    assert len(streams) == 2 and len(streams[0]) == len(x) // 2 * 5 + 1


def test_save_writes_the_run_folder_layout_and_loads(char_preprocessor, tmp_path):
    char_preprocessor.save(tmp_path)
    assert json.loads((tmp_path / "tokenizer.json").read_text()) == {
        "format": "textrnn.language_model", "level": "char",
        "tokenizer": {"lowercase": False, "normalization": None}}
    loaded = LanguageModelPreprocessor.load(tmp_path)
    assert loaded.vocabulary == char_preprocessor.vocabulary
    assert loaded.decode(loaded.encode(TEXT)) == TEXT


def test_a_tokenizer_file_of_the_old_layout_loads(char_preprocessor, tmp_path):
    # Run folders written before tasks were objects: no "format" key.
    write_json(tmp_path / "tokenizer.json", {"level": "word", "tokenizer": {
        "lowercase": True, "normalization": "NFKC", "method": "regexp", "pattern": None}})
    Vocabulary(["the", "cat"], eos_token=EOL).save(tmp_path / "vocab.json")
    loaded = LanguageModelPreprocessor.load(tmp_path)
    assert loaded.level == "word" and loaded.tokenizer.lowercase
    assert loaded.encode("The cat").tolist() == [3, 4, 2]


def test_another_tasks_file_is_refused(tmp_path):
    write_json(tmp_path / "tokenizer.json", {"format": "textrnn.classifier", "level": "char"})
    with pytest.raises(InputError, match="textrnn.language_model"):
        LanguageModelPreprocessor.load(tmp_path)


def test_subword_level_round_trips_through_the_run_folder(tmp_path):
    preprocessor = LanguageModelPreprocessor.build(TEXT * 3, "subword", tmp_path, vocab_size=40)
    assert (tmp_path / "subword.model").exists() and EOL in preprocessor.vocabulary
    preprocessor.save(tmp_path / "copy")
    assert json.loads((tmp_path / "copy" / "tokenizer.json").read_text())["tokenizer"] == {}
    loaded = LanguageModelPreprocessor.load(tmp_path / "copy")
    assert loaded.decode(loaded.encode("the cat sat.")) == "the cat sat.\n"


@pytest.mark.parametrize("input_mode", ["embedding", "onehot"])
def test_check_model_refuses_a_model_of_another_vocabulary(char_preprocessor, input_mode):
    size = len(char_preprocessor.vocabulary)
    char_preprocessor.check_model(build_language_model(size, units=4, input_mode=input_mode))
    other = build_language_model(size + 2, units=4, input_mode=input_mode)
    with pytest.raises(InputError, match=f"input vocabulary of {size + 2} .* has {size}"):
        char_preprocessor.check_model(other)


def test_check_model_compares_the_output_size(char_preprocessor):
    size = len(char_preprocessor.vocabulary)
    model = keras.Sequential([keras.Input((None,), dtype="int32"),
                              keras.layers.Embedding(size, 4), keras.layers.Dense(size + 1)])
    with pytest.raises(InputError, match=f"output vocabulary of {size + 1}"):
        char_preprocessor.check_model(model)


def test_an_unknown_level_is_refused():
    with pytest.raises(ValueError, match="`level`"):
        LanguageModelPreprocessor.build(TEXT, "sentence", run_dir=None)


def test_split_text_is_contiguous_and_cut_at_line_breaks():
    text = "".join(f"line {i}\n" for i in range(100))
    splits = split_text(text)
    assert splits.train + splits.validation + splits.test == text
    assert all(part.endswith("\n") for _, part in splits.items())
    assert len(splits.train) >= 0.9 * len(text) and splits.validation and splits.test


STREAM_TEXT = ("The cat sat on the mat.\r\nA dog ran in the fog.\n\nthe cat ran to the dog\n"
               "Zebras are rare; the zebra ran.\nend of text") * 7


@pytest.mark.parametrize(("level", "options"), [
    ("char", {}),
    ("word", {"lowercase": True, "min_df": 2}),
    ("word", {"coverage": 0.8}),
    ("subword", {"vocab_size": 60}),
])
def test_streamed_corpus_gives_the_ids_of_the_whole_text(tmp_path, monkeypatch, level,
                                                         options):
    from textrnn.tasks.language_model import corpus_stream
    from textrnn.tasks.language_model.data import load_corpus

    path = tmp_path / "corpus.txt"
    path.write_text(STREAM_TEXT, encoding="utf-8")
    # The one-string path: the whole text, split, vocabulary and ids in one piece each.
    splits = split_text(load_corpus(str(path)))
    whole = LanguageModelPreprocessor.build(splits.train, level, tmp_path / "a", **options)
    expected = {name: np.asarray(whole.vocabulary.encode(whole.tokens(text)), dtype="int32")
                for name, text in splits.items()}
    monkeypatch.setattr(corpus_stream, "CHUNK_CHARS", 13)  # many chunk boundaries
    streamed, ids = LanguageModelPreprocessor.from_corpus(str(path), tmp_path / "b",
                                                          level=level, **options)
    assert streamed.vocabulary.tokens == whole.vocabulary.tokens
    if level == "subword":  # the same sentences in the same order train the same model
        assert (tmp_path / "a" / "subword.model").read_bytes() == (
            tmp_path / "b" / "subword.model").read_bytes()
    assert set(ids) == set(expected)
    for name, array in ids.items():
        assert array.dtype == np.int32
        np.testing.assert_array_equal(array, expected[name])
        np.testing.assert_array_equal(whole.encode(splits.items()[
            ["train", "validation", "test"].index(name)][1]), expected[name])
    assert len(ids["validation"]) and len(ids["test"])


def test_streamed_corpus_reuses_the_run_folders_preprocessor(tmp_path, char_preprocessor):
    char_preprocessor.save(tmp_path)
    path = tmp_path / "corpus.txt"
    path.write_text("the cat\nZZZ\n" * 30, encoding="utf-8")
    loaded, ids = LanguageModelPreprocessor.from_corpus(str(path), tmp_path)
    assert loaded.vocabulary.tokens == char_preprocessor.vocabulary.tokens
    assert char_preprocessor.vocabulary.unk_id in ids["train"]


def test_id_buffer_grows_past_its_first_capacity():
    from textrnn.tasks.language_model.preprocessor import _IdBuffer

    buffer = _IdBuffer(3)
    for size in (2, 5, 0, 9):
        buffer.extend(np.arange(size, dtype="int32"))
    expected = np.concatenate([np.arange(size) for size in (2, 5, 0, 9)])
    np.testing.assert_array_equal(buffer.result(), expected)
