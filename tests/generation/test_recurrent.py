import keras
import numpy as np
import pytest
from keras import ops

from textrnn import layers
from textrnn.generation import RecurrentGenerator, TopKSampler

VOCAB = 11


def language_model(recurrent, input_layer=None):
    keras.utils.set_random_seed(3)
    return keras.Sequential([
        keras.Input((None,), dtype="int32"),
        input_layer or keras.layers.Embedding(VOCAB, 8),
        *recurrent,
        keras.layers.Dropout(0.5),
        keras.layers.Dense(VOCAB),
    ])


MODELS = {
    "textrnn_simple_rnn": lambda: language_model([layers.SimpleRNN(16, return_sequences=True)]),
    "keras_stacked_lstm_gru": lambda: language_model([
        keras.layers.LSTM(16, return_sequences=True), keras.layers.GRU(12, return_sequences=True)]),
    "onehot_input": lambda: language_model([layers.SimpleRNN(16, return_sequences=True)],
                                           layers.OneHot(VOCAB)),
}


def rerun_prefix_greedy(model, prompt, length):
    """Greedy decoding the slow way: the whole prefix through the model for every token."""
    sequence = list(prompt)
    for _ in range(length):
        logits = model.predict(np.array([sequence]), verbose=0)[0, -1]
        sequence.append(int(np.argmax(logits)))
    return sequence[len(prompt):]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_state_carrying_equals_rerunning_the_prefix(name):
    model = MODELS[name]()
    generator = RecurrentGenerator(model)
    prompt = [3, 1, 4, 1, 5]
    greedy = generator.generate(prompt, 12, temperature=0)
    assert greedy.tolist() == [rerun_prefix_greedy(model, prompt, 12)]


def test_step_logits_match_the_full_model():
    model = MODELS["keras_stacked_lstm_gru"]()
    generator = RecurrentGenerator(model)
    tokens = np.array([[2, 7, 1, 9]])
    expected = model.predict(tokens, verbose=0)[0]
    states = generator.initial_states(1)
    for t in range(tokens.shape[1]):
        logits, states = generator.step(keras.ops.convert_to_tensor(tokens[:, t]), states)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(logits)[0], expected[t],
                                   atol=1e-5)


def test_sampling_is_reproducible_with_a_seed():
    generator = RecurrentGenerator(MODELS["textrnn_simple_rnn"]())
    first = generator.generate([1, 2], 300, temperature=1.0, top_k=5, seed=7, num_samples=2)
    again = generator.generate([1, 2], 300, temperature=1.0, top_k=5, seed=7, num_samples=2)
    other = generator.generate([1, 2], 300, temperature=1.0, top_k=5, seed=8, num_samples=2)
    assert first.shape == (2, 300)
    np.testing.assert_array_equal(first, again)
    assert (first != other).any()
    assert (first[0] != first[1]).any()  # side-by-side samples are independent


def test_sampling_equals_inverse_cdf_with_the_seeded_uniforms():
    # The reference: step by step on the host, top-5 at temperature 0.7, inverse CDF with
    # uniforms drawn from numpy's generator for the seed, 128 per row at a time.
    generator = RecurrentGenerator(MODELS["keras_stacked_lstm_gru"]())
    got = generator.generate([4, 2, 6], 20, temperature=0.7, top_k=5, seed=3, num_samples=2)
    uniforms = np.random.default_rng(3).random((2, 128), dtype=np.float32)
    states, tokens, expected = generator.initial_states(2), np.array([4, 4]), []
    for t in range(2 + 20):
        logits, states = generator.step(ops.convert_to_tensor(tokens, "int32"), states)
        if t < 2:
            tokens = np.array([[2, 6][t]] * 2)
            continue
        logits = ops.convert_to_numpy(logits).astype("float64") / 0.7
        logits[logits < np.sort(logits, axis=1)[:, -5:-4]] = -np.inf
        probs = np.exp(logits - logits.max(1, keepdims=True))
        cdf = np.cumsum(probs / probs.sum(1, keepdims=True), axis=1)
        tokens = (cdf <= uniforms[:, t - 2, None]).sum(1)
        expected.append(tokens)
    np.testing.assert_array_equal(got, np.stack(expected, 1))


def test_sampler_argument():
    generator = RecurrentGenerator(MODELS["textrnn_simple_rnn"]())
    greedy = generator.generate([1, 2], 10, temperature=0)
    np.testing.assert_array_equal(generator.generate([1, 2], 10, sampler="greedy"), greedy)
    top_k = generator.generate([1, 2], 10, temperature=0.8, top_k=3, seed=5)
    sampler = TopKSampler(k=3, temperature=0.8)
    np.testing.assert_array_equal(generator.generate([1, 2], 10, sampler=sampler, seed=5), top_k)
    with pytest.raises(ValueError, match="together with"):
        generator.generate([1, 2], 10, temperature=0.5, sampler="greedy")


def test_banned_ids_are_never_generated_and_greedy_takes_the_next_best():
    model = MODELS["textrnn_simple_rnn"]()
    generator = RecurrentGenerator(model)
    greedy = generator.generate([3, 1, 4], 30, temperature=0)[0]
    banned = sorted(set(greedy.tolist()))[:2]  # ids greedy decoding does pick
    sampled = generator.generate([3, 1, 4], 400, temperature=1.5, seed=1, num_samples=2,
                                 banned_ids=banned)
    assert not np.isin(sampled, banned).any()
    # Greedy without them: the best of the remaining logits, step by step (the host loop).
    states, token, expected = generator.initial_states(1), None, []
    for prompt_id in (3, 1, 4):
        logits, states = generator.step(ops.convert_to_tensor([prompt_id], "int32"), states)
    for _ in range(10):
        row = ops.convert_to_numpy(logits)[0]
        row[banned] = -np.inf
        token = int(np.argmax(row))
        expected.append(token)
        logits, states = generator.step(ops.convert_to_tensor([token], "int32"), states)
    got = generator.generate([3, 1, 4], 10, temperature=0, banned_ids=banned)[0]
    assert got.tolist() == expected


def test_bad_inputs():
    generator = RecurrentGenerator(MODELS["textrnn_simple_rnn"]())
    with pytest.raises(ValueError, match="empty `prompt_ids`"):
        generator.generate([], 5)
    with pytest.raises(ValueError, match="length"):
        generator.generate([1], -1)
    dense_only = keras.Sequential([keras.Input((None, 2)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="without recurrent layers"):
        RecurrentGenerator(dense_only)
