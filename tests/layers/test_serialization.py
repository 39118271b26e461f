"""Models using textrnn layers save to .keras and load in a fresh process, safe_mode on."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from _helpers import FEATURES, IDS, INPUTS, MASK, STEPS, tied_model

from textrnn.layers import GRU, LSTM, SimpleRNN

# Loads each (model, inputs) pair of its arguments; one interpreter serves every model.
LOAD_SCRIPT = """
import json, sys
import keras, numpy as np
import textrnn.layers  # registers the layers: no custom_objects needed
results = []
for model_path, inputs_path in zip(sys.argv[1::2], sys.argv[2::2]):
    model = keras.saving.load_model(model_path, safe_mode=True)
    output = model.layers[-1]
    results.append({
        "outputs": model.predict(np.load(inputs_path), verbose=0).tolist(),
        "embedding_matrices": sum(tuple(v.shape) == (10, 6) for v in model.weights),
        "tied": isinstance(output, textrnn.layers.TiedOutput)
        and output.embedding_layer is model.get_layer("embedding"),
    })
print(json.dumps(results))
"""


def rnn_model():
    """Masking, a Bidirectional LSTM, a GRU (`reset_after=False`) and a backwards SimpleRNN."""
    sequences = keras.Input((STEPS, FEATURES))
    hidden = keras.layers.Masking(0.0)(sequences)
    hidden = keras.layers.Bidirectional(LSTM(4, return_sequences=True, dropout=0.1))(hidden)
    hidden = GRU(4, return_sequences=True, reset_after=False)(hidden)
    output = SimpleRNN(3, go_backwards=True, kernel_regularizer="l2")(hidden)
    return keras.Model(sequences, output)


@pytest.mark.slow  # a fresh interpreter imports TensorFlow/JAX/torch and Keras: ~10 s
def test_models_load_in_fresh_process_with_identical_outputs(tmp_path):
    cases = [(rnn_model(), INPUTS * MASK[..., None]), (tied_model(units=5), IDS)]
    arguments = []
    for index, (model, inputs) in enumerate(cases):
        model.save(tmp_path / f"model{index}.keras")
        np.save(tmp_path / f"inputs{index}.npy", inputs)
        arguments += [str(tmp_path / f"model{index}.keras"), str(tmp_path / f"inputs{index}.npy")]
    result = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT, *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    for (model, inputs), outputs in zip(cases, loaded, strict=True):
        expected = model.predict(inputs, verbose=0)
        np.testing.assert_allclose(np.array(outputs["outputs"]), expected, atol=1e-6)
    # The tied model stores its one embedding matrix once and reads it back into the softmax.
    assert loaded[1]["embedding_matrices"] == 1 and loaded[1]["tied"]
