"""`TranslatorTask`: train, evaluate (BLEU, chrF) and use an encoder-decoder translator.

>>> from textrnn.tasks import TranslatorTask
>>> TranslatorTask.from_run("runs/translate").translate(["In the beginning was the Word."])
['En el principio era el Verbo.']
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import keras
import numpy as np

from textrnn.models.seq2seq import Seq2SeqDecoder, build_seq2seq
from textrnn.runs import fit_resumable
from textrnn.tasks.base import Task
from textrnn.tasks.translation import evaluation
from textrnn.tasks.translation.loss import MaskedSparseCrossentropy, log_prior
from textrnn.tasks.translation.preprocessor import EncodedPairs, TranslatorPreprocessor
from textrnn.training import GlobalNormClipping, strategy_scope


class TranslatorTask(Task):
    """A `TranslatorPreprocessor` and a `build_seq2seq` model, with the translator's verbs.

    Args:
        preprocessor: the subword tokenizers and vocabularies.
        model: the `build_seq2seq` model, or None before `fit`.
        model_options: `build_seq2seq` settings for the model `fit` builds: `cell`,
            `attention`, `units`, `embedding_dim`, `dropout`.

    Example:
    >>> pre = TranslatorPreprocessor.build(sources, targets, "runs/tr", vocab_size=500)
    >>> task = TranslatorTask(pre, model_options={"units": 64, "attention": "luong"})
    >>> history = task.fit(sources, targets, "runs/tr", epochs=5)
    >>> task.translate(["the cat sat"], beam_width=4)
    ['el gato se sentó']
    """

    preprocessor_class = TranslatorPreprocessor
    command = "textrnn-translate"
    preprocessor: TranslatorPreprocessor

    def __init__(self, preprocessor: TranslatorPreprocessor, model: keras.Model | None = None,
                 model_options: dict[str, Any] | None = None):
        super().__init__(preprocessor, model, model_options)
        self._decoder: tuple[keras.Model, Seq2SeqDecoder] | None = None

    @property
    def decoder(self) -> Seq2SeqDecoder:
        """The step-by-step decoder over the current model's layers."""
        if self.model is None:
            raise ValueError("This task has no model yet: call `fit` or load a run with "
                             "`TranslatorTask.from_run(path)`.")
        if self._decoder is None or self._decoder[0] is not self.model:
            self._decoder = (self.model, Seq2SeqDecoder(self.model))
        return self._decoder[1]

    def fit(self, sources: list[str], targets: list[str], run_dir: str | os.PathLike,
            validation: tuple[list[str], list[str]] | None = None, *,
            label_smoothing: float = 0.0, batch_size: int = 32, learning_rate: float = 2e-3,
            clip: float = 1.0, epochs: int = 40, max_minutes: float | None = None,
            tensorboard: bool = False, verbose: int = 2,
            distribute: str = "default") -> list[dict]:
        """Trains (or resumes) the model in `run_dir`, with a checkpoint per epoch.

        Saves the preprocessor in `run_dir` too (the folder then loads with `from_run`). The
        output bias starts at the targets' `log_prior`; `train_pairs_too_long_` is set.

        Args:
            sources, targets: training sentence pairs.
            run_dir: the run folder (resumed when it holds a checkpoint).
            validation: `(sources, targets)` monitored as `val_loss`; None monitors `loss`.
            label_smoothing, batch_size, learning_rate, clip: the loss's label smoothing,
                the batch, Adam's step and the global gradient-norm bound.
            epochs, max_minutes: total epochs of the run; stop cleanly after this long.
            tensorboard: also write TensorBoard logs to `run_dir/logs`.
            verbose: Keras' verbosity (0 also silences the summary line).
            distribute: a strategy name of `textrnn.training.get_strategy`; the model is
                built and trained in its scope, each batch split between the replicas.

        Returns:
            The history of all epochs of the run (resumed ones included).
        """
        train, validation_data = self._encode(sources, targets, validation, run_dir, verbose)
        self.train_pairs_too_long_ = train.too_long  # pairs over max_length, dropped
        self.preprocessor.save(run_dir)

        def build() -> keras.Model:
            model = self.build_model(log_prior(train.target_out,
                                               len(self.preprocessor.target_vocabulary)))
            model.compile(optimizer=GlobalNormClipping(keras.optimizers.Adam(learning_rate), clip),
                          loss=MaskedSparseCrossentropy(label_smoothing))
            return model

        with strategy_scope(distribute):
            self.model, history = fit_resumable(
                build, run_dir, epochs, max_minutes, tensorboard=tensorboard,
                monitor="val_loss" if validation_data else "loss", x=train.x, y=train.y,
                validation_data=validation_data, batch_size=batch_size, verbose=verbose)
        return history

    def _encode(self, sources, targets, validation, run_dir, verbose) -> tuple[EncodedPairs, Any]:
        """Training pairs and Keras' `validation_data` (None without validation pairs)."""
        preprocessor = self.preprocessor
        train = preprocessor.encode_pairs(sources, targets)
        if not len(train.kept):
            raise ValueError(f"Every training pair is over max_length={preprocessor.max_length} "
                             "pieces; raise max_length.")
        val = preprocessor.encode_pairs(*validation) if validation else None
        if verbose:
            print(f"Training in {run_dir}: {len(train.kept)} pairs ({train.too_long} over "
                  f"{preprocessor.max_length} pieces dropped); vocabularies "
                  f"{len(preprocessor.source_vocabulary)} / {len(preprocessor.target_vocabulary)}")
        return train, ((val.x, val.y) if val is not None and len(val.kept) else None)

    def build_model(self, output_bias: np.ndarray | None = None) -> keras.Model:
        """A new, uncompiled `build_seq2seq` model sized to the vocabularies.

        Args:
            output_bias: `[target vocabulary]` starting bias of the output layer (`fit`
                passes the training targets' `log_prior`).
        """
        return build_seq2seq(len(self.preprocessor.source_vocabulary),
                             len(self.preprocessor.target_vocabulary),
                             output_bias=output_bias, **self.model_options)

    def translate(self, texts: list[str], beam_width: int = 4, max_length: int | None = None,
                  length_penalty: float = 0.6, batch_size: int = 64) -> list[str]:
        """Translates sentences with beam search (`beam_width=1`: greedy), in batches.

        Args:
            texts: source sentences.
            beam_width: hypotheses kept per sentence.
            max_length: most output tokens per sentence (end token included); None:
                the preprocessor's `max_length + 1`.
            length_penalty: GNMT alpha; higher favours longer beam hypotheses.
            batch_size: sentences decoded together.

        Returns:
            One translation per text (an untrained model may give "").
        """
        if isinstance(texts, str):
            raise ValueError("Received an invalid value for argument `texts`: a single string; "
                             "expected a list of sentences, e.g. [text].")
        max_length = max_length or self.preprocessor.max_length + 1
        vocabulary = self.preprocessor.target_vocabulary
        hypotheses = []
        for start in range(0, len(texts), batch_size):
            batch = self.preprocessor.encode_sources(texts[start:start + batch_size])
            outputs = self.decoder.translate(batch, vocabulary.bos_id, vocabulary.eos_id,
                                             beam_width, max_length, length_penalty)
            hypotheses.extend(map(self.preprocessor.decode_target, outputs))
        return hypotheses

    def evaluate(self, sources: list[str], references: list[str], beam_width: int = 4,
                 max_length: int | None = None, length_penalty: float = 0.6,
                 predictions_path: str | os.PathLike | None = None) -> dict[str, float]:
        """Greedy and beam corpus BLEU / chrF (sacrebleu) of the translations of `sources`.

        Args:
            sources, references: sentence pairs to score on.
            beam_width, max_length, length_penalty: as in `translate`.
            predictions_path: where to write the predictions (`test_predictions.tsv`
                format: source, reference, hypothesis, hypothesis_greedy); None: nowhere.

        Returns:
            `{"bleu", "chrf"}` (beam search) and `{"bleu_greedy", "chrf_greedy"}`.
        """
        greedy = self.translate(sources, 1, max_length)
        beam = self.translate(sources, beam_width, max_length, length_penalty)
        if predictions_path is not None:
            evaluation.write_predictions(predictions_path, sources, references, beam, greedy)
        beam_scores = evaluation.scores(beam, references)
        greedy_scores = evaluation.scores(greedy, references)
        return {**beam_scores, **{f"{key}_greedy": value for key, value in greedy_scores.items()}}

    def plot_attention(self, source: str, path: str | os.PathLike,
                       hypothesis: str | None = None, **decoding: Any) -> bool:
        """Saves a heat-map of the attention over `source` while producing `hypothesis`.

        Args:
            source: a source sentence.
            path: the PNG file to write.
            hypothesis: the output to show; None translates `source` (with `decoding`,
                the arguments of `translate`).

        Returns:
            False (and writes nothing) when the model has no attention.
        """
        if hypothesis is None:
            hypothesis = self.translate([source], **decoding)[0]
        return evaluation.plot_attention(self.decoder, self.preprocessor, source, hypothesis,
                                         Path(path))
