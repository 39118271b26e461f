"""Train and evaluate a document classifier (BiRNN, RNN or TF-IDF logistic regression).

    textrnn-classify --data reviews.csv --text-column review --label-column stars --out runs/r
    textrnn-classify --pretrain-lm --unlabeled more_texts.txt --out runs/ulmfit
    textrnn-classify --predict runs/classify "WIN a FREE prize now!" --input messages.txt

No --data: 5 BiGRUs (concat pooling, word and feature dropout) on the shipped SMS spam. Seeded
stratified 80/10/10 split (or --test-data, or --split-column naming each row's
train/validation/test); early stopping keeps the best epoch; the same command resumes; the
baseline is a TF-IDF logistic regression on the same split, also mixed with the recurrent
model (interpolated_test_* figures; the weight chosen on validation; --predict
--interpolated). --ensemble N: N models with seeds SEED, SEED+1, ... (the first in OUT, the
others in OUT/member-k), their probabilities averaged, all within --max-minutes. OUT:
config.json, model.keras, classifier.json, vocab.json, labels.json, tfidf.json,
baseline.keras, interpolation.json, history.csv, metrics.json, plots
(ClassifierTask.from_run(OUT)). --encoder LM_RUN or --pretrain-lm (an LM trained first, in
OUT/lm): ULMFiT transfer into a unidirectional classifier, with gradual unfreezing and
discriminative learning rates.
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
from textrnn.errors import InputError
from textrnn.models import POOLINGS
from textrnn.preprocessing import get_stopwords
from textrnn.runs import cli, legacy_settings, run_lock, start_run, write_history, write_metrics
from textrnn.tasks.classification.data import CLASS_WEIGHTS, load_splits
from textrnn.tasks.classification.interpolation import INTERPOLATION_FILE
from textrnn.tasks.classification.preprocessor import LEVELS, MODELS
from textrnn.tasks.classification.task import ClassifierTask
from textrnn.tasks.classification.transfer import encoder_task

# === Defaults (measured with recipes/benchmark_baselines.py on a 2-core CPU) ===
# Small labelled sets overfit a recurrent model within 2-3 epochs, so the default is heavily
# regularised: on SMS spam, the Bible topics and the UD EWT genres it gained 2-8 points of test
# accuracy over the BiLSTM with the last state and dropout 0.2 alone.
DEFAULTS = dict(
    model="birnn", cell="gru", layers=1, level="word",  # GRU: fewer weights, faster than LSTM
    units=64, embedding_dim=64,  # units per direction; wider costs time, not accuracy
    dropout=0.3, pooling="concat",  # last + max + mean: every token reaches the head directly
    embedding_dropout=0.2, spatial_dropout=0.2,  # whole tokens; whole features per document
    weight_decay=0.01,  # decoupled (AdamW), scaled like each layer's rate
    min_df=2,           # words in fewer training documents are <unk> (typos, numbers)
    max_length=400, vocab_size=4000,  # tokens read per document (TF-IDF reads all of it;
    # length bucketing makes the cap free on short texts); subword pieces
    class_weight="balanced", batch_size=32, out="runs/classify",
    clip=1.0,  # global gradient norm; --lr: by model (ClassifierTask.fit), 1e-2 with transfer
    epochs=12, patience=3, max_minutes=8.0,  # patience: epochs without a lower val_loss;
    # minutes: for all members, so the whole command stays under 10 on the Bible topics
    ensemble=5,  # models with seeds SEED..SEED+4, probabilities averaged. Three left SMS 2
    # messages behind TF-IDF (five tie it); on the topics five scored within 0.5 points of three
    lm_share=0.5, lm_epochs=10,  # --pretrain-lm: the LM's share of --max-minutes, epochs
    lr_decay=2.6,  # transfer: each layer group learns at 1/2.6 the rate of the one above
)
SHIPPED, SHIPPED_COLUMNS = "sms_spam", ("1", "0")  # text, label of the headerless shipped TSV
LM_FLAGS = ("level", "lowercase", "min_df", "vocab_size", "cell", "units", "embedding_dim",
            "dropout")  # --pretrain-lm: the language model's settings, under these names
PREPROCESSING = ("level", "lowercase", "vocab_size", "max_length", "min_df", "max_df",
                 "coverage")  # ClassifierPreprocessor.build options, under these names
MODEL_FLAGS = ("cell", "units", "embedding_dim", "pooling", "dropout", "embedding_dropout",
               "spatial_dropout")  # build_rnn_classifier options, under these names
PREDICT_ONLY = ("predict", "texts", "input", "interpolated")  # config.json holds every other flag
LEGACY = dict(ensemble=1)  # in runs made before this flag


def build_parser() -> argparse.ArgumentParser:
    parser = shared.make_parser(__doc__)
    data = shared.add_data_args(parser, "csv/tsv/jsonl file or hub name (default: SMS spam)")
    data.add_argument("--test-data", help="test documents (default: 10%% of --data)")
    data.add_argument("--split-column", help="column naming each row's train/validation/test")
    data.add_argument("--label-column", help="column with the label (default 'label')")
    data.add_argument("--level", choices=LEVELS, default=DEFAULTS["level"])
    shared.add_vocabulary_args(data, DEFAULTS)
    data.add_argument("--max-length", type=shared.positive_int, default=DEFAULTS["max_length"])
    model = shared.add_model_args(parser, DEFAULTS)
    model.add_argument("--model", choices=MODELS, default=DEFAULTS["model"])
    model.add_argument("--pooling", choices=POOLINGS, default=DEFAULTS["pooling"])
    for flag in ("embedding_dropout", "spatial_dropout"):
        model.add_argument(f"--{flag.replace('_', '-')}", type=shared.rate, default=DEFAULTS[flag])
    shared.add_transfer_args(parser, DEFAULTS)
    train = shared.add_training_args(parser, DEFAULTS)  # --lr None: by --model
    train.add_argument("--class-weight", choices=CLASS_WEIGHTS, default=DEFAULTS["class_weight"])
    train.add_argument("--patience", type=int, default=DEFAULTS["patience"])
    train.add_argument("--ensemble", type=shared.positive_int, default=DEFAULTS["ensemble"],
                       metavar="N", help="train N models (seeds SEED, SEED+1, ...; the 2nd "
                       "and later in OUT/member-k) and average their probabilities")
    train.add_argument("--weight-decay", type=shared.non_negative,
                       default=DEFAULTS["weight_decay"], help="AdamW's, scaled like the rate")
    predict = parser.add_argument_group("prediction")
    predict.add_argument("--predict", metavar="RUN_DIR", help="classify texts with a trained run")
    predict.add_argument("texts", nargs="*", help="texts to classify (with --predict)")
    predict.add_argument("--input", help="file of texts, one per line (or with --text-column)")
    predict.add_argument("--interpolated", action="store_true",
                         help="the recurrent model mixed with its TF-IDF baseline (the weight "
                         "chosen on validation, in OUT/interpolation.json)")
    return parser


def build_task(args, run_dir, train_part, validation) -> ClassifierTask:
    def language_model():  # called only for a new transfer run (it may train one)
        return encoder_task(
            args.encoder, run_dir, train_part.texts, validation.texts, args.unlabeled,
            max_minutes=args.max_minutes * DEFAULTS["lm_share"], epochs=args.lm_epochs,
            num_layers=args.layers, **shared.run_config(args, LM_FLAGS))

    return ClassifierTask.for_run(
        run_dir, train_part, language_model if args.encoder or args.pretrain_lm else None,
        dict(model_kind=args.model, top_k=args.vocab_top_k,
             stopwords=get_stopwords(args.stopwords), **shared.run_config(args, PREPROCESSING)),
        dict(num_layers=args.layers, **shared.run_config(args, MODEL_FLAGS)))


def train(args) -> None:
    keras.utils.set_random_seed(args.seed)
    start = time.monotonic()
    vars(args).update(legacy_settings(args.out, LEGACY))
    run_dir = start_run(args.out, shared.run_config(
        args, [name for name in vars(args) if name not in PREDICT_ONLY]), legacy=LEGACY)
    columns = SHIPPED_COLUMNS if args.data is None else ("text", "label")
    splits, skipped = load_splits(
        args.data or shipped.path(SHIPPED), args.text_column or columns[0],
        args.label_column or columns[1], args.test_data, args.encoding_errors, args.seed,
        args.split_column)
    print(f"skipped rows {skipped}")
    with run_lock(run_dir):  # before the preprocessor (or a language model) is written
        metrics = train_and_evaluate(args, run_dir, splits, start)
        write_metrics(run_dir, {"train_seconds": time.monotonic() - start, **metrics, **{
            f"rows_skipped_{key}": count for key, count in skipped.items()}})


def train_and_evaluate(args, run_dir, splits, start: float) -> dict:
    """Trains (or resumes) the classifier in `run_dir`; its test and baseline metrics."""
    train_part, validation, test = splits
    transfer = bool(args.encoder or args.pretrain_lm)
    task = build_task(args, run_dir, train_part, validation)
    task.preprocessor.encode_labels(test.labels, "test")  # unseen labels fail before training
    print(f"vocabulary {len(task.preprocessor.vocabulary)}, labels {task.labels}, "
          f"train/validation/test {len(train_part)}/{len(validation)}/{len(test)}")
    minutes = args.max_minutes and max(args.max_minutes - (time.monotonic() - start) / 60, 0.1)
    history = task.fit(  # --lr None: the rate for the model kind and transfer
        train_part, validation, run_dir, args.epochs, args.patience, args.lr, args.clip,
        args.class_weight, args.batch_size, minutes, args.seed, args.tensorboard,
        args.weight_decay, transfer and args.unfreeze, args.lr_decay if transfer else None,
        ensemble=args.ensemble, distribute=args.distribute)
    write_history(run_dir, history)
    return task.evaluate_with_baseline(train_part, validation, test, args.class_weight,
                                       run_dir / "confusion_matrix.png", run_dir)


def predict(args) -> None:
    task = ClassifierTask.from_run(args.predict)
    texts = [*args.texts, *(load_documents(args.input, args.text_column,
                                           args.encoding_errors)["text"] if args.input else [])]
    if not texts:
        raise ValueError("--predict needs texts: give them as arguments or with --input FILE")
    print("\t".join(["label", *task.labels, "text"]))
    if args.interpolated and task.baseline is None:
        raise InputError(f"no {INTERPOLATION_FILE}: the run's model is 'bow' (its own baseline) "
                         "or it was evaluated before interpolation existed; re-run its training "
                         "command to add it", args.predict)
    probabilities = task.predict_proba(texts, interpolated=args.interpolated)
    for text, row in zip(texts, probabilities, strict=True):
        print("\t".join([task.labels[int(row.argmax())], *(f"{p:.4f}" for p in row),
                         " ".join(text.split())]))


@cli
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `textrnn-classify`; returns the exit status."""
    args = (parser := build_parser()).parse_args(argv)
    if (args.texts or args.input or args.interpolated) and not args.predict:
        parser.error("texts, --input and --interpolated need --predict RUN_DIR")
    predict(args) if args.predict else train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
