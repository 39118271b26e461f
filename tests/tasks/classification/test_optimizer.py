import keras
import numpy as np
import pytest

from textrnn.tasks.classification.optimizer import LayerwiseAdamW, discriminative_multipliers
from textrnn.training import GlobalNormClipping


def test_multipliers_divide_by_the_decay_per_group_below_the_head():
    groups = [["embedding", "dropout"], ["lstm_1"], ["lstm_2"], ["pooling", "probabilities"]]
    multipliers = discriminative_multipliers(groups, 2.0)
    assert multipliers == {"embedding": 0.125, "dropout": 0.125, "lstm_1": 0.25,
                           "lstm_2": 0.5, "pooling": 1.0, "probabilities": 1.0}
    with pytest.raises(ValueError, match="decay"):
        discriminative_multipliers(groups, 0.5)


def toy_model():
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(2, use_bias=False, name="low"),
                              keras.layers.Dense(1, use_bias=False, name="head")])
    model.get_layer("low").set_weights([np.full((3, 2), 0.5, "float32")])
    model.get_layer("head").set_weights([np.full((2, 1), 0.5, "float32")])
    return model


def test_each_layer_steps_at_its_own_rate_inside_global_norm_clipping():
    """Adam's first step moves every weight by lr * sign(gradient): here lr * multiplier."""
    model = toy_model()
    optimizer = LayerwiseAdamW({"low": 0.1}, learning_rate=0.01, weight_decay=0.0,
                               epsilon=1e-12)
    model.compile(optimizer=GlobalNormClipping(optimizer, 1.0), loss="mse")
    before = [np.array(w) for w in model.get_weights()]
    x, y = np.ones((4, 3), "float32"), np.full((4, 1), 5.0, "float32")
    model.train_on_batch(x, y)
    low, head = (np.abs(after - start) for after, start in zip(model.get_weights(), before,
                                                                strict=True))
    np.testing.assert_allclose(head, 0.01, rtol=1e-4)
    np.testing.assert_allclose(low, 0.001, rtol=1e-4)


def test_optimizer_saves_and_loads_with_the_model(tmp_path):
    model = toy_model()
    model.compile(optimizer=GlobalNormClipping(LayerwiseAdamW({"low": 0.25},
                                                              learning_rate=0.01), 1.0),
                  loss="mse")
    model.train_on_batch(np.ones((2, 3)), np.ones((2, 1)))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    inner = loaded.optimizer.inner_optimizer
    assert isinstance(inner, LayerwiseAdamW) and inner.multipliers == {"low": 0.25}
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_negative_multiplier_is_an_error():
    with pytest.raises(ValueError, match="multipliers"):
        LayerwiseAdamW({"low": -1.0})


def test_frozen_layers_neither_step_nor_decay_and_the_config_round_trips():
    model = toy_model()
    optimizer = LayerwiseAdamW({"low": 0.5}, decoupled_decay=0.1, learning_rate=0.01)
    model.compile(optimizer=GlobalNormClipping(optimizer, 1.0), loss="mse")
    model.optimizer.build(model.trainable_variables)
    x, y = np.ones((4, 3), "float32"), np.full((4, 1), 5.0, "float32")
    optimizer.freeze({"low"})
    model.train_on_batch(x, y)
    low, head = (np.array(w) for w in model.get_weights())
    np.testing.assert_array_equal(low, 0.5)
    np.testing.assert_allclose(head, 0.5 + 0.01 - 0.5 * 0.1 * 0.01, rtol=1e-4)  # step, decay
    optimizer.freeze(())
    model.train_on_batch(x, y)
    assert not np.allclose(model.get_weights()[0], 0.5)
    config = optimizer.get_config()
    assert LayerwiseAdamW.from_config(config).get_config() == config
    assert config["decoupled_decay"] == 0.1
