"""Distribution tests run in subprocesses: device setup must precede backend start-up."""

import json
import os
import socket
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

    def train_regressor(name):
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

    def clipping_results():
        results = {"default": train_regressor("default"),
                   "mirrored": train_regressor("mirrored"),
                   "direct_apply": direct_apply_is_right()}
        results["nan_step_skipped"] = nan_step_is_skipped(results["mirrored"].pop("model"))
        results["default"].pop("model")
        return results
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


def _assert_same_training(result, strategy):
    """A regressor with global-norm clipping, trained on one device and on two replicas."""
    single, mirrored = result["default"], result["mirrored"]
    assert mirrored["strategy"] == strategy
    assert (single["replicas"], mirrored["replicas"]) == (1, 2)
    assert result["nan_step_skipped"]
    assert result["direct_apply"]
    np.testing.assert_allclose(mirrored["loss"], single["loss"], rtol=1e-4)
    # The clipped norm is the global one, summed over replicas before clipping.
    np.testing.assert_allclose(mirrored["grad_norm"], single["grad_norm"], rtol=1e-4)
    assert min(single["grad_norm"]) > 0.5  # clipping was active


def test_unknown_strategy_is_named():
    with pytest.raises(ValueError, match="mirrored"):
        get_strategy("tpu")


def test_default_strategy_on_tensorflow():
    import tensorflow as tf

    assert get_strategy("default") is tf.distribute.get_strategy()
    assert get_strategy("auto").num_replicas_in_sync == 1


# === The language model: a carried state per replica ===

LANGUAGE_MODEL = textwrap.dedent("""
    import json, sys, tempfile
    import keras
    from textrnn.tasks import LanguageModelTask
    from textrnn.tasks.language_model import LanguageModelPreprocessor, split_text

    LINES = ["the cat sat on the mat.", "a dog ran in the fog.", "the cat ran to the dog."]
    SPLITS = split_text("\\n".join(LINES[i % 3] for i in range(LINES_COUNT)) + "\\n", (0.8, 0.1))

    def train(name):
        keras.utils.set_random_seed(0)
        run_dir = tempfile.mkdtemp()
        task = LanguageModelTask(LanguageModelPreprocessor.build(SPLITS.train, "char", run_dir))
        history = task.fit(SPLITS.train, SPLITS.validation, run_dir, epochs=2, distribute=name,
                           batch_size=4, seq_len=8, lr=0.01, units=8, embedding_dim=4,
                           dropout=0.0, reset_every=3)
        return {"replicas": task.model.distribute_strategy.num_replicas_in_sync
                if hasattr(task.model, "distribute_strategy") else None,
                "loss": [row["loss"] for row in history],
                "val_loss": [row["val_loss"] for row in history],
                "test_loss": task.evaluate(SPLITS.test, seq_len=8)["loss"],
                "sample": task.generate("the ", 12, temperature=0.0)}
""")


def _assert_same_language_model(single, distributed):
    for key in ("loss", "val_loss", "test_loss"):
        np.testing.assert_allclose(distributed[key], single[key], rtol=1e-4)
    assert distributed["sample"] == single["sample"]


@pytest.mark.slow
def test_mirrored_on_two_logical_cpus_matches_single_device():
    """The clipped regressor, and the language model: each replica carries the state of its 2
    of the 4 streams, so the losses are equal. One process (TensorFlow starts once)."""
    script = TF_TWO_CPUS + TRAIN + LANGUAGE_MODEL.replace("LINES_COUNT", "24")
    result = _run(script + textwrap.dedent("""
        from textrnn.layers import LSTM
        from textrnn.training import get_strategy

        def uneven_batch_error():
            with get_strategy("mirrored").scope():
                try:
                    keras.Sequential([keras.Input((5, 2), batch_size=3),
                                      LSTM(4, stateful=True, name="lstm")])
                except ValueError as error:
                    return str(error)

        print("RESULT" + json.dumps({"default": train("default"), "mirrored": train("mirrored"),
                                     "uneven": uneven_batch_error(),
                                     "clipping": clipping_results()}))
    """), KERAS_BACKEND="tensorflow")
    _assert_same_training(result["clipping"], "MirroredStrategy")
    assert result["mirrored"]["replicas"] == 2
    _assert_same_language_model(result["default"], result["mirrored"])
    assert "Layer `lstm` has `stateful=True` and a batch size of 3" in result["uneven"]
    assert "multiple of 2" in result["uneven"]


