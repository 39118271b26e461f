import csv

import keras
import numpy as np
import pytest
import tensorflow as tf

from textrnn.training import GlobalNormClipping, GradNormLogger, clip_by_global_norm


def _grads():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(3, 4)).astype("float32") * 3, None,
            rng.normal(size=(4,)).astype("float32")]


@pytest.mark.parametrize("max_norm", [0.5, 2.0, 100.0])
def test_clip_by_global_norm_matches_tensorflow(max_norm):
    grads = _grads()
    clipped, norm = clip_by_global_norm(grads, max_norm)
    present = [g for g in grads if g is not None]
    expected, expected_norm = tf.clip_by_global_norm(present, max_norm)
    np.testing.assert_allclose(float(norm), float(expected_norm), rtol=1e-6)
    assert clipped[1] is None
    for got, want in zip([clipped[0], clipped[2]], expected, strict=True):
        np.testing.assert_allclose(np.asarray(got), want.numpy(), rtol=1e-5, atol=1e-7)


def test_global_clipping_differs_from_per_variable_clipnorm():
    grads = [g for g in _grads() if g is not None]
    clipped, _ = clip_by_global_norm(grads, 1.0)
    per_variable = [tf.clip_by_norm(g, 1.0).numpy() for g in grads]
    # Global clipping keeps the direction of the whole gradient, per-tensor clipping does not.
    ratios = [np.asarray(c).ravel()[0] / g.ravel()[0] for c, g in zip(clipped, grads, strict=True)]
    assert np.isclose(ratios[0], ratios[1])
    assert not np.allclose(np.asarray(clipped[1]), per_variable[1])
    total = np.sqrt(sum(np.sum(np.square(np.asarray(c))) for c in clipped))
    assert total == pytest.approx(1.0, rel=1e-5)


def test_non_finite_norm_poisons_clipped_values():
    grads = [np.array([1.0, np.inf], "float32")]
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert not np.isfinite(float(norm))
    assert np.isnan(np.asarray(clipped[0])).all()


@pytest.mark.parametrize("bad", [0, -1.0, "1", True])
def test_bad_max_norm(bad):
    with pytest.raises(ValueError, match="max_norm"):
        clip_by_global_norm([np.ones(2, "float32")], bad)


def test_rejects_inner_optimizer_with_its_own_clipping():
    with pytest.raises(ValueError, match="clipnorm"):
        GlobalNormClipping(keras.optimizers.SGD(clipnorm=1.0), 1.0)
    with pytest.raises(ValueError, match="inner_optimizer"):
        GlobalNormClipping("adam", 1.0)


def _model(optimizer, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.SimpleRNN(4),
                              keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(16, 5, 3)).astype("float32") * 5, rng.normal(size=(16, 1)).astype(
        "float32") * 10


def test_step_equals_sgd_on_globally_clipped_gradients():
    x, y = _data()
    model = _model(GlobalNormClipping(keras.optimizers.SGD(0.1), max_norm=0.3))
    reference = _model(keras.optimizers.SGD(0.1))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.mean_squared_error(y, reference(x)))
    grads = tape.gradient(loss, reference.trainable_variables)
    clipped, norm = tf.clip_by_global_norm(grads, 0.3)
    expected = [v.numpy() - 0.1 * g.numpy()
                for v, g in zip(reference.trainable_variables, clipped, strict=True)]
    model.train_on_batch(x, y)
    for got, want in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert float(model.optimizer.last_grad_norm.numpy()) == pytest.approx(float(norm), rel=1e-5)
    # Per-variable clipnorm takes a different step.
    per_variable = _model(keras.optimizers.SGD(0.1, clipnorm=0.3))
    per_variable.train_on_batch(x, y)
    assert not all(np.allclose(a, b) for a, b in
                   zip(per_variable.get_weights(), model.get_weights(), strict=True))


def test_nan_batch_is_skipped_and_counted():
    x, y = _data()
    model = _model(GlobalNormClipping(keras.optimizers.Adam(1e-2), max_norm=1.0))
    model.fit(x, y, batch_size=8, verbose=0)
    before = model.get_weights()
    adam_state = [v.numpy().copy() for v in model.optimizer.inner_optimizer.variables]
    bad = x[:8].copy()
    bad[0, 0, 0] = np.nan
    model.train_on_batch(bad, y[:8])
    for got, want in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(model.optimizer.inner_optimizer.variables, adam_state, strict=True):
        np.testing.assert_array_equal(got.numpy(), want)
    assert int(model.optimizer.skipped_steps.numpy()) == 1
    assert int(model.optimizer.iterations.numpy()) == 2
    model.train_on_batch(x[:8], y[:8])
    assert int(model.optimizer.iterations.numpy()) == 3


def test_grad_norm_reaches_history_and_csv_logger(tmp_path):
    x, y = _data()
    model = _model(GlobalNormClipping(keras.optimizers.Adam(1e-2), max_norm=1.0))
    csv_path = tmp_path / "history.csv"
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0,
                        callbacks=[GradNormLogger(), keras.callbacks.CSVLogger(str(csv_path))])
    assert len(history.history["grad_norm"]) == 2
    assert all(norm > 0 for norm in history.history["grad_norm"])
    assert history.history["skipped_steps"] == [0, 0]
    with open(csv_path) as handle:
        rows = list(csv.DictReader(handle))
    assert float(rows[1]["grad_norm"]) == pytest.approx(history.history["grad_norm"][1])
    # The per-epoch figure is the mean of the epoch's pre-clip norms.
    optimizer = model.optimizer
    total = float(optimizer.grad_norm_sum.numpy()) / int(optimizer.applied_steps.numpy())
    assert np.mean(history.history["grad_norm"]) == pytest.approx(total, rel=1e-5)


def test_grad_norm_logger_needs_the_wrapper():
    x, y = _data()
    model = _model("adam")
    with pytest.raises(ValueError, match="GlobalNormClipping"):
        model.fit(x, y, verbose=0, callbacks=[GradNormLogger()])


def test_save_and_load_round_trip(tmp_path):
    x, y = _data()
    model = _model(GlobalNormClipping(keras.optimizers.Adam(1e-2), max_norm=0.7))
    model.fit(x, y, batch_size=8, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.optimizer, GlobalNormClipping)
    assert loaded.optimizer.max_norm == 0.7
    assert isinstance(loaded.optimizer.inner_optimizer, keras.optimizers.Adam)
    assert int(loaded.optimizer.iterations.numpy()) == 2
    model.train_on_batch(x[:8], y[:8])
    loaded.train_on_batch(x[:8], y[:8])
    for got, want in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
