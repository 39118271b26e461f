import keras
import numpy as np
import pytest

from textrnn import layers
from textrnn.generation import RecurrentGenerator

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


def test_bad_inputs():
    generator = RecurrentGenerator(MODELS["textrnn_simple_rnn"]())
    with pytest.raises(ValueError, match="empty `prompt_ids`"):
        generator.generate([], 5)
    with pytest.raises(ValueError, match="length"):
        generator.generate([1], -1)
    dense_only = keras.Sequential([keras.Input((None, 2)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="without recurrent layers"):
        RecurrentGenerator(dense_only)
