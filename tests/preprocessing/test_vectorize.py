import json

import numpy as np
import pytest
import scipy.sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from textrnn.errors import InputError
from textrnn.preprocessing import TfidfVectorizer, Vocabulary, bag_of_words

DOCS = [
    ["the", "cat", "sat", "on", "the", "mat"],
    ["the", "dog", "sat"],
    ["a", "cat", "and", "a", "dog", "and", "a", "bird"],
    [],
    ["<pad>", "<unk>", "zebra"],
]
TOKENS = ["the", "cat", "dog", "sat", "a", "and", "on", "mat", "rare"]


@pytest.fixture
def vocab():
    return Vocabulary(TOKENS, eos_token="</s>")


def test_bag_of_words_hand_counts(vocab):
    counts = bag_of_words(iter(DOCS), vocab)
    assert isinstance(counts, scipy.sparse.csr_matrix)
    assert counts.shape == (5, len(vocab)) and counts.dtype == np.int64
    dense = counts.toarray()
    assert dense[0, vocab.token_to_id("the")] == 2
    assert dense[2, vocab.token_to_id("a")] == 3
    assert dense[0].sum() == 6 and dense[2].sum() == 7  # "bird" is unknown
    assert not dense[3].any() and not dense[4].any()  # empty doc; pad/unk never counted
    assert not dense[:, : vocab.num_special].any()
    binary = bag_of_words(DOCS, vocab, binary=True).toarray()
    np.testing.assert_array_equal(binary, (dense > 0).astype(np.int64))


def test_bag_of_words_matches_scikit_learn(vocab):
    reference = CountVectorizer(analyzer=lambda doc: doc, vocabulary=TOKENS).transform(DOCS)
    ours = bag_of_words(DOCS, vocab)[:, vocab.num_special :]
    np.testing.assert_array_equal(ours.toarray(), reference.toarray())


def test_bag_of_words_rejects_a_single_string(vocab):
    with pytest.raises(ValueError, match="single string"):
        bag_of_words("the cat", vocab)


@pytest.mark.parametrize("sublinear_tf", [False, True])
@pytest.mark.parametrize("smooth_idf", [True, False])
@pytest.mark.parametrize("norm", ["l2", "l1", None])
def test_tfidf_matches_scikit_learn(vocab, sublinear_tf, smooth_idf, norm):
    ours = TfidfVectorizer(vocab, sublinear_tf=sublinear_tf, smooth_idf=smooth_idf, norm=norm)
    result = ours.fit_transform(iter(DOCS))
    reference = TfidfTransformer(sublinear_tf=sublinear_tf, smooth_idf=smooth_idf, norm=norm)
    with np.errstate(divide="ignore"):
        expected = reference.fit_transform(bag_of_words(DOCS, vocab))
    np.testing.assert_allclose(result.toarray(), expected.toarray(), rtol=1e-12, atol=1e-12)
    seen = np.isfinite(reference.idf_)
    np.testing.assert_allclose(ours.idf_[seen], reference.idf_[seen], rtol=1e-12)
    assert np.all(ours.idf_[~seen] == 0.0)  # smooth_idf=False: unseen tokens weigh nothing
    assert np.isfinite(result.data).all()


def test_tfidf_transform_new_documents(vocab):
    vectorizer = TfidfVectorizer(vocab).fit(DOCS)
    new = vectorizer.transform([["rare", "cat"], ["unknown"]]).toarray()
    np.testing.assert_allclose(np.linalg.norm(new, axis=1), [1.0, 0.0])
    ratio = vectorizer.idf_[vocab.token_to_id("rare")] / vectorizer.idf_[vocab.token_to_id("cat")]
    assert new[0, vocab.token_to_id("rare")] / new[0, vocab.token_to_id("cat")] == (
        pytest.approx(ratio)
    )


def test_tfidf_errors(vocab):
    with pytest.raises(ValueError, match="not fitted"):
        TfidfVectorizer(vocab).transform(DOCS)
    with pytest.raises(ValueError, match="norm"):
        TfidfVectorizer(vocab, norm="max")
    with pytest.raises(ValueError, match="Vocabulary"):
        TfidfVectorizer(TOKENS)
    with pytest.raises(ValueError, match="no documents"):
        TfidfVectorizer(vocab).fit([])


def test_tfidf_save_load_round_trip(vocab, tmp_path):
    vectorizer = TfidfVectorizer(vocab, sublinear_tf=True, norm="l1").fit(DOCS)
    path = tmp_path / "tfidf.json"
    vectorizer.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "textrnn.tfidf" and data["version"] == 1
    assert data["config"] == json.loads(json.dumps(vectorizer.get_config()))
    loaded = TfidfVectorizer.load(path)
    assert loaded.vocabulary == vocab
    assert loaded.get_config() == vectorizer.get_config()
    np.testing.assert_array_equal(loaded.idf_, vectorizer.idf_)
    np.testing.assert_array_equal(loaded.transform(DOCS).toarray(),
                                  vectorizer.transform(DOCS).toarray())
    unfitted = tmp_path / "unfitted.json"
    TfidfVectorizer.from_config(vectorizer.get_config()).save(unfitted)
    assert TfidfVectorizer.load(unfitted).idf_ is None


@pytest.mark.parametrize(
    "change, match",
    [
        ({"format": "textrnn.vocabulary"}, "not a textrnn TF-IDF file"),
        ({"version": 0}, "unsupported TF-IDF file version 0"),
        ({"idf": [1.0, 2.0]}, r"`idf` has shape \(2,\)"),
        ({"idf": ["x"] * 12}, "list of numbers"),
        ({"config": {"vocabulary": {"tokens": ["a", "a"]}}}, "bad TF-IDF config.*duplicate"),
        ({"config": None}, "lacks `config`"),
    ],
)
def test_tfidf_load_rejects_bad_files(vocab, tmp_path, change, match):
    path = tmp_path / "bad.json"
    TfidfVectorizer(vocab).fit(DOCS).save(path)
    data = {**json.loads(path.read_text(encoding="utf-8")), **change}
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match=rf"bad.json: .*{match}"):
        TfidfVectorizer.load(path)
