"""Train and evaluate a BiLSTM(-CRF) part-of-speech / named-entity tagger; tag text with it.

    textrnn-tag                                 # UPOS on the shipped UD English EWT dev part
    textrnn-tag --no-crf                        # a per-token softmax instead of the CRF
    textrnn-tag --data train.conllu --test-data test.conllu --tag-column xpos
    textrnn-tag --data ner.txt                  # CoNLL-2003 columns: entity F1 via seqeval
    textrnn-tag --predict runs/tag "I saw her duck." --input sentences.txt

CoNLL-U (multi-word tokens, empty nodes skipped) or token/tag columns, split 80/10/10 by
sentence (90/10 with --test-data). Words: a lowercased-word embedding plus a character CNN;
stacked BiLSTMs; a softmax or a linear-chain CRF. The run folder gets config.json,
model.keras, vocabularies, history.csv, learning_curves.png, confusion_matrix.png,
test_predictions.tsv and metrics.json (test_accuracy, test_macro_f1, per-tag P/R/F1,
test_oov_accuracy, entity P/R/F1 for BIO/BIOES tags, baseline_accuracy/_macro_f1).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import keras

from textrnn import datasets as shipped
from textrnn.cli import args as flags
from textrnn.models.tagger import CHAR_ENCODERS
from textrnn.runs import cli, run_lock, start_run, write_history, write_metrics
from textrnn.tasks.tagging import TaggerPreprocessor, TaggerTask, read_tagged, split_sentences

# === Defaults (shipped EWT dev part, 2-core CPU: about 6 minutes, 5 with --no-crf) ===
DEFAULTS = dict(
    cell="lstm",
    layers=1,             # stacked BiLSTMs (1 to 4)
    units=128,            # per direction
    embedding_dim=100,    # word embedding (lowercased words)
    dropout=0.33,
    crf=True,             # +1.1 points UPOS over the softmax (0.923 vs 0.912), ~1.5x the time
    char_encoder="cnn",   # "none": words only (unseen words then rely on context alone)
    char_dim=32,
    char_units=64,
    max_word_length=20,   # longer words keep their first and last 10 characters
    word_dropout=0.25,    # alpha: a word seen n times reads as unknown with alpha / (alpha + n)
    batch_size=16,
    lr=2e-3,
    clip=5.0,             # global gradient norm
    epochs=25,
    max_minutes=9.0,      # the goal's budget is 10 minutes of training
    out="runs/tag",
)
FIELDS = ("data", "tag_column", "test_data", "encoding_errors", "tokenizer", "cell", "layers",
          "units", "embedding_dim", "dropout", "char_encoder", "char_dim", "char_units",
          "max_word_length", "crf", "word_dropout", "batch_size", "lr", "clip", "epochs",
          "max_minutes", "seed", "out", "distribute")


def parse_args(argv=None) -> argparse.Namespace:
    parser = flags.make_parser(__doc__)
    data = flags.add_data_args(parser, "CoNLL-U or column file (default: the shipped ud_ewt_dev)",
                         text_column=False)
    data.add_argument("--tag-column", help="CoNLL-U field (default upos) or column number "
                      "of a column file (default -1, the last)")
    data.add_argument("--test-data", help="evaluate on this file; --data is then split 90/10")
    data.add_argument("--tokenizer", choices=("treebank", "whitespace"), default="treebank",
                      help="how --predict splits raw text (treebank: as UD and CoNLL-2003)")
    model = flags.add_model_args(parser, DEFAULTS)
    model.add_argument("--char-encoder", choices=CHAR_ENCODERS, default=DEFAULTS["char_encoder"])
    model.add_argument("--char-dim", type=flags.positive_int, default=DEFAULTS["char_dim"])
    model.add_argument("--char-units", type=flags.positive_int, default=DEFAULTS["char_units"])
    model.add_argument("--max-word-length", type=flags.positive_int,
                       default=DEFAULTS["max_word_length"])
    model.add_argument("--crf", action=argparse.BooleanOptionalAction, default=DEFAULTS["crf"],
                       help="linear-chain CRF output layer (--no-crf: per-token softmax)")
    training = flags.add_training_args(parser, DEFAULTS)
    training.add_argument("--word-dropout", type=flags.rate, default=DEFAULTS["word_dropout"])
    use = parser.add_argument_group("use")
    use.add_argument("--predict", nargs="+", metavar=("RUN_DIR", "TEXT"),
                     help="tag TEXT(s) with a trained run and print token/TAG")
    use.add_argument("--input", help="with --predict: a file of sentences, one per line")
    return parser.parse_args(argv)


def predict(args: argparse.Namespace) -> None:
    """Prints `token/TAG ...` for each text and each line of `--input`."""
    task = TaggerTask.from_run(args.predict[0])
    texts = list(args.predict[1:])
    if args.input:
        texts += [line for line in Path(args.input).read_text("utf-8").splitlines()
                  if line.strip()]
    if not texts:
        raise ValueError("nothing to tag: give texts after the run folder or --input FILE")
    for tokens, tags in zip(task.tokenize(texts), task.predict(texts), strict=True):
        print(" ".join(f"{token}/{tag}" for token, tag in zip(tokens, tags, strict=True)))


def load_parts(args: argparse.Namespace) -> tuple[list, list, list]:
    """Training, validation and test sentences."""
    data = args.data or shipped.path("ud_ewt_dev")
    sentences = read_tagged(data, args.tag_column, args.encoding_errors)
    if args.test_data:
        test = read_tagged(args.test_data, args.tag_column, args.encoding_errors)
        return (*split_sentences(sentences, (0.9, 0.1), args.seed), test)
    return tuple(split_sentences(sentences, (0.8, 0.1, 0.1), args.seed))


def train(args: argparse.Namespace) -> None:
    keras.utils.set_random_seed(args.seed)
    train_part, validation, test = load_parts(args)
    run_dir = start_run(args.out, flags.run_config(args, FIELDS))
    if TaggerPreprocessor.exists(run_dir):
        preprocessor = TaggerPreprocessor.load(run_dir)
    else:
        preprocessor = TaggerPreprocessor.build(train_part, max_word_length=args.max_word_length,
                                                tokenizer=args.tokenizer)
    task = TaggerTask(preprocessor)
    started = time.monotonic()
    history = task.fit(
        train_part, run_dir, validation, word_dropout=args.word_dropout,
        batch_size=args.batch_size, lr=args.lr, clip=args.clip, epochs=args.epochs,
        max_minutes=args.max_minutes, seed=args.seed, tensorboard=args.tensorboard,
        distribute=args.distribute, cell=args.cell, units=args.units, num_layers=args.layers,
        embedding_dim=args.embedding_dim, char_encoder=args.char_encoder,
        char_dim=args.char_dim, char_units=args.char_units, dropout=args.dropout, crf=args.crf)
    minutes = (time.monotonic() - started) / 60
    write_history(run_dir, history)
    metrics = task.report(test, train_part, run_dir)
    metrics.update(train_sentences=len(train_part), epochs_done=len(history),
                   train_minutes=round(minutes, 2))
    write_metrics(run_dir, metrics)


@cli
def main(argv=None) -> int:
    args = parse_args(argv)
    if args.predict:
        predict(args)
    elif args.input:
        raise ValueError("--input needs --predict RUN_DIR")
    else:
        with run_lock(args.out):  # before any file of the run is written
            train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
