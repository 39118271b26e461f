import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.tasks.tagging import TaggerPreprocessor
from textrnn.tasks.tagging.preprocessor import normalize_word


def test_build_and_encode():
    pre = TaggerPreprocessor.build([(["The", "cat", "saw", "the", "cat", "2024"],
                                     ["DET", "NOUN", "VERB", "DET", "NOUN", "NUM"])],
                                   max_word_length=4)
    assert pre.tags == ["DET", "NOUN", "NUM", "VERB"]          # most frequent first
    ids = pre.encode_words([["THE", "dog", "1999"]])[0]
    assert ids[1] == pre.words.unk_id and ids[0] == pre.words.token_to_id("the")
    assert ids[2] == pre.words.token_to_id("0000")               # digits fold to 0
    chars = pre.encode_chars(["Cat", "thewcat"])
    assert chars.shape == (2, 4)
    assert pre.chars.decode(chars[1]) == list("that")             # first and last halves
    assert chars[0, 3] == 0                                       # padding
    np.testing.assert_array_equal(pre.encode_tags(["NOUN", "X"]), [1, -1])
    assert pre.decode_tags([3, 0]) == ["VERB", "DET"]
    assert normalize_word("Route66") == "route00"


def test_save_load_round_trip(tmp_path):
    pre = TaggerPreprocessor.build([(["a", "b"], ["X", "Y"])], tokenizer="whitespace")
    pre.save(tmp_path)
    loaded = TaggerPreprocessor.load(tmp_path)
    assert loaded.get_config() == pre.get_config()
    assert loaded.words == pre.words and loaded.chars == pre.chars
    assert loaded.tokenize("don't go") == ["don't", "go"]


def test_treebank_tokenizer_splits_like_the_treebank():
    pre = TaggerPreprocessor.build([(["a"], ["X"])])
    assert pre.tokenize("I don't know.") == ["I", "do", "n't", "know", "."]


def test_bad_arguments():
    with pytest.raises(InputError, match="no tagged tokens"):
        TaggerPreprocessor.build([([], [])])
    with pytest.raises(ValueError, match="tokenizer"):
        TaggerPreprocessor.build([(["a"], ["X"])], tokenizer="spaces")
    with pytest.raises(ValueError, match="max_word_length"):
        TaggerPreprocessor.build([(["a"], ["X"])], max_word_length=1)
