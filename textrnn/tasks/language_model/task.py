"""`LanguageModelTask`: train a recurrent language model, evaluate it, and generate text."""

from __future__ import annotations

import os
from typing import Any

import keras

from textrnn.errors import InputError
from textrnn.generation import RecurrentGenerator
from textrnn.models import build_language_model
from textrnn.runs import fit_resumable, run_lock
from textrnn.tasks.base import Task
from textrnn.tasks.language_model.baseline import ngram_baseline
from textrnn.tasks.language_model.callbacks import SampleCallback
from textrnn.tasks.language_model.preprocessor import LanguageModelPreprocessor
from textrnn.tasks.language_model.sampling import continue_text
from textrnn.training import (
    BitsPerCharacter,
    FitScheduleToBudget,
    GlobalNormClipping,
    LRFinderResult,
    Perplexity,
    ResetStatesCallback,
    constant_or_schedule,
    find_learning_rate,
    replica_count,
    reset_states,
    strategy_scope,
)

LR_FINDER_PLOT = "lr_finder.png"


def language_model_metrics(level: str) -> list[keras.metrics.Metric]:
    """Perplexity, and bits per character at the char level (logged for every split)."""
    return [Perplexity(), BitsPerCharacter()] if level == "char" else [Perplexity()]


class LanguageModelTask(Task):
    """A recurrent language model over characters, words or subwords.

    Training is truncated BPTT over one token stream: a stateful model (fixed batch size)
    carries its state across consecutive windows, with global-norm clipping, perplexity (and
    bits per character at the char level) on validation after every epoch, and a checkpoint
    per epoch in the run folder, so `fit` with the same `run_dir` resumes.

    Args:
        preprocessor: a `LanguageModelPreprocessor`.
        model: a model from token ids `[batch, time]` to logits `[batch, time, vocab]`, or
            None before `fit`.

    Data arguments (`train`, `validation`, `data`) take a text, its token ids `[num_tokens]`,
    or windows already cut by `preprocessor(text, batch_size, seq_len)`.

    Example:

    >>> task = LanguageModelTask.from_run("runs/language_model")
    >>> task.generate("ROMEO:", length=200, temperature=0.8, seed=1)
    """

    preprocessor_class = LanguageModelPreprocessor
    command = "textrnn-lm"
    preprocessor: LanguageModelPreprocessor

    def __init__(self, preprocessor: LanguageModelPreprocessor,
                 model: keras.Model | None = None):
        super().__init__(preprocessor, model)
        self._generator: RecurrentGenerator | None = None

    @classmethod
    def from_corpus(cls, data: str | None, run_dir: str | os.PathLike, batch_size: int,
                    seq_len: int, text_column: str | None = None,
                    encoding_errors: str = "strict", level: str = "char",
                    **vocabulary_options: Any) -> tuple[LanguageModelTask, dict, dict]:
        """Loads a corpus, splits it 90/5/5 and cuts each split into windows once.

        The run folder's preprocessor is reused when it holds one (a resumed run keeps its
        vocabulary); otherwise a new one is built from the training split (`fit` saves it).

        Args:
            data: a file or hub name for `load_corpus` (None: the shipped tinyshakespeare).
            run_dir: the run folder.
            batch_size, seq_len: how the windows are cut.
            text_column, encoding_errors: as for `load_corpus`.
            level, **vocabulary_options: as for `LanguageModelPreprocessor.build`.

        Returns:
            `(task, ids, windows)`: ids and windows keyed `train`, `validation`, `test`.
        """
        preprocessor, ids = cls.preprocessor_class.from_corpus(  # streamed, in chunks
            data, run_dir, text_column, encoding_errors, level, **vocabulary_options)
        windows = {name: preprocessor(stream, batch_size, seq_len)
                   for name, stream in ids.items()}
        print(f"{preprocessor.level} level: vocabulary {len(preprocessor.vocabulary)}, "
              f"train/val/test tokens {len(ids['train'])}/{len(ids['validation'])}/"
              f"{len(ids['test'])}")
        return cls(preprocessor), ids, windows

    def report(self, ids: dict, windows: dict, seq_len: int = 128,
               baseline: bool = True) -> dict[str, float]:
        """The final figures of `metrics.json`: `val_*` and `test_*` from `evaluate`, and the
        n-gram baseline's as `baseline_ngram_*` (on the same test tokens).

        Args:
            ids, windows: as returned by `from_corpus`.
            seq_len: the window length.
            baseline: also fit the n-gram baseline.
        """
        metrics = {f"{prefix}_{name}": value
                   for split, prefix in (("validation", "val"), ("test", "test"))
                   for name, value in self.evaluate(windows[split], seq_len).items()}
        if baseline:
            print("Fitting the n-gram baseline ...")
            ngram = self.ngram_baseline(ids["train"], ids["validation"], windows["test"])
            metrics.update({f"baseline_ngram_{key}": value for key, value in ngram.items()})
        return metrics

    def build_model(self, batch_size: int = 32, lr: float = 2e-3, clip: float = 1.0,
                    schedule: str = "constant", total_steps: int = 1, weight_decay: float = 0.0,
                    **model_options: Any) -> keras.Model:
        """A new compiled stateful model for this vocabulary.

        Args:
            batch_size: the fixed batch size (number of parallel streams).
            lr: Adam's learning rate (the peak rate of a schedule).
            clip: the global gradient-norm threshold (`GlobalNormClipping`).
            schedule: `"constant"`, `"one-cycle"` or `"slanted"` (see
                `textrnn.training.constant_or_schedule`), over `total_steps` steps.
            weight_decay: decoupled weight decay (AdamW) when > 0.
            **model_options: `cell`, `units`, `num_layers`, `dropout`, `input_mode`,
                `embedding_dim` and the AWD-LSTM options (`weight_dropout`, `tie_weights`,
                ...) of `textrnn.models.build_language_model`.
        """
        model = build_language_model(len(self.preprocessor.vocabulary), batch_size=batch_size,
                                     **model_options)
        rate = constant_or_schedule(schedule, lr, total_steps)
        optimizer = (keras.optimizers.AdamW(rate, weight_decay=weight_decay) if weight_decay
                     else keras.optimizers.Adam(rate))
        self._compile(model, GlobalNormClipping(optimizer, clip))
        return model

    def find_lr(self, train: Any, run_dir: str | os.PathLike, *, batch_size: int = 32,
                seq_len: int = 128, steps: int = 100, clip: float = 1.0,
                **model_options: Any) -> LRFinderResult:
        """The learning-rate range test on a new model; writes `lr_finder.png` in `run_dir`.

        Args:
            train: the training split (see the class docstring).
            run_dir: where the plot goes (the run folder; nothing else is written).
            batch_size, seq_len, clip, **model_options: as for `fit`.
            steps: at most this many training steps, the rate rising from 1e-5 to 1.

        Returns:
            A `textrnn.training.LRFinderResult` (`suggestion`, `steepest`, the curve).
        """
        x, y, _ = self._windows(train, batch_size, seq_len)
        batches = [(x[i:i + batch_size], y[i:i + batch_size])
                   for i in range(0, len(x) - batch_size + 1, batch_size)]
        model_options.pop("weight_decay", None)
        model_options.pop("schedule", None)
        with run_lock(run_dir):
            result = find_learning_rate(
                lambda: self.build_model(batch_size, 1e-5, clip, **model_options), batches,
                steps=steps)
            result.plot(os.path.join(run_dir, LR_FINDER_PLOT))
        return result

    def fit(
        self,
        train: Any,
        validation: Any,
        run_dir: str | os.PathLike,
        *,
        batch_size: int = 32,
        seq_len: int = 128,
        epochs: int = 30,
        lr: float = 2e-3,
        clip: float = 1.0,
        reset_every: int | None = 8,
        max_minutes: float | None = None,
        prompt: str | None = None,
        sample_length: int = 200,
        distribute: str = "default",
        tensorboard: bool = False,
        schedule: str = "constant",
        weight_decay: float = 0.0,
        **model_options: Any,
    ) -> list[dict]:
        """Trains (or resumes training) in `run_dir`; sets `self.model` to the result.

        Args:
            train, validation: the two splits (see the class docstring).
            run_dir: the run folder; the preprocessor is saved there unless it holds one,
                and a checkpoint there is resumed.
            batch_size, seq_len: parallel streams and truncated-BPTT window length.
            epochs: total epochs of the run; max_minutes: stop cleanly after this many.
            lr, clip: learning rate (a schedule's peak) and global gradient-norm threshold.
            schedule: `"constant"`, `"one-cycle"` or `"slanted"`, over all `epochs`; with
                `max_minutes`, shortened to the steps the budget leaves
                (`FitScheduleToBudget`). A resumed run continues it from the checkpoint's
                optimizer step.
            weight_decay: AdamW's decoupled weight decay (0: Adam).
            reset_every: zero the carried state every N training windows (None or 0: only at
                each epoch start), so prompts, which start from a zero state, are in
                distribution.
            prompt, sample_length: print and save (`samples.txt`) a sample after each epoch.
            distribute: a strategy name of `textrnn.training.get_strategy`. With N replicas
                each carries the state of `batch_size / N` of the streams, so `batch_size`
                must be a multiple of N; the losses are those of one device.
            tensorboard: also write TensorBoard logs to `run_dir/logs`.
            **model_options: passed to `build_model` for a new run.

        Returns:
            The history: one dict per epoch of the run (`loss`, `val_loss`, `val_perplexity`,
            `val_bpc` at the char level, ...).
        """
        if not self.preprocessor_class.exists(run_dir):  # a resumed run keeps its own
            self.preprocessor.save(run_dir)
        x, y, _ = self._windows(train, batch_size, seq_len)
        validation_data = self._windows(validation, batch_size, seq_len)[:2]
        callbacks = [ResetStatesCallback(reset_every or None)]
        if schedule != "constant" and max_minutes:
            callbacks.append(FitScheduleToBudget(max_minutes))
        total_steps = max(epochs * (len(x) // batch_size), 1)
        if prompt:
            callbacks.append(SampleCallback(self.preprocessor, prompt, sample_length, run_dir))
        with strategy_scope(distribute, even_batches=True) as strategy:
            if batch_size % (replicas := replica_count(strategy)):
                raise InputError(
                    f"--batch-size {batch_size} does not split over the {replicas} replicas "
                    f"of --distribute {distribute} (each carries the state of its share of "
                    f"the streams); use a multiple of {replicas}")
            self.model, history = fit_resumable(
                lambda: self.build_model(batch_size, lr, clip, schedule, total_steps,
                                         weight_decay, **model_options), run_dir,
                epochs=epochs, max_minutes=max_minutes, callbacks=callbacks,
                tensorboard=tensorboard, x=x, y=y, batch_size=batch_size, shuffle=False,
                validation_data=validation_data)
        self._generator = None
        return history

    def evaluate(self, data: Any, seq_len: int = 128,
                 batch_size: int | None = None) -> dict[str, float]:
        """Mean cross-entropy over every token of `data`, through `model.evaluate`.

        The stream is cut like the training data and read from a fresh state.

        Args:
            data: a text, its ids, or its windows (see the class docstring).
            seq_len: window length (as in training).
            batch_size: parallel streams; defaults to the stateful model's batch size.

        Returns:
            `{"loss", "perplexity"}` plus `"bpc"` at the char level: loss in nats per token,
            perplexity `exp(loss)`, bits per character `loss / ln 2`.
        """
        model = self._require_model()
        batch_size = batch_size or model.input_shape[0] or 32
        x, y, _ = self._windows(data, batch_size, seq_len)
        self._ensure_metrics(model)
        reset_states(model)
        results = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
        reset_states(model)
        return {name: float(value) for name, value in results.items()}

    def ngram_baseline(self, train: Any, validation: Any, test: Any, seq_len: int = 128,
                       batch_size: int | None = None, max_order: int = 6) -> dict[str, float]:
        """An n-gram model's figures on exactly the test tokens `evaluate(test)` scores.

        Args:
            train: the training text or ids; the n-grams are counted there.
            validation: the validation text or ids; the order (1..`max_order`) is chosen there.
            test: the test text, ids or windows.
            seq_len, batch_size: how `test` is cut, as for `evaluate`.

        Returns:
            `{"order", "perplexity"}` plus `"bpc"` at the char level.
        """
        batch_size = batch_size or self._require_model().input_shape[0] or 32
        train_ids, validation_ids = (self.preprocessor.encode(data) if isinstance(data, str)
                                     else data for data in (train, validation))
        figures = ngram_baseline(self.preprocessor.vocabulary, train_ids, validation_ids,
                                 self._windows(test, batch_size, seq_len), batch_size, max_order)
        keys = ("order", "perplexity", "bpc") if self.preprocessor.level == "char" else (
            "order", "perplexity")
        return {key: figures[key] for key in keys}

    def generate(self, prompt: str, length: int = 200, temperature: float = 0.8,
                 top_k: int | None = None, top_p: float | None = None,
                 seed: int | None = None) -> str:
        """Continues `prompt`; returns only the new text (`length` tokens).

        Args:
            prompt: the text to continue (tokens outside the vocabulary are read as `<unk>`;
                `preprocessor.unknown_tokens(prompt)` lists them).
            length: number of new tokens.
            temperature: 0 for greedy decoding, otherwise the sampling temperature.
            top_k: sample among the k most likely tokens only.
            top_p: sample from the nucleus of probability mass p only.
            seed: the same seed gives the same text.
        """
        model = self._require_model()
        if self._generator is None or self._generator.model is not model:
            self._generator = RecurrentGenerator(model)
        return continue_text(self._generator, self.preprocessor, prompt, length,
                             temperature=temperature, top_k=top_k, top_p=top_p, seed=seed)

    # === Helpers ===

    def _windows(self, data: Any, batch_size: int, seq_len: int) -> tuple:
        if isinstance(data, tuple):
            return data
        return self.preprocessor(data, batch_size, seq_len)

    def _require_model(self) -> keras.Model:
        if self.model is None:
            raise ValueError("This task has no model yet: call `fit` or load a run with "
                             "`LanguageModelTask.from_run(path)`.")
        return self.model

    def _compile(self, model: keras.Model, optimizer: Any) -> None:
        model.compile(optimizer=optimizer,
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=language_model_metrics(self.preprocessor.level))

    def _ensure_metrics(self, model: keras.Model) -> None:
        """Compiles a loaded (uncompiled) model, or one compiled without a metric we report."""
        wanted = {metric.name for metric in language_model_metrics(self.preprocessor.level)}
        if model.compiled:
            compiled = (model.get_compile_config() or {}).get("metrics") or []
            names = {m.get("config", {}).get("name") if isinstance(m, dict) else m
                     for m in compiled}
            if wanted <= names:
                return
        self._compile(model, model.optimizer if model.compiled else "adam")
