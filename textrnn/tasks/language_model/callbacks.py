"""`SampleCallback`: a sample from a fixed prompt after every epoch."""

from __future__ import annotations

import os
from pathlib import Path

import keras

from textrnn.generation import RecurrentGenerator
from textrnn.tasks.language_model.preprocessor import LanguageModelPreprocessor
from textrnn.tasks.language_model.sampling import continue_text

SAMPLES_FILE = "samples.txt"


class SampleCallback(keras.callbacks.Callback):
    """Prints a short sample from a fixed prompt after each epoch and appends it to a file.

    Args:
        preprocessor: encodes the prompt and decodes the sample.
        prompt: the text the sample continues.
        length: tokens to generate.
        run_dir: the sample is appended to `run_dir/samples.txt`.
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
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(f"=== epoch {epoch + 1} ===\n{sample}\n\n")
