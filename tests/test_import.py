"""Preprocessing starts without Keras, and Keras still loads quietly where it is needed.

Each check runs in a fresh interpreter: this test process has long imported Keras.
"""

import os
import subprocess
import sys

HEAVY = ("tensorflow", "keras", "jax")

PREPROCESS_RUN = """
import runpy, sys
sys.argv = ["textrnn-preprocess", sys.argv[1], "--out", sys.argv[2]]
try:
    runpy.run_module("textrnn.cli.preprocess", run_name="__main__")
except SystemExit as done:
    assert done.code == 0, done.code
import textrnn
textrnn.preprocessing  # lazy subpackage access
print("loaded:", *(name for name in {heavy!r} if name in sys.modules))
"""


def run_python(code: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=300, env=env, check=False)


def test_preprocess_command_loads_no_tensorflow_keras_or_jax(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat\nthe dog sat\n", encoding="utf-8")
    result = run_python(PREPROCESS_RUN.format(heavy=HEAVY), str(corpus), str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "loaded:"
    assert (tmp_path / "out" / "stats.json").exists()


def test_keras_imported_after_textrnn_starts_quietly_and_registers_layers():
    env = {key: value for key, value in os.environ.items()
           if key not in ("TF_CPP_MIN_LOG_LEVEL", "TEXTRNN_DEBUG")}
    code = ("import textrnn, keras, os\n"
            "assert keras.__spec__.loader is keras.__loader__\n"  # the wrapper is gone
            "print(os.environ['TF_CPP_MIN_LOG_LEVEL'])\n"
            "print(textrnn.layers.LSTM is keras.saving.get_registered_object('textrnn>LSTM'))")
    result = run_python(code, env={**env, "KERAS_BACKEND": "tensorflow"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "True"]
    assert "oneDNN" not in result.stderr and "cpu_feature_guard" not in result.stderr
