import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.tasks.tagging import MostFrequentTagBaseline, TaggerPreprocessor, TaggerTask
from textrnn.tasks.tagging.evaluation import tag_scores

from .conftest import toy_sentences

SMALL = dict(units=16, embedding_dim=8, char_dim=8, char_units=16, dropout=0.0)


def train(tmp_path, toy, epochs=8, **settings):
    task = TaggerTask(TaggerPreprocessor.build(toy))
    history = task.fit(toy, tmp_path / "run", toy[:20], epochs=epochs, batch_size=16, lr=0.02,
                       verbose=0, **SMALL, **settings)
    return task, history


@pytest.mark.parametrize("crf", [False, True])
def test_fit_beats_the_baseline_on_unseen_words_and_round_trips(tmp_path, toy, crf):
    task, history = train(tmp_path, toy, crf=crf)
    assert history[-1]["loss"] < 0.5 * history[0]["loss"]
    # New stems: the baseline knows only "the"/"a"/"."; the char features know -og / -ims.
    test = toy_sentences(30, seed=1)
    test = [([t.replace("og", "zog") if t.endswith("og") else t for t in tokens], tags)
            for tokens, tags in test]
    scores, predicted = task.evaluate(test)
    baseline = MostFrequentTagBaseline().fit(toy).predict([t for t, _ in test])
    assert scores["accuracy"] > 0.95
    assert scores["accuracy"] > tag_scores([g for _, g in test], baseline)["accuracy"] + 0.2
    assert scores["oov_rate"] > 0.25 and scores["oov_accuracy"] > 0.9
    loaded = TaggerTask.from_run(tmp_path / "run")
    assert loaded.uses_crf == crf
    assert loaded.predict([t for t, _ in test]) == predicted


def test_predict_raw_strings_and_empty_text(tmp_path, toy):
    task, _ = train(tmp_path, toy, epochs=1)
    tags = task.predict(["the dog barks.", "", "a clog"])
    assert [len(t) for t in tags] == [4, 0, 2]
    with pytest.raises(ValueError, match="single string"):
        task.predict("the dog")


def test_from_run_refuses_a_mismatched_vocabulary(tmp_path, toy):
    train(tmp_path, toy, epochs=1, char_encoder="none")
    other = TaggerPreprocessor.build(toy[:3])
    other.save(tmp_path / "run")
    with pytest.raises(InputError, match="word vocabulary size"):
        TaggerTask.from_run(tmp_path / "run")
    with pytest.raises(InputError, match="not a trained textrnn-tag run"):
        TaggerTask.from_run(tmp_path / "missing")


def test_unknown_settings_and_untrained_model(toy):
    task = TaggerTask(TaggerPreprocessor.build(toy))
    with pytest.raises(TypeError, match="heads"):
        task.fit(toy, "unused", heads=2)
    with pytest.raises(ValueError, match="call `fit`"):
        task.predict([["a"]])


def test_word_dropout_rates_follow_counts(toy):
    task = TaggerTask(TaggerPreprocessor.build(toy))
    rates = task._unk_rate(toy, 0.25)
    the = task.preprocessor.words.token_to_id("the")
    assert rates[the] < 0.01 and np.all(rates <= 0.2)
