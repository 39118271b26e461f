"""Evaluating and sampling a language model during and after training."""

from __future__ import annotations

import math
import os
from pathlib import Path

import keras
import numpy as np

from textrnn.generation import RecurrentGenerator
from textrnn.models import NgramLanguageModel
from textrnn.tasks.language_modeling import LanguageModelAssets
from textrnn.training import bptt_batches, reset_states

SAMPLES_FILE = "samples.txt"


def evaluate_stream(model: keras.Model, ids: np.ndarray, batch_size: int, seq_len: int,
                    bpc: bool = False) -> dict[str, float]:
    """Mean cross-entropy (nats per token), perplexity and bits per token of a token stream.

    The stream is cut like the training data (`bptt_batches`) and read by the stateful model
    from a fresh state; the state is reset again afterwards.
    """
    x, y = bptt_batches(ids, batch_size, seq_len)
    reset_states(model)
    results = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    reset_states(model)
    loss = float(results["loss"])
    figures = {"loss": loss, "perplexity": math.exp(loss)}
    if bpc:
        figures["bpc"] = loss / math.log(2)
    return figures


def evaluated_streams(ids: np.ndarray, batch_size: int, seq_len: int) -> list[np.ndarray]:
    """The `batch_size` streams `bptt_batches` reads, as whole arrays (inputs + last target)."""
    x, y = bptt_batches(ids, batch_size, seq_len)
    windows = len(x) // batch_size
    inputs = x.reshape(windows, batch_size, seq_len).transpose(1, 0, 2).reshape(batch_size, -1)
    last = y.reshape(windows, batch_size, seq_len)[-1, :, -1:]
    return list(np.concatenate([inputs, last], axis=1))


def ngram_baseline(assets: LanguageModelAssets, train_ids: np.ndarray, val_ids: np.ndarray,
                   test_ids: np.ndarray, batch_size: int, seq_len: int,
                   max_order: int = 6) -> dict[str, float]:
    """Fits the n-gram baseline on the training stream and scores the network's test tokens.

    The order is chosen on the validation stream. Test tokens are exactly those the network is
    evaluated on: the targets of every stream `evaluate_stream` reads, each stream from its
    start (neither model sees context across stream borders).
    """
    vocabulary = assets.vocabulary
    ngram = NgramLanguageModel(vocabulary, max_order=max_order)
    ngram.fit(vocabulary.decode(train_ids.tolist(), skip_special=False))
    ngram.select_order(vocabulary.decode(val_ids.tolist(), skip_special=False))
    streams = evaluated_streams(test_ids, batch_size, seq_len)
    losses = [ngram.cross_entropy(vocabulary.decode(s.tolist(), skip_special=False))
              for s in streams]
    loss = float(np.mean(losses))  # every stream scores the same number of tokens
    return {"order": ngram.order, "loss": loss, "perplexity": math.exp(loss),
            "bpc": loss / math.log(2)}


class SampleCallback(keras.callbacks.Callback):
    """Prints a short sample from a fixed prompt after each epoch and appends it to a file.

    Args:
        assets: tokenizer and vocabulary, to encode the prompt and decode the sample.
        prompt: the text the sample continues.
        length: tokens to generate.
        run_dir: the sample is appended to `run_dir/samples.txt`.
        temperature: sampling temperature.
        seed: sampling seed (the same for every epoch, so samples are comparable).
    """

    def __init__(self, assets: LanguageModelAssets, prompt: str, length: int,
                 run_dir: str | os.PathLike, temperature: float = 0.8, seed: int = 0):
        super().__init__()
        self.assets = assets
        self.prompt = prompt
        self.length = length
        self.path = Path(run_dir) / SAMPLES_FILE
        self.temperature = temperature
        self.seed = seed

    def on_epoch_end(self, epoch, logs=None):
        # A new generator each epoch: under JAX a compiled step holds the weights it saw.
        generator = RecurrentGenerator(self.model)
        ids = generator.generate(self.assets.encode(self.prompt), self.length,
                                 temperature=self.temperature, seed=self.seed)[0]
        sample = self.prompt + self.assets.decode(ids)
        print(f"\n--- sample after epoch {epoch + 1} ---\n{sample}\n---")
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(f"=== epoch {epoch + 1} ===\n{sample}\n\n")
