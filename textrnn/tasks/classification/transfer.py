"""Transfer from a language model into a classifier (ULMFiT, Howard & Ruder 2018).

- `load_encoder_run`: a word/subword `textrnn-lm` run folder as a `LanguageModelTask`, with
  one-line errors for anything else.
- `pretrain_language_model`: trains (or resumes) such a run on the classifier's own training
  texts (plus unlabeled text), one document per line.
- `encoder_options` / `transfer_encoder`: size a classifier like the language model's
  encoder and copy its embedding and recurrent weights in (the language model is stateful
  with a fixed batch; the classifier is not, and textrnn's layers are weight-compatible).
- `GradualUnfreezing`: trains the head first and unfreezes one more layer group per epoch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras

from textrnn.data import load_documents
from textrnn.errors import InputError
from textrnn.layers import RNNLayer
from textrnn.models import RECURRENT_LAYERS, layer_groups
from textrnn.tasks.classification.optimizer import LayerwiseAdamW
from textrnn.tasks.language_model import LanguageModelPreprocessor, LanguageModelTask

LM_DIR = "lm"  # the pre-trained language model's run folder inside the classifier's
TRANSFER_LEVELS = ("word", "subword")
# A classifier's texts are small (SMS spam: 90k words): short windows and a small batch give
# the language model ~8x more updates per epoch than textrnn-lm's char-level defaults.
PRETRAIN_FIT = {"batch_size": 16, "seq_len": 32, "lr": 3e-3}


def load_encoder_run(path: str | os.PathLike) -> LanguageModelTask:
    """A trained word or subword language-model run whose encoder a classifier can reuse.

    Raises:
        InputError: not a trained `textrnn-lm` run, a char-level one, or one whose model has
            no embedding or recurrent layer.
    """
    task = LanguageModelTask.from_run(path)
    level = task.preprocessor.level
    if level not in TRANSFER_LEVELS:
        raise InputError(f"--encoder needs a word or subword language model, but this run is "
                         f"{level}-level; train one with `textrnn-lm --level word`", path)
    encoder_options(task.model, path)  # checks the layers
    return task


def encoder_options(model: keras.Model, path: str | os.PathLike | None = None) -> dict:
    """`build_rnn_classifier` sizes of a language model's encoder: `cell`, `units`,
    `num_layers`, `embedding_dim` (`InputError` when it has no embedding or recurrent layer)."""
    embedding = _embedding(model)
    recurrent = [layer for layer in model.layers if isinstance(layer, RNNLayer)]
    names = {cls: name for name, cls in RECURRENT_LAYERS.items()}
    if embedding is None or not recurrent or type(recurrent[0]) not in names:
        raise InputError("the language model has no embedding followed by textrnn recurrent "
                         "layers (an --input onehot model cannot be transferred)", path)
    return {"cell": names[type(recurrent[0])], "units": int(recurrent[0].cell.units),
            "num_layers": len(recurrent), "embedding_dim": int(embedding.weights[0].shape[1])}


def transfer_encoder(language_model: keras.Model, classifier: keras.Model) -> None:
    """Copies the embedding and recurrent weights of `language_model` into `classifier`.

    The classifier must have been built with `encoder_options(language_model)` (unidirectional),
    so every copied array has the same shape.

    Raises:
        ValueError: the shapes differ (the classifier was built with other sizes).
    """
    sources = [_embedding(language_model),
               *(layer for layer in language_model.layers if isinstance(layer, RNNLayer))]
    targets = [_embedding(classifier),
               *(layer for layer in classifier.layers if isinstance(layer, RNNLayer))]
    if len(sources) != len(targets) or None in sources or None in targets:
        raise ValueError(f"The classifier has {len(targets) - 1} recurrent layers and the "
                         f"language model {len(sources) - 1}; build the classifier with "
                         "`encoder_options(language_model)`.")
    for source, target in zip(sources, targets, strict=True):
        pairs = list(zip(source.trainable_weights, target.trainable_weights, strict=True))
        for src, dst in pairs:
            if tuple(src.shape) != tuple(dst.shape):
                raise ValueError(f"Cannot copy weight {src.path} of shape {tuple(src.shape)} "
                                 f"into {dst.path} of shape {tuple(dst.shape)}; build the "
                                 "classifier with `encoder_options(language_model)`.")
            dst.assign(src)


def _embedding(model: keras.Model) -> keras.layers.Layer | None:
    return next((layer for layer in model.layers
                 if isinstance(layer, keras.layers.Embedding)), None)


def document_text(texts: Sequence[str]) -> str:
    """Documents as one text for a language model: one per line, inner newlines as spaces."""
    return "\n".join(" ".join(text.split()) for text in texts) + "\n"


def pretrain_language_model(
    texts: Sequence[str],
    validation_texts: Sequence[str],
    run_dir: str | os.PathLike,
    level: str = "word",
    lowercase: bool = True,
    min_df: int | float = 2,
    vocab_size: int = 4000,
    max_minutes: float | None = None,
    epochs: int = 10,
    **fit_options: Any,
) -> LanguageModelTask:
    """Trains (or resumes) a word/subword language model on documents, one per line.

    Args:
        texts: the training documents (and any unlabeled text, as further documents).
        validation_texts: documents for the language model's `val_loss`.
        run_dir: its run folder (`OUT/lm` for a classifier run in `OUT`).
        level, lowercase, min_df, vocab_size: how the vocabulary is built (as for the
            classifier's).
        max_minutes: budget of this stage; epochs: at most this many.
        **fit_options: more `LanguageModelTask.fit` arguments (`cell`, `units`,
            `num_layers`, `embedding_dim`, `dropout`, ...; `batch_size`, `seq_len` and `lr`
            default to `PRETRAIN_FIT`).

    Returns:
        The trained language model's task (best or last epoch).
    """
    if level not in TRANSFER_LEVELS:
        raise ValueError(f"Received an invalid value for argument `level`: {level!r}; "
                         f"pre-training needs one of {TRANSFER_LEVELS}.")
    run_dir = Path(run_dir)
    train_text, validation_text = document_text(texts), document_text(validation_texts)
    if LanguageModelPreprocessor.exists(run_dir):
        preprocessor = LanguageModelPreprocessor.load(run_dir)
    else:
        preprocessor = LanguageModelPreprocessor.build(train_text, level, run_dir,
                                                       lowercase=lowercase, min_df=min_df,
                                                       vocab_size=vocab_size)
    options = {**PRETRAIN_FIT, **fit_options}
    train_ids, validation_ids = (preprocessor.encode(train_text),
                                 preprocessor.encode(validation_text))  # tokenised once
    options["batch_size"], options["seq_len"] = _windows_for(
        min(len(train_ids), len(validation_ids)), options["batch_size"], options["seq_len"])
    task = LanguageModelTask(preprocessor)
    task.fit(train_ids, validation_ids, run_dir, epochs=epochs, max_minutes=max_minutes,
             **options)
    return task


def encoder_task(encoder: str | os.PathLike | None, run_dir: str | os.PathLike,
                 texts: Sequence[str], validation_texts: Sequence[str],
                 unlabeled: str | os.PathLike | None = None,
                 **pretrain_options: Any) -> LanguageModelTask:
    """The language model a transfer run starts from: the `encoder` run folder
    (`load_encoder_run`), else one pre-trained in `run_dir/lm` on `texts` plus the documents
    of the `unlabeled` file (`pretrain_language_model(**pretrain_options)`)."""
    if encoder is not None:
        return load_encoder_run(encoder)
    extra = list(load_documents(unlabeled)["text"]) if unlabeled else []
    return pretrain_language_model([*texts, *extra], validation_texts, Path(run_dir) / LM_DIR,
                                   **pretrain_options)


def _windows_for(num_tokens: int, batch_size: int, seq_len: int) -> tuple[int, int]:
    """A batch size and window length (at most the given ones) that a stream of `num_tokens`
    fills at least once: a small validation split must not stop the pre-training."""
    while batch_size > 1 and batch_size * seq_len + 1 > num_tokens:
        batch_size //= 2
    return batch_size, max(1, min(seq_len, num_tokens - 1))


class GradualUnfreezing(keras.callbacks.Callback):
    """Trains only the head in the first epoch, then unfreezes one more layer group per epoch.

    At the start of epoch `e` the top `e + 1` layer groups (`textrnn.models.layer_groups`)
    train and the others are frozen by the optimizer (`LayerwiseAdamW.freeze`, which works
    inside the compiled step on every backend). At the end of each epoch nothing is frozen, so
    the checkpoint saved then holds the whole model.

    Args:
        groups: layer names in groups from the input up (`layer_groups(model)`); None:
            the model's own groups.
    """

    def __init__(self, groups: Sequence[Sequence[str]] | None = None):
        super().__init__()
        self.groups = None if groups is None else [list(group) for group in groups]

    def trainable_groups(self, epoch: int) -> int:
        """How many groups (from the top) train in `epoch` (0-based)."""
        return min(epoch + 1, len(self._groups()))

    def on_epoch_begin(self, epoch, logs=None):
        groups = self._groups()
        self._optimizer().freeze({name for group in groups[:len(groups) -
                                                           self.trainable_groups(epoch)]
                                  for name in group})

    def on_epoch_end(self, epoch, logs=None):
        self._optimizer().freeze(())

    def on_train_end(self, logs=None):
        self._optimizer().freeze(())

    def _groups(self) -> list[list[str]]:
        return self.groups if self.groups is not None else layer_groups(self.model)

    def _optimizer(self) -> LayerwiseAdamW:
        optimizer = getattr(self.model.optimizer, "inner_optimizer", self.model.optimizer)
        if not isinstance(optimizer, LayerwiseAdamW) or not optimizer.built:
            raise ValueError(f"GradualUnfreezing needs the model compiled with a built "
                             f"LayerwiseAdamW (`compile_classifier`), got "
                             f"{type(optimizer).__name__}.")
        return optimizer
