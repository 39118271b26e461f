"""Behaviour of the sequence layers beyond equivalence: config, errors, dropout, training."""

import keras
import numpy as np
import pytest
from _helpers import FEATURES, INPUTS, STEPS, TARGETS, UNITS, assert_close
from keras import ops

import textrnn.layers as textrnn_layers
from textrnn.layers import GRU, LSTM, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell

LAYERS = [SimpleRNN, LSTM, GRU]


@pytest.mark.parametrize("layer_class", LAYERS + [SimpleRNNCell, LSTMCell, GRUCell])
def test_config_round_trips_every_argument(layer_class):
    layer = layer_class(
        3,
        activation="relu",
        kernel_regularizer="l2",
        recurrent_constraint="non_neg",
        bias_initializer="ones",
        dropout=0.25,
        recurrent_dropout=0.5,
        seed=7,
    )
    config = layer.get_config()
    clone = layer_class.from_config(config)
    assert clone.get_config() == config
    assert config["units"] == 3 and config["dropout"] == 0.25 and config["seed"] == 7
    if layer_class in LAYERS:
        assert clone.units == 3 and clone.recurrent_dropout == 0.5
        builtin_keys = set(getattr(keras.layers, layer_class.__name__)(3).get_config())
        assert builtin_keys <= set(config)


def test_weight_names_and_shapes_match_builtin():
    for name in ("SimpleRNN", "LSTM", "GRU"):
        builtin = getattr(keras.layers, name)(UNITS)
        ours = getattr(textrnn_layers, name)(UNITS)
        builtin.build((None, STEPS, FEATURES))
        ours.build((None, STEPS, FEATURES))
        assert [(w.path.split("/", 1)[1], w.shape) for w in builtin.weights] == [
            (w.path.split("/", 1)[1], w.shape) for w in ours.weights
        ]


def test_defaults_orthogonal_recurrent_kernel_and_forget_bias():
    layer = LSTM(UNITS)
    layer.build((None, STEPS, FEATURES))
    kernel = ops.convert_to_numpy(layer.cell.recurrent_kernel)  # [units, 4 units]: orthonormal rows
    np.testing.assert_allclose(kernel @ kernel.T, np.eye(UNITS), atol=1e-5)
    expected_bias = np.r_[np.zeros(UNITS), np.ones(UNITS), np.zeros(2 * UNITS)]
    np.testing.assert_array_equal(ops.convert_to_numpy(layer.cell.bias), expected_bias)


def test_regularizers_add_losses_and_constraints_apply():
    layer = GRU(UNITS, kernel_regularizer=keras.regularizers.L2(0.1))
    layer(INPUTS)
    assert len(layer.losses) == 1 and float(layer.losses[0]) > 0
    constrained = SimpleRNN(UNITS, kernel_constraint="non_neg")
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), constrained])
    model.compile("sgd", "mse")
    model.train_on_batch(INPUTS, TARGETS[:, -1])
    assert ops.convert_to_numpy(constrained.cell.kernel).min() >= 0


@pytest.mark.parametrize("layer_class", LAYERS)
def test_dropout_one_mask_per_sequence_and_paths_agree(layer_class):
    fast = layer_class(UNITS, dropout=0.5, seed=3, return_sequences=True)
    generic = layer_class(UNITS, dropout=0.5, seed=3, return_sequences=True, use_fast_path=False)
    ones = np.ones((2, STEPS, FEATURES), "float32")
    fast.build(ones.shape)
    generic.build(ones.shape)
    generic.set_weights(fast.get_weights())
    # Same seed, same mask: the fast path (mask applied before the big matmul) and the cell
    # loop give the same numbers; inference ignores dropout.
    assert_close(fast(ones, training=True), generic(ones, training=True))
    assert not np.allclose(
        ops.convert_to_numpy(fast(ones, training=True)), ops.convert_to_numpy(fast(ones))
    )
    # Variational: with zero recurrent weights each step sees the same dropped inputs.
    still = layer_class(UNITS, dropout=0.5, recurrent_initializer="zeros", return_sequences=True)
    outputs = ops.convert_to_numpy(still(ones, training=True))
    if layer_class is SimpleRNN:
        np.testing.assert_allclose(outputs[:, 0], outputs[:, -1], atol=1e-6)


@pytest.mark.parametrize("layer_class", LAYERS)
def test_recurrent_dropout_trains_through_generic_loop(layer_class):
    layer = layer_class(UNITS, recurrent_dropout=0.3, dropout=0.2, seed=1)
    with pytest.raises(NotImplementedError):
        layer.build((None, STEPS, FEATURES)) or layer.cell.fast_sequence(
            np.zeros((STEPS, 2, FEATURES), "float32"), layer.cell.get_initial_state(2), None, True
        )
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), layer])
    model.compile("adam", "mse")
    model.fit(INPUTS, TARGETS[:, -1], epochs=1, verbose=0)
    assert np.isfinite(model.evaluate(INPUTS, TARGETS[:, -1], verbose=0))


