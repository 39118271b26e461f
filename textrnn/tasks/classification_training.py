"""Training a classifier on texts, keeping its best weights, and predicting from a run folder.

`Classifier` pairs a model with its `ClassifierAssets` and turns texts into what the model
reads: padded id batches for the recurrent models, TF-IDF vectors for the bag-of-words one.
`train_classifier` is `textrnn.runs.fit_resumable` plus early stopping on `val_loss`, with the
best epoch's weights kept in `best.weights.h5` so the final model is the best one, also after
an interrupted run is resumed.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from textrnn.errors import InputError
from textrnn.io import atomic_path
from textrnn.models.classifier import build_bow_classifier
from textrnn.runs import fit_resumable
from textrnn.tasks.classification_features import (
    ClassifierAssets,
    FeatureBatches,
    SequenceBatches,
)
from textrnn.training import GlobalNormClipping, read_train_state, save_model_atomic
from textrnn.training.checkpoint import MODEL_FILE

BEST_WEIGHTS_FILE = "best.weights.h5"
MONITOR = "val_loss"
BOW_LEARNING_RATE = 0.05  # logistic regression is convex: a large step converges in a few epochs


@dataclasses.dataclass
class Classifier:
    """A classification model and the assets that turn texts into its inputs.

    Attributes:
        model: maps inputs to class probabilities `[batch, num_classes]`.
        assets: tokenizer, vocabulary, labels, TF-IDF weights.
        bow: the model reads TF-IDF vectors (else padded token ids).
    """

    model: keras.Model
    assets: ClassifierAssets
    bow: bool = False

    def inputs(self, texts: Sequence[str], y: np.ndarray | None = None, batch_size: int = 32,
               shuffle: bool = False, seed: int = 0):
        """`fit` / `predict` data: `FeatureBatches` of TF-IDF vectors for bag-of-words, else
        `SequenceBatches` of padded token ids."""
        if self.bow:
            return FeatureBatches(self.assets.features(texts), y, batch_size, shuffle, seed)
        return SequenceBatches(self.assets.sequences(texts), y, batch_size, shuffle, seed)

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Class probabilities `[num_docs, num_classes]` (float32), in the order of `texts`."""
        data = self.inputs(texts, batch_size=batch_size)
        probabilities = self.model.predict(data, verbose=0)
        return probabilities if self.bow else data.restore_order(probabilities)

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most likely label of each text."""
        return [self.assets.labels[i] for i in self.predict_proba(texts).argmax(axis=1)]

    def check(self, run_dir: str | os.PathLike | None = None) -> None:
        """Raises `InputError` when the model's input or output width does not match the
        vocabulary or the label list (a model and assets from different runs)."""
        vocab, labels = len(self.assets.vocabulary), len(self.assets.labels)
        if self.bow:
            found, what = self.model.input_shape[-1], "input features"
        else:
            embeddings = [layer for layer in self.model.layers
                          if isinstance(layer, keras.layers.Embedding)]
            if not embeddings:
                raise InputError("the model has no Embedding layer, so it does not read token "
                                 "ids", _model_path(run_dir))
            found, what = embeddings[0].input_dim, "embedding rows"
        if found != vocab:
            raise InputError(f"the model has {found} {what} but vocab.json has {vocab} tokens: "
                             "the model and the vocabulary come from different runs",
                             _model_path(run_dir))
        if self.model.output_shape[-1] != labels:
            raise InputError(f"the model has {self.model.output_shape[-1]} outputs but "
                             f"labels.json has {labels} labels: they come from different runs",
                             _model_path(run_dir))


def load_classifier(run_dir: str | os.PathLike) -> Classifier:
    """The trained classifier of a run folder (`model.keras` and its assets), checked.

    Raises:
        InputError: not a classifier run folder, or the files do not belong together.
    """
    run_dir = Path(run_dir)
    if not (run_dir / MODEL_FILE).exists():
        raise InputError("not a classifier run folder (no model.keras); train one first with "
                         "`python recipes/classify.py --out DIR`", run_dir)
    assets = ClassifierAssets.load(run_dir)
    try:
        model = keras.saving.load_model(run_dir / MODEL_FILE, compile=False)
    except (OSError, ValueError) as error:
        raise InputError(f"cannot load the model: {error}", run_dir / MODEL_FILE) from None
    classifier = Classifier(model, assets, bow=assets.model == "bow")
    classifier.check(run_dir)
    return classifier


def compile_classifier(model: keras.Model, learning_rate: float, clip: float) -> keras.Model:
    """Compiles with Adam under global-norm clipping, sparse cross-entropy and accuracy."""
    model.compile(optimizer=GlobalNormClipping(keras.optimizers.Adam(learning_rate), clip),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    return model


class BestWeights(keras.callbacks.Callback):
    """Writes the weights to `path` (atomically) whenever `val_loss` reaches a new low.

    Args:
        path: a `.weights.h5` file.
        best: the lowest `val_loss` of earlier (resumed) epochs; only better epochs are saved.
    """

    def __init__(self, path: str | os.PathLike, best: float | None = None):
        super().__init__()
        self.path = Path(path)
        self.best = math.inf if best is None else best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(MONITOR)
        if value is None or not math.isfinite(value) or value >= self.best:
            return
        self.best = float(value)
        with atomic_path(self.path, suffix=".weights.h5") as tmp_path:
            self.model.save_weights(tmp_path, overwrite=True)


def stopped_early(history: list[dict], patience: int) -> bool:
    """True when the last `patience` epochs of `history` did not improve `val_loss`."""
    values = [row.get(MONITOR) for row in history]
    values = [math.inf if v is None else v for v in values]
    return len(values) > patience and min(values[-patience:]) >= min(values[:-patience])


def train_classifier(
    classifier_fn,
    run_dir: str | os.PathLike,
    train_data,
    validation_data,
    epochs: int,
    patience: int = 3,
    max_minutes: float | None = None,
    class_weight: dict | None = None,
    **fit_kwargs,
) -> tuple[keras.Model, list[dict]]:
    """Resumable training with early stopping; returns the model holding its best weights.

    Args:
        classifier_fn: returns a new compiled model (called only when nothing is saved yet).
        run_dir: the run folder (checkpoint, `train_state.json`, `best.weights.h5`).
        train_data, validation_data: `fit` data (`Classifier.inputs`).
        epochs: most epochs of the run.
        patience: stop after this many epochs without a lower `val_loss`. A resumed run that
            had already stopped trains no further.
        max_minutes: wall-clock budget of this invocation.
        class_weight: per-class loss weights.
        **fit_kwargs: more `model.fit` arguments (e.g. `verbose`).

    Returns:
        The model with the weights of its best epoch (also saved as `model.keras`), and the
        history of all epochs.
    """
    state = read_train_state(run_dir)
    done = state is not None and stopped_early(state["history"], patience)
    if done:
        epochs = state["epochs_done"]
    callbacks = [keras.callbacks.EarlyStopping(MONITOR, patience=patience,
                                               restore_best_weights=True),
                 BestWeights(Path(run_dir) / BEST_WEIGHTS_FILE, state and state.get("best"))]
    model, history = fit_resumable(
        classifier_fn, run_dir, epochs, max_minutes=max_minutes, callbacks=callbacks,
        monitor=MONITOR, x=train_data, validation_data=validation_data, class_weight=class_weight,
        **fit_kwargs)
    best = Path(run_dir) / BEST_WEIGHTS_FILE
    if best.exists():
        model.load_weights(best)
        save_model_atomic(model, Path(run_dir) / MODEL_FILE)
    return model, history


def train_baseline(
    assets: ClassifierAssets,
    train: tuple[Sequence[str], np.ndarray],
    validation: tuple[Sequence[str], np.ndarray],
    class_weight: dict | None = None,
    epochs: int = 50,
    patience: int = 3,
    learning_rate: float = BOW_LEARNING_RATE,
    batch_size: int = 32,
) -> Classifier:
    """Fits the TF-IDF logistic regression (no checkpoints: it takes seconds).

    Args:
        assets: the run's assets (vocabulary and fitted TF-IDF weights).
        train, validation: `(texts, label ids)`.
        class_weight: per-class loss weights.
        epochs: most epochs; early stopping on `val_loss` keeps the best one.
        patience: epochs without improvement before stopping.
        learning_rate: Adam's learning rate (a convex problem takes a large one).
        batch_size: documents per step.

    Returns:
        The trained `Classifier` (`bow=True`).
    """
    model = build_bow_classifier(len(assets.vocabulary), len(assets.labels))
    classifier = Classifier(compile_classifier(model, learning_rate, clip=5.0), assets, bow=True)
    model.fit(classifier.inputs(*train, batch_size, shuffle=True), epochs=epochs, verbose=0,
              validation_data=classifier.inputs(*validation, batch_size),
              class_weight=class_weight,
              callbacks=[keras.callbacks.EarlyStopping(MONITOR, patience=patience,
                                                       restore_best_weights=True)])
    return classifier


def _model_path(run_dir: str | os.PathLike | None) -> Path | None:
    return None if run_dir is None else Path(run_dir) / MODEL_FILE
