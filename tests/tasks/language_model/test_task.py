import contextlib
import math
import re

import keras
import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.io import write_json
from textrnn.models import build_language_model
from textrnn.preprocessing import Vocabulary
from textrnn.tasks import LanguageModelTask
from textrnn.tasks.language_model import LanguageModelPreprocessor, split_text
from textrnn.tasks.language_model import task as lm_task
from textrnn.tasks.language_model.callbacks import SAMPLES_FILE, SampleCallback, samples_before
from textrnn.training import load_run

LINES = ["the cat sat on the mat.", "a dog ran in the fog.", "the cat ran to the dog."]
TEXT = "\n".join(LINES[i % 3] for i in range(120)) + "\n"
SMALL = dict(batch_size=4, seq_len=16, lr=0.01, units=32, embedding_dim=8)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A char-level task trained for 3 epochs in a run folder, and its history."""
    keras.utils.set_random_seed(0)
    run_dir = tmp_path_factory.mktemp("lm")
    splits = split_text(TEXT, (0.8, 0.1))
    task = LanguageModelTask(LanguageModelPreprocessor.build(splits.train, "char", run_dir))
    history = task.fit(splits.train, splits.validation, run_dir, epochs=3, prompt="the ",
                       sample_length=10, **SMALL)
    return task, history, run_dir, splits


def test_fit_learns_and_logs_bits_per_character_every_epoch(trained):
    task, history, run_dir, _ = trained
    assert [row["epoch"] for row in history] == [1, 2, 3]
    assert history[-1]["loss"] < 0.7 * history[0]["loss"]
    for row in history:
        assert row["val_bpc"] == pytest.approx(row["val_loss"] / math.log(2), rel=1e-4)
        assert row["val_perplexity"] == pytest.approx(math.exp(row["val_loss"]), rel=1e-4)
    for name in ("tokenizer.json", "vocab.json", "model.keras", "samples.txt"):
        assert (run_dir / name).exists(), name


def test_evaluate_reports_the_mean_over_all_tokens(trained):
    task, history, _, splits = trained
    figures = task.evaluate(splits.validation, seq_len=16)
    assert set(figures) == {"loss", "perplexity", "bpc"}
    assert figures["loss"] == pytest.approx(history[-1]["val_loss"], rel=1e-5)
    assert figures["perplexity"] == pytest.approx(math.exp(figures["loss"]), rel=1e-5)
    assert figures["bpc"] == pytest.approx(figures["loss"] / math.log(2), rel=1e-5)


def test_evaluate_on_a_uniform_model_gives_the_vocabulary_size():
    # Zero logits: every token has probability 1/V, so the loss is ln V, the perplexity V
    # and the bits per character log2 V, whatever the text.
    preprocessor = LanguageModelPreprocessor.build("abcdefg\n", "char", run_dir=None)
    model = build_language_model(len(preprocessor.vocabulary), units=4, batch_size=2)
    logits = model.get_layer("logits")
    logits.set_weights([np.zeros_like(w) for w in logits.get_weights()])
    figures = LanguageModelTask(preprocessor, model).evaluate("gfedcba\n" * 5, seq_len=4)
    size = len(preprocessor.vocabulary)  # 8 characters, <pad>, <unk>
    assert size == 10
    assert figures["loss"] == pytest.approx(math.log(10), rel=1e-5)
    assert figures["perplexity"] == pytest.approx(10.0, rel=1e-5)
    assert figures["bpc"] == pytest.approx(math.log2(10), rel=1e-5)


def test_from_run_gives_the_same_generated_text_for_a_seed(trained):
    task, _, run_dir, _ = trained
    text = task.generate("the ", length=30, temperature=0.8, seed=3)
    assert isinstance(text, str) and len(text) == 30
    assert LanguageModelTask.from_run(run_dir).generate("the ", length=30, seed=3) == text
    assert task.generate("the ", length=30, seed=4) != text


def test_save_round_trip_into_another_folder(trained, tmp_path):
    task, *_ = trained
    task.save(tmp_path)
    loaded = LanguageModelTask.from_run(tmp_path)
    assert loaded.generate("a ", length=20, seed=1) == task.generate("a ", length=20, seed=1)


def test_a_vocabulary_that_does_not_match_the_model_is_refused(trained, tmp_path):
    task, *_ = trained
    task.save(tmp_path)
    Vocabulary(list("abc")).save(tmp_path / "vocab.json")
    with pytest.raises(InputError, match="vocabulary of .* but the run folder's"):
        LanguageModelTask.from_run(tmp_path)


def test_a_run_folder_of_the_old_layout_loads(trained, tmp_path):
    task, _, run_dir, _ = trained
    for name in ("model.keras", "vocab.json"):
        (tmp_path / name).write_bytes((run_dir / name).read_bytes())
    write_json(tmp_path / "tokenizer.json",  # as written before tasks were objects
               {"level": "char", "tokenizer": {"lowercase": False, "normalization": None}})
    loaded = LanguageModelTask.from_run(tmp_path)
    assert loaded.generate("the ", length=15, seed=2) == task.generate("the ", 15, seed=2)


def test_ngram_baseline_scores_the_test_split(trained):
    task, _, _, splits = trained
    figures = task.ngram_baseline(splits.train, splits.validation, splits.test, seq_len=16)
    assert set(figures) == {"order", "perplexity", "bpc"}
    assert 1 <= figures["order"] <= 6 and 1.0 < figures["perplexity"] < 3.0


def test_word_level_fit_and_generate(tmp_path):
    keras.utils.set_random_seed(0)
    splits = split_text(TEXT, (0.8, 0.1))
    task = LanguageModelTask(LanguageModelPreprocessor.build(splits.train, "word", tmp_path))
    history = task.fit(splits.train, splits.validation, tmp_path, epochs=2,
                       **{**SMALL, "seq_len": 4})
    assert "val_bpc" not in history[-1] and "val_perplexity" in history[-1]
    assert set(task.evaluate(splits.validation, seq_len=4)) == {"loss", "perplexity"}
    assert LanguageModelTask.from_run(tmp_path).generate("the cat", length=6, seed=0)


def test_generate_needs_a_model_and_a_prompt():
    preprocessor = LanguageModelPreprocessor.build(TEXT, "char", run_dir=None)
    with pytest.raises(ValueError, match="call `fit`"):
        LanguageModelTask(preprocessor).generate("the ")
    model = build_language_model(len(preprocessor.vocabulary), units=4)
    with pytest.raises(ValueError, match="empty `prompt`"):
        LanguageModelTask(preprocessor, model).generate("")


def test_generation_never_emits_padding_or_unknown():
    preprocessor = LanguageModelPreprocessor.build(TEXT, "char", run_dir=None)
    vocabulary = preprocessor.vocabulary
    model = build_language_model(len(vocabulary), units=4)
    logits = model.get_layer("logits")
    kernel, bias = logits.get_weights()
    bias[[vocabulary.pad_id, vocabulary.unk_id]] = 50.0  # they would win every step
    logits.set_weights([kernel, bias])
    text = LanguageModelTask(preprocessor, model).generate("the ", length=40, seed=0)
    assert len(text) == 40 and set(text) <= set(TEXT)


def test_fit_follows_a_schedule_with_weight_decay_and_awd_options(tmp_path):
    keras.utils.set_random_seed(0)
    splits = split_text(TEXT, (0.8, 0.1))
    task = LanguageModelTask(LanguageModelPreprocessor.build(splits.train, "char", tmp_path))
    history = task.fit(splits.train, splits.validation, tmp_path, epochs=2, schedule="one-cycle",
                       weight_decay=0.01, weight_dropout=0.2, output_dropout=0.1,
                       tie_weights=True, ar=1.0, **SMALL)
    assert len(history) == 2 and all(math.isfinite(row["val_loss"]) for row in history)
    optimizer = task.model.optimizer
    steps = int(optimizer.iterations)
    # Two epochs of a two-epoch one-cycle schedule: the rate has annealed to ~0.
    assert float(optimizer.learning_rate) < 1e-5 * SMALL["lr"] * 25
    resumed = load_run(tmp_path)  # what `fit` resumes from: the checkpoint, optimizer included
    assert int(resumed.model.optimizer.iterations) == steps  # the schedule continues there
    assert float(resumed.model.optimizer.learning_rate) == pytest.approx(
        float(optimizer.learning_rate))


def test_find_lr_writes_the_plot_and_suggests_a_rate(tmp_path):
    splits = split_text(TEXT, (0.8, 0.1))
    task = LanguageModelTask(LanguageModelPreprocessor.build(splits.train, "char", tmp_path))
    result = task.find_lr(splits.train, tmp_path, steps=30, batch_size=4, seq_len=16, units=16,
                          embedding_dim=8)
    assert (tmp_path / "lr_finder.png").exists()
    assert 1e-5 < result.suggestion < 1.0 and len(result.losses) >= 3
    assert task.model is None  # the test ran on a throw-away model


def test_a_repeated_epoch_replaces_its_sample(trained, tmp_path):
    task, _, run_dir, _ = trained
    text = (run_dir / SAMPLES_FILE).read_text(encoding="utf-8")
    assert [int(n) for n in re.findall(r"^=== epoch (\d+) ===$", text, re.MULTILINE)] == [1, 2, 3]
    # A run killed in epoch 3 after its sample, resumed: epoch 2 is repeated, then 3 again.
    callback = SampleCallback(task.preprocessor, "the ", 5, run_dir, seed=1)
    callback.set_model(task.model)
    (tmp_path / SAMPLES_FILE).write_text(text, encoding="utf-8")
    callback.path = tmp_path / SAMPLES_FILE
    for epoch in (1, 2):  # 0-based
        callback.on_epoch_end(epoch)
    repeated = callback.path.read_text(encoding="utf-8")
    assert repeated.startswith(samples_before(run_dir / SAMPLES_FILE, 2))
    assert re.findall(r"^=== epoch (\d+) ===$", repeated, re.MULTILINE) == ["1", "2", "3"]
    assert samples_before(tmp_path / "missing.txt", 1) == ""


def test_a_batch_that_does_not_split_over_the_replicas_is_refused(tmp_path, monkeypatch):
    """Each replica carries the state of batch_size / N streams (tests/training/
    test_distribute.py trains on two); 4 streams do not split over 3 replicas."""

    class ThreeReplicas:
        num_replicas_in_sync = 3

    monkeypatch.setattr(lm_task, "strategy_scope",
                        lambda name, **_: contextlib.nullcontext(ThreeReplicas()))
    splits = split_text(TEXT, (0.8, 0.1))
    task = LanguageModelTask(LanguageModelPreprocessor.build(splits.train, "char", tmp_path))
    with pytest.raises(InputError, match="--batch-size 4 does not split over the 3 replicas of "
                                         "--distribute mirrored"):
        task.fit(splits.train, splits.validation, tmp_path, epochs=1, distribute="mirrored",
                 **SMALL)
    assert not (tmp_path / "model.keras").exists()
