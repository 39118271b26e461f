"""Train and evaluate a document classifier (BiRNN, RNN or TF-IDF logistic regression).

    textrnn-classify --data reviews.csv --text-column review --label-column stars --out runs/r
    textrnn-classify --predict runs/classify "WIN a FREE prize now!" --input messages.txt

With no --data: a BiLSTM on the shipped SMS spam data. Stratified, seeded 80/10/10 split (or
--test-data); early stopping on val_loss keeps the best epoch; the same command resumes. A
TF-IDF logistic regression is the baseline. OUT gets config.json, model.keras, classifier.json,
vocab.json, labels.json, tfidf.json, history.csv, metrics.json and plots; in Python:
ClassifierTask.from_run(OUT). Columns default to "text" and "label".
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import keras

from textrnn import datasets as shipped
from textrnn.cli import args as shared
from textrnn.data import load_documents
from textrnn.preprocessing import get_stopwords
from textrnn.runs import cli, start_run, write_history, write_metrics
from textrnn.tasks.classification.data import CLASS_WEIGHTS, load_splits
from textrnn.tasks.classification.preprocessor import LEVELS, MODELS, ClassifierPreprocessor
from textrnn.tasks.classification.task import BOW_LEARNING_RATE, ClassifierTask

# === Defaults (tuned for SMS spam on a 2-core CPU in a few minutes) ===
DEFAULTS = dict(
    model="birnn",
    cell="lstm",
    layers=1,
    units=64,           # per direction; SMS needs little, wider costs time
    embedding_dim=64,
    dropout=0.2,        # on embeddings, between layers and before the softmax
    level="word",
    min_df=2,           # words in fewer training documents are <unk> (typos, numbers)
    max_length=100,     # tokens read per document; longer ones are truncated
    vocab_size=4000,    # sentencepiece pieces (--level subword)
    class_weight="balanced",
    batch_size=32,
    lr=3e-3,            # recurrent models; the bag-of-words model uses BOW_LEARNING_RATE
    clip=1.0,           # global gradient norm
    epochs=12,
    patience=3,         # epochs without a lower val_loss before stopping
    max_minutes=5.0,
    out="runs/classify",
)
SHIPPED, SHIPPED_COLUMNS = "sms_spam", ("1", "0")  # text, label of the headerless shipped TSV
FIELDS = ("data", "test_data", "text_column", "label_column", "encoding_errors", "level",
          "lowercase", "min_df", "max_df", "vocab_top_k", "coverage", "stopwords", "vocab_size",
          "max_length", "model", "cell", "layers", "units", "embedding_dim", "dropout", "seed",
          "class_weight", "batch_size", "lr", "clip", "epochs", "patience", "max_minutes", "out",
          "tensorboard")


def build_parser() -> argparse.ArgumentParser:
    parser = shared.make_parser(__doc__)
    data = shared.add_data_args(parser, "csv/tsv/jsonl file or hub name (default: SMS spam)")
    data.add_argument("--test-data", help="test documents (default: 10%% of --data)")
    data.add_argument("--label-column", help="column with the label (default 'label')")
    data.add_argument("--level", choices=LEVELS, default=DEFAULTS["level"])
    data.add_argument("--lowercase", action=argparse.BooleanOptionalAction, default=True)
    data.add_argument("--min-df", type=shared.document_frequency, default=DEFAULTS["min_df"])
    data.add_argument("--max-df", type=shared.document_frequency, default=1.0,
                      help="--min-df/--max-df: an integer counts documents, a decimal a share")
    data.add_argument("--vocab-top-k", type=shared.positive_int, help="keep the K most frequent")
    data.add_argument("--coverage", type=float, help="keep types covering this share of tokens")
    data.add_argument("--stopwords", default="none", help="none, en, nltk:english or a file")
    data.add_argument("--vocab-size", type=shared.positive_int, default=DEFAULTS["vocab_size"])
    data.add_argument("--max-length", type=shared.positive_int, default=DEFAULTS["max_length"])
    shared.add_model_args(parser, DEFAULTS).add_argument(
        "--model", choices=MODELS, default=DEFAULTS["model"])
    train = shared.add_training_args(parser, {**DEFAULTS, "lr": None})  # None: by --model
    train.add_argument("--class-weight", choices=CLASS_WEIGHTS, default=DEFAULTS["class_weight"])
    train.add_argument("--patience", type=int, default=DEFAULTS["patience"])
    predict = parser.add_argument_group("prediction")
    predict.add_argument("--predict", metavar="RUN_DIR", help="classify texts with a trained run")
    predict.add_argument("texts", nargs="*", help="texts to classify (with --predict)")
    predict.add_argument("--input", help="file of texts, one per line (or with --text-column)")
    return parser


def train(args) -> None:
    keras.utils.set_random_seed(args.seed)
    run_dir = start_run(args.out, shared.run_config(args, FIELDS))
    columns = SHIPPED_COLUMNS if args.data is None else ("text", "label")
    (train_part, validation, test), skipped = load_splits(
        args.data or shipped.path(SHIPPED), args.text_column or columns[0],
        args.label_column or columns[1], args.test_data, args.encoding_errors, args.seed)
    print(f"skipped {skipped['empty_text']} rows with an empty text and "
          f"{skipped['missing_label']} with no label")
    task = ClassifierTask(ClassifierPreprocessor.load_or_build(
        run_dir, train_part.texts, train_part.labels, model_kind=args.model, level=args.level,
        lowercase=args.lowercase, vocab_size=args.vocab_size, max_length=args.max_length,
        min_df=args.min_df, max_df=args.max_df, top_k=args.vocab_top_k, coverage=args.coverage,
        stopwords=get_stopwords(args.stopwords)), model_options=dict(cell=args.cell,
        units=args.units, num_layers=args.layers, embedding_dim=args.embedding_dim,
        dropout=args.dropout))
    task.preprocessor.encode_labels(test.labels, "test")  # unseen labels fail before training
    print(f"{args.level} level: vocabulary {len(task.preprocessor.vocabulary)}, labels "
          f"{task.labels}, train/validation/test {len(train_part)}/{len(validation)}/{len(test)}")
    start = time.monotonic()
    history = task.fit(train_part, validation, run_dir, args.epochs, args.patience,
                       args.lr or (BOW_LEARNING_RATE if args.model == "bow" else DEFAULTS["lr"]),
                       args.clip, args.class_weight, args.batch_size, args.max_minutes,
                       args.seed, args.tensorboard)
    metrics = {"train_seconds": time.monotonic() - start, **task.evaluate(
        test.texts, test.labels, "test", confusion_plot=run_dir / "confusion_matrix.png")}
    start = time.monotonic()
    baseline = task if args.model == "bow" else task.fit_baseline(
        train_part, validation, args.class_weight, args.seed)
    metrics["baseline_train_seconds"] = time.monotonic() - start
    metrics.update(**baseline.evaluate(test.texts, test.labels, "baseline"),
                   num_train=len(train_part), num_validation=len(validation), num_test=len(test),
                   vocab_size=len(task.preprocessor.vocabulary),
                   **{f"rows_skipped_{reason}": count for reason, count in skipped.items()})
    write_history(run_dir, history)
    write_metrics(run_dir, metrics)


def predict(args) -> None:
    task = ClassifierTask.from_run(args.predict)
    texts = [*args.texts, *(load_documents(args.input, args.text_column,
                                           args.encoding_errors)["text"] if args.input else [])]
    if not texts:
        raise ValueError("--predict needs texts: give them as arguments or with --input FILE")
    print("\t".join(["label", *task.labels, "text"]))
    for text, row in zip(texts, task.predict_proba(texts), strict=True):
        print("\t".join([task.labels[int(row.argmax())], *(f"{p:.4f}" for p in row),
                         " ".join(text.split())]))


@cli
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `textrnn-classify`; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.texts or args.input) and not args.predict:
        parser.error("texts and --input need --predict RUN_DIR")
    predict(args) if args.predict else train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
