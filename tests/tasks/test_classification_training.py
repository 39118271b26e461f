import keras
import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.models.classifier import build_bow_classifier, build_rnn_classifier
from textrnn.tasks.classification_features import build_assets
from textrnn.tasks.classification_training import (
    BestWeights,
    Classifier,
    compile_classifier,
    load_classifier,
    stopped_early,
    train_baseline,
    train_classifier,
)

WORDS = {"pos": ["great", "love", "fine", "nice"], "neg": ["awful", "hate", "bad", "poor"],
         "mid": ["okay", "average", "so-so", "plain"]}


def documents(count, seed=0):
    """Documents of filler words plus words of their label's group."""
    rng = np.random.default_rng(seed)
    filler = ["the", "film", "was", "a", "and", "it", "story"]
    labels = sorted(WORDS)
    texts, y = [], []
    for i in range(count):
        label = i % len(labels)
        words = list(rng.choice(filler, 4)) + list(rng.choice(WORDS[labels[label]], 2))
        texts.append(" ".join(rng.permutation(words)))
        y.append(label)
    return texts, np.asarray(y, dtype="int32"), labels


def test_stopped_early_follows_patience():
    history = [{"val_loss": v} for v in (5.0, 4.0, 4.5, 4.6)]
    assert not stopped_early(history, patience=3)
    assert stopped_early(history + [{"val_loss": 4.7}], patience=3)
    assert not stopped_early(history + [{"val_loss": 3.9}], patience=3)


def test_best_weights_saves_only_improvements(tmp_path):
    model = build_bow_classifier(3, 2)
    callback = BestWeights(tmp_path / "best.weights.h5", best=1.0)
    callback.set_model(model)
    callback.on_epoch_end(0, {"val_loss": 2.0})
    assert not (tmp_path / "best.weights.h5").exists()
    callback.on_epoch_end(1, {"val_loss": 0.5})
    saved = [w.copy() for w in model.get_weights()]
    model.set_weights([w + 1 for w in saved])
    callback.on_epoch_end(2, {"val_loss": 0.7})
    model.load_weights(tmp_path / "best.weights.h5")
    np.testing.assert_allclose(model.get_weights()[0], saved[0])
    assert [p.name for p in tmp_path.iterdir()] == ["best.weights.h5"]


def test_baseline_learns_three_classes(tmp_path):
    texts, y, labels = documents(150)
    assets = build_assets(texts[:120], labels, "bow", "word", tmp_path)
    classifier = train_baseline(assets, (texts[:100], y[:100]), (texts[100:120], y[100:120]))
    accuracy = np.mean(classifier.predict_proba(texts[120:]).argmax(1) == y[120:])
    assert accuracy > 0.9  # chance is 1/3


def test_training_ends_with_the_best_weights_and_resumes_without_retraining(tmp_path):
    texts, y, labels = documents(90)
    assets = build_assets(texts, labels, "bow", "word", tmp_path)
    classifier = Classifier(None, assets, bow=True)
    data = (classifier.inputs(texts[:60], y[:60], 16, True), classifier.inputs(texts[60:], y[60:]))

    def build():
        model = build_bow_classifier(len(assets.vocabulary), 3)
        return compile_classifier(model, learning_rate=0.5, clip=1.0)

    model, history = train_classifier(build, tmp_path, *data, epochs=40, patience=2, verbose=0)
    losses = [row["val_loss"] for row in history]
    assert len(history) < 40  # stopped early
    best = model.evaluate(data[1], verbose=0, return_dict=True)["loss"]
    assert best == pytest.approx(min(losses), rel=1e-4)
    again, history_again = train_classifier(build, tmp_path, *data, epochs=40, patience=2,
                                            verbose=0)
    assert history_again == history
    np.testing.assert_allclose(again.get_weights()[0], model.get_weights()[0])


def test_load_classifier_rejects_a_foreign_vocabulary(tmp_path):
    texts, _, labels = documents(30)
    assets = build_assets(texts, labels, "birnn", "word", tmp_path)
    assets.save(tmp_path)
    model = build_rnn_classifier(len(assets.vocabulary) + 5, 3, cell="gru", units=2)
    model.save(tmp_path / "model.keras")
    with pytest.raises(InputError, match="model.keras.*embedding rows but vocab.json has"):
        load_classifier(tmp_path)
    model = build_rnn_classifier(len(assets.vocabulary), 2, cell="gru", units=2)
    model.save(tmp_path / "model.keras")
    with pytest.raises(InputError, match="2 outputs but labels.json has 3"):
        load_classifier(tmp_path)


def test_load_classifier_needs_a_model(tmp_path):
    with pytest.raises(InputError, match="no model.keras"):
        load_classifier(tmp_path)


def test_bow_check_compares_input_width(tmp_path):
    texts, _, labels = documents(30)
    assets = build_assets(texts, labels, "bow", "word", tmp_path)
    classifier = Classifier(keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)]),
                            assets, bow=True)
    with pytest.raises(InputError, match="3 input features"):
        classifier.check()
