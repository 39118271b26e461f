import keras
import numpy as np
import pytest

from textrnn.layers import ConcatPooling

STEPS = np.array([[[1.0, 4.0], [3.0, 0.0], [2.0, 2.0]],
                  [[5.0, -1.0], [7.0, 7.0], [9.0, 9.0]]], dtype="float32")
MASK = np.array([[True, True, False], [True, False, False]])


def test_concat_pooling_is_last_max_and_mean_of_unpadded_steps():
    pooled = keras.ops.convert_to_numpy(ConcatPooling()(STEPS, mask=MASK))
    #                         last        max         mean
    expected = np.array([[3, 0, 3, 4, 2, 2],
                         [5, -1, 5, -1, 5, -1]], dtype="float32")
    np.testing.assert_allclose(pooled, expected)


def test_concat_pooling_takes_the_backward_half_last_state_at_step_0():
    pooled = keras.ops.convert_to_numpy(ConcatPooling(backward_units=1)(STEPS, mask=MASK))
    np.testing.assert_allclose(pooled[:, :2], [[3, 4], [5, -1]])


def test_concat_pooling_config_round_trip_and_bad_argument():
    layer = ConcatPooling(backward_units=3, name="pool")
    assert ConcatPooling.from_config(layer.get_config()).backward_units == 3
    with pytest.raises(ValueError, match="backward_units"):
        ConcatPooling(backward_units=-1)
