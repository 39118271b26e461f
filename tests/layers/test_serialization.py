"""Models using textrnn layers save to .keras and load in a fresh process, safe_mode on."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from _helpers import FEATURES, INPUTS, MASK, STEPS

from textrnn.layers import GRU, LSTM, SimpleRNN

LOAD_SCRIPT = """
import json, sys
import keras, numpy as np
import textrnn.layers  # registers the layers: no custom_objects needed
model = keras.saving.load_model(sys.argv[1], safe_mode=True)
inputs = np.load(sys.argv[2])
print(json.dumps(model.predict(inputs, verbose=0).tolist()))
"""


@pytest.mark.slow  # a fresh interpreter imports TensorFlow/JAX and Keras: ~10 s
def test_model_loads_in_fresh_process_with_identical_outputs(tmp_path):
    sequences = keras.Input((STEPS, FEATURES))
    hidden = keras.layers.Masking(0.0)(sequences)
    hidden = keras.layers.Bidirectional(LSTM(4, return_sequences=True, dropout=0.1))(hidden)
    hidden = GRU(4, return_sequences=True, reset_after=False)(hidden)
    output = SimpleRNN(3, go_backwards=True, kernel_regularizer="l2")(hidden)
    model = keras.Model(sequences, output)
    path, inputs_path = tmp_path / "model.keras", tmp_path / "inputs.npy"
    model.save(path)
    inputs = INPUTS * MASK[..., None]
    np.save(inputs_path, inputs)
    result = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT, str(path), str(inputs_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = np.array(json.loads(result.stdout.strip().splitlines()[-1]))
    np.testing.assert_array_equal(loaded, model.predict(inputs, verbose=0))
