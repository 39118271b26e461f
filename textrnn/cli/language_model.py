"""Train a recurrent language model on characters, words or subwords, and sample from it.

    textrnn-lm                                   # char LSTM on tinyshakespeare
    textrnn-lm --data my.txt --level word --coverage 0.95 --vocab-top-k 10000
    textrnn-lm --generate runs/language_model --prompt "ROMEO:" \
        --length 500 --temperature 0.8 --top-k 20

Training is truncated BPTT over one token stream (contiguous 90/5/5 split), with global-norm
clipping, perplexity / bits-per-character on validation after each epoch, a sample from a
fixed prompt, and a checkpoint per epoch: run the same command again to resume. The run folder
gets config.json, model.keras, vocab.json, tokenizer.json, history.csv, learning_curves.png,
samples.txt and metrics.json (with the n-gram baseline's perplexity on the same test tokens).
"""

from __future__ import annotations

import sys
from pathlib import Path

import keras

from textrnn.cli import args as shared
from textrnn.io import read_json, write_json
from textrnn.preprocessing.registry import LEVELS
from textrnn.runs import CONFIG_FILE, cli, start_run, write_history, write_metrics
from textrnn.tasks import language_model as lm
from textrnn.training.distribute import STRATEGIES

# === Defaults (tuned for tinyshakespeare on a 2-core CPU in about 15 minutes) ===
DEFAULTS = dict(
    level="char",
    cell="lstm",
    input="embedding",
    layers=1,
    units=512,          # wider learns faster per epoch but each step costs more
    embedding_dim=64,
    dropout=0.2,        # between layers and before the softmax: without it validation loss
                        # turned up after 11 of the 15 minutes (train 1.20, validation 1.47)
    seq_len=128,        # truncated-BPTT window: longer reaches further back, fewer updates
    reset_every=8,      # zero the carried state every 8 windows, so prompts (which start
                        # from a zero state) are in distribution; 0 never resets mid-epoch
    batch_size=32,      # parallel streams (the stateful model's fixed batch size)
    lr=2e-3,
    clip=1.0,           # global gradient norm
    epochs=30,
    max_minutes=15.0,   # the budget, not the epochs, ends the default run
    out="runs/language_model",
    prompt="ROMEO:",
)
# The settings saved in config.json; a resumed run must repeat those that shape model or data.
FIELDS = ("data", "text_column", "encoding_errors", "level", "lowercase", "coverage", "vocab_top_k",
          "min_df", "vocab_size", "cell", "input", "layers", "units", "embedding_dim", "dropout",
          "seq_len", "reset_every", "batch_size", "lr", "clip", "epochs", "max_minutes", "seed",
          "distribute", "out", "no_baseline", "prompt", "sample_length", "tensorboard")
FIT_ARGS = ("batch_size", "seq_len", "epochs", "lr", "clip", "reset_every", "max_minutes",
            "cell", "units", "dropout", "embedding_dim", "prompt", "sample_length", "distribute",
            "tensorboard")  # passed to `LanguageModelTask.fit` under their own names