@pytest.mark.parametrize("layer_class", LAYERS)
def test_training_reduces_loss_jit_compiled(layer_class):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((STEPS, FEATURES)),
            layer_class(8, return_sequences=True),
            keras.layers.Dense(UNITS),
        ]
    )
    # XLA on TensorFlow, jax.jit on JAX; torch.compile takes minutes to trace the step loop,
    # so torch trains eagerly (its default).
    jit_compile = keras.backend.backend() != "torch"
    model.compile(keras.optimizers.Adam(0.02), "mse", jit_compile=jit_compile)
    before = model.evaluate(INPUTS, TARGETS, verbose=0)
    model.fit(INPUTS, TARGETS, epochs=15, batch_size=3, verbose=0)
    assert model.evaluate(INPUTS, TARGETS, verbose=0) < 0.8 * before


# === Bad input ===


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: LSTM(0), "units"),
        (lambda: GRU(-3), "units"),
        (lambda: SimpleRNN(2.5), "units"),
        (lambda: LSTM(4, activation="no_such_activation"), "activation"),
        (lambda: GRU(4, recurrent_activation="nope"), "recurrent_activation"),
        (lambda: SimpleRNN(4, dropout=1.5), "dropout"),
        (lambda: LSTMCell(4, recurrent_dropout=-0.1), "recurrent_dropout"),
        (lambda: LSTM(4, use_cudnn="yes"), "use_cudnn"),
        (lambda: GRU(4, implementation=3), "implementation"),
    ],
)
def test_bad_constructor_arguments_name_the_argument(make, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        make()


def test_wrong_input_rank_names_argument_and_shape():
    with pytest.raises(ValueError, match=r"`sequences`.*\(3, 4\)"):
        LSTM(4)(np.zeros((3, 4), "float32"))
    layer = GRU(4)
    layer(INPUTS)
    with pytest.raises(ValueError, match=r"4 input features.*\(3, 5, 7\)"):
        layer(np.zeros((3, 5, 7), "float32"))


def test_unroll_needs_known_timesteps():
    with pytest.raises(ValueError, match=r"`unroll=True`.*\(None, None, 4\)"):
        keras.Sequential([keras.Input((None, FEATURES)), SimpleRNN(4, unroll=True)])


def test_mismatched_initial_state_names_argument_and_shapes():
    with pytest.raises(ValueError, match=r"`initial_state`.*2 tensor.*\(3, 6\)"):
        LSTM(UNITS)(INPUTS, initial_state=[np.zeros((3, UNITS), "float32")])
    with pytest.raises(ValueError, match=r"`initial_state`.*\(3, 5\)"):
        GRU(UNITS)(INPUTS, initial_state=[np.zeros((3, 5), "float32")])


def test_stateful_without_fixed_batch_size_is_rejected():
    with pytest.raises(ValueError, match="`stateful=True`.*batch_size"):
        keras.Sequential([keras.Input((STEPS, FEATURES)), LSTM(4, stateful=True)])


def _stacked_model(stateful, steps):
    """LSTM -> GRU -> SimpleRNN, all returning sequences, with a fixed batch size."""
    sequences = keras.Input(batch_shape=(INPUTS.shape[0], steps, FEATURES))
    hidden = LSTM(UNITS, return_sequences=True, stateful=stateful)(sequences)
    hidden = GRU(UNITS, return_sequences=True, stateful=stateful)(hidden)
    output = SimpleRNN(UNITS, return_sequences=True, stateful=stateful)(hidden)
    model = keras.Model(sequences, output)
    model.compile(keras.optimizers.SGD(0.0), "mse")  # no update: windows see the same weights
    return model


def _reset(model):
    for layer in model.layers[1:]:
        layer.reset_state()


def test_compiled_steps_carry_state_across_windows(tmp_path):
    # JAX's compiled steps are stateless: the carried states must be model variables that the
    # trainer threads from batch to batch, not untracked ones whose updates are dropped.
    windows = [INPUTS, INPUTS[:, ::-1]]
    targets = [TARGETS, TARGETS[:, ::-1]]
    stateful = _stacked_model(True, STEPS)
    whole = _stacked_model(False, 2 * STEPS)
    assert len(stateful.get_weights()) == len(whole.get_weights())
    whole.set_weights(stateful.get_weights())
    expected = ops.convert_to_numpy(whole(np.concatenate(windows, axis=1)))
    halves = np.split(expected, 2, axis=1)
    expected_losses = [
        np.mean((half - target) ** 2) for half, target in zip(halves, targets, strict=True)
    ]

    predicted = [stateful.predict_on_batch(window) for window in windows]
    assert_close(expected, np.concatenate(predicted, axis=1))
    _reset(stateful)
    trained = [stateful.train_on_batch(x, y) for x, y in zip(windows, targets, strict=True)]
    np.testing.assert_allclose(trained, expected_losses, rtol=1e-5)
    _reset(stateful)
    evaluated = stateful.evaluate(
        np.concatenate(windows), np.concatenate(targets), batch_size=INPUTS.shape[0], verbose=0
    )
    np.testing.assert_allclose(evaluated, np.mean(expected_losses), rtol=1e-5)

    # The carried states are not weights: saving and loading ignores them.
    stateful.save(tmp_path / "stateful.keras")
    loaded = keras.saving.load_model(tmp_path / "stateful.keras")
    assert_close(halves[0], loaded.predict_on_batch(windows[0]))
