"""Train and evaluate a document classifier (BiRNN, RNN or TF-IDF logistic regression).

    python recipes/classify.py                       # BiLSTM on the shipped SMS spam data
    python recipes/classify.py --model rnn --cell gru --layers 2
    python recipes/classify.py --data reviews.csv --text-column review --label-column stars \
        --class-weight none --out runs/reviews
    python recipes/classify.py --predict runs/classify "WIN a FREE prize now!" "see you at 8"
    python recipes/classify.py --predict runs/classify --input messages.txt

The data is split into stratified, seeded train / validation / test parts (80/10/10; with
--test-data the test part comes from that file). Rows with an empty text or no label are
skipped and counted. The vocabulary is built from the training part with the cuts given
(--min-df, --max-df, --top-k, --coverage, --stopwords). Training uses global-norm clipping,
early stopping on validation loss (the best epoch's weights are kept), a checkpoint per epoch
and --max-minutes; run the same command again to resume. A TF-IDF logistic regression is
always trained on the same split as the baseline. The run folder gets config.json,
model.keras, classifier.json, vocab.json, labels.json, tfidf.json, history.csv,
learning_curves.png, metrics.json and confusion_matrix.png.

Default columns: the shipped SMS file has no header (column "0" is the label, "1" the text);
other files default to the columns "text" and "label".
"""

from __future__ import annotations

import argparse
import sys
import time

import keras

from textrnn import datasets as shipped
from textrnn.data import load_documents
from textrnn.models import RECURRENT_LAYERS
from textrnn.models.classifier import build_bow_classifier, build_rnn_classifier
from textrnn.preprocessing import FeatureSelector, get_stopwords
from textrnn.runs import cli, start_run, write_history, write_metrics
from textrnn.tasks.classification import (
    CLASS_WEIGHTS,
    LabelledTexts,
    class_weights,
    encode_labels,
    label_list,
    load_labelled_texts,
    stratified_split,
)
from textrnn.tasks.classification_evaluation import (
    classification_metrics,
    confusion_matrix,
    plot_confusion_matrix,
)
from textrnn.tasks.classification_features import (
    ASSETS_FILE,
    LEVELS,
    MODELS,
    ClassifierAssets,
    build_assets,
)
from textrnn.tasks.classification_training import (
    BOW_LEARNING_RATE,
    Classifier,
    compile_classifier,
    load_classifier,
    train_baseline,
    train_classifier,
)

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
SHIPPED = "sms_spam"
SHIPPED_COLUMNS = ("1", "0")  # text, label of the headerless shipped TSV


def document_frequency(value: str) -> int | float:
    """An int is a number of documents, a float a share of them (as in scikit-learn)."""
    return int(value) if value.isdigit() else float(value)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    data = parser.add_argument_group("data")
    data.add_argument("--data", help="csv/tsv/jsonl file or hub dataset name (default: the "
                      "shipped SMS spam collection)")
    data.add_argument("--test-data", help="test documents (file, or hub name: its 'test' "
                      "split); default: a stratified 10%% of --data")
    data.add_argument("--text-column", help="column with the text (default 'text')")
    data.add_argument("--label-column", help="column with the label (default 'label')")
    data.add_argument("--encoding-errors", choices=("strict", "replace"), default="strict")
    data.add_argument("--level", choices=LEVELS, default=DEFAULTS["level"])
    data.add_argument("--lowercase", action=argparse.BooleanOptionalAction, default=True)
    data.add_argument("--min-df", type=document_frequency, default=DEFAULTS["min_df"])
    data.add_argument("--max-df", type=document_frequency, default=1.0)
    data.add_argument("--top-k", type=int, help="keep the K most frequent types")
    data.add_argument("--coverage", type=float, help="keep the most frequent types covering "
                      "this share of the tokens")
    data.add_argument("--stopwords", default="none", help="'none', a language code ('en'), "
                      "'nltk:english' or a file; removed from the vocabulary")
    data.add_argument("--vocab-size", type=int, default=DEFAULTS["vocab_size"])
    data.add_argument("--max-length", type=int, default=DEFAULTS["max_length"])
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=MODELS, default=DEFAULTS["model"])
    model.add_argument("--cell", choices=sorted(RECURRENT_LAYERS), default=DEFAULTS["cell"])
    model.add_argument("--layers", type=int, choices=range(1, 5), default=DEFAULTS["layers"])
    model.add_argument("--units", type=int, default=DEFAULTS["units"])
    model.add_argument("--embedding-dim", type=int, default=DEFAULTS["embedding_dim"])
    model.add_argument("--dropout", type=float, default=DEFAULTS["dropout"])
    train = parser.add_argument_group("training")
    train.add_argument("--class-weight", choices=CLASS_WEIGHTS, default=DEFAULTS["class_weight"])
    train.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    train.add_argument("--lr", type=float, help=f"learning rate (default {DEFAULTS['lr']}, "
                       f"bow: {BOW_LEARNING_RATE})")
    train.add_argument("--clip", type=float, default=DEFAULTS["clip"])
    train.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    train.add_argument("--patience", type=int, default=DEFAULTS["patience"])
    train.add_argument("--max-minutes", type=float, default=DEFAULTS["max_minutes"])
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default=DEFAULTS["out"], help="run folder (resumes if present)")
    predict = parser.add_argument_group("prediction")
    predict.add_argument("--predict", metavar="RUN_DIR", help="classify texts with a trained run")
    predict.add_argument("texts", nargs="*", help="texts to classify (with --predict)")
    predict.add_argument("--input", help="file of texts to classify, one per line (or a "
                         "csv/tsv/jsonl with --text-column)")
    args = parser.parse_args(argv)
    if (args.texts or args.input) and not args.predict:
        parser.error("texts and --input need --predict RUN_DIR")
    return args


