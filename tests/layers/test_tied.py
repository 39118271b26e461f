"""`TiedOutput` reads the embedding matrix: one variable, trained by both uses, saved once."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from textrnn.layers import LSTM, EmbeddingDropout, TiedOutput, TiedSequential

IDS = np.array([[1, 2, 3, 4], [4, 3, 2, 1]], "int32")


def tied_model(units=6, width=6):
    embedding = EmbeddingDropout(10, width, rate=0.1, name="embedding")
    return TiedSequential([keras.Input((None,), dtype="int32"), embedding,
                           LSTM(units, return_sequences=True), TiedOutput(embedding)])


@pytest.mark.parametrize(("units", "projected"), [(6, False), (5, True)])
def test_one_embedding_variable_used_as_the_softmax(units, projected):
    model = tied_model(units)
    embeddings = model.get_layer("embedding").embeddings
    matrices = [v for v in model.weights if tuple(v.shape) == (10, 6)]
    assert len(matrices) == 1 and matrices[0] is embeddings
    output = model.layers[-1]
    assert (output.projection is not None) == projected
    x = np.random.default_rng(0).normal(size=(2, units)).astype("float32")
    expected = (x @ output.projection.numpy() if projected else x) @ embeddings.numpy().T
    np.testing.assert_allclose(np.asarray(output(x)), expected + output.bias.numpy(), atol=1e-5)


def test_training_updates_the_shared_matrix_through_both_uses():
    model = tied_model()
    model.compile(keras.optimizers.SGD(0.1),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = model.get_layer("embedding").embeddings.numpy().copy()
    # Token 9 never is an input, only a target: its row changes through the softmax alone.
    model.train_on_batch(IDS, np.full_like(IDS, 9))
    after = model.get_layer("embedding").embeddings.numpy()
    assert not np.allclose(before[9], after[9])
    assert len(model.trainable_variables) == 1 + 3 + 1  # embedding, LSTM, output bias


def test_unlinked_layer_and_unknown_name_are_clear_errors():
    with pytest.raises(ValueError, match="not connected"):
        TiedOutput("embedding")(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match="not an earlier layer"):
        TiedSequential([keras.Input((None,), dtype="int32"),
                        keras.layers.Embedding(5, 3, name="emb"), TiedOutput("nope")])


LOAD_SCRIPT = """
import json, sys
import keras, numpy as np
import textrnn.layers  # registers the layers: no custom_objects needed
model = keras.saving.load_model(sys.argv[1], safe_mode=True)
embeddings = [v for v in model.weights if tuple(v.shape) == (10, 6)]
print(json.dumps({"count": len(embeddings), "tied": model.layers[-1].embedding_layer
                  is model.get_layer("embedding"),
                  "logits": model.predict(np.load(sys.argv[2]), verbose=0).tolist()}))
"""


@pytest.mark.slow  # a fresh interpreter imports TensorFlow/JAX and Keras: ~10 s
def test_tied_model_loads_in_a_fresh_process(tmp_path):
    model = tied_model(units=5)
    path, ids_path = tmp_path / "model.keras", tmp_path / "ids.npy"
    model.save(path)
    np.save(ids_path, IDS)
    result = subprocess.run([sys.executable, "-c", LOAD_SCRIPT, str(path), str(ids_path)],
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["count"] == 1 and loaded["tied"]
    np.testing.assert_allclose(np.array(loaded["logits"]), model.predict(IDS, verbose=0),
                               atol=1e-6)
