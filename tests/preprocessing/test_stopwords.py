from types import SimpleNamespace

import nltk
import pytest
import stopwordsiso

from textrnn.errors import InputError
from textrnn.preprocessing import corpus_stopwords, get_stopwords, stopword_languages


def test_none_is_empty():
    assert get_stopwords("none") == frozenset()


@pytest.mark.parametrize("lang, word", [("en", "the"), ("es", "de"), ("fr", "le")])
def test_language_codes_use_stopwords_iso(lang, word):
    words = get_stopwords(lang)
    assert isinstance(words, frozenset)
    assert words == frozenset(stopwordsiso.stopwords(lang))
    assert word in words
    assert lang in stopword_languages()


def test_unknown_language_says_where_to_look():
    with pytest.raises(ValueError, match=r"'xx'.*stopword_languages\(\)"):
        get_stopwords("xx")
    with pytest.raises(ValueError, match="`spec` must be a string"):
        get_stopwords(None)


@pytest.fixture
def nltk_data(tmp_path, monkeypatch):
    """An nltk data path holding only an empty temporary folder (never downloads)."""
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    return tmp_path


def test_nltk_without_corpus_says_how_to_install(nltk_data):
    with pytest.raises(ValueError, match=r"python -m nltk\.downloader stopwords"):
        get_stopwords("nltk:english")


def test_nltk_with_corpus(nltk_data):
    folder = nltk_data / "corpora" / "stopwords"
    folder.mkdir(parents=True)
    (folder / "english").write_text("the\nand\nof\n", encoding="utf-8")
    assert get_stopwords("nltk:english") == {"the", "and", "of"}
    with pytest.raises(ValueError, match="no stopword list 'klingon'.*english"):
        get_stopwords("nltk:klingon")


def test_file(tmp_path):
    path = tmp_path / "stop.txt"
    path.write_text("# my list\nthe\n\n  über  \n#comment\nand\n", encoding="utf-8")
    assert get_stopwords(str(path)) == {"the", "über", "and"}


def test_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(InputError, match="missing.txt: stopword file not found"):
        get_stopwords(str(tmp_path / "missing.txt"))
    path = tmp_path / "latin1.txt"
    path.write_bytes("the\nand\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1.txt:3 \(byte 11\): .*not valid UTF-8"):
        get_stopwords(str(path))


def test_auto_uses_document_frequency():
    stats = SimpleNamespace(num_docs=10, doc_freq={"the": 9, "a": 6, "cat": 5, "dog": 1})
    assert get_stopwords("auto", stats=stats) == {"the", "a"}  # df fraction > 0.5
    assert get_stopwords("auto", stats=stats, max_df=0.4) == {"the", "a", "cat"}
    assert corpus_stopwords(stats, max_df=1.0) == frozenset()


def test_auto_bad_arguments():
    with pytest.raises(ValueError, match="pass `stats=`"):
        get_stopwords("auto")
    stats = SimpleNamespace(num_docs=10, doc_freq={})
    for bad in (0, 1.5, "0.5", True):
        with pytest.raises(ValueError, match="max_df"):
            corpus_stopwords(stats, max_df=bad)
    with pytest.raises(ValueError, match="no documents"):
        corpus_stopwords(SimpleNamespace(num_docs=0, doc_freq={}), 0.5)
