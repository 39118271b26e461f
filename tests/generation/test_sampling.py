import numpy as np
import pytest
from keras import ops

from textrnn.generation import SamplingConfig, sample_next_token

LOGITS = np.log(np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]], dtype="float32"))


def sample(uniform, **config):
    ids = sample_next_token(ops.convert_to_tensor(LOGITS), ops.convert_to_tensor(
        np.asarray(uniform, dtype="float32")), SamplingConfig(**config))
    return ops.convert_to_numpy(ids).tolist()


def test_greedy_is_argmax():
    assert sample([0.0, 0.99], temperature=0) == [3, 0]


@pytest.mark.parametrize(("uniform", "expected"), [(0.05, 0), (0.15, 1), (0.45, 2), (0.95, 3)])
def test_inverse_cdf_sampling(uniform, expected):
    # Row 0 has cumulative probabilities 0.1, 0.3, 0.6, 1.0.
    assert sample([uniform, 0.0])[0] == expected


def test_top_k_keeps_only_the_k_most_likely():
    # Top-2 of row 0 is {2: 0.3, 3: 0.4}, renormalised to 3/7, 4/7.
    assert sample([0.0, 0.0], top_k=2)[0] == 2
    assert sample([0.42, 0.0], top_k=2)[0] == 2
    assert sample([0.44, 0.0], top_k=2)[0] == 3


def test_top_p_keeps_the_nucleus():
    # Row 1 sorted: 0.4, 0.3, 0.2, 0.1 -> p=0.6 keeps {0, 1}, renormalised to 4/7, 3/7.
    assert sample([0.0, 0.56], top_p=0.6)[1] == 0
    assert sample([0.0, 0.58], top_p=0.6)[1] == 1
    assert sample([0.0, 0.999], top_p=0.6)[1] == 1


def test_top_p_never_empty():
    assert sample([0.9, 0.9], top_p=1e-6) == [3, 0]


def test_low_temperature_approaches_greedy():
    assert sample([0.01, 0.99], temperature=0.01) == [3, 0]


@pytest.mark.parametrize("config", [dict(temperature=-1), dict(top_k=0), dict(top_p=0.0),
                                    dict(top_p=1.5)])
def test_bad_config(config):
    with pytest.raises(ValueError, match="Received an invalid value"):
        SamplingConfig(**config)
