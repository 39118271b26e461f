"""Scoring translations: sacrebleu BLEU / chrF, the predictions file, attention heat-maps.

`test_predictions.tsv` has the columns `source`, `reference`, `hypothesis` (beam search) and
`hypothesis_greedy`, one sentence per line and no quoting, so anyone can recompute the scores:

    sacrebleu.corpus_bleu(hypotheses, [references]).score
"""

from __future__ import annotations

import csv
import os

import numpy as np
import sacrebleu

from textrnn.io import atomic_write
from textrnn.models.seq2seq import Seq2SeqDecoder
from textrnn.tasks.translation.preprocessor import TranslatorPreprocessor

PREDICTIONS_FILE = "test_predictions.tsv"
PREDICTION_COLUMNS = ("source", "reference", "hypothesis", "hypothesis_greedy")


def scores(hypotheses: list[str], references: list[str]) -> dict[str, float]:
    """Corpus BLEU and chrF (sacrebleu's defaults: 13a tokenisation, chrF n=6, beta=2)."""
    return {"bleu": sacrebleu.corpus_bleu(hypotheses, [references]).score,
            "chrf": sacrebleu.corpus_chrf(hypotheses, [references]).score}


def write_predictions(path: str | os.PathLike, sources: list[str], references: list[str],
                      hypotheses: list[str], greedy: list[str]) -> None:
    """Writes `test_predictions.tsv` (header + one row per sentence, tab-separated)."""
    with atomic_write(path) as handle:
        writer = csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_NONE,
                            lineterminator="\n", escapechar="\\")
        writer.writerow(PREDICTION_COLUMNS)
        writer.writerows(zip(sources, references, hypotheses, greedy, strict=True))


def read_predictions(path: str | os.PathLike) -> dict[str, list[str]]:
    """Reads `test_predictions.tsv` back into columns."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE,
                                   escapechar="\\"))
    return {column: [row[column] for row in rows] for column in PREDICTION_COLUMNS}


def plot_attention(decoder: Seq2SeqDecoder, preprocessor: TranslatorPreprocessor, source: str,
                   hypothesis: str, path: str | os.PathLike) -> bool:
    """Saves the attention weights of one translation as a heat-map PNG.

    Returns:
        False (and writes nothing) when the model has no attention.
    """
    from matplotlib.figure import Figure

    vocabulary = preprocessor.target_vocabulary
    source_ids = preprocessor.encode_sources([source])
    target_ids = preprocessor.encode_target(hypothesis)
    weights = decoder.attention_weights(source_ids, np.array([[vocabulary.bos_id, *target_ids]]))
    if weights is None:
        return False
    source_pieces = preprocessor.source_vocabulary.decode(source_ids[0], skip_special=False)
    target_pieces = [*vocabulary.decode(target_ids, skip_special=False), "</s>"]
    figure = Figure(figsize=(2 + 0.3 * len(source_pieces), 1.5 + 0.3 * len(target_pieces)),
                    layout="constrained")
    axis = figure.subplots()
    axis.imshow(weights[0][: len(target_pieces)], cmap="viridis", vmin=0, aspect="auto")
    axis.set_xticks(range(len(source_pieces)), source_pieces, rotation=90, fontsize=7)
    axis.set_yticks(range(len(target_pieces)), target_pieces, fontsize=7)
    axis.set_xlabel("source")
    axis.set_ylabel("output (each row attends over the source)")
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=100)
    return True
