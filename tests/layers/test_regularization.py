"""`LockedDropout`, `EmbeddingDropout` and `ActivationRegularization` (AWD-LSTM's regularisers)."""

import keras
import numpy as np
import pytest
from keras import ops

from textrnn.layers import ActivationRegularization, EmbeddingDropout, LockedDropout


def test_locked_dropout_mask_is_constant_over_time_and_new_per_call():
    layer = LockedDropout(0.5, seed=1)
    inputs = np.ones((4, 7, 10), "float32")
    first = ops.convert_to_numpy(layer(inputs, training=True))
    assert set(np.unique(first)) <= {0.0, 2.0}
    assert (first == first[:, :1, :]).all()  # every step of a sequence: the same mask
    assert not (first == first[:1]).all()  # rows of the batch: their own masks
    assert not np.array_equal(ops.convert_to_numpy(layer(inputs, training=True)), first)
    assert np.array_equal(ops.convert_to_numpy(layer(inputs)), inputs)  # identity at inference
    assert np.array_equal(ops.convert_to_numpy(layer(inputs[:, 0])), inputs[:, 0])  # one step


def test_embedding_dropout_drops_whole_rows_and_scales_the_rest():
    layer = EmbeddingDropout(20, 3, rate=0.5, seed=2, embeddings_initializer="ones")
    ids = np.tile(np.arange(20, dtype="int32"), (3, 2))  # every id at several positions
    out = ops.convert_to_numpy(layer(ids, training=True))
    assert set(np.unique(out)) <= {0.0, 2.0}
    per_id = out[..., 0].reshape(3, 2, 20)
    assert (per_id == per_id[:1, :1]).all()  # an id reads the same row everywhere
    assert (out == out[..., :1]).all()  # the whole vector of a token: dropped or kept
    assert 0 < np.mean(per_id[0, 0] == 0.0) < 1
    assert np.array_equal(ops.convert_to_numpy(layer(ids)), np.ones((3, 40, 3), "float32"))


def test_embedding_dropout_has_the_weights_of_keras_embedding():
    ours, builtin = EmbeddingDropout(9, 4, rate=0.3), keras.layers.Embedding(9, 4)
    ours.build((None,))
    builtin.build((None,))
    ours.set_weights(builtin.get_weights())
    ids = np.array([[1, 5, 8]], "int32")
    np.testing.assert_array_equal(
        ops.convert_to_numpy(ours(ids)), ops.convert_to_numpy(builtin(ids))
    )
    config = ours.get_config()
    assert (config["rate"], config["input_dim"]) == (0.3, 9)
    assert EmbeddingDropout.from_config(config).rate == 0.3


def test_ar_and_tar_add_the_hand_computed_penalty_in_training_only():
    # h over 3 steps of 2 units: mean(h^2) = (1+4+9+16+0+4)/6 = 34/6;
    # differences (3-1, 4-2), (0-3, 2-4): mean of squares = (4+4+9+4)/4 = 21/4.
    h = np.array([[[1.0, 2.0], [3.0, 4.0], [0.0, 2.0]]], "float32")
    layer = ActivationRegularization(ar=2.0, tar=0.5)
    assert np.array_equal(ops.convert_to_numpy(layer(h, training=True)), h)
    losses = sorted(float(ops.convert_to_numpy(loss)) for loss in layer.losses)
    assert losses == pytest.approx(sorted([2.0 * 34 / 6, 0.5 * 21 / 4]))
    layer(h, training=False)
    assert layer.losses == []


@pytest.mark.filterwarnings("ignore:The model does not have any trainable weights")
def test_ar_penalty_reaches_the_training_loss():
    inputs = keras.Input((3, 2))
    model = keras.Model(inputs, ActivationRegularization(ar=1.0)(inputs))
    model.compile("sgd", "mse")
    h = np.array([[[1.0, 2.0], [3.0, 4.0], [0.0, 2.0]]], "float32")
    # Prediction equals the target: the MSE is 0 and the loss is the AR term alone.
    assert model.train_on_batch(h, h) == pytest.approx(34 / 6, rel=1e-5)
    assert model.evaluate(h, h, verbose=0) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (lambda: LockedDropout(1.0), "rate"),
        (lambda: EmbeddingDropout(5, 2, rate=-0.1), "rate"),
        (lambda: ActivationRegularization(ar=-1), "ar"),
    ],
)
def test_bad_arguments_name_the_argument(layer, message):
    with pytest.raises(ValueError, match=message):
        layer()


def test_configs_round_trip():
    for layer in (LockedDropout(0.3, seed=4), ActivationRegularization(ar=2.0, tar=1.0)):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()
