import json
from collections import Counter

import keras
import numpy as np
import pytest
import tensorflow as tf

from textrnn.errors import InputError
from textrnn.preprocessing import Vocabulary


@pytest.fixture
def vocab():
    return Vocabulary(["the", "cat", "sat"], bos_token="<s>", eos_token="</s>")


def test_id_layout(vocab):
    assert vocab.tokens == ["<pad>", "<unk>", "<s>", "</s>", "the", "cat", "sat"]
    assert len(vocab) == 7
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    assert vocab.num_special == 4
    assert "cat" in vocab and "dog" not in vocab
    assert vocab.token_to_id("sat") == 6
    assert vocab.token_to_id("dog") == vocab.unk_id
    assert vocab.id_to_token(4) == "the"


def test_without_bos_eos():
    vocab = Vocabulary(["a"], pad_token="[PAD]", unk_token="[UNK]")
    assert vocab.tokens == ["[PAD]", "[UNK]", "a"]
    assert vocab.bos_id is None and vocab.eos_id is None
    with pytest.raises(ValueError, match="add_bos=True.*bos_token"):
        vocab.encode(["a"], add_bos=True)


@pytest.mark.parametrize(
    "tokens, kwargs, match",
    [
        (["a", "b", "a"], {}, "'a' at id 4 is a duplicate"),
        (["a", "<unk>"], {}, "'<unk>' at id 3 is a special token"),
        (["a"], {"bos_token": "a"}, "'a' at id 3 is a special token"),
        (["a", 3], {}, "must be strings; got 3"),
        ("abc", {}, "single string"),
        (["a"], {"unk_token": None}, "must be strings; got None"),
    ],
)
def test_bad_tokens(tokens, kwargs, match):
    with pytest.raises(ValueError, match=match):
        Vocabulary(tokens, **kwargs)


def test_from_counts_orders_by_count_then_token():
    counts = Counter({"b": 3, "a": 3, "c": 5, "d": 1, "<unk>": 9})
    vocab = Vocabulary.from_counts(counts)
    assert vocab.tokens == ["<pad>", "<unk>", "c", "a", "b", "d"]  # literal <unk> not added
    assert Vocabulary.from_counts(counts, min_count=2).tokens[2:] == ["c", "a", "b"]
    small = Vocabulary.from_counts(counts, max_size=4, eos_token="</s>")
    assert small.tokens == ["<pad>", "<unk>", "</s>", "c"]
    assert len(small) == 4


def test_from_counts_bad_arguments():
    with pytest.raises(ValueError, match="max_size"):
        Vocabulary.from_counts({"a": 1}, max_size=1)
    with pytest.raises(ValueError, match="mask_token"):
        Vocabulary.from_counts({"a": 1}, mask_token="x")


def test_encode_decode(vocab):
    ids = vocab.encode(["the", "dog", "sat"], add_bos=True, add_eos=True)
    assert ids == [2, 4, 1, 6, 3]
    assert vocab.decode(ids) == ["the", "<unk>", "sat"]
    assert vocab.decode(ids + [0, 0], skip_special=False) == [
        "<s>", "the", "<unk>", "sat", "</s>", "<pad>", "<pad>",
    ]
    assert vocab.decode(np.array(ids)) == vocab.decode(ids)
    assert vocab.decode([]) == []
    with pytest.raises(ValueError, match="id 7 is out of range.*size 7"):
        vocab.decode([1, 7])
    with pytest.raises(ValueError, match="1-D"):
        vocab.decode([[1, 2]])


def test_one_hot(vocab):
    ids = np.array([[0, 4, 6], [3, 1, 2]])
    out = vocab.one_hot(ids)
    assert out.shape == (2, 3, 7)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.eye(7, dtype=np.float32)[ids])
    assert vocab.one_hot(5).shape == (7,)
    with pytest.raises(ValueError, match="out of range"):
        vocab.one_hot([-1])
    with pytest.raises(ValueError, match="integers"):
        vocab.one_hot([1.5])