def parse_args(argv=None):
    parser = shared.make_parser(__doc__)
    data = shared.add_data_args(parser, "txt file, csv/tsv/jsonl with --text-column, or a hub "
                         "dataset name (default: the shipped tinyshakespeare)")
    data.add_argument("--level", choices=LEVELS, default=DEFAULTS["level"])
    data.add_argument("--lowercase", action="store_true", help="lowercase words (word level)")
    data.add_argument("--coverage", type=float, help="word vocabulary: keep the most frequent "
                      "words covering this share of tokens")
    data.add_argument("--vocab-top-k", type=shared.positive_int, help="keep at most K words")
    data.add_argument("--min-df", type=shared.document_frequency, default=1, help="words in "
                      "at least this number (int) or share (float <= 1.0) of lines")
    data.add_argument("--vocab-size", type=shared.positive_int, default=2000,
                      help="subword pieces")
    model = shared.add_model_args(parser, DEFAULTS)
    model.add_argument("--input", choices=("embedding", "onehot"), default=DEFAULTS["input"])
    train = shared.add_training_args(parser, DEFAULTS)
    train.add_argument("--seq-len", type=shared.positive_int, default=DEFAULTS["seq_len"])
    train.add_argument("--reset-every", type=int, default=DEFAULTS["reset_every"],
                       help="reset the carried state every N windows (0: only per epoch)")
    train.add_argument("--distribute", choices=STRATEGIES, default="default")
    train.add_argument("--no-baseline", action="store_true", help="skip the n-gram baseline")
    gen = parser.add_argument_group("generation")
    gen.add_argument("--generate", metavar="RUN_DIR", help="sample from a trained run")
    gen.add_argument("--prompt", default=DEFAULTS["prompt"])
    gen.add_argument("--length", type=int, default=500)
    gen.add_argument("--temperature", type=float, default=0.8)
    gen.add_argument("--top-k", type=shared.positive_int, help="sample from the K likeliest")
    gen.add_argument("--top-p", type=float, help="sample from the nucleus of mass P")
    gen.add_argument("--sample-length", type=int, default=200, help="tokens per epoch sample")
    args = parser.parse_args(argv)
    if args.top_k is not None and not args.generate:  # --top-k was once the vocabulary cut
        parser.error("--top-k samples with --generate; the vocabulary cut is --vocab-top-k")
    return args


def train(args) -> None:
    keras.utils.set_random_seed(args.seed)
    config_path = Path(args.out) / CONFIG_FILE  # runs before --vocab-top-k saved it as top_k
    config = read_json(config_path) if config_path.exists() else {}
    if "top_k" in config and "vocab_top_k" not in config:
        config["vocab_top_k"] = config.pop("top_k")
        write_json(config_path, config)
    run_dir = start_run(args.out, shared.run_config(args, FIELDS))
    splits = lm.split_text(lm.load_corpus(args.data, args.text_column, args.encoding_errors))
    if lm.LanguageModelPreprocessor.exists(run_dir):  # resuming: keep the run's vocabulary
        preprocessor = lm.LanguageModelPreprocessor.load(run_dir)
    else:  # `fit` saves it in the run folder
        preprocessor = lm.LanguageModelPreprocessor.build(
            splits.train, args.level, run_dir, lowercase=args.lowercase, min_df=args.min_df,
            vocab_top_k=args.vocab_top_k, coverage=args.coverage, vocab_size=args.vocab_size)
    ids = {name: preprocessor.encode(text) for name, text in splits.items()}
    windows = {name: preprocessor(stream, args.batch_size, args.seq_len)
               for name, stream in ids.items()}  # each split cut once, used throughout
    print(f"{args.level} level: vocabulary {len(preprocessor.vocabulary)}, train/val/test "
          f"tokens {len(ids['train'])}/{len(ids['validation'])}/{len(ids['test'])}")
    task = lm.LanguageModelTask(preprocessor)
    history = task.fit(windows["train"], windows["validation"], run_dir,
                       num_layers=args.layers, input_mode=args.input,
                       **{name: getattr(args, name) for name in FIT_ARGS})
    write_history(run_dir, history)
    write_metrics(run_dir, final_metrics(args, task, ids, windows))


def final_metrics(args, task: lm.LanguageModelTask, ids: dict, windows: dict) -> dict:
    metrics = {f"{prefix}_{name}": value
               for split, prefix in (("validation", "val"), ("test", "test"))
               for name, value in task.evaluate(windows[split], args.seq_len).items()}
    if not args.no_baseline:
        print("Fitting the n-gram baseline ...")
        ngram = task.ngram_baseline(ids["train"], ids["validation"], windows["test"])
        metrics.update({f"baseline_ngram_{key}": value for key, value in ngram.items()})
    return metrics


def generate(args) -> None:
    task = lm.LanguageModelTask.from_run(args.generate)
    if unknown := task.preprocessor.unknown_tokens(args.prompt):
        print(f"note: the prompt has tokens outside the vocabulary, read as <unk>: {unknown}",
              file=sys.stderr)
    print(args.prompt + task.generate(args.prompt, args.length, temperature=args.temperature,
                                      top_k=args.top_k, top_p=args.top_p, seed=args.seed))


@cli
def main(argv=None) -> None:
    args = parse_args(argv)
    generate(args) if args.generate else train(args)


if __name__ == "__main__":
    sys.exit(main())