@pytest.mark.slow
def test_jax_data_parallel_on_two_cpus_matches_single_device():
    """The clipped regressor, and the language model: JAX's program is global-view, one
    [batch, units] state with its rows on both devices."""
    pytest.importorskip("jax")
    result = _run(TRAIN + LANGUAGE_MODEL.replace("LINES_COUNT", "24") + textwrap.dedent("""
        from textrnn.errors import InputError
        from textrnn.training import strategy_scope

        def uneven_tasks_error():  # the classifier, tagger and translator on 2 devices
            try:
                with strategy_scope("mirrored"):
                    pass
            except InputError as error:
                return str(error)

        print("RESULT" + json.dumps({"default": train("default"), "mirrored": train("mirrored"),
                                     "uneven": uneven_tasks_error(),
                                     "clipping": clipping_results()}))
    """), KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    _assert_same_training(result["clipping"], "DataParallel")
    _assert_same_language_model(result["default"], result["mirrored"])
    assert "every batch must split evenly over the 2 devices" in result["uneven"]


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.mark.slow
def test_language_model_on_two_local_workers_matches_single_process():
    """Two worker processes on loopback ports (TF_CONFIG, MultiWorkerMirroredStrategy), one
    replica each, beside a single-process run; all three start at once."""
    script = LANGUAGE_MODEL.replace("LINES_COUNT", "24") + (
        'print("RESULT" + json.dumps(train(sys.argv[1])))')
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    runs = [subprocess.Popen(
        [sys.executable, "-c", script, "multiworker"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**env, "TF_CONFIG": json.dumps(
            {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})})
        for index in range(2)]
    runs.append(subprocess.Popen([sys.executable, "-c", script, "default"], env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    results = []
    try:
        for run in runs:
            stdout, stderr = run.communicate(timeout=300)
            assert run.returncode == 0, stderr[-3000:]
            line = next(line for line in stdout.splitlines() if line.startswith("RESULT"))
            results.append(json.loads(line[len("RESULT"):]))
    finally:
        for run in runs:
            run.kill()
    *workers_results, single = results
    for result in workers_results:
        assert result["replicas"] == 2
        _assert_same_language_model(single, result)


# === The classifier, tagger and translator ===
# Their losses are not compared with one device's: under a tf.distribute strategy Keras' `fit`
# starts one extra pass over the data before training (to build its metrics), which moves the
# shuffled batch order on by one epoch. Each test trains on two replicas, checks the loss is
# finite and falls, and uses the trained model.

TASKS = textwrap.dedent("""
    import json, math, tempfile
    import keras
    import numpy as np

    def history_result(task, history, used):
        return {"replicas": task.model.distribute_strategy.num_replicas_in_sync,
                "loss": [row["loss"] for row in history], "used": used}

    def classifier():
        from textrnn.tasks import ClassifierTask
        from textrnn.tasks.classification import ClassifierPreprocessor, LabelledTexts
        rng = np.random.default_rng(0)
        words = {"pos": ["great", "love"], "neg": ["awful", "hate"]}
        labels = [("pos", "neg")[i % 2] for i in range(48)]
        texts = [" ".join(rng.permutation([*rng.choice(["the", "film", "was"], 3),
                                           *rng.choice(words[label], 2)])) for label in labels]
        train = LabelledTexts(texts[:40], labels[:40])
        task = ClassifierTask(ClassifierPreprocessor.build(train.texts, train.labels,
                                                           model_kind="rnn"),
                              model_options=dict(cell="gru", units=8, embedding_dim=8,
                                                 dropout=0.0))
        history = task.fit(train, (texts[40:], labels[40:]), tempfile.mkdtemp(), epochs=2,
                           patience=2, learning_rate=0.02, batch_size=8, verbose=0,
                           distribute="mirrored")
        return history_result(task, history, task.predict(texts[40:43]))

    def tagger():
        from textrnn.tasks.tagging import TaggerPreprocessor, TaggerTask
        rng = np.random.default_rng(0)
        stems = ["d", "fr", "l", "b", "h", "c"]
        sentences = [(["the", str(rng.choice(stems)) + "og", str(rng.choice(stems)) + "ims",
                       "."], ["DET", "NOUN", "VERB", "PUNCT"]) for _ in range(40)]
        task = TaggerTask(TaggerPreprocessor.build(sentences))
        history = task.fit(sentences, tempfile.mkdtemp(), sentences[:8], epochs=2,
                           batch_size=8, lr=0.02, verbose=0, units=8, embedding_dim=8,
                           char_dim=4, char_units=8, dropout=0.0, distribute="mirrored")
        return history_result(task, history, task.predict([["the", "bog", "lims", "."],
                                                               ["a", "fog", "."]]))

    def translator():
        from textrnn.tasks import TranslatorTask
        from textrnn.tasks.translation import TranslatorPreprocessor
        rng = np.random.default_rng(0)
        words = ["red", "blue", "green", "cat", "dog", "sun"]
        pairs = [" ".join(rng.choice(words, size=rng.integers(2, 4))) for _ in range(48)]
        run_dir = tempfile.mkdtemp()
        task = TranslatorTask(
            TranslatorPreprocessor.build(pairs, pairs, run_dir, vocab_size=20, shared=True,
                                         max_length=8),
            model_options=dict(units=8, embedding_dim=8, attention="luong", dropout=0.0))
        history = task.fit(pairs, pairs, run_dir, (pairs[:8], pairs[:8]), epochs=2,
                           batch_size=8, learning_rate=0.01, verbose=0, distribute="mirrored")
        return history_result(task, history, task.translate(pairs[:2], beam_width=2))

    keras.utils.set_random_seed(0)
""")


@pytest.mark.slow
def test_classifier_tagger_and_translator_train_on_two_logical_cpus():
    """The three in one process (starting TensorFlow costs more than each tiny run), which
    also checks that one process can train on the same strategy several times."""
    results = _run(TF_TWO_CPUS + TASKS + 'print("RESULT" + json.dumps({"classifier": '
                   'classifier(), "tagger": tagger(), "translator": translator()}))',
                   KERAS_BACKEND="tensorflow")
    for task, result in results.items():
        assert result["replicas"] == 2, task
        assert all(np.isfinite(result["loss"])) and result["loss"][-1] < result["loss"][0], task
        assert len(result["used"]) in (2, 3), task  # predictions of the trained model