def test_save_load_round_trip(vocab, tmp_path):
    path = tmp_path / "vocab.json"
    vocab.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {
        "format": "textrnn.vocabulary",
        "version": 1,
        "tokens": vocab.tokens,
        "special_tokens": {
            "pad_token": "<pad>", "unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>",
        },
    }
    loaded = Vocabulary.load(path)
    assert loaded == vocab
    assert loaded.encode(["cat", "zzz"]) == vocab.encode(["cat", "zzz"])


def test_config_round_trip(vocab):
    config = json.loads(json.dumps(vocab.get_config()))
    assert config["tokens"] == ["the", "cat", "sat"]
    assert Vocabulary.from_config(config) == vocab


def _good():
    return {
        "format": "textrnn.vocabulary",
        "version": 1,
        "tokens": ["<pad>", "<unk>", "a"],
        "special_tokens": {"pad_token": "<pad>", "unk_token": "<unk>"},
    }


@pytest.mark.parametrize(
    "change, match",
    [
        ({"format": "something.else"}, "not a textrnn vocabulary"),
        ({"version": 2}, "unsupported vocabulary version 2"),
        ({"tokens": None}, "must be a list"),
        ({"tokens": ["<pad>", "<unk>", "a", "a"]}, "duplicate"),
        ({"tokens": ["<unk>", "<pad>", "a"]}, "do not match the special tokens"),
        ({"special_tokens": {"pad_token": "<pad>"}}, "special_tokens"),
    ],
)
def test_load_rejects_bad_files(tmp_path, change, match):
    path = tmp_path / "bad_vocab.json"
    path.write_text(json.dumps({**_good(), **change}), encoding="utf-8")
    with pytest.raises(InputError, match=rf"bad_vocab.json: .*{match}"):
        Vocabulary.load(path)


def test_load_rejects_missing_key_malformed_and_missing_file(tmp_path):
    path = tmp_path / "v.json"
    path.write_text(json.dumps({k: v for k, v in _good().items() if k != "tokens"}))
    with pytest.raises(InputError, match=r"v.json: .*lacks key\(s\) \['tokens'\]"):
        Vocabulary.load(path)
    path.write_text('{"format": "textrnn.vocabulary",\n "version": 1,,}')
    with pytest.raises(InputError, match=r"v.json:2: malformed JSON"):
        Vocabulary.load(path)
    with pytest.raises(InputError, match="nope.json: file not found"):
        Vocabulary.load(tmp_path / "nope.json")


@pytest.mark.parametrize("bos_eos", [{}, {"bos_token": "<s>", "eos_token": "</s>"}])
def test_string_lookup_gives_the_same_ids(bos_eos):
    vocab = Vocabulary(["the", "cat", "sat", "on", "mat"], **bos_eos)
    docs = [
        ["the", "cat", "sat", "<pad>", "<pad>"],
        ["a", "dog", "on", "the", "mat"],  # unknown words
        ["<unk>", "mat", "<pad>", "<pad>", "<pad>"],
    ]
    if bos_eos:
        docs.append(["<s>", "cat", "</s>", "<pad>", "<pad>"])
    expected = np.array([vocab.encode(doc) for doc in docs])

    layer = keras.layers.StringLookup(
        vocabulary=vocab.lookup_vocabulary(), mask_token="<pad>", oov_token="<unk>",
        num_oov_indices=1,
    )
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(np.array(docs))), expected)
    assert layer.vocabulary_size() == len(vocab)
    assert layer.get_vocabulary() == vocab.tokens

    same = keras.layers.StringLookup(**vocab.lookup_kwargs())
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(same(np.array(docs))), expected)

    # String outputs need TensorFlow tensors; tf.data runs the layer that way on any backend.
    inverse = keras.layers.StringLookup(**vocab.lookup_kwargs(), invert=True)
    back = next(iter(tf.data.Dataset.from_tensors(expected).map(inverse))).numpy().astype(str)
    assert back.tolist() == [[vocab.id_to_token(i) for i in row] for row in expected]
