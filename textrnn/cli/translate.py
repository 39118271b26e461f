"""Train and evaluate an encoder-decoder translator with attention; translate with it.

    textrnn-translate                     # English -> Spanish Bible verses, shipped
    textrnn-translate --data pairs.tsv --source-column en --target-column fr
    textrnn-translate --compare-baseline  # also train the no-attention model
    textrnn-translate --translate runs/translate "In the beginning was the Word."

(`python recipes/translate.py` is the same command.) Run it again to resume. The run folder
gets config.json, model.keras, subword models and vocabularies, history.csv, learning_curves.png,
test_predictions.tsv, attention_*.png and metrics.json (test_bleu, test_chrf, baseline_bleu...).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import keras

from textrnn import datasets as shipped
from textrnn.cli import args as shared
from textrnn.models.seq2seq import ATTENTIONS
from textrnn.runs import cli, run_lock, start_run, write_history, write_metrics
from textrnn.tasks.translation import TranslatorPreprocessor, TranslatorTask, load_parallel
from textrnn.tasks.translation.evaluation import PREDICTIONS_FILE as PREDICTIONS

# === Defaults (shipped Bible subset, 2-core CPU: ~7 minutes, ~13 with the baseline) ===
DEFAULTS = dict(
    source_column="en",
    target_column="es",
    split_column="split",   # the shipped data is split by book; user data splits at random
    vocab_size=2000,        # subword pieces per language: fewer = longer sequences
    max_length=40,          # pieces per sentence; longer pairs are dropped (and counted)
    cell="lstm",
    attention="bahdanau",
    units=128,              # decoder width (each encoder direction too)
    embedding_dim=128,
    dropout=0.1,
    label_smoothing=0.0,
    batch_size=32,
    lr=2e-3,
    clip=1.0,               # global gradient norm
    epochs=40,
    max_minutes=6.0,        # the budget, not the epochs, ends the default run
    beam=4,
    length_penalty=0.6,     # GNMT alpha: higher favours longer beam hypotheses
    out="runs/translate",
)
HEATMAPS = 3
# The settings saved in config.json; a resumed run must repeat them (see textrnn.runs).
FIELDS = ("data", "encoding_errors", "source_column", "target_column", "split_column",
          "vocab_size", "shared_vocab", "max_length", "cell", "attention", "units",
          "embedding_dim", "dropout", "label_smoothing", "batch_size", "lr", "clip", "epochs",
          "max_minutes", "seed", "out", "tensorboard", "beam", "length_penalty", "distribute")
MODEL_OPTIONS = ("cell", "units", "embedding_dim", "dropout")  # TranslatorTask's, and `fit`'s:
FIT_SETTINGS = ("label_smoothing", "batch_size", "clip", "epochs", "max_minutes", "tensorboard",
                "distribute")
LEGACY = {"encoding_errors": "strict"}  # in runs made before this flag


def build_parser() -> argparse.ArgumentParser:
    """The `textrnn-translate` argument parser."""
    parser = shared.make_parser(__doc__)
    data = shared.add_data_args(parser, "tsv/csv/jsonl of sentence pairs or a hub dataset name "
                               "(default: the shipped bible_en_es_short)", text_column=False)
    data.add_argument("--source-column", default=DEFAULTS["source_column"])
    data.add_argument("--target-column", default=DEFAULTS["target_column"])
    data.add_argument("--split-column", help="column with train/validation/test labels "
                      "(default: 'split' for the shipped data, else a random 90/5/5 split)")
    data.add_argument("--vocab-size", type=shared.subword_vocabulary_size,
                      default=DEFAULTS["vocab_size"])
    data.add_argument("--shared-vocab", action="store_true", help="one subword model for both")
    data.add_argument("--max-length", type=shared.positive_int, default=DEFAULTS["max_length"])
    model = shared.add_model_args(parser, DEFAULTS, layers=False)
    model.add_argument("--attention", choices=ATTENTIONS, default=DEFAULTS["attention"])
    train = shared.add_training_args(parser, DEFAULTS)
    train.add_argument("--label-smoothing", type=shared.rate, default=DEFAULTS["label_smoothing"])
    train.add_argument("--compare-baseline", action="store_true",
                       help="also train a no-attention model on the same budget in OUT/baseline")
    decode = parser.add_argument_group("decoding")
    decode.add_argument("--beam", type=shared.positive_int, default=DEFAULTS["beam"])
    decode.add_argument("--length-penalty", type=shared.non_negative,
                        default=DEFAULTS["length_penalty"])
    decode.add_argument("--translate", nargs="+", metavar=("RUN_DIR", "TEXT"), help="translate "
                        "TEXT(s) with a trained run")
    return parser


def train_and_score(args, run_dir: Path, attention: str, corpus, decode: dict):
    """Trains (or resumes) one model in `run_dir`; returns the task and its test scores."""
    keras.utils.set_random_seed(args.seed)
    start_run(run_dir, {**shared.run_config(args, FIELDS), "attention": attention},
              legacy=LEGACY)
    sources, targets = corpus.sources, corpus.targets
    preprocessor = (TranslatorPreprocessor.load(run_dir) if TranslatorPreprocessor.exists(run_dir)
                    else TranslatorPreprocessor.build(sources["train"], targets["train"], run_dir,
                                                      args.vocab_size, args.shared_vocab))
    preprocessor.max_length = args.max_length  # config.json matched; old folders lack it
    task = TranslatorTask(preprocessor, model_options={
        **shared.run_config(args, MODEL_OPTIONS), "attention": attention})
    history = task.fit(sources["train"], targets["train"], run_dir, (sources["validation"],
                       targets["validation"]), learning_rate=args.lr,
                       **shared.run_config(args, FIT_SETTINGS))
    write_history(run_dir, history)
    scores = task.evaluate(sources["test"], targets["test"], **decode,
                           predictions_path=run_dir / PREDICTIONS)
    return task, {**scores, "epochs": len(history)}


def run(args, decode: dict) -> None:
    split_column = args.split_column or (DEFAULTS["split_column"] if args.data is None else None)
    corpus = load_parallel(args.data or shipped.path("bible_en_es_short"), args.source_column,
                           args.target_column, split_column, args.seed,
                           encoding_errors=args.encoding_errors)
    print(corpus.summary())
    with run_lock(args.out):  # before any file of the run is written
        train_and_report(args, Path(args.out), corpus, decode)


def train_and_report(args, run_dir: Path, corpus, decode: dict) -> None:
    task, scores = train_and_score(args, run_dir, args.attention, corpus, decode)
    metrics = {f"test_{key}": value for key, value in scores.items() if key != "epochs"}
    metrics.update(epochs=scores["epochs"], empty_pairs_skipped=corpus.counts["empty_pairs"],
                   train_pairs_too_long=task.train_pairs_too_long_)
    for i, source in enumerate(corpus.sources["test"][:HEATMAPS]):
        task.plot_attention(source, run_dir / f"attention_{i}.png", **decode)
    if args.compare_baseline and args.attention != "none":
        # Same data, seed, epochs and --max-minutes; its own subword models decode its outputs.
        _, scores = train_and_score(args, run_dir / "baseline", "none", corpus, decode)
        metrics.update({f"baseline_{key}": value for key, value in scores.items()})
    write_metrics(run_dir, metrics)


def translate_texts(args, decode: dict) -> None:
    run_dir, *texts = args.translate
    if not texts:
        raise ValueError("--translate needs RUN_DIR and at least one TEXT to translate")
    task = TranslatorTask.from_run(run_dir)
    if unseen := sorted({c for text in texts for c in task.preprocessor.unseen_characters(text)}):
        print(f"note: characters unseen in training, read as <unk>: {unseen}", file=sys.stderr)
    print(*task.translate(texts, **decode), sep="\n")


@cli
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `textrnn-translate`; returns the exit status."""
    args = build_parser().parse_args(argv)
    decode = dict(beam_width=args.beam, max_length=args.max_length + 1,
                  length_penalty=args.length_penalty)
    translate_texts(args, decode) if args.translate else run(args, decode)
    return 0
