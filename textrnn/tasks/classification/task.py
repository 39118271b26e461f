"""`ClassifierTask`: train a document classifier, evaluate it, predict labels.

>>> from textrnn.tasks import ClassifierTask
>>> task = ClassifierTask.from_run("runs/classify")  # written by `textrnn-classify`
>>> task.predict(["WIN a FREE prize now!", "see you at 8"])
['spam', 'ham']
>>> task.predict_proba(["see you at 8"]).shape     # [num_docs, num_classes]
(1, 2)

A run trained with `fit(..., ensemble=3)` (`textrnn-classify --ensemble 3`) is three models
with different seeds; `from_run` loads them all and `predict_proba` averages their
probabilities (see `ensemble`). A run evaluated by `textrnn-classify` also holds its TF-IDF
baseline and the weight of their mixture (see `interpolation`):
`predict_proba(texts, interpolated=True)`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from textrnn.errors import InputError
from textrnn.models.classifier import build_bow_classifier, build_rnn_classifier, layer_groups
from textrnn.tasks.base import MODEL_FILE, Task, load_model
from textrnn.tasks.classification.baseline import INVERSE_L2_GRID, fit_tfidf_baseline
from textrnn.tasks.classification.data import LabelledTexts
from textrnn.tasks.classification.ensemble import (
    member_dir,
    member_metrics,
    member_minutes,
    saved_member_dirs,
)
from textrnn.tasks.classification.evaluation import (
    classification_metrics,
    confusion_matrix,
    paired_comparison,
    plot_confusion_matrix,
)
from textrnn.tasks.classification.interpolation import (
    BASELINE_MODEL_FILE,
    interpolate,
    interpolation_weight,
    save_interpolation,
    saved_weight,
)
from textrnn.tasks.classification.optimizer import discriminative_multipliers
from textrnn.tasks.classification.preprocessor import ClassifierPreprocessor
from textrnn.tasks.classification.training import (
    compile_classifier,
    fit_with_early_stopping,
)
from textrnn.tasks.classification.transfer import (
    GradualUnfreezing,
    encoder_options,
    transfer_encoder,
)
from textrnn.tasks.language_model import LanguageModelTask
from textrnn.training import read_train_state, save_model_atomic, strategy_scope

# Recurrent models from scratch: small sets overfit within 2-3 epochs at 3e-3, so early stopping
# had only coarse choices; 1e-3 measured better or equal on SMS spam and the UD EWT genres
# (mean of 3 seeds 0.556 vs 0.547 accuracy) and on the Bible topics still beat TF-IDF.
LEARNING_RATE = 1e-3
BOW_LEARNING_RATE = 0.05  # logistic regression is convex: a large step converges in a few epochs
# ("bow" models; the baseline of every run is fitted to its optimum, `baseline.py`)
# Fine-tuning a pre-trained encoder (ULMFiT's rate): on the Bible topics it gave test accuracy
# 0.578 against 0.518 with LEARNING_RATE in the same 9-minute budget.
TRANSFER_LEARNING_RATE = 1e-2

# Training or evaluation documents: `LabelledTexts`, or a `(texts, labels)` pair.
Documents = LabelledTexts | tuple[Sequence[str], Sequence[str]]


class ClassifierTask(Task):
    """A document classifier: a `ClassifierPreprocessor` and a Keras model.

    Args:
        preprocessor: turns texts into the model's inputs and label ids.
        model: maps inputs to class probabilities `[batch, num_classes]`; None before `fit`.
        model_options: `build_rnn_classifier` arguments (`cell`, `units`, `num_layers`,
            `embedding_dim`, `dropout`, `pooling`, `embedding_dropout`, `spatial_dropout`)
            used when `fit` creates the model.
        members: more trained models with the same inputs and labels (an ensemble's members
            after the first); `predict_proba` averages the probabilities of `model` and these.

    Attributes:
        baseline: the TF-IDF logistic regression (a "bow" task on the same vocabulary) that
            `evaluate_with_baseline` fitted or `from_run` loaded; None before.
        interpolation_weight: the recurrent model's weight in its mixture with `baseline`,
            chosen on validation (`interpolation.interpolation_weight`); None before.

    Example:
    >>> train = (["free prize now", "see you later"] * 20, ["spam", "ham"] * 20)
    >>> task = ClassifierTask(ClassifierPreprocessor.build(*train, model_kind="bow"))
    >>> history = task.fit(train, train, "runs/tiny", epochs=5, verbose=0)
    >>> task.predict(["a free prize"])
    ['spam']
    """

    preprocessor_class = ClassifierPreprocessor
    command = "textrnn-classify"
    preprocessor: ClassifierPreprocessor

    def __init__(self, preprocessor: ClassifierPreprocessor, model: keras.Model | None = None,
                 model_options: dict[str, Any] | None = None,
                 members: Sequence[keras.Model] = ()):
        super().__init__(preprocessor, model)
        self.model_options = dict(model_options or {})
        self.members = list(members)
        self.baseline: ClassifierTask | None = None
        self.interpolation_weight: float | None = None

    @classmethod
    def from_run(cls, path: str | os.PathLike) -> ClassifierTask:
        """Loads a trained run folder: its preprocessor, `model.keras`, for an ensemble
        each member's `member-k/model.keras`, and the TF-IDF baseline with the mixture's
        weight where the run was evaluated (`baseline.keras`, `interpolation.json`); all
        models in Keras safe mode.

        Raises:
            InputError: the folder is not a trained classifier run, or its files do not match
                each other.
        """
        task = super().from_run(path)
        for folder in saved_member_dirs(path):
            task.members.append(load_model(folder / MODEL_FILE))
            task.preprocessor.check_model(task.members[-1], folder)
        weight = saved_weight(path)
        if weight is not None:
            task.baseline = task._baseline_task(load_model(Path(path) / BASELINE_MODEL_FILE))
            task.baseline.preprocessor.check_model(task.baseline.model, path)
            task.interpolation_weight = weight
        return task

    def save(self, path: str | os.PathLike) -> None:
        """Writes the preprocessor, `model.keras`, each further member's
        `member-k/model.keras` and, once evaluated, the baseline and the mixture's weight
        (`baseline.keras`, `interpolation.json`) into `path`, each file atomically."""
        super().save(path)
        for index, model in enumerate(self.members, 1):
            member_dir(path, index).mkdir(exist_ok=True)
            save_model_atomic(model, member_dir(path, index) / MODEL_FILE)
        if self.baseline is not None and self.interpolation_weight is not None:
            save_interpolation(path, self.baseline.model, self.interpolation_weight)

    @property
    def labels(self) -> list[str]:
        """The class names, by id."""
        return self.preprocessor.labels

    def build_model(self) -> keras.Model:
        """A new, uncompiled model of the preprocessor's kind, sized to its vocabulary and
        labels (`model_options` shape the recurrent ones)."""
        vocab, classes = len(self.preprocessor.vocabulary), len(self.labels)
        if self.preprocessor.model_kind == "bow":
            return build_bow_classifier(vocab, classes)
        return build_rnn_classifier(vocab, classes, **{
            "bidirectional": self.preprocessor.model_kind == "birnn", **self.model_options})

    @classmethod
    def for_run(cls, run_dir: str | os.PathLike, train: Documents,
                language_model: Callable[[], LanguageModelTask] | None = None,
                preprocessing: dict[str, Any] | None = None,
                model_options: dict[str, Any] | None = None) -> ClassifierTask:
        """The task that `fit(..., run_dir)` trains or resumes.

        A run folder with a checkpoint keeps its own preprocessor (and `fit` its model).
        Otherwise, with `language_model` (called only then: it may train one), the task is
        `from_language_model`; without, a new `ClassifierPreprocessor.build(**preprocessing)`.

        Args:
            run_dir: the run folder.
            train: the training documents.
            language_model: returns the `LanguageModelTask` to transfer from.
            preprocessing: `ClassifierPreprocessor.build` options (`model_kind`, `level`,
                cuts, `max_length`, ...).
            model_options: `build_rnn_classifier` options (sizes ignored with transfer).
        """
        preprocessing, model_options = dict(preprocessing or {}), dict(model_options or {})
        if language_model is not None and read_train_state(run_dir) is None:
            regularisation = {key: value for key, value in model_options.items()
                              if key in ("dropout", "embedding_dropout", "spatial_dropout")}
            return cls.from_language_model(language_model(), train, run_dir,
                                           preprocessing.get("max_length"), **regularisation)
        texts, labels = _pair(train)
        return cls(ClassifierPreprocessor.load_or_build(run_dir, texts, labels, **preprocessing),
                   model_options=model_options)

    @classmethod
    def from_language_model(cls, language_model: LanguageModelTask, train: Documents,
                            run_dir: str | os.PathLike | None = None,
                            max_length: int | None = None,
                            **model_options: Any) -> ClassifierTask:
        """A unidirectional classifier whose encoder starts as the language model's (ULMFiT).

        The language model's tokenizer and vocabulary become the classifier's, its embedding
        and recurrent weights are copied in (`transfer.transfer_encoder`), and a new
        concat-pooling head is put on top. Fine-tune it with `fit(..., unfreeze=True,
        lr_decay=2.6)`.

        Args:
            language_model: a word or subword `LanguageModelTask` with a trained model.
            train: the training documents (labels and TF-IDF weights are learned there).
            run_dir: a classifier run folder; a preprocessor saved there (a resumed run) is
                reused, and must hold the language model's vocabulary.
            max_length: longest token sequence the classifier reads.
            **model_options: `dropout`, `embedding_dropout`, `spatial_dropout` of
                `build_rnn_classifier` (the sizes are the language model's).

        Raises:
            InputError: `run_dir` holds a classifier with another vocabulary.
        """
        lm = language_model.preprocessor
        texts, labels = _pair(train)
        if run_dir is not None and ClassifierPreprocessor.exists(run_dir):
            preprocessor = ClassifierPreprocessor.load(run_dir)
            if preprocessor.vocabulary != lm.vocabulary:
                raise InputError("the run folder's vocabulary is not the encoder's; use a new "
                                 "--out, or the same --encoder as before", run_dir)
        else:
            preprocessor = ClassifierPreprocessor.from_tokenizer(
                lm.tokenizer, lm.vocabulary, texts, labels, "rnn", max_length)
        options = {**model_options, "pooling": "concat",
                   **encoder_options(language_model.model)}
        task = cls(preprocessor, model_options=options)
        task.model = task.build_model()
        transfer_encoder(language_model.model, task.model)
        return task

    def fit(self, train: Documents, validation: Documents, run_dir: str | os.PathLike,
            epochs: int = 12, patience: int = 3, learning_rate: float | None = None,
            clip: float = 1.0, class_weight: str = "balanced", batch_size: int = 32,
            max_minutes: float | None = None, seed: int = 0, tensorboard: bool = False,
            weight_decay: float = 0.0, unfreeze: bool = False, lr_decay: float | None = None,
            verbose: int | str = 2, ensemble: int = 1, distribute: str = "default") -> list[dict]:
        """Trains in `run_dir`, resuming its checkpoint; keeps the best epoch's weights.

        Writes the preprocessor, `model.keras` (each epoch, then the best one),
        `train_state.json` and `best.weights.h5`. Training stops after `patience` epochs
        without a lower `val_loss`, after `epochs`, or after `max_minutes`. With `ensemble`
        > 1, the members after the first train the same way, one after the other, each in
        its own folder `run_dir/member-k`; a resumed run goes on with the member in flight.

        Args:
            train, validation: `LabelledTexts` or `(texts, labels)`.
            run_dir: the run folder.
            learning_rate: Adam's step (default `BOW_LEARNING_RATE` for "bow",
                `TRANSFER_LEARNING_RATE` with `unfreeze` or `lr_decay`, else `LEARNING_RATE`).
            clip: global gradient-norm threshold.
            class_weight: `"balanced"` (each class adds the same total loss) or `"none"`.
            tensorboard: also write TensorBoard logs to `run_dir/logs`.
            weight_decay: decoupled weight decay (AdamW's), scaled like each layer's rate.
            unfreeze: gradual unfreezing (`transfer.GradualUnfreezing`): the head alone in
                the first epoch, one more layer group in each later one (on every backend).
            lr_decay: discriminative learning rates: the head learns at `learning_rate`,
                each layer group below at `1 / lr_decay` of the one above (None: one rate).
            ensemble: how many models to train, with seeds `seed`, `seed + 1`, ...;
                `predict_proba` averages their probabilities. `max_minutes` covers them all:
                each member gets an equal share of what is left when it starts. A transferred
                encoder (`from_language_model`) is every member's starting point.
            distribute: a strategy name of `textrnn.training.get_strategy`; every member is
                built and trained in its scope, each batch split between the replicas.

        Returns:
            The history of the first member (the one in `run_dir`): one dict of logs per epoch
            of the run (resumed ones included); the others' are in their folders.
        """
        if isinstance(ensemble, bool) or not isinstance(ensemble, int) or ensemble < 1:
            raise ValueError("Received an invalid value for argument `ensemble`: expected a "
                             f"positive number of models, got {ensemble!r}.")
        started = time.monotonic()
        preprocessor = self.preprocessor
        (texts, labels), (val_texts, val_labels) = _pair(train), _pair(validation)
        preprocessor.save(run_dir)
        weights = preprocessor.class_weights(labels, class_weight)
        validation_data = preprocessor.inputs(val_texts, val_labels, batch_size,
                                              split="validation")
        if learning_rate is None:
            learning_rate = BOW_LEARNING_RATE if preprocessor.model_kind == "bow" else \
                TRANSFER_LEARNING_RATE if unfreeze or lr_decay else LEARNING_RATE
        start_weights = None if self.model is None else self.model.get_weights()

        def new_model() -> keras.Model:
            model = self.build_model()
            if start_weights is not None:
                model.set_weights(start_weights)
            multipliers = None if lr_decay is None else discriminative_multipliers(
                layer_groups(model), lr_decay)
            return compile_classifier(model, learning_rate, clip, weight_decay, multipliers)

        members = []
        with strategy_scope(distribute):
            for index in range(ensemble):
                if index:  # the first member trains exactly as a single model did
                    keras.utils.set_random_seed(seed + index)
                train_data = preprocessor.inputs(texts, labels, batch_size, shuffle=True,
                                                 seed=seed + index, class_weight=weights)
                members.append(fit_with_early_stopping(
                    new_model, member_dir(run_dir, index), train_data, validation_data, epochs,
                    patience, member_minutes(max_minutes, started, ensemble - index),
                    callbacks=[GradualUnfreezing()] if unfreeze else [],
                    tensorboard=tensorboard, verbose=verbose))
                preprocessor.check_model(members[-1][0], run_dir)
        (self.model, history), *others = members
        self.members = [model for model, _ in others]
        return history

    def fit_baseline(self, train: Documents, validation: Documents,
                     class_weight: str = "balanced",
                     grid: Sequence[float] = INVERSE_L2_GRID) -> tuple[ClassifierTask, float]:
        """A TF-IDF logistic regression on this task's vocabulary, fitted to its optimum for
        each inverse L2 strength `C` of `grid`; the one with the lowest validation log-loss
        is kept (`baseline.fit_tfidf_baseline`: deterministic, no seed).

        Returns:
            A new "bow" `ClassifierTask` sharing this one's tokenizer, vocabulary and labels,
            and the chosen `C`.
        """
        baseline = self._baseline_task()
        preprocessor = baseline.preprocessor
        (texts, labels), (val_texts, val_labels) = _pair(train), _pair(validation)
        y = preprocessor.encode_labels(labels, "training")
        baseline.model, c = fit_tfidf_baseline(
            preprocessor.features(texts), y, preprocessor.features(val_texts),
            preprocessor.encode_labels(val_labels, "validation"), len(self.labels),
            preprocessor.class_weights(labels, class_weight), grid)
        return baseline, c

    def _baseline_task(self, model: keras.Model | None = None) -> ClassifierTask:
        """A "bow" task sharing this one's tokenizer, vocabulary, labels and TF-IDF weights."""
        p = self.preprocessor
        return ClassifierTask(ClassifierPreprocessor("bow", p.tokenizer, p.vocabulary, p.labels,
                                                     p.tfidf, p.max_length), model)

    def evaluate_with_baseline(self, train: Documents, validation: Documents, test: Documents,
                               class_weight: str = "balanced",
                               confusion_plot: str | os.PathLike | None = None,
                               run_dir: str | os.PathLike | None = None) -> dict:
        """This model's `test_*` figures beside `baseline_*` ones of a TF-IDF logistic
        regression (`fit_baseline`) on the same training split, vocabulary and test split,
        and `interpolated_test_*` ones of their mixture (`interpolation`; its weight, chosen on
        `validation`, as `interpolation_weight`), with `baseline_train_seconds`, the split
        sizes, `vocab_size` and McNemar's test of this model against the baseline
        (`evaluation.paired_comparison`: `paired_*`) and the baseline's `baseline_c`. An
        ensemble's `test_*` figures are its averaged probabilities'; `ensemble.member_metrics`
        adds each member's. A "bow" task is its own baseline, with no mixture.

        Sets `baseline` and `interpolation_weight`; with `run_dir`, also saves them there.
        """
        (texts, labels), (val_texts, val_labels) = _pair(test), _pair(validation)
        y = self.preprocessor.encode_labels(labels, "test")
        probabilities = self.member_probabilities(texts)
        ensemble_probabilities = probabilities.mean(axis=0)
        metrics = {**self._scores(y, ensemble_probabilities, "test", confusion_plot),
                   **member_metrics(y, probabilities, self.labels)}
        start = time.monotonic()
        if self.preprocessor.model_kind == "bow":
            return {**metrics, **self._split_sizes(train, validation, test),
                    **self._scores(y, ensemble_probabilities, "baseline", None),
                    "baseline_train_seconds": 0.0}
        self.baseline, c = self.fit_baseline(train, validation, class_weight)
        baseline_probabilities = self.baseline.predict_proba(texts)
        metrics.update(baseline_train_seconds=time.monotonic() - start, baseline_c=c,
                       **self._scores(y, baseline_probabilities, "baseline", None))
        self.interpolation_weight = interpolation_weight(
            self.preprocessor.encode_labels(val_labels, "validation"),
            self.predict_proba(val_texts), self.baseline.predict_proba(val_texts))
        if run_dir is not None:
            save_interpolation(run_dir, self.baseline.model, self.interpolation_weight)
        mixture = interpolate(ensemble_probabilities, baseline_probabilities,
                              self.interpolation_weight)
        paired = paired_comparison(y, ensemble_probabilities.argmax(axis=-1),
                                   baseline_probabilities.argmax(axis=-1))
        return {**metrics, **paired, **self._scores(y, mixture, "interpolated_test", None),
                "interpolation_weight": self.interpolation_weight,
                **self._split_sizes(train, validation, test)}

    def _split_sizes(self, train: Documents, validation: Documents,
                     test: Documents) -> dict[str, int]:
        return {"num_train": len(_pair(train)[0]), "num_validation": len(_pair(validation)[0]),
                "num_test": len(_pair(test)[0]), "vocab_size": len(self.preprocessor.vocabulary)}

    def member_probabilities(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Each member's class probabilities `[num_members, num_docs, num_classes]`
        (float32), `model`'s first, documents in the order of `texts`."""
        if self.model is None:
            raise ValueError("This task has no model yet: call `fit` or `from_run` first.")
        models = [self.model, *self.members]
        if not texts:
            return np.zeros((len(models), 0, len(self.labels)), np.float32)
        data = self.preprocessor.inputs(texts, batch_size=batch_size)
        restore = getattr(data, "restore_order", lambda probabilities: probabilities)
        return np.stack([restore(model.predict(data, verbose=0)) for model in models])

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64,
                      interpolated: bool = False) -> np.ndarray:
        """Class probabilities `[num_docs, num_classes]` (float32), in the order of `texts`:
        the mean of the members' (`member_probabilities`); with `interpolated`, that mean
        mixed with the TF-IDF baseline's by `interpolation_weight`.

        Raises:
            ValueError: `interpolated`, but the task has no baseline (it was not evaluated by
                `evaluate_with_baseline`, or is a "bow" task).
        """
        probabilities = self.member_probabilities(texts, batch_size).mean(axis=0)
        if not interpolated:
            return probabilities
        if self.baseline is None or self.interpolation_weight is None:
            raise ValueError("This task has no TF-IDF baseline to interpolate with: evaluate it "
                             "with `evaluate_with_baseline` (a run folder trained by "
                             "textrnn-classify has one unless its model is 'bow').")
        return interpolate(probabilities, self.baseline.predict_proba(texts, batch_size),
                           self.interpolation_weight)

    def predict(self, texts: Sequence[str], interpolated: bool = False) -> list[str]:
        """The most likely label of each text (`interpolated`: of the mixture with the
        baseline, see `predict_proba`)."""
        return [self.labels[i] for i in self.predict_proba(texts, interpolated=interpolated)
                .argmax(axis=1)]

    def evaluate(self, texts: Sequence[str], labels: Sequence[str], prefix: str = "",
                 confusion_plot: str | os.PathLike | None = None) -> dict[str, float | int]:
        """Accuracy, macro-F1, per-class precision / recall / F1 / support and confusion
        counts (see `evaluation.classification_metrics`; keys start with `prefix_`).

        Args:
            texts, labels: the evaluation documents; every label must be a training label.
            prefix: key prefix, e.g. `"test"`.
            confusion_plot: also save the confusion matrix as a PNG there.
        """
        y = self.preprocessor.encode_labels(labels, prefix or "evaluation")
        return self._scores(y, self.predict_proba(texts), prefix, confusion_plot)

    def _scores(self, y: np.ndarray, probabilities: np.ndarray, prefix: str,
                confusion_plot: str | os.PathLike | None) -> dict[str, float | int]:
        predicted = probabilities.argmax(axis=1)
        if confusion_plot is not None:
            plot_confusion_matrix(confusion_matrix(y, predicted, len(self.labels)), self.labels,
                                  confusion_plot,
                                  title=f"{self.preprocessor.model_kind}, {prefix or 'eval'}")
        return classification_metrics(y, predicted, self.labels, prefix)


def _pair(documents: Documents) -> tuple[Sequence[str], Sequence[str]]:
    if isinstance(documents, LabelledTexts):
        return documents.texts, documents.labels
    texts, labels = documents
    return texts, labels