def load_splits(args) -> tuple[list[LabelledTexts], dict[str, int]]:
    """Train, validation and test parts, and the rows skipped in all files read."""
    source = args.data or shipped.path(SHIPPED)
    default_text, default_label = SHIPPED_COLUMNS if args.data is None else ("text", "label")
    columns = (args.text_column or default_text, args.label_column or default_label)
    data = load_labelled_texts(source, *columns, encoding_errors=args.encoding_errors)
    report_skipped("data", data)
    fractions = (0.1, 0.0) if args.test_data else (0.1, 0.1)
    train, validation, test = (data.subset(part) for part in
                               stratified_split(data.labels, fractions, args.seed))
    skipped = dict(data.skipped)
    if args.test_data:
        test = load_labelled_texts(args.test_data, *columns, args.encoding_errors, split="test")
        report_skipped("test data", test)
        skipped = {key: count + test.skipped[key] for key, count in skipped.items()}
    return [train, validation, test], skipped


def report_skipped(name: str, data: LabelledTexts) -> None:
    print(f"{name}: {len(data)} documents; skipped {data.skipped['empty_text']} rows with an "
          f"empty text and {data.skipped['missing_label']} with no label")


def make_assets(args, run_dir, train: LabelledTexts) -> ClassifierAssets:
    if (run_dir / ASSETS_FILE).exists():
        return ClassifierAssets.load(run_dir)
    selector = FeatureSelector(min_df=args.min_df, max_df=args.max_df, top_k=args.top_k,
                               coverage=args.coverage, stopwords=get_stopwords(args.stopwords))
    assets = build_assets(train.texts, label_list(train.labels), args.model, args.level, run_dir,
                          lowercase=args.lowercase, selector=selector,
                          vocab_size=args.vocab_size, max_length=args.max_length)
    assets.save(run_dir)
    return assets


def build_model(args, assets: ClassifierAssets) -> keras.Model:
    if args.model == "bow":
        model = build_bow_classifier(len(assets.vocabulary), len(assets.labels))
    else:
        model = build_rnn_classifier(
            len(assets.vocabulary), len(assets.labels), cell=args.cell, units=args.units,
            num_layers=args.layers, bidirectional=args.model == "birnn",
            embedding_dim=args.embedding_dim, dropout=args.dropout)
    learning_rate = args.lr or (BOW_LEARNING_RATE if args.model == "bow" else DEFAULTS["lr"])
    return compile_classifier(model, learning_rate, args.clip)


def train(args) -> None:
    keras.utils.set_random_seed(args.seed)
    config = {key: value for key, value in vars(args).items()
              if key not in ("predict", "texts", "input")}
    run_dir = start_run(args.out, config)
    (train_part, validation, test), skipped = load_splits(args)
    assets = make_assets(args, run_dir, train_part)
    labels = assets.labels
    y = {name: encode_labels(part.labels, labels, name) for name, part in
         (("train", train_part), ("validation", validation), ("test", test))}
    weights = class_weights(y["train"], len(labels), args.class_weight)
    print(f"{args.level} level: vocabulary {len(assets.vocabulary)}, labels {labels}, "
          f"train/validation/test {len(train_part)}/{len(validation)}/{len(test)}")

    start = time.monotonic()
    classifier = Classifier(None, assets, bow=args.model == "bow")
    classifier.model, history = train_classifier(
        lambda: build_model(args, assets), run_dir,
        classifier.inputs(train_part.texts, y["train"], args.batch_size, True, args.seed),
        classifier.inputs(validation.texts, y["validation"], args.batch_size),
        epochs=args.epochs, patience=args.patience, max_minutes=args.max_minutes,
        class_weight=weights, verbose=2)
    metrics = {"train_seconds": time.monotonic() - start}
    predicted = classifier.predict_proba(test.texts).argmax(axis=1)
    metrics.update(classification_metrics(y["test"], predicted, labels, "test"))
    plot_confusion_matrix(confusion_matrix(y["test"], predicted, len(labels)), labels,
                          run_dir / "confusion_matrix.png", title=f"{args.model}, test")

    keras.utils.set_random_seed(args.seed)  # the baseline does not depend on the main model
    start = time.monotonic()
    baseline = classifier if classifier.bow else train_baseline(
        assets, (train_part.texts, y["train"]), (validation.texts, y["validation"]), weights)
    metrics["baseline_train_seconds"] = time.monotonic() - start
    baseline_predicted = baseline.predict_proba(test.texts).argmax(axis=1)
    metrics.update(classification_metrics(y["test"], baseline_predicted, labels, "baseline"))
    metrics.update(num_train=len(train_part), num_validation=len(validation),
                   num_test=len(test), vocab_size=len(assets.vocabulary),
                   **{f"rows_skipped_{reason}": count for reason, count in skipped.items()})

    write_history(run_dir, history)
    write_metrics(run_dir, metrics)


def predict(args) -> None:
    classifier = load_classifier(args.predict)
    texts = list(args.texts)
    if args.input:
        texts += list(load_documents(args.input, args.text_column, args.encoding_errors)["text"])
    if not texts:
        raise ValueError("--predict needs texts: give them as arguments or with --input FILE")
    labels = classifier.assets.labels
    print("\t".join(["label", *labels, "text"]))
    for text, row in zip(texts, classifier.predict_proba(texts), strict=True):
        print("\t".join([labels[int(row.argmax())], *(f"{p:.4f}" for p in row),
                         " ".join(text.split())]))


@cli
def main(argv=None) -> None:
    args = parse_args(argv)
    predict(args) if args.predict else train(args)


if __name__ == "__main__":
    sys.exit(main())
