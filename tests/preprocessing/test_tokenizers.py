import json
import pickle

import pytest
from nltk.tokenize import ToktokTokenizer
from sklearn.feature_extraction.text import CountVectorizer

from textrnn.errors import InputError
from textrnn.preprocessing import (
    CharTokenizer,
    SubwordTokenizer,
    WordTokenizer,
    get_tokenizer,
)


def test_char_tokenizer_round_trip_is_exact():
    tok = CharTokenizer()
    text = "Héllo,  wörld!\n\tﬁ"
    tokens = tok.tokenize(text)
    assert tokens == list(text)
    assert tok.detokenize(tokens) == text


def test_char_tokenizer_lowercase_and_normalization():
    assert CharTokenizer(lowercase=True, normalization="NFKC").tokenize("Aﬁ") == ["a", "f", "i"]


def test_word_tokenizer_default_regexp():
    tok = WordTokenizer()
    assert tok.method == "regexp"
    assert tok.tokenize("Don't stop, well-known Sam!") == [
        "Don't", "stop", ",", "well-known", "Sam", "!",
    ]


def test_word_tokenizer_lowercase_and_nfkc():
    text = "Ｆｕｌｌ ﬁne CAFÉ"
    assert WordTokenizer(lowercase=True).tokenize(text) == ["full", "fine", "café"]
    assert WordTokenizer(normalization=None).tokenize(text) == ["Ｆｕｌｌ", "ﬁne", "CAFÉ"]


def test_word_tokenizer_toktok_matches_nltk():
    text = "He said: \"I'll pay $3.50 at https://x.org, ok?\""
    assert WordTokenizer(method="toktok").tokenize(text) == ToktokTokenizer().tokenize(text)


def test_word_tokenizer_whitespace_method():
    tok = WordTokenizer(method="whitespace", lowercase=True)
    assert tok.tokenize("The  cat 's hat ,\tok") == ["the", "cat", "'s", "hat", ",", "ok"]
    assert tok.detokenize(["the", "cat", "'s"]) == "the cat 's"


def test_word_tokenizer_pattern_reproduces_scikit_learn_tokens():
    text = "The cat's 2 hats, a CAT-like thing; ünïcode wörds."
    tok = WordTokenizer(lowercase=True, normalization=None, pattern=r"(?u)\b\w\w+\b")
    assert tok.tokenize(text) == CountVectorizer().build_analyzer()(text)


def test_word_detokenize_reattaches_punctuation():
    tok = WordTokenizer()
    assert tok.detokenize(["Hello", ",", "world", "!"]) == "Hello, world!"
    text = "Before we proceed any further, hear me speak."
    assert tok.detokenize(tok.tokenize(text)) == text


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"method": "spacy"}, "method"),
        ({"normalization": "NFX"}, "normalization"),
        ({"pattern": "("}, "pattern"),
        ({"method": "toktok", "pattern": r"\w+"}, "pattern"),
    ],
)
def test_word_tokenizer_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        WordTokenizer(**kwargs)


@pytest.mark.parametrize(
    "tokenizer",
    [CharTokenizer(lowercase=True), WordTokenizer(method="toktok", normalization="NFC")],
)
def test_config_round_trip_and_pickle(tokenizer):
    config = json.loads(json.dumps(tokenizer.get_config()))
    text = "Ａ Cat's  hat, OK?"
    for rebuilt in (
        type(tokenizer).from_config(config),
        get_tokenizer(tokenizer.level, **config),
        pickle.loads(pickle.dumps(tokenizer)),
    ):
        assert type(rebuilt) is type(tokenizer)
        assert rebuilt.get_config() == tokenizer.get_config()
        assert rebuilt.tokenize(text) == tokenizer.tokenize(text)


def test_get_tokenizer_levels_and_error():
    assert isinstance(get_tokenizer("char"), CharTokenizer)
    assert get_tokenizer("word", lowercase=True).lowercase
    with pytest.raises(ValueError, match=r"`level`.*'bpe'.*\['char', 'subword', 'word'\]"):
        get_tokenizer("bpe")


