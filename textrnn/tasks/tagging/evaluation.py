"""How good a tagger is: token accuracy, per-tag and macro F1, entity F1 (seqeval), the
most-frequent-tag baseline and a confusion-matrix plot.

All functions take tags as strings, one list per sentence, so the model's tags, the baseline's
and gold tags unseen in training are compared alike.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from textrnn.io import atomic_write
from textrnn.tasks.tagging.data import Sentence
from textrnn.tasks.tagging.preprocessor import normalize_word

_ENTITY_TAG = re.compile(r"^[BIES]-.+$")


class MostFrequentTagBaseline:
    """Tags each word with its most frequent training tag; unknown words get the most frequent
    tag overall.

    Words are matched as written first, then by their normalised form (lowercased, digits as
    0), so "The" at a sentence start still finds "the".

    Example:
    >>> baseline = MostFrequentTagBaseline().fit([(["the", "run"], ["DET", "NOUN"])])
    >>> baseline.predict([["The", "zebra"]])
    [['DET', 'NOUN']]
    """

    def fit(self, sentences: Sequence[Sentence]) -> MostFrequentTagBaseline:
        exact: dict[str, Counter] = defaultdict(Counter)
        folded: dict[str, Counter] = defaultdict(Counter)
        for tokens, tags in sentences:
            for token, tag in zip(tokens, tags, strict=True):
                exact[token][tag] += 1
                folded[normalize_word(token)][tag] += 1
        overall = Counter(tag for _, tags in sentences for tag in tags)
        if not overall:
            raise ValueError("Received no tagged tokens to fit the baseline on.")
        # Ties go to the tag that is more frequent overall, then alphabetically.
        rank = {tag: (-count, tag) for tag, count in overall.items()}
        self.exact_ = {word: min(c, key=lambda t: (-c[t], rank[t])) for word, c in exact.items()}
        self.folded_ = {word: min(c, key=lambda t: (-c[t], rank[t]))
                        for word, c in folded.items()}
        self.default_ = min(overall, key=rank.get)
        return self

    def predict(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        return [[self.exact_.get(token) or self.folded_.get(normalize_word(token),
                                                            self.default_)
                 for token in tokens] for tokens in sentences]


def tag_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
               per_tag: bool = True) -> dict[str, float]:
    """Token accuracy, macro F1 and (optionally) per-tag precision / recall / F1.

    Macro F1 averages over the tags in the gold or the predicted tags (as scikit-learn does);
    a tag never predicted has precision 0.

    Returns:
        `{"accuracy", "macro_f1", "TAG_precision", "TAG_recall", "TAG_f1", ...}`.
    """
    gold_flat = [tag for sentence in gold for tag in sentence]
    pred_flat = [tag for sentence in predicted for tag in sentence]
    if len(gold_flat) != len(pred_flat) or not gold_flat:
        raise ValueError(f"Expected one predicted tag per gold tag (and at least one), got "
                         f"{len(pred_flat)} predicted and {len(gold_flat)} gold tags.")
    correct = Counter(g for g, p in zip(gold_flat, pred_flat, strict=True) if g == p)
    gold_counts, pred_counts = Counter(gold_flat), Counter(pred_flat)
    scores: dict[str, float] = {"accuracy": sum(correct.values()) / len(gold_flat)}
    f1s = []
    for tag in sorted(gold_counts.keys() | pred_counts.keys()):
        precision = correct[tag] / pred_counts[tag] if pred_counts[tag] else 0.0
        recall = correct[tag] / gold_counts[tag] if gold_counts[tag] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1s.append(f1)
        if per_tag:
            scores.update({f"{tag}_precision": precision, f"{tag}_recall": recall,
                           f"{tag}_f1": f1})
    scores["macro_f1"] = float(np.mean(f1s))
    return scores


def entity_scheme(tags: Sequence[str]) -> str | None:
    """`"BIO"` or `"BIOES"` when every tag is `O` or `B-`/`I-`(/`E-`/`S-`) + a type, else None."""
    if not tags or not all(tag == "O" or _ENTITY_TAG.match(tag) for tag in tags):
        return None
    return "BIOES" if any(tag[0] in "ES" for tag in tags if tag != "O") else "BIO"


def entity_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
                  scheme: str) -> dict[str, float]:
    """Entity-level precision / recall / F1 (micro over entities) with seqeval.

    BIO uses seqeval's default (conlleval) rules; BIOES its strict mode.
    """
    from seqeval import metrics
    from seqeval.scheme import IOBES

    kwargs = {"mode": "strict", "scheme": IOBES} if scheme == "BIOES" else {}
    gold, predicted = [list(s) for s in gold], [list(s) for s in predicted]
    return {name: float(function(gold, predicted, zero_division=0, **kwargs))
            for name, function in (("entity_precision", metrics.precision_score),
                                   ("entity_recall", metrics.recall_score),
                                   ("entity_f1", metrics.f1_score))}


def subset_accuracy(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
                    selected: Sequence[Sequence[bool]]) -> float | None:
    """Accuracy over the tokens where `selected` is true (e.g. unseen words); None if none."""
    pairs = [(g, p) for gs, ps, ss in zip(gold, predicted, selected, strict=True)
             for g, p, s in zip(gs, ps, ss, strict=True) if s]
    return sum(g == p for g, p in pairs) / len(pairs) if pairs else None


def plot_confusion(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
                   path: str | os.PathLike, title: str = "") -> None:
    """A confusion-matrix heat map (rows: gold tags, normalised to 1; counts as numbers)."""
    from matplotlib.figure import Figure

    gold_flat = [tag for sentence in gold for tag in sentence]
    pred_flat = [tag for sentence in predicted for tag in sentence]
    tags = sorted(set(gold_flat) | set(pred_flat))
    index = {tag: i for i, tag in enumerate(tags)}
    counts = np.zeros((len(tags), len(tags)), dtype=int)
    for g, p in zip(gold_flat, pred_flat, strict=True):
        counts[index[g], index[p]] += 1
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.4 * len(tags) + 1.5)
    figure = Figure(figsize=(size, size), layout="constrained")
    axis = figure.subplots()
    axis.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(len(tags)), tags, rotation=90, fontsize=7)
    axis.set_yticks(range(len(tags)), tags, fontsize=7)
    axis.set_xlabel("predicted")
    axis.set_ylabel("gold")
    axis.set_title(title or "confusion matrix (rows normalised)")
    if len(tags) <= 30:
        for (row, col), count in np.ndenumerate(counts):
            if count:
                axis.text(col, row, str(count), ha="center", va="center", fontsize=5,
                          color="white" if rates[row, col] > 0.5 else "black")
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=100)


def write_predictions(path: str | os.PathLike, sentences: Sequence[Sentence],
                      predicted: Sequence[Sequence[str]]) -> None:
    """`token<TAB>gold<TAB>predicted` per line, a blank line after each sentence."""
    with atomic_write(path) as handle:
        for (tokens, gold), tags in zip(sentences, predicted, strict=True):
            for row in zip(tokens, gold, tags, strict=True):
                handle.write("\t".join(row) + "\n")
            handle.write("\n")
