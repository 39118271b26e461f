"""`SampleCallback`: a sample from a fixed prompt after every epoch."""

from __future__ import annotations

import os
import re
from pathlib import Path

import keras

from textrnn.generation import RecurrentGenerator
from textrnn.io import atomic_write
from textrnn.tasks.language_model.preprocessor import LanguageModelPreprocessor
from textrnn.tasks.language_model.sampling import continue_text

SAMPLES_FILE = "samples.txt"
_EPOCH_HEADER = re.compile(r"^=== epoch (\d+) ===$", re.MULTILINE)


def samples_before(path: Path, epoch: int) -> str:
    """The text of `path` up to the sample of 1-based `epoch` (all of it if there is none).

    A resumed run repeats the epoch that was in flight; its earlier sample (and any after it,
    from an epoch that was never committed) is dropped so that each epoch appears once.
    """
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8")
    for header in _EPOCH_HEADER.finditer(text):
        if int(header.group(1)) >= epoch:
            return text[:header.start()]
    return text


class SampleCallback(keras.callbacks.Callback):
    """Prints a short sample from a fixed prompt after each epoch and appends it to a file.

    Args:
        preprocessor: encodes the prompt and decodes the sample.
        prompt: the text the sample continues.
        length: tokens to generate.
        run_dir: the sample is added to `run_dir/samples.txt`, replacing any earlier sample of
            the same or a later epoch (from a run that was interrupted and resumed).
        temperature: sampling temperature.
        seed: sampling seed (the same for every epoch, so samples are comparable).
    """

    def __init__(self, preprocessor: LanguageModelPreprocessor, prompt: str, length: int,
                 run_dir: str | os.PathLike, temperature: float = 0.8, seed: int = 0):
        super().__init__()
        self.preprocessor = preprocessor
        self.prompt = prompt
        self.length = length
        self.path = Path(run_dir) / SAMPLES_FILE
        self.temperature = temperature
        self.seed = seed

    def on_epoch_end(self, epoch, logs=None):
        # A new generator each epoch: under JAX a compiled step holds the weights it saw.
        sample = self.prompt + continue_text(
            RecurrentGenerator(self.model), self.preprocessor, self.prompt, self.length,
            temperature=self.temperature, seed=self.seed)
        print(f"\n--- sample after epoch {epoch + 1} ---\n{sample}\n---")
        earlier = samples_before(self.path, epoch + 1)
        with atomic_write(self.path) as handle:
            handle.write(f"{earlier}=== epoch {epoch + 1} ===\n{sample}\n\n")
