"""`TaggerTask`: train, evaluate and use a BiRNN(-CRF) sequence tagger.

>>> from textrnn.tasks import TaggerTask
>>> TaggerTask.from_run("runs/tag").predict(["I saw her duck."])
[['PRON', 'VERB', 'PRON', 'NOUN', 'PUNCT']]
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from textrnn.layers import CRF, CRFLoss
from textrnn.models.tagger import build_tagger
from textrnn.runs import fit_resumable
from textrnn.tasks.base import Task
from textrnn.tasks.tagging import evaluation
from textrnn.tasks.tagging.batches import TagBatches
from textrnn.tasks.tagging.data import Sentence
from textrnn.tasks.tagging.preprocessor import TaggerPreprocessor
from textrnn.training import GlobalNormClipping, strategy_scope

MODEL_SETTINGS = ("cell", "units", "num_layers", "embedding_dim", "char_encoder", "char_dim",
                  "char_units", "dropout", "crf")


class TaggerTask(Task):
    """A `TaggerPreprocessor` and a `build_tagger` model, with the tagger's verbs.

    Args:
        preprocessor: the vocabularies and tag set.
        model: the `build_tagger` model, or None before `fit`.

    Example:
    >>> pre = TaggerPreprocessor.build(train)          # train: [(tokens, tags), ...]
    >>> task = TaggerTask(pre)
    >>> history = task.fit(train, "runs/tag", validation=dev, epochs=5, crf=True)
    >>> task.predict([["Time", "flies"]])
    [['NOUN', 'VERB']]
    """

    preprocessor_class = TaggerPreprocessor
    command = "textrnn-tag"
    preprocessor: TaggerPreprocessor

    @property
    def uses_crf(self) -> bool:
        """Whether the model ends in a `CRF` (decoded with Viterbi) rather than a softmax."""
        return any(isinstance(layer, CRF) for layer in self._require_model().layers)

    def _require_model(self) -> keras.Model:
        if self.model is None:
            raise ValueError("This task has no model yet: call `fit` or load a run with "
                             "`TaggerTask.from_run(path)`.")
        return self.model

    def batches(self, sentences: Sequence[Sentence] | Sequence[Sequence[str]],
                training: bool = False, labelled: bool = False, chars: bool | None = None,
                **kwargs: Any) -> TagBatches:
        """`TagBatches` of token lists, or of `(tokens, tags)` pairs (`training`/`labelled`).

        `chars`: include character ids (default: when the model reads them).
        """
        labelled = training or labelled
        tokens = [sentence[0] for sentence in sentences] if labelled else sentences
        pre = self.preprocessor
        if chars is None:
            chars = "char_ids" in self._require_model().input
        char_ids = [pre.encode_chars(t) for t in tokens] if chars else None
        tags = [pre.encode_tags(s[1]) for s in sentences] if labelled else None
        return TagBatches(pre.encode_words(tokens), char_ids, tags, shuffle=training, **kwargs)

    def fit(self, sentences: Sequence[Sentence], run_dir: str | os.PathLike,
            validation: Sequence[Sentence] | None = None, *, word_dropout: float = 0.25,
            batch_size: int = 32, lr: float = 2e-3, clip: float = 5.0, epochs: int = 30,
            max_minutes: float | None = None, seed: int = 0, tensorboard: bool = False,
            verbose: int = 2, distribute: str = "default",
            **model_settings: Any) -> list[dict]:
        """Trains (or resumes) the model in `run_dir`, with a checkpoint per epoch.

        The preprocessor is saved in `run_dir` first, so the folder loads with `from_run`.

        Args:
            sentences: training `(tokens, tags)` pairs.
            run_dir: the run folder (resumed when it holds a checkpoint).
            validation: sentences monitored as `val_loss`; None monitors `loss`.
            word_dropout: `alpha` of word dropout: a training word seen `n` times is read as
                unknown with chance `alpha / (alpha + n)`, so the unknown-word embedding is
                trained (0 turns it off).
            batch_size, lr, clip: sentences per batch, Adam learning rate and global
                gradient-norm clipping threshold.
            epochs: total epochs of the run; max_minutes: stop cleanly after this long.
            seed: shuffling and word-dropout seed.
            tensorboard: also write TensorBoard logs to `run_dir/logs`.
            verbose: Keras' verbosity.
            distribute: a strategy name of `textrnn.training.get_strategy`; the model is
                built and trained in its scope, each batch split between the replicas.
            **model_settings: `build_tagger` settings (see `MODEL_SETTINGS`).

        Returns:
            The history of all epochs of the run (resumed ones included).
        """
        unknown = sorted(set(model_settings) - set(MODEL_SETTINGS))
        if unknown:
            raise TypeError(f"Unknown model setting(s) {unknown}; expected {MODEL_SETTINGS}.")
        if word_dropout < 0:
            raise ValueError(f"Received an invalid value for argument `word_dropout`, expected "
                             f"a number >= 0, got {word_dropout!r}.")
        self.preprocessor.save(run_dir)
        chars = model_settings.get("char_encoder", "cnn") != "none"
        train = self.batches(sentences, training=True, chars=chars, batch_size=batch_size,
                             seed=seed, unk_rate=self._unk_rate(sentences, word_dropout))
        fit_kwargs: dict[str, Any] = {"x": train, "verbose": verbose}
        if validation:
            fit_kwargs["validation_data"] = self.batches(validation, labelled=True, chars=chars,
                                                         batch_size=batch_size)
        if verbose:
            print(f"{len(sentences)} training sentences, "
                  f"{sum(len(t) for t, _ in sentences)} tokens; {len(self.preprocessor.words)} "
                  f"words, {len(self.preprocessor.chars)} characters, "
                  f"{len(self.preprocessor.tags)} tags")

        def build() -> keras.Model:
            return self._build_model(lr, clip, model_settings)

        with strategy_scope(distribute):
            self.model, history = fit_resumable(
                build, run_dir, epochs=epochs, max_minutes=max_minutes, tensorboard=tensorboard,
                monitor="val_loss" if validation else "loss", **fit_kwargs)
        return history

    def _unk_rate(self, sentences: Sequence[Sentence], alpha: float) -> np.ndarray | None:
        if not alpha:
            return None
        counts = Counter(int(i) for ids in self.preprocessor.encode_words(
            [tokens for tokens, _ in sentences]) for i in ids)
        frequency = np.array([counts.get(i, 0) for i in range(len(self.preprocessor.words))])
        return alpha / (alpha + np.maximum(frequency, 1))

    def _build_model(self, lr: float, clip: float, settings: dict[str, Any]) -> keras.Model:
        pre = self.preprocessor
        model = build_tagger(len(pre.words), len(pre.tags), char_vocab_size=len(pre.chars),
                             max_word_length=pre.max_word_length, **settings)
        loss = (CRFLoss() if settings.get("crf") else
                keras.losses.SparseCategoricalCrossentropy(ignore_class=-1))
        model.compile(optimizer=GlobalNormClipping(keras.optimizers.Adam(lr), clip), loss=loss)
        return model

    def predict(self, sentences: Sequence[str] | Sequence[Sequence[str]],
                batch_size: int = 64) -> list[list[str]]:
        """Tags sentences: token lists, or raw strings (tokenised with the preprocessor).

        Args:
            sentences: a list of token lists, or a list of raw texts.
            batch_size: sentences tagged together.

        Returns:
            One list of tags per sentence, as long as its tokens.
        """
        tokens = self.tokenize(sentences)
        tags: list[list[str]] = [[] for _ in tokens]
        kept = [i for i, t in enumerate(tokens) if t]
        if kept:
            for i, ids in zip(kept, self.predict_ids([tokens[i] for i in kept], batch_size),
                              strict=True):
                tags[i] = self.preprocessor.decode_tags(ids)
        return tags

    def tokenize(self, sentences: Sequence[str] | Sequence[Sequence[str]]) -> list[list[str]]:
        """Token lists as they are; raw strings split with the preprocessor's tokenizer."""
        if isinstance(sentences, str):
            raise ValueError("Received an invalid value for argument `sentences`: a single "
                             "string; expected a list of sentences, e.g. [text].")
        return [self.preprocessor.tokenize(s) if isinstance(s, str) else list(s)
                for s in sentences]

    def predict_ids(self, tokens: Sequence[Sequence[str]], batch_size: int = 64
                    ) -> list[np.ndarray]:
        """Tag ids `[t]` of each (non-empty) token list: argmax, or Viterbi with a CRF."""
        model, crf = self._require_model(), self.uses_crf
        batches = self.batches(tokens, batch_size=batch_size)
        outputs: list[np.ndarray] = []
        for index in range(len(batches)):
            x = batches[index]
            lengths = np.count_nonzero(x["word_ids"], axis=1)  # ids are >= 1 for real words
            # Under a tf.distribute strategy (a model trained with `distribute=`) Keras'
            # `predict_on_batch` runs the whole batch on every replica and concatenates the
            # copies; the first copy is the batch's.
            scores = model.predict_on_batch(x)[:len(lengths)]
            if crf:
                best = ops.convert_to_numpy(CRF.decode(scores, x["word_ids"] > 0)[0])
            else:
                best = np.argmax(scores, axis=-1)
            outputs.extend(row[:length] for row, length in zip(best, lengths, strict=True))
        return batches.restore_order(outputs)

    def evaluate(self, sentences: Sequence[Sentence], per_tag: bool = True
                 ) -> tuple[dict[str, float], list[list[str]]]:
        """Scores and predicted tags of gold `(tokens, tags)` sentences.

        Returns:
            `(scores, predicted)`: `scores` has `accuracy`, `macro_f1`, the per-tag
            `TAG_precision` / `TAG_recall` / `TAG_f1` (with `per_tag`), `oov_accuracy` (on
            words outside the word vocabulary) and `oov_rate`, and for BIO/BIOES tag sets
            `entity_precision` / `entity_recall` / `entity_f1`.
        """
        tokens = [t for t, _ in sentences]
        gold = [g for _, g in sentences]
        predicted = self.predict(tokens)
        scores = evaluation.tag_scores(gold, predicted, per_tag=per_tag)
        unseen = [~self.preprocessor.known_words(t) for t in tokens]
        scores["oov_rate"] = float(np.mean(np.concatenate(unseen)))
        oov = evaluation.subset_accuracy(gold, predicted, unseen)
        if oov is not None:
            scores["oov_accuracy"] = oov
        scheme = evaluation.entity_scheme(self.preprocessor.tags)
        if scheme:
            scores.update(evaluation.entity_scores(gold, predicted, scheme))
        return scores, predicted

    def report(self, test: Sequence[Sentence], train: Sequence[Sentence],
               run_dir: str | os.PathLike) -> dict[str, float]:
        """Evaluates on `test` beside the most-frequent-tag baseline fitted on `train`.

        Writes `confusion_matrix.png` and `test_predictions.tsv` into `run_dir`.

        Returns:
            Flat metrics: `test_` + each `evaluate` score, `baseline_accuracy`,
            `baseline_macro_f1`, `test_sentences`, `test_tokens`.
        """
        scores, predicted = self.evaluate(test)
        gold = [tags for _, tags in test]
        run_dir = Path(run_dir)
        evaluation.plot_confusion(gold, predicted, run_dir / "confusion_matrix.png",
                                  f"test tags ({'CRF' if self.uses_crf else 'softmax'})")
        evaluation.write_predictions(run_dir / "test_predictions.tsv", test, predicted)
        baseline = evaluation.MostFrequentTagBaseline().fit(train)
        baseline_scores = evaluation.tag_scores(gold, baseline.predict([t for t, _ in test]),
                                                per_tag=False)
        return {**{f"test_{key}": value for key, value in scores.items()},
                "baseline_accuracy": baseline_scores["accuracy"],
                "baseline_macro_f1": baseline_scores["macro_f1"],
                "test_sentences": len(test), "test_tokens": sum(len(t) for t, _ in test)}
