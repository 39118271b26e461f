"""`build_language_model`: the old options unchanged, the AWD-LSTM options wired as documented."""

import keras
import numpy as np
import pytest

from textrnn import layers
from textrnn.generation import RecurrentGenerator
from textrnn.models import build_language_model

IDS = np.random.default_rng(0).integers(0, 20, size=(4, 9)).astype("int32")
AWD = dict(embedding_dropout=0.1, input_dropout=0.2, hidden_dropout=0.2, output_dropout=0.2,
           weight_dropout=0.3, ar=2.0, tar=1.0, seed=0)


def layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


def test_defaults_build_the_plain_model():
    model = build_language_model(20, units=8, num_layers=2, dropout=0.1, embedding_dim=4)
    assert type(model) is keras.Sequential
    assert layer_types(model) == ["Embedding", "LSTM", "Dropout", "LSTM", "Dropout", "Dense"]
    assert all(layer.cell.recurrent_weight_dropout == 0 for layer in model.layers[1::2][:2])


def test_awd_options_place_each_regulariser():
    model = build_language_model(20, units=8, num_layers=2, embedding_dim=4, tie_weights=True,
                                 **AWD)
    assert isinstance(model, layers.TiedSequential)
    assert [layer.name for layer in model.layers] == [
        "embedding", "input_dropout", "lstm_1", "hidden_dropout_1", "lstm_2", "tar",
        "output_dropout", "ar", "logits"]
    assert model.get_layer("lstm_2").cell.recurrent_weight_dropout == 0.3
    assert model.get_layer("tar").tar == 1.0 and model.get_layer("ar").ar == 2.0
    assert model.get_layer("embedding").rate == 0.1
    # Tied: no [units or width, vocab] output matrix, only a projection 8 -> 4 and a bias.
    assert sorted(tuple(w.shape) for w in model.get_layer("logits").weights) == [(8, 4), (20,)]
    assert model(IDS).shape == (4, 9, 20)


def test_awd_model_trains_saves_and_loads(tmp_path):
    model = build_language_model(20, units=8, embedding_dim=8, batch_size=2, tie_weights=True,
                                 **AWD)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(IDS, IDS, batch_size=2, epochs=2, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"]).all()
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    for each in (model, loaded):
        each.get_layer("lstm_1").reset_state()
    np.testing.assert_allclose(loaded.predict(IDS[:2], verbose=0),
                               model.predict(IDS[:2], verbose=0), atol=1e-6)


def test_generator_steps_a_regularised_tied_model_like_the_full_model():
    # Dropout layers are identities at inference and TiedOutput is per token, so stepping one
    # token at a time gives the logits of running the whole sequence.
    model = build_language_model(20, units=8, embedding_dim=4, tie_weights=True, **AWD)
    generator = RecurrentGenerator(model)
    states = generator.initial_states(2)
    stepped = []
    for t in range(IDS.shape[1]):
        logits, states = generator.step(IDS[:2, t], states)
        stepped.append(np.asarray(logits))
    np.testing.assert_allclose(np.stack(stepped, 1), model.predict(IDS[:2], verbose=0),
                               atol=1e-5)
    assert generator.generate([1, 2], length=5, seed=1).shape == (1, 5)


@pytest.mark.parametrize("options", [dict(tie_weights=True), dict(embedding_dropout=0.1)])
def test_onehot_input_refuses_embedding_options(options):
    with pytest.raises(ValueError, match="input_mode"):
        build_language_model(20, input_mode="onehot", **options)


@pytest.mark.parametrize("tie_weights", [False, True])
def test_bfloat16_policy_computes_in_bfloat16_and_outputs_float32(tie_weights):
    options = dict(units=8, embedding_dim=4, num_layers=2, tie_weights=tie_weights, **AWD)
    mixed = build_language_model(20, dtype="mixed_bfloat16", **options)
    assert {layer.compute_dtype for layer in mixed.layers[:-1]} == {"bfloat16"}
    assert {w.dtype for w in mixed.weights} == {"float32"}  # the weights stay float32
    logits = mixed(IDS)
    assert mixed.get_layer("logits").compute_dtype == "float32" and logits.dtype == "float32"
    # Same weights in float32: bfloat16 keeps 8 bits of mantissa, so the logits agree to ~1%.
    full = build_language_model(20, **options)
    full.set_weights(mixed.get_weights())
    np.testing.assert_allclose(logits, full(IDS), atol=0.05)
    assert {layer.compute_dtype for layer in full.layers} == {"float32"}
