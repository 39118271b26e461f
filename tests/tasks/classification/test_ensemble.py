import shutil
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

import textrnn.tasks.classification.task as task_module
from textrnn.io import read_json
from textrnn.tasks import ClassifierTask
from textrnn.tasks.classification import ClassifierPreprocessor, LabelledTexts
from textrnn.tasks.classification.ensemble import (
    member_dir,
    member_metrics,
    member_minutes,
    saved_member_dirs,
)

from .test_task import TINY, documents

FIT = dict(epochs=2, patience=2, learning_rate=0.02, batch_size=16, verbose=0)


def splits():
    data = documents(90)
    return [LabelledTexts(data.texts[a:b], data.labels[a:b]) for a, b in ((0, 60), (60, 75),
                                                                            (75, 90))]


def new_task(train):
    return ClassifierTask(ClassifierPreprocessor.build(train.texts, train.labels,
                                                       model_kind="rnn"), model_options=TINY)


@pytest.fixture(scope="module")
def ensemble_run(tmp_path_factory):
    """Two tiny GRUs (seeds 0 and 1) trained into one run folder."""
    run_dir = tmp_path_factory.mktemp("ensemble_run")
    train, validation, test = splits()
    task = new_task(train)
    task.fit(train, validation, run_dir, ensemble=2, **FIT)
    return task, run_dir, test


def test_members_live_in_the_run_folder_and_differ(ensemble_run):
    task, run_dir, _ = ensemble_run
    assert saved_member_dirs(run_dir) == [run_dir / "member-2"]
    assert len(task.members) == 1
    first, second = task.model.get_layer("embedding"), task.members[0].get_layer("embedding")
    assert not np.allclose(first.get_weights()[0], second.get_weights()[0])  # other seed
    assert read_json(run_dir / "member-2" / "train_state.json")["epochs_done"] == 2


def test_probabilities_are_the_mean_of_the_saved_members(ensemble_run):
    _, run_dir, test = ensemble_run
    task = ClassifierTask.from_run(run_dir)
    by_hand = []
    for folder in (run_dir, run_dir / "member-2"):
        model = keras.saving.load_model(folder / "model.keras", compile=False)
        by_hand.append([model.predict(task.preprocessor.inputs([text]), verbose=0)[0]
                        for text in test.texts])
    np.testing.assert_allclose(task.predict_proba(test.texts), np.mean(by_hand, axis=0),
                               atol=1e-5)
    assert task.predict_proba(test.texts).dtype == np.float32


def test_from_run_in_a_fresh_process_loads_every_member(ensemble_run, tmp_path):
    task, run_dir, test = ensemble_run
    code = ("import sys, numpy; from textrnn.tasks import ClassifierTask; "
            "task = ClassifierTask.from_run(sys.argv[1]); print(len(task.members)); "
            "numpy.save(sys.argv[2], task.predict_proba(sys.argv[3:]))")
    saved = tmp_path / "probabilities.npy"
    result = subprocess.run([sys.executable, "-c", code, str(run_dir), str(saved), *test.texts],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "1"
    np.testing.assert_allclose(np.load(saved), task.predict_proba(test.texts), atol=1e-5)


def test_a_run_folder_without_members_is_one_model(ensemble_run, tmp_path):
    task, run_dir, test = ensemble_run
    single = tmp_path / "single"
    shutil.copytree(run_dir, single, ignore=shutil.ignore_patterns("member-*"))
    loaded = ClassifierTask.from_run(single)
    assert loaded.members == []
    np.testing.assert_allclose(loaded.predict_proba(test.texts),
                               task.member_probabilities(test.texts)[0], atol=1e-5)


def test_save_writes_every_member(ensemble_run, tmp_path):
    task, _, test = ensemble_run
    task.save(tmp_path / "saved")
    np.testing.assert_allclose(ClassifierTask.from_run(tmp_path / "saved").predict_proba(
        test.texts), task.predict_proba(test.texts), atol=1e-5)


def test_a_killed_run_resumes_with_the_member_in_flight(tmp_path, monkeypatch, capsys):
    train, validation, _ = splits()
    fit_member = task_module.fit_with_early_stopping

    def killed_in_member_2(build, run_dir, *args, **kwargs):
        if run_dir.name == "member-2":  # one epoch committed, then the process died
            fit_member(build, run_dir, *args[:2], 1, *args[3:], **kwargs)
            raise KeyboardInterrupt
        return fit_member(build, run_dir, *args, **kwargs)

    monkeypatch.setattr(task_module, "fit_with_early_stopping", killed_in_member_2)
    with pytest.raises(KeyboardInterrupt):
        new_task(train).fit(train, validation, tmp_path, ensemble=2, **FIT)
    monkeypatch.undo()
    first_state = (tmp_path / "train_state.json").stat().st_mtime_ns
    capsys.readouterr()
    task = new_task(train)
    history = task.fit(train, validation, tmp_path, ensemble=2, **FIT)
    assert f"Resuming {tmp_path / 'member-2'} after epoch 1." in capsys.readouterr().out
    assert (tmp_path / "train_state.json").stat().st_mtime_ns == first_state  # not retrained
    assert len(history) == 2 and len(task.members) == 1
    assert read_json(tmp_path / "member-2" / "train_state.json")["epochs_done"] == 2


def test_ensemble_must_be_a_positive_count(tmp_path):
    train, validation, _ = splits()
    with pytest.raises(ValueError, match="`ensemble`.*got 0"):
        new_task(train).fit(train, validation, tmp_path, ensemble=0, **FIT)


def test_member_metrics_score_each_member():
    probabilities = np.array([[[0.9, 0.1], [0.6, 0.4]],    # member 1: both "a"
                              [[0.2, 0.8], [0.3, 0.7]]])   # member 2: both "b"
    metrics = member_metrics(np.array([0, 1]), probabilities, ["a", "b"])
    assert metrics == {"ensemble_size": 2, "member1_test_accuracy": 0.5,
                       "member1_test_macro_f1": pytest.approx(1 / 3),
                       "member2_test_accuracy": 0.5,
                       "member2_test_macro_f1": pytest.approx(1 / 3)}


def test_member_folders_and_budget(tmp_path):
    assert member_dir(tmp_path, 0) == tmp_path and member_dir(tmp_path, 1).name == "member-2"
    assert member_minutes(None, time.monotonic(), 3) is None
    assert member_minutes(9.0, time.monotonic(), 3) == pytest.approx(3.0, abs=0.01)
    assert member_minutes(1.0, time.monotonic() - 120, 2) == 0.1  # spent: one step each
