"""TranslatorTask on a tiny copy task: learning, resuming, run-folder round trips, scoring."""

import json
import shutil

import numpy as np
import pytest
import sacrebleu

from textrnn.errors import InputError
from textrnn.tasks import TranslatorTask
from textrnn.tasks.translation import TranslatorPreprocessor
from textrnn.tasks.translation.evaluation import read_predictions

WORDS = ["red", "blue", "green", "cat", "dog", "sun", "moon", "tree"]
PROBES = ["red cat", "blue dog sun", "moon tree green red"]


@pytest.fixture(scope="module")
def sentences():
    rng = np.random.default_rng(0)
    return [" ".join(rng.choice(WORDS, size=rng.integers(2, 5))) for _ in range(240)]


@pytest.fixture(scope="module")
def trained(sentences, tmp_path_factory):
    """A copy task (target = source), 4 epochs; returns the task, its folder and history."""
    run_dir = tmp_path_factory.mktemp("copy")
    preprocessor = TranslatorPreprocessor.build(sentences, sentences, run_dir, vocab_size=40,
                                                shared=True, max_length=10)
    task = TranslatorTask(preprocessor, model_options=dict(units=16, embedding_dim=8,
                                                           attention="luong", dropout=0.0))
    history = task.fit(sentences, sentences, run_dir, (sentences[:16], sentences[:16]),
                       epochs=4, batch_size=16, learning_rate=0.01, verbose=0)
    return task, run_dir, history


def test_copy_task_learns(trained):
    _, run_dir, history = trained
    losses = [row["loss"] for row in history]
    assert len(losses) == 4 and losses[-1] < 0.8 * losses[0]
    assert "val_loss" in history[-1]
    for name in ("model.keras", "translation_assets.json", "subword.model", "target_vocab.json"):
        assert (run_dir / name).stat().st_size > 0


def test_save_and_from_run_give_identical_translations(trained, tmp_path):
    task, run_dir, _ = trained
    expected = task.translate(PROBES, beam_width=3)
    assert TranslatorTask.from_run(run_dir).translate(PROBES, beam_width=3) == expected
    task.save(tmp_path)
    assert TranslatorTask.from_run(tmp_path).translate(PROBES, beam_width=3) == expected


def test_old_layout_run_folder_loads(trained, tmp_path):
    task, run_dir, _ = trained
    shutil.copytree(run_dir, tmp_path / "old")
    (tmp_path / "old" / "translation_assets.json").write_text(json.dumps({"shared": True}))
    old = TranslatorTask.from_run(tmp_path / "old")
    assert old.preprocessor.shared
    assert old.translate(PROBES, max_length=11) == task.translate(PROBES)


def test_evaluate_scores_the_predictions_file(trained, sentences, tmp_path):
    task, _, _ = trained
    path = tmp_path / "predictions.tsv"
    result = task.evaluate(sentences[:12], sentences[:12], beam_width=1, predictions_path=path)
    assert set(result) == {"bleu", "chrf", "bleu_greedy", "chrf_greedy"}
    columns = read_predictions(path)
    assert columns["hypothesis"] == columns["hypothesis_greedy"]  # beam 1 is greedy
    assert result["bleu"] == pytest.approx(
        sacrebleu.corpus_bleu(columns["hypothesis"], [columns["reference"]]).score)
    assert result["bleu"] == result["bleu_greedy"]


def test_attention_heatmap(trained, tmp_path):
    task, _, _ = trained
    assert task.plot_attention("red cat", tmp_path / "a.png", beam_width=1)
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"
    plain = TranslatorTask(task.preprocessor, model_options=dict(
        units=4, embedding_dim=4, attention="none"))
    plain.model = plain.build_model()
    assert not plain.plot_attention("red cat", tmp_path / "b.png", hypothesis="red")
    assert not (tmp_path / "b.png").exists()


@pytest.mark.slow  # tests/cli/test_translate.py resumes an old run folder unmarked
def test_resume_trains_the_remaining_epochs(trained, sentences, tmp_path):
    _, run_dir, _ = trained
    shutil.copytree(run_dir, tmp_path / "run")
    task = TranslatorTask(TranslatorPreprocessor.load(tmp_path / "run"))
    history = task.fit(sentences, sentences, tmp_path / "run", epochs=5, verbose=0)
    assert len(history) == 5 and history[:4] == trained[2]


def test_refusals(trained, tmp_path):
    task, _, _ = trained
    with pytest.raises(ValueError, match="single string"):
        task.translate("red cat")
    with pytest.raises(ValueError, match="no model yet"):
        TranslatorTask(task.preprocessor).translate(["red"])
    with pytest.raises(InputError, match="not a trained textrnn-translate run folder"):
        TranslatorTask.from_run(tmp_path)
