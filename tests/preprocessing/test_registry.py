import pytest

from textrnn.errors import InputError
from textrnn.preprocessing import CharTokenizer, SubwordTokenizer, WordTokenizer
from textrnn.preprocessing.registry import (
    build_tokenizer,
    check_level,
    load_tokenizer,
    subword_vocabulary,
    tokenizer_config,
)

LINES = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog"] * 20


@pytest.mark.parametrize(("level", "kind"), [("char", CharTokenizer), ("word", WordTokenizer)])
def test_char_and_word_levels_round_trip_through_json(tmp_path, level, kind):
    tokenizer = build_tokenizer(level, lowercase=True)
    assert isinstance(tokenizer, kind) and tokenizer.lowercase
    restored = load_tokenizer(tokenizer_config(tokenizer), tmp_path)
    assert type(restored) is kind
    assert restored.tokenize("The Cat.") == tokenizer.tokenize("The Cat.")


def test_subword_level_trains_and_reloads_from_its_folder(tmp_path):
    tokenizer = build_tokenizer("subword", LINES, tmp_path / "pieces.model", vocab_size=30)
    assert isinstance(tokenizer, SubwordTokenizer)
    config = tokenizer_config(tokenizer)
    assert config == {"level": "subword", "model_file": "pieces.model"}  # relative, not absolute
    restored = load_tokenizer(config, tmp_path)
    assert restored.tokenize("the cat") == tokenizer.tokenize("the cat")


def test_subword_vocabulary_leaves_sentencepiece_specials_to_the_vocabulary(tmp_path):
    tokenizer = build_tokenizer("subword", LINES, tmp_path / "spm.model", vocab_size=30)
    vocabulary = subword_vocabulary(tokenizer, bos_token="<s>", eos_token="</s>")
    assert vocabulary.tokens[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert len(vocabulary) == len(tokenizer.pieces()) + 1  # sentencepiece has no padding
    assert all(vocabulary.encode(tokenizer.tokenize("the cat sat")))


def test_subword_needs_a_model_path():
    with pytest.raises(ValueError, match="model_path"):
        build_tokenizer("subword", LINES)


def test_unknown_levels_are_refused():
    with pytest.raises(ValueError, match="'bytes'.*'char', 'word', 'subword'"):
        check_level("bytes")
    with pytest.raises(InputError, match="level"):
        load_tokenizer({"level": "bytes"}, "run")
