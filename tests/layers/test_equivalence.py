"""textrnn's layers and cells give the Keras built-ins' numbers, given the built-ins' weights."""

import keras
import numpy as np
import pytest
from _helpers import (
    FEATURES,
    INPUTS,
    MASK,
    STEPS,
    TARGETS,
    UNITS,
    VARIANT_IDS,
    VARIANTS,
    assert_close,
    one_sgd_step,
    pair,
)
from keras import ops

import textrnn.layers as textrnn_layers

all_variants = pytest.mark.parametrize(("name", "extra"), VARIANTS, ids=VARIANT_IDS)
# Options that do not interact with the variant are checked on one variant per cell.
core_variants = pytest.mark.parametrize(
    ("name", "extra"), [("SimpleRNN", {}), ("LSTM", {}), ("GRU", {})], ids=["rnn", "lstm", "gru"]
)


@all_variants
@pytest.mark.parametrize(
    ("options", "masked"),
    [
        ({}, True),
        ({"return_sequences": True, "unroll": True}, False),
        ({"go_backwards": True, "return_sequences": True}, True),
    ],
    ids=["last-mask", "sequences-unroll", "backwards-mask"],
)
def test_outputs_and_states_match_builtin(name, extra, options, masked):
    builtin, ours = pair(name, extra, return_state=True, **options)
    mask = MASK if masked else None
    assert_close(builtin(INPUTS, mask=mask), ours(INPUTS, mask=mask))


@all_variants
def test_fast_and_generic_paths_agree(name, extra):
    _, fast = pair(name, extra, return_sequences=True, return_state=True)
    generic = getattr(textrnn_layers, name)(
        UNITS, return_sequences=True, return_state=True, use_fast_path=False, **extra
    )
    generic.build((None, STEPS, FEATURES))
    generic.set_weights(fast.get_weights())
    for mask in (None, MASK):  # the fast path runs in training (no dropout here: deterministic)
        assert_close(fast(INPUTS, mask=mask, training=True), generic(INPUTS, mask=mask))


@all_variants
@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask-backwards"])
def test_training_step_matches_builtin(name, extra, masked):
    builtin, ours = pair(name, extra, return_sequences=True, go_backwards=masked)
    assert_close(one_sgd_step(builtin, masked), one_sgd_step(ours, masked), atol=2e-5)


@core_variants
def test_initial_state_matches_builtin(name, extra):
    builtin, ours = pair(name, extra, return_state=True)
    sizes = [UNITS, UNITS] if name == "LSTM" else [UNITS]
    states = [np.full((INPUTS.shape[0], size), 0.3, "float32") for size in sizes]
    assert_close(builtin(INPUTS, initial_state=states), ours(INPUTS, initial_state=states))


@core_variants
def test_cell_inside_keras_rnn_and_stacked_cells(name, extra):
    builtin, ours = pair(name, extra)
    rnn_ours = keras.layers.RNN(getattr(textrnn_layers, name + "Cell")(UNITS, **extra))
    rnn_ours.build((None, STEPS, FEATURES))
    rnn_ours.set_weights(ours.get_weights())
    assert_close(builtin(INPUTS, mask=MASK), rnn_ours(INPUTS, mask=MASK))

    cells = [getattr(textrnn_layers, name + "Cell")(UNITS, **extra) for _ in range(2)]
    stacked_ours = keras.layers.RNN(keras.layers.StackedRNNCells(cells), return_sequences=True)
    stacked_builtin = keras.layers.RNN(
        [getattr(keras.layers, name + "Cell")(UNITS, **extra) for _ in range(2)],
        return_sequences=True,
    )
    stacked_builtin.build((None, STEPS, FEATURES))
    stacked_ours.build((None, STEPS, FEATURES))
    stacked_ours.set_weights(stacked_builtin.get_weights())
    assert_close(stacked_builtin(INPUTS), stacked_ours(INPUTS))


