"""Distribution tests run in subprocesses: device setup must precede backend start-up."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from textrnn.training import get_strategy

TRAIN = textwrap.dedent("""
    import json
    import keras
    import numpy as np
    from textrnn.training import (GlobalNormClipping, GradNormLogger, get_strategy,
                                  replica_count)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 5, 3)).astype("float32") * 3
    y = rng.normal(size=(32, 1)).astype("float32") * 5

    def train(name):
        strategy = get_strategy(name)
        with strategy.scope():
            keras.utils.set_random_seed(0)
            model = keras.Sequential([keras.Input((5, 3)), keras.layers.SimpleRNN(4),
                                      keras.layers.Dense(1)])
            model.compile(GlobalNormClipping(keras.optimizers.SGD(0.05), 0.5), "mse")
        history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0,
                            callbacks=[GradNormLogger()])
        return {"strategy": type(strategy).__name__, "replicas": replica_count(strategy),
                **history.history, "model": model}

    def nan_step_is_skipped(model):
        before = model.get_weights()
        bad = x[:8].copy()
        bad[0, 0, 0] = np.nan
        model.train_on_batch(bad, y[:8])
        unchanged = all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
        return unchanged and int(model.optimizer.skipped_steps.numpy()) == 1

    def direct_apply_is_right():
        variable = keras.Variable(np.ones(3, "float32"))
        optimizer = GlobalNormClipping(keras.optimizers.SGD(0.1), 1.0)
        optimizer.apply([np.array([3.0, 4.0, 0.0], "float32")], [variable])
        optimizer.apply([np.array([np.nan, 4.0, 0.0], "float32")], [variable])
        return (np.allclose(variable.numpy(), [0.94, 0.92, 1.0])
                and int(optimizer.skipped_steps.numpy()) == 1)

    results = {"default": train("default"), "mirrored": train("mirrored"),
               "direct_apply": direct_apply_is_right()}
    results["nan_step_skipped"] = nan_step_is_skipped(results["mirrored"].pop("model"))
    results["default"].pop("model")
    print("RESULT" + json.dumps(results))
""")

TF_TWO_CPUS = textwrap.dedent("""
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
""")


def _run(code, **env):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


def _assert_same_training(result):
    single, mirrored = result["default"], result["mirrored"]
    assert (single["replicas"], mirrored["replicas"]) == (1, 2)
    assert result["nan_step_skipped"]
    assert result["direct_apply"]
    np.testing.assert_allclose(mirrored["loss"], single["loss"], rtol=1e-4)
    # The clipped norm is the global one, summed over replicas before clipping.
    np.testing.assert_allclose(mirrored["grad_norm"], single["grad_norm"], rtol=1e-4)
    assert min(single["grad_norm"]) > 0.5  # clipping was active


@pytest.mark.slow
def test_mirrored_on_two_logical_cpus_matches_single_device():
    result = _run(TF_TWO_CPUS + TRAIN, KERAS_BACKEND="tensorflow")
    assert result["mirrored"]["strategy"] == "MirroredStrategy"
    _assert_same_training(result)


@pytest.mark.slow
def test_jax_data_parallel_on_two_cpus_matches_single_device():
    pytest.importorskip("jax")
    result = _run(TRAIN, KERAS_BACKEND="jax",
                  XLA_FLAGS="--xla_force_host_platform_device_count=2")
    assert result["mirrored"]["strategy"] == "DataParallel"
    _assert_same_training(result)


def test_unknown_strategy_is_named():
    with pytest.raises(ValueError, match="mirrored"):
        get_strategy("tpu")


def test_default_strategy_on_tensorflow():
    import tensorflow as tf

    assert get_strategy("default") is tf.distribute.get_strategy()
    assert get_strategy("auto").num_replicas_in_sync == 1
