"""ULMFiT transfer: the encoder copy, gradual unfreezing, saving, loading and resuming."""

import importlib.util
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.layers import RNNLayer
from textrnn.models import build_rnn_classifier, layer_groups
from textrnn.tasks.classification import ClassifierTask
from textrnn.tasks.classification.training import compile_classifier
from textrnn.tasks.classification.transfer import (
    GradualUnfreezing,
    encoder_options,
    load_encoder_run,
    transfer_encoder,
)
from textrnn.tasks.language_model import LanguageModelPreprocessor, LanguageModelTask

SPAM = ["win a free prize now", "free cash prize call now", "claim your free prize"]
HAM = ["see you at home later", "are we meeting for dinner", "ok see you later at home"]
TRAIN = (SPAM * 6 + HAM * 6, ["spam"] * 18 + ["ham"] * 18)


def language_model_run(path, level="word", cell="gru"):
    """A saved (untrained) language-model run: stateful, fixed batch, two layers."""
    text = "\n".join(SPAM + HAM) + "\n"
    keras.utils.set_random_seed(0)
    task = LanguageModelTask(LanguageModelPreprocessor.build(text, level, path))
    task.model = task.build_model(batch_size=4, cell=cell, units=6, num_layers=2,
                                  embedding_dim=5)
    task.save(path)
    return task


def test_transferred_classifier_starts_with_the_language_models_weights(tmp_path):
    lm = LanguageModelTask.from_run(language_model_run(tmp_path / "lm") and tmp_path / "lm")
    task = ClassifierTask.from_language_model(lm, TRAIN, tmp_path / "run")
    assert task.preprocessor.vocabulary == lm.preprocessor.vocabulary
    assert encoder_options(lm.model) == {"cell": "gru", "units": 6, "num_layers": 2,
                                         "embedding_dim": 5}
    np.testing.assert_array_equal(task.model.get_layer("embedding").get_weights()[0],
                                  lm.model.get_layer("embedding").get_weights()[0])
    sources = [layer for layer in lm.model.layers if isinstance(layer, RNNLayer)]
    targets = [layer for layer in task.model.layers if isinstance(layer, RNNLayer)]
    assert len(targets) == 2 and not any(layer.stateful for layer in targets)
    for source, target in zip(sources, targets, strict=True):
        for a, b in zip(source.get_weights(), target.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_transfer_into_a_classifier_of_other_sizes_is_an_error(tmp_path):
    lm = language_model_run(tmp_path / "lm")
    classifier = build_rnn_classifier(len(lm.preprocessor.vocabulary), 2, cell="gru", units=7,
                                      num_layers=2, embedding_dim=5, bidirectional=False)
    with pytest.raises(ValueError, match="Cannot copy weight"):
        transfer_encoder(lm.model, classifier)


def test_char_level_or_missing_encoder_run_is_a_one_line_input_error(tmp_path):
    language_model_run(tmp_path / "char", level="char")
    with pytest.raises(InputError, match="word or subword language model") as error:
        load_encoder_run(tmp_path / "char")
    assert "\n" not in str(error.value)
    with pytest.raises(InputError, match="not a trained textrnn-lm run folder"):
        load_encoder_run(tmp_path / "nothing")


def test_resuming_with_another_encoders_vocabulary_is_an_error(tmp_path):
    lm = language_model_run(tmp_path / "lm")
    ClassifierTask.from_language_model(lm, TRAIN).preprocessor.save(tmp_path / "run")
    other = LanguageModelTask(LanguageModelPreprocessor.build("other words only\n", "word",
                                                              tmp_path / "other"))
    other.model = other.build_model(batch_size=2, cell="gru", units=6, num_layers=2,
                                    embedding_dim=5)
    with pytest.raises(InputError, match="not the encoder's"):
        ClassifierTask.from_language_model(other, TRAIN, tmp_path / "run")


class ChangeRecorder(keras.callbacks.Callback):
    """Per epoch: the layers whose weights the first batch changed."""

    def __init__(self):
        super().__init__()
        self.changed = []

    def on_epoch_begin(self, epoch, logs=None):
        self._before = {layer.name: [np.array(w) for w in layer.get_weights()]
                        for layer in self.model.layers if layer.weights}

    def on_train_batch_end(self, batch, logs=None):
        if batch == 0:
            self.changed.append({name for name, weights in self._before.items()
                                 if any(not np.array_equal(w, v) for w, v in zip(
                                     weights, self.model.get_layer(name).get_weights(),
                                     strict=True))})


def test_gradual_unfreezing_trains_one_more_group_per_epoch(tmp_path):
    lm = language_model_run(tmp_path / "lm")
    task = ClassifierTask.from_language_model(lm, TRAIN, dropout=0.0)
    groups = layer_groups(task.model)
    assert groups == [["embedding"], ["gru_1"], ["gru_2"], ["pooling", "probabilities"]]
    compile_classifier(task.model, 0.01, 1.0, weight_decay=0.1)  # decay must respect freezing
    recorder = ChangeRecorder()
    x, y = task.preprocessor.inputs(*TRAIN, batch_size=36)[0]
    task.model.fit(x, y, epochs=5, batch_size=36, verbose=0,
                   callbacks=[GradualUnfreezing(), recorder])
    expected = [{"probabilities"}, {"gru_2", "probabilities"},
                {"gru_1", "gru_2", "probabilities"},
                {"embedding", "gru_1", "gru_2", "probabilities"}]
    assert recorder.changed == [*expected, expected[-1]]
    assert all(np.asarray(task.model.optimizer.inner_optimizer.gates) == 1.0)  # whole again


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
def test_gradual_unfreezing_on_jax():
    """JAX's compiled step takes the trainable variables as state, so freezing must not
    change that list: the same test in a fresh JAX process."""
    test = f"{__file__}::test_gradual_unfreezing_trains_one_more_group_per_epoch"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             test], env={**os.environ, "KERAS_BACKEND": "jax"},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]


def test_transfer_fit_saves_loads_and_resumes(tmp_path):
    lm = language_model_run(tmp_path / "lm")
    run = tmp_path / "run"
    task = ClassifierTask.from_language_model(lm, TRAIN, run)
    options = dict(patience=5, learning_rate=0.02, batch_size=12, weight_decay=0.01,
                   unfreeze=True, lr_decay=2.6, verbose=0)
    history = task.fit(TRAIN, TRAIN, run, epochs=2, **options)
    assert len(history) == 2
    loaded = ClassifierTask.from_run(run)  # safe mode
    texts = ["free prize now", "see you at home"]
    np.testing.assert_allclose(loaded.predict_proba(texts), task.predict_proba(texts),
                               atol=1e-6)
    again = ClassifierTask.for_run(run, TRAIN, language_model=lambda: pytest.fail("no LM"))
    history = again.fit(TRAIN, TRAIN, run, epochs=3, **options)
    assert [row["epoch"] for row in history] == [1, 2, 3]
    optimizer = again.model.optimizer.inner_optimizer
    assert type(optimizer).__name__ == "LayerwiseAdamW"
    assert optimizer.multipliers["embedding"] == pytest.approx(2.6 ** -3)
