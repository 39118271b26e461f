import json

import keras
import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.models.classifier import build_bow_classifier, build_rnn_classifier
from textrnn.preprocessing import FeatureSelector, TfidfVectorizer, Vocabulary
from textrnn.tasks.classification.preprocessor import ClassifierPreprocessor, load_labels

TEXTS = ["The cat sat on the mat", "the dog sat", "A cat and a dog", "the end"]
LABELS = ["x", "y", "x", "y"]


def build(directory, texts=TEXTS, labels=LABELS, **options):
    return ClassifierPreprocessor.build(texts, labels, directory=directory, **options)


def write_old_layout(run_dir, preprocessor):
    """What `ClassifierAssets.save` wrote before tasks were objects (classifier.json keys)."""
    tokenizer = {} if preprocessor.level == "subword" else preprocessor.tokenizer.get_config()
    (run_dir / "classifier.json").write_text(json.dumps({
        "format": "textrnn.classifier", "model": preprocessor.model_kind,
        "level": preprocessor.level, "tokenizer": tokenizer,
        "max_length": preprocessor.max_length}), encoding="utf-8")


def assert_same_inputs(a, b, probe=("the cat and a bird", "dog")):
    for x, y in zip(a.sequences(probe), b.sequences(probe), strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_allclose(a.features(probe).toarray(), b.features(probe).toarray())


def test_word_level_applies_cuts_and_truncates(tmp_path):
    selector = FeatureSelector(min_df=2, stopwords={"the"})
    p = build(tmp_path, model_kind="birnn", selector=selector, max_length=2)
    assert set(p.vocabulary.tokens[2:]) == {"cat", "sat", "dog"}
    assert p.labels == ["x", "y"] and p.level == "word"
    ids = p.sequences(["The CAT sat", "zebra"])
    np.testing.assert_array_equal(ids[0], p.vocabulary.encode(["the", "cat"]))
    np.testing.assert_array_equal(ids[1], [p.vocabulary.unk_id])
    assert p.sequences([""])[0].tolist() == [p.vocabulary.unk_id]
    features = p.features(["cat cat dog"]).toarray()[0]
    assert np.count_nonzero(features) == 2 and features.dtype == np.float32


def test_cuts_as_keywords_match_a_selector(tmp_path):
    a = build(tmp_path, min_df=2, top_k=2)
    b = build(tmp_path, selector=FeatureSelector(min_df=2, top_k=2))
    assert a.vocabulary == b.vocabulary and len(a.vocabulary) == 4


def test_inputs_give_x_y_and_class_weights(tmp_path):
    p = build(tmp_path, model_kind="bow")
    weights = p.class_weights(["x", "x", "x", "y"])
    assert weights == pytest.approx({0: 4 / 6, 1: 2.0})
    x, y, sample_weight = p.inputs(TEXTS, ["x", "x", "x", "y"], class_weight=weights)[0]
    assert x.shape == (4, len(p.vocabulary)) and y.tolist() == [0, 0, 0, 1]
    np.testing.assert_allclose(sample_weight, [4 / 6] * 3 + [2.0])
    assert p.class_weights(LABELS, "none") is None
    with pytest.raises(ValueError, match="validation data has labels never seen.*'z'"):
        p.inputs(["a"], ["z"], split="validation")


def test_round_trip(tmp_path):
    p = build(tmp_path, model_kind="rnn", max_length=3)
    p.save(tmp_path)
    loaded = ClassifierPreprocessor.load(tmp_path)
    assert loaded.get_config() == p.get_config()
    assert (loaded.model_kind, loaded.labels, loaded.max_length) == ("rnn", ["x", "y"], 3)
    assert_same_inputs(p, loaded)


@pytest.mark.parametrize("level", ["word", "subword"])
def test_old_layout_loads(tmp_path, level):
    pairs = [("red", "car"), ("blue", "sky"), ("green", "tree")] * 20
    texts = [f"{w} {v} unusualword{i}" for i, (w, v) in enumerate(pairs)]
    p = build(tmp_path, texts, ["a", "b"] * 30, model_kind="birnn", level=level,
              vocab_size=60, max_length=7)
    p.save(tmp_path)
    write_old_layout(tmp_path, p)
    loaded = ClassifierPreprocessor.load(tmp_path)
    assert (loaded.model_kind, loaded.level, loaded.max_length) == ("birnn", level, 7)
    assert_same_inputs(p, loaded, probe=["blue sky", "red tree unusualword3"])


def test_subword_model_is_copied_into_the_run_folder(tmp_path):
    texts = [f"{w} unusualword{i}" for i, w in enumerate(["red", "blue", "green"] * 20)]
    p = ClassifierPreprocessor.build(texts, ["a", "b", "c"] * 20, level="subword",
                                     vocab_size=60)
    p.save(tmp_path / "run")
    loaded = ClassifierPreprocessor.load(tmp_path / "run")
    assert (tmp_path / "run" / "subword.model").exists()
    assert loaded.get_config()["tokenizer"] == {"level": "subword", "model_file": "subword.model"}
    assert_same_inputs(p, loaded, probe=["blue unusualword7"])


def test_load_or_build_keeps_a_saved_preprocessor(tmp_path):
    build(tmp_path, min_df=2).save(tmp_path)
    kept = ClassifierPreprocessor.load_or_build(tmp_path, ["other words"] * 2, ["p", "q"])
    assert kept.labels == ["x", "y"] and "cat" in kept.vocabulary.tokens


def test_mismatched_tfidf_file_is_rejected(tmp_path):
    build(tmp_path, model_kind="bow").save(tmp_path)
    TfidfVectorizer(Vocabulary(["other"])).fit([["other"]]).save(tmp_path / "tfidf.json")
    with pytest.raises(InputError, match="tfidf.json.*another vocabulary"):
        ClassifierPreprocessor.load(tmp_path)


@pytest.mark.parametrize(("config", "message"), [
    ({"model": "birnn", "level": "char"}, "not a textrnn classifier file"),
    ({"format": "textrnn.translator"}, "not a textrnn.classifier file"),
    ({"model_kind": "birnn"}, "bad or missing setting 'tokenizer'"),
])
def test_not_a_classifier_folder(tmp_path, config, message):
    (tmp_path / "classifier.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(InputError, match=message):
        ClassifierPreprocessor.load(tmp_path)


def test_label_file_round_trip_and_bad_file(tmp_path):
    build(tmp_path).save(tmp_path)
    assert load_labels(tmp_path) == ["x", "y"]
    (tmp_path / "labels.json").write_text('{"ham": 0}', encoding="utf-8")
    with pytest.raises(InputError, match="labels.json.*not a label list"):
        load_labels(tmp_path)


def test_build_checks_arguments(tmp_path):
    with pytest.raises(ValueError, match="level"):
        build(tmp_path, level="char")
    with pytest.raises(ValueError, match="max_length"):
        build(tmp_path, max_length=0)
    with pytest.raises(ValueError, match="model_kind"):
        build(tmp_path, model_kind="cnn")
    with pytest.raises(ValueError, match="single label"):
        build(tmp_path, labels=["x"] * 4)


def test_check_model_compares_vocabulary_and_labels(tmp_path):
    p = build(tmp_path, model_kind="birnn")
    p.check_model(build_rnn_classifier(len(p.vocabulary), 2, cell="gru", units=2))
    with pytest.raises(InputError, match="expects vocabulary size"):
        p.check_model(build_rnn_classifier(len(p.vocabulary) + 5, 2, cell="gru", units=2))
    with pytest.raises(InputError, match="expects number of labels 3 .* has 2"):
        p.check_model(build_rnn_classifier(len(p.vocabulary), 3, cell="gru", units=2))
    with pytest.raises(InputError, match="no Embedding layer"):
        p.check_model(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))
    bow = build(tmp_path, model_kind="bow")
    with pytest.raises(InputError, match="expects vocabulary size 3 "):
        bow.check_model(build_bow_classifier(3, 2))
