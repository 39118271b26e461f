"""MaskedSparseCrossentropy averages over real tokens; log_prior is the smoothed unigram."""

import keras
import numpy as np
import pytest

from textrnn.models.seq2seq import build_seq2seq
from textrnn.tasks.translation import MaskedSparseCrossentropy, log_prior


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_loss_is_the_mean_over_real_tokens(smoothing):
    keras.utils.set_random_seed(0)
    model = build_seq2seq(9, 7, units=4, embedding_dim=4)
    model.compile(loss=MaskedSparseCrossentropy(smoothing))
    source = np.array([[4, 5, 6], [7, 0, 0]], "int32")
    target_in = np.array([[2, 4, 5], [2, 6, 0]], "int32")
    target_out = np.array([[4, 5, 3], [6, 3, 0]], "int32")
    logits = model.predict([source, target_in], verbose=0)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    real = target_out != 0
    nll = -np.take_along_axis(log_probs, target_out[..., None], -1)[..., 0]
    per_token = (1 - smoothing) * nll - smoothing * log_probs.mean(-1)
    loss = model.evaluate([source, target_in], target_out, verbose=0)
    np.testing.assert_allclose(loss, per_token[real].mean(), rtol=1e-5)
    restored = MaskedSparseCrossentropy.from_config(model.loss.get_config())
    assert restored.label_smoothing == smoothing


def test_registered_name_is_kept_for_old_checkpoints():
    # model.keras files written before the task became a package name the loss this way.
    assert keras.saving.get_registered_name(MaskedSparseCrossentropy) == (
        "textrnn>MaskedSparseCrossentropy")
    assert keras.saving.get_registered_object("textrnn>MaskedSparseCrossentropy") is (
        MaskedSparseCrossentropy)


def test_bad_label_smoothing():
    with pytest.raises(ValueError, match="label_smoothing"):
        MaskedSparseCrossentropy(1.0)


def test_log_prior_is_smoothed_target_unigram_frequency():
    target_out = np.array([[4, 4, 3, 0], [5, 3, 0, 0]])
    prior = log_prior(target_out, 6)
    counts = np.array([0, 0, 0, 2, 2, 1]) + 1.0  # padding (id 0) is not counted
    np.testing.assert_allclose(prior, np.log(counts / counts.sum()), rtol=1e-6)
    assert prior.dtype == np.float32
