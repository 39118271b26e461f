import numpy as np
import pytest
from keras import ops

from textrnn.generation import samplers
from textrnn.generation.samplers import (
    BeamSampler,
    GreedySampler,
    RandomSampler,
    TopKSampler,
    TopPSampler,
)

LOGITS = np.log(np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]], dtype="float32"))


def pick(sampler, uniform):
    ids = sampler.get_next_token(sampler.scale(ops.convert_to_tensor(LOGITS)),
                                 ops.convert_to_tensor(np.asarray(uniform, dtype="float32")))
    return ops.convert_to_numpy(ids).tolist()


def test_greedy_is_argmax():
    assert pick(GreedySampler(), [0.0, 0.99]) == [3, 0]


@pytest.mark.parametrize(("uniform", "expected"), [(0.05, 0), (0.15, 1), (0.45, 2), (0.95, 3)])
def test_inverse_cdf_sampling(uniform, expected):
    # Row 0 has cumulative probabilities 0.1, 0.3, 0.6, 1.0.
    assert pick(RandomSampler(), [uniform, 0.0])[0] == expected


def test_top_k_keeps_only_the_k_most_likely():
    # Top-2 of row 0 is {2: 0.3, 3: 0.4}, renormalised to 3/7, 4/7.
    assert pick(TopKSampler(k=2), [0.0, 0.0])[0] == 2
    assert pick(TopKSampler(k=2), [0.42, 0.0])[0] == 2
    assert pick(TopKSampler(k=2), [0.44, 0.0])[0] == 3


def test_top_p_keeps_the_nucleus():
    # Row 1 sorted: 0.4, 0.3, 0.2, 0.1 -> p=0.6 keeps {0, 1}, renormalised to 4/7, 3/7.
    assert pick(TopPSampler(p=0.6), [0.0, 0.56])[1] == 0
    assert pick(TopPSampler(p=0.6), [0.0, 0.58])[1] == 1
    assert pick(TopPSampler(p=0.6), [0.0, 0.999])[1] == 1
    # With k=1 first, only the most likely token is left.
    assert pick(TopPSampler(p=0.9, k=1), [0.99, 0.99]) == [3, 0]


def test_top_p_never_empty():
    assert pick(TopPSampler(p=1e-6), [0.9, 0.9]) == [3, 0]


def test_temperature_scales_the_logits():
    # Temperature 0.5 squares the probabilities: row 0 becomes 1, 4, 9, 16 (/30).
    sampler = RandomSampler(temperature=0.5)
    assert pick(sampler, [0.16, 0.0])[0] == 1  # cdf 1/30, 5/30, 14/30, 1
    assert pick(sampler, [0.17, 0.0])[0] == 2
    assert pick(RandomSampler(temperature=0.01), [0.01, 0.99]) == [3, 0]


def counting_step(vocab=6):
    """Each row's next token is the previous one plus one (mod vocab); the state counts."""

    def step(tokens, state):
        return ops.one_hot((tokens + 1) % vocab, vocab) * 50.0, state + 1

    return step


def test_loop_feeds_tokens_back_and_stops_at_the_end_token():
    step, state = counting_step(), ops.zeros((2,), dtype="int32")
    ids = GreedySampler()(step, state, np.array([0, 3]), max_length=5)
    np.testing.assert_array_equal(ids, [[1, 2, 3, 4, 5], [4, 5, 0, 1, 2]])
    ids = GreedySampler()(step, state, np.array([0, 3]), max_length=5, end_id=5)
    np.testing.assert_array_equal(ids, [[1, 2, 3, 4, 5], [4, 5, 5, 5, 5]])


def test_loop_spans_several_compiled_chunks():
    ids = GreedySampler()(counting_step(), ops.zeros((1,)), np.array([0]), max_length=300)
    np.testing.assert_array_equal(ids[0], (np.arange(300) + 1) % 6)


def test_seeded_samples_repeat():
    logits = ops.convert_to_tensor(np.zeros((3, 50), "float32"))

    def step(tokens, state):
        return logits, state

    sampler, start = RandomSampler(), np.zeros(3, "int32")
    first = sampler(step, ops.zeros((3,)), start, 200, seed=1)
    np.testing.assert_array_equal(first, sampler(step, ops.zeros((3,)), start, 200, seed=1))
    assert (first != sampler(step, ops.zeros((3,)), start, 200, seed=2)).any()
    # Uniform logits: token = floor(50 u) for the host-drawn u (inverse CDF).
    uniforms = np.random.default_rng(1).random((3, 128), dtype=np.float32)
    np.testing.assert_array_equal(first[:, :128], np.floor(uniforms * 50).astype(int))


def test_registry():
    assert isinstance(samplers.get("greedy"), GreedySampler)
    sampler = samplers.get("top_k", k=10, temperature=0.5)
    assert isinstance(sampler, TopKSampler)
    assert sampler.get_config() == {"temperature": 0.5, "k": 10}
    assert TopKSampler.from_config(sampler.get_config()).k == 10
    assert samplers.get(sampler) is sampler
    assert samplers.get("beam", num_beams=3).get_config() == {
        "temperature": 1.0, "num_beams": 3, "length_penalty": 0.6}
    with pytest.raises(ValueError, match="one of"):
        samplers.get("nucleus")


def test_from_options():
    assert isinstance(samplers.from_options(0.0, top_k=5), GreedySampler)
    assert samplers.from_options(0.7, top_k=5).get_config() == {"temperature": 0.7, "k": 5}
    assert samplers.from_options(1.0, 3, 0.9).get_config() == {
        "temperature": 1.0, "p": 0.9, "k": 3}
    assert type(samplers.from_options(2.0)) is RandomSampler


@pytest.mark.parametrize("options", [dict(temperature=-1), dict(temperature=float("nan")),
                                     dict(top_k=0), dict(top_p=0.0),
                                     dict(top_p=1.5), dict(temperature=0, top_k=0)])
def test_bad_options(options):
    with pytest.raises(ValueError, match="Received an invalid value"):
        samplers.from_options(**options)


def test_bad_arguments():
    with pytest.raises(ValueError, match="`temperature`"):
        RandomSampler(temperature=0)
    with pytest.raises(ValueError, match="`num_beams`"):
        BeamSampler(num_beams=0)
    with pytest.raises(ValueError, match="`max_length`"):
        GreedySampler()(counting_step(), ops.zeros((1,)), np.array([0]), max_length=-1)
    with pytest.raises(ValueError, match="`start_ids`"):
        GreedySampler()(counting_step(), ops.zeros((1,)), np.array([]), max_length=3)
