import keras
import numpy as np
import pytest
from keras import ops

from textrnn.training import (
    gradient_flow,
    hidden_state_gradients,
    plot_gradient_flow,
    recurrent_spectral_norm,
)


def test_linear_rnn_matches_closed_form():
    # h_t = x_t W + h_{t-1} U, L = sum(h_T v)  =>  dL/dh_t = v (U^T)^(T-1-t).
    batch, steps, units = 2, 6, 3
    layer = keras.layers.SimpleRNN(units, activation=None, return_sequences=True)
    x = np.random.default_rng(0).normal(size=(batch, steps, 2)).astype("float32")
    layer(x)
    recurrent = layer.cell.recurrent_kernel.numpy()
    v = np.array([1.0, -2.0, 0.5], "float32")
    norms = hidden_state_gradients(layer, x, lambda out: ops.sum(out[:, -1] * v))
    expected = []
    for t in range(steps):
        row = v @ np.linalg.matrix_power(recurrent.T, steps - 1 - t)
        expected.append(np.sqrt(batch) * np.linalg.norm(row))
    np.testing.assert_allclose(norms, expected, rtol=1e-5)


@pytest.mark.parametrize("layer_class", [keras.layers.LSTM, keras.layers.GRU])
def test_sequential_helper_equals_manual_loss_and_gated_cells_work(layer_class):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(1).integers(0, 7, size=(3, 9))
    y = np.random.default_rng(2).normal(size=(3, 1)).astype("float32")
    model = keras.Sequential([keras.Input((9,), dtype="int32"), keras.layers.Embedding(7, 4),
                              layer_class(5), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    norms = gradient_flow(model, x, y)
    embedded = model.layers[0](x)
    manual = hidden_state_gradients(
        model.layers[1], embedded,
        lambda out: ops.mean(keras.losses.mean_squared_error(y, model.layers[2](out[:, -1]))))
    np.testing.assert_allclose(norms, manual, rtol=1e-6)
    assert norms.shape == (9,) and np.all(norms > 0)


def test_spectral_norm_and_errors():
    layer = keras.layers.LSTM(4)
    layer.build((None, 3, 2))
    kernel = layer.cell.recurrent_kernel.numpy()
    assert recurrent_spectral_norm(layer) == pytest.approx(np.linalg.svd(kernel)[1][0], rel=1e-5)
    with pytest.raises(ValueError, match="recurrent_kernel"):
        recurrent_spectral_norm(keras.layers.Dense(2))
    with pytest.raises(ValueError, match="Sequential"):
        gradient_flow(keras.Model(), None, None)
    with pytest.raises(ValueError, match=r"\[batch, time, features\]"):
        hidden_state_gradients(layer, np.zeros((3, 2)), ops.sum)


def test_plot_writes_png(tmp_path):
    path = plot_gradient_flow({"a": np.array([1e-3, 1e-2, 1.0]), "b": np.ones(3)},
                              tmp_path / "flow.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
