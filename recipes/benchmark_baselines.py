"""Recurrent classifiers against their own TF-IDF baseline, side by side on the same split.

    python data_scripts/make_topic_corpus.py            # once: runs/data/bible_topics.tsv
    python data_scripts/make_topic_corpus.py --corpus ewt-genres   # runs/data/ewt_genres.tsv
    python recipes/benchmark_baselines.py [--corpora sms topics genres]
        [--variants default single previous transfer] [--out runs/benchmark_baselines]
        [--topics FILE --label-column section]

Each variant is one `textrnn-classify` run (a fresh process, its own run folder) with the flags
below (an ensemble's members are also shown alone); every run also fits the TF-IDF logistic
regression on the same training split and vocabulary (to its optimum, its L2 strength C chosen
on validation) and scores it on the same test split,
and scores the mixture of the two (the weight chosen on validation).
Prints test accuracy, macro-F1 and wall time per run (training, with any pre-training), and
McNemar's test of the recurrent model against the baseline: the test documents only one of
them gets right, and the probability of a split that uneven if both were equally accurate.
Figures move between runs on a loaded machine: compare within one table. A run folder that
already holds a finished run is only re-read.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

# === What runs ===
CORPORA = {  # name -> flags naming the data (sms: the shipped default)
    "sms": [],
    "topics": ["--data", "runs/data/bible_topics.tsv", "--split-column", "split",
               "--label-column", "section"],
    "genres": ["--data", "runs/data/ewt_genres.tsv", "--split-column", "split",
               "--label-column", "genre"],
}
VARIANTS = {  # name -> extra textrnn-classify flags
    "default": [],  # 5 BiGRUs (seeds 0-4), concat pooling, word/feature dropout, decay 0.01
    "single": ["--ensemble", "1", "--max-minutes", "5"],  # one BiGRU, as before --ensemble
    "previous": ["--cell", "lstm", "--pooling", "last", "--dropout", "0.2",  # the old default
                 "--embedding-dropout", "0", "--spatial-dropout", "0", "--weight-decay", "0",
                 "--lr", "3e-3", "--max-length", "100", "--ensemble", "1", "--max-minutes", "5"],
    "transfer": ["--pretrain-lm", "--model", "rnn", "--max-minutes", "8"],
}


def run(out: Path, flags: list[str]) -> dict:
    if not (out / "metrics.json").exists():
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "textrnn.cli.classify", "--out", str(out), *flags],
                       check=True)
        (out / "wall_seconds.txt").write_text(f"{time.monotonic() - start:.1f}\n")
    metrics = json.loads((out / "metrics.json").read_text())
    wall = out / "wall_seconds.txt"
    metrics["wall_seconds"] = float(wall.read_text()) if wall.exists() else float("nan")
    return metrics


def member_rows(corpus: str, variant: str, metrics: dict) -> list[tuple]:
    """One row per member of an ensemble run (none for a single model)."""
    size = int(metrics.get("ensemble_size", 1))
    return [] if size == 1 else [
        (corpus, f"RNN {variant}, member {k} alone", metrics[f"member{k}_test_accuracy"],
         metrics[f"member{k}_test_macro_f1"], float("nan")) for k in range(1, size + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", nargs="+", choices=CORPORA, default=list(CORPORA))
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--topics", help="another topic corpus (text/label columns, --split-"
                        "column split), instead of the Bible one")
    parser.add_argument("--label-column", default="section")
    parser.add_argument("--out", default="runs/benchmark_baselines")
    args = parser.parse_args()
    if args.topics:
        CORPORA["topics"] = ["--data", args.topics, "--split-column", "split",
                             "--label-column", args.label_column]
    rows = []
    for corpus in args.corpora:
        for variant in args.variants:
            metrics = run(Path(args.out) / f"{corpus}_{variant}", CORPORA[corpus] + VARIANTS[
                variant])
            rows.append((corpus, f"RNN {variant}", metrics["test_accuracy"],
                         metrics["test_macro_f1"], metrics["train_seconds"],
                         paired_note(metrics)))
            rows += member_rows(corpus, variant, metrics)
            if "interpolated_test_accuracy" in metrics:  # runs from before it have none
                rows.append((corpus, f"RNN {variant} + TF-IDF, interpolated (weight "
                             f"{metrics['interpolation_weight']:.2f})",
                             metrics["interpolated_test_accuracy"],
                             metrics["interpolated_test_macro_f1"], float("nan")))
            c = f", C {metrics['baseline_c']:g}" if "baseline_c" in metrics else ""
            rows.append((corpus, f"TF-IDF ({variant}'s vocabulary{c})",
                         metrics["baseline_accuracy"], metrics["baseline_macro_f1"],
                         metrics["baseline_train_seconds"]))
    print("\n| corpus | model | test accuracy | test macro-F1 | train seconds | against "
          "TF-IDF: right only by RNN / only by TF-IDF, McNemar p |")
    print("|---|---|---|---|---|---|")
    for corpus, model, accuracy, f1, seconds, *paired in rows:
        print(f"| {corpus} | {model} | {accuracy:.4f} | {f1:.4f} | {seconds:.0f} | "
              f"{paired[0] if paired else ''} |")


def paired_note(metrics: dict) -> str:
    """The RNN's McNemar test against its baseline, as `right only by each, p`."""
    if "paired_mcnemar_p" not in metrics:  # runs from before it have none
        return ""
    return (f"{metrics['paired_model_only_correct']} / {metrics['paired_baseline_only_correct']}"
            f", p = {metrics['paired_mcnemar_p']:.2g}")


if __name__ == "__main__":
    main()
