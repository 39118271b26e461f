"""`recurrent_weight_dropout`: DropConnect on the recurrent kernel, one mask per layer call."""

import keras
import numpy as np
import pytest
from _helpers import FEATURES, INPUTS, STEPS, UNITS, assert_close, one_sgd_step
from keras import ops

import textrnn.layers as textrnn_layers

CELLS = pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])


def spy_masks(layer):
    """Records every kernel mask the cell hands out (the layer asks before its loop, the
    cell at each generic step)."""
    masks, original = [], layer.cell.get_recurrent_kernel_mask

    def recording():
        mask = original()
        masks.append(None if mask is None else ops.convert_to_numpy(mask))
        return mask

    layer.cell.get_recurrent_kernel_mask = recording
    return masks


def built(name, **kwargs):
    layer = getattr(textrnn_layers, name)(UNITS, return_sequences=True, seed=3, **kwargs)
    layer.build((None, STEPS, FEATURES))
    return layer


@CELLS
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "generic"])
def test_one_mask_per_call_constant_over_steps_new_per_call(name, fast):
    layer = built(name, recurrent_weight_dropout=0.5, use_fast_path=fast)
    masks = spy_masks(layer)
    layer(INPUTS, training=True)
    first = masks[0]
    assert all(np.array_equal(mask, first) for mask in masks)  # every step: the same mask
    assert set(np.unique(first)) <= {0.0, 2.0}  # dropped, or kept and scaled by 1 / (1 - p)
    assert 0.2 < np.mean(first == 0.0) < 0.8
    masks.clear()
    layer(INPUTS, training=True)
    assert not np.array_equal(masks[0], first)  # the next call (sequence/batch) draws anew


@CELLS
def test_the_dropped_kernel_is_the_one_used_at_every_step(name):
    # The output equals the same layer without weight drop whose kernel is kernel * mask.
    layer = built(name, recurrent_weight_dropout=0.5)
    masks = spy_masks(layer)
    outputs = layer(INPUTS, training=True)
    plain = built(name)
    weights = layer.get_weights()
    weights[1] = weights[1] * masks[0]
    plain.set_weights(weights)
    assert_close(plain(INPUTS), outputs)


@CELLS
def test_off_at_inference(name):
    layer = built(name, recurrent_weight_dropout=0.5)
    plain = built(name)
    plain.set_weights(layer.get_weights())
    assert_close(plain(INPUTS), layer(INPUTS))
    assert_close(plain(INPUTS), layer(INPUTS, training=False))


@CELLS
def test_fast_and_generic_paths_train_alike(name):
    # Same seed: the same first mask; one SGD step compares the gradients of both paths.
    fast = built(name, recurrent_weight_dropout=0.4)
    generic = built(name, recurrent_weight_dropout=0.4, use_fast_path=False)
    generic.set_weights(fast.get_weights())
    assert_close(one_sgd_step(fast), one_sgd_step(generic), atol=2e-5)


def test_config_round_trip_and_validation():
    layer = textrnn_layers.LSTM(4, recurrent_weight_dropout=0.25)
    assert layer.get_config()["recurrent_weight_dropout"] == 0.25
    clone = textrnn_layers.LSTM.from_config(layer.get_config())
    assert clone.cell.recurrent_weight_dropout == 0.25
    assert textrnn_layers.LSTM(4).get_config()["recurrent_weight_dropout"] == 0.0
    with pytest.raises(ValueError, match="recurrent_weight_dropout"):
        textrnn_layers.GRU(4, recurrent_weight_dropout=1.0)


def test_keras_rnn_layer_renews_the_mask_of_a_cell():
    # keras.layers.RNN resets the recurrent masks after every call, the weight mask included.
    cell = textrnn_layers.SimpleRNNCell(UNITS, recurrent_weight_dropout=0.5, seed=1)
    rnn = keras.layers.RNN(cell, return_sequences=True)
    first = ops.convert_to_numpy(rnn(INPUTS, training=True))
    second = ops.convert_to_numpy(rnn(INPUTS, training=True))
    assert not np.allclose(first, second)
    assert np.allclose(ops.convert_to_numpy(rnn(INPUTS)), ops.convert_to_numpy(rnn(INPUTS)))