# === sentencepiece ===

WORDS = ["low", "lower", "lowest", "new", "newer", "newest", "wide", "wider", "widest"]


def tiny_corpus(n=300):
    return (" ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 6)) for i in range(n))


@pytest.fixture(scope="module")
def subword(tmp_path_factory):
    path = tmp_path_factory.mktemp("spm") / "tiny"
    return SubwordTokenizer.train(tiny_corpus(), path, vocab_size=40, hard_vocab_limit=False)


def test_subword_train_writes_model_and_round_trips(subword, tmp_path):
    assert subword.model_path.endswith("tiny.model")
    pieces = subword.pieces()
    assert len(pieces) == subword.vocab_size <= 40
    assert pieces[:3] == ["<unk>", "<s>", "</s>"]
    text = "newest wide lower"
    tokens = subword.tokenize(text)
    assert all(token in pieces for token in tokens)
    assert len(tokens) < len(text)  # merges characters into longer pieces
    assert subword.detokenize(tokens) == text

    copy = tmp_path / "copy.model"
    subword.save(copy)
    loaded = SubwordTokenizer.load(copy)
    assert loaded.pieces() == pieces
    assert loaded.tokenize(text) == tokens
    assert loaded.detokenize(tokens) == text


def test_subword_config_and_pickle(subword):
    config = json.loads(json.dumps(subword.get_config()))
    assert config == {"model_path": subword.model_path}
    for rebuilt in (get_tokenizer("subword", **config), pickle.loads(pickle.dumps(subword))):
        assert rebuilt.tokenize("wider lows") == subword.tokenize("wider lows")


def test_subword_train_keeps_model_suffix(tmp_path):
    tok = SubwordTokenizer.train(
        tiny_corpus(50), tmp_path / "m.model", vocab_size=30, model_type="bpe",
        hard_vocab_limit=False,
    )
    assert [p.name for p in tmp_path.iterdir()] == ["m.model"]
    assert tok.detokenize(tok.tokenize("newer wide")) == "newer wide"


@pytest.mark.parametrize(
    "texts, kwargs, match",
    [
        ("one string", {}, "single string"),
        ([], {}, "not empty"),
        (["ab ab", "ba"], {"vocab_size": 500}, r"yields at most \d+ pieces, not 500"),
        (["hello world"] * 5, {"vocab_size": 6}, r"6 is below the 11 pieces this corpus needs"),
    ],
)
def test_subword_train_bad_inputs(tmp_path, texts, kwargs, match):
    with pytest.raises(ValueError, match=match):
        SubwordTokenizer.train(texts, tmp_path / "bad", **kwargs)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_subword_load_bad_files(tmp_path):
    with pytest.raises(InputError, match="missing.model.*not found"):
        SubwordTokenizer.load(tmp_path / "missing.model")
    junk = tmp_path / "junk.model"
    junk.write_bytes(b"\x00not a model")
    with pytest.raises(InputError, match="junk.model.*not a valid sentencepiece model"):
        SubwordTokenizer.load(junk)


@pytest.mark.parametrize("tokenizer", [
    CharTokenizer(), CharTokenizer(lowercase=True, normalization="NFKC"),
    WordTokenizer(), WordTokenizer(lowercase=True), WordTokenizer(normalization=None),
    WordTokenizer(method="whitespace"), WordTokenizer(method="toktok", lowercase=True),
])
def test_tokenize_batch_equals_tokenize_per_document(tokenizer):
    texts = ["Ｆｕｌｌ ﬁne CAFÉ", "", "Don't stop,\nwell-known Sam!", "ΟΔΟΣ Σ", " \t"]
    assert tokenizer.tokenize_batch(texts) == [tokenizer.tokenize(text) for text in texts]
    assert tokenizer.tokenize_batch(iter(texts)) == tokenizer.tokenize_batch(texts)
    assert tokenizer.tokenize_batch([]) == []


def test_subword_tokenize_batch_uses_the_base_loop(subword):
    texts = list(tiny_corpus(3))
    assert subword.tokenize_batch(texts) == [subword.tokenize(text) for text in texts]