@core_variants
def test_bidirectional_and_stacked_layers_match_builtin(name, extra):
    def model(module):
        sequences = keras.Input((STEPS, FEATURES))
        hidden = keras.layers.Masking(0.0)(sequences)
        hidden = keras.layers.Bidirectional(
            getattr(module, name)(UNITS, return_sequences=True, **extra)
        )(hidden)
        output = getattr(module, name)(UNITS, **extra)(hidden)
        return keras.Model(sequences, output)

    builtin, ours = model(keras.layers), model(textrnn_layers)
    ours.set_weights(builtin.get_weights())
    inputs = INPUTS * MASK[..., None]
    assert_close(builtin.predict(inputs, verbose=0), ours.predict(inputs, verbose=0))


@core_variants
def test_stateful_two_calls_equal_one_call_on_concatenation(name, extra):
    builtin, _ = pair(name, extra, return_sequences=True)
    ours = getattr(textrnn_layers, name)(UNITS, stateful=True, return_sequences=True, **extra)
    ours.build((INPUTS.shape[0], STEPS, FEATURES))
    ours.set_weights(builtin.get_weights())
    second = INPUTS[:, ::-1]
    halves = np.concatenate(
        [ops.convert_to_numpy(ours(INPUTS)), ops.convert_to_numpy(ours(second))], axis=1
    )
    assert_close(builtin(np.concatenate([INPUTS, second], axis=1)), halves)
    ours.reset_state()
    assert_close(builtin(INPUTS), ours(INPUTS))


class _VaryingLengths(keras.utils.PyDataset):
    """Token batches whose length changes from batch to batch, zero-padded at the end."""

    def __len__(self):
        return 2  # two lengths: each one more compiled step on JAX

    def __getitem__(self, index):
        rng = np.random.default_rng(index)
        ids = rng.integers(1, 20, size=(4, 4 + index))
        ids[0, -2:] = 0
        return ids, rng.integers(0, 2, size=4)


@pytest.mark.skipif(
    keras.backend.backend() == "jax",
    reason="JAX compiles each length as a fixed shape (test_training_step_matches_builtin); "
    "the step traced with an unknown number of timesteps is TensorFlow's (CI time)",
)
@core_variants
def test_fit_on_batches_of_unknown_length_with_mask_matches_builtin(name, extra):
    # On TensorFlow a PyDataset traces the step with an unknown number of timesteps; scanning
    # inputs and mask together then failed inside Keras' scan.
    def model(module):
        keras.utils.set_random_seed(0)
        built = keras.Sequential(
            [
                keras.Input((None,), dtype="int32"),
                keras.layers.Embedding(20, FEATURES, mask_zero=True),
                keras.layers.Bidirectional(getattr(module, name)(UNITS, **extra)),
                keras.layers.Dense(2),
            ]
        )
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        built.compile(keras.optimizers.SGD(0.5), loss)
        return built

    builtin, ours = model(keras.layers), model(textrnn_layers)
    ours.set_weights(builtin.get_weights())
    for trained in (builtin, ours):
        trained.fit(_VaryingLengths(), epochs=1, shuffle=False, verbose=0)
    assert_close(builtin.get_weights(), ours.get_weights(), atol=2e-5)
    assert_close(
        builtin.predict(_VaryingLengths(), verbose=0), ours.predict(_VaryingLengths(), verbose=0)
    )


def test_stacked_lstms_of_different_widths_train_like_builtin():
    # Each layer's backward pass must use its own shapes (torch's custom-gradient bridge
    # carries the LSTM's outputs flattened and splits them again).
    def model(module):
        return keras.Sequential(
            [
                keras.Input((STEPS, FEATURES)),
                module.LSTM(UNITS, return_sequences=True),
                module.LSTM(3, return_sequences=True),
            ]
        )

    builtin, ours = model(keras.layers), model(textrnn_layers)
    ours.set_weights(builtin.get_weights())
    for trained in (builtin, ours):
        trained.compile(keras.optimizers.SGD(0.5), "mse")
        trained.train_on_batch(INPUTS, TARGETS[..., :3])
    assert_close(builtin.get_weights(), ours.get_weights(), atol=2e-5)
