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
AWD-LSTM regularisers (--weight-dropout, --embedding-dropout, --input/hidden/output-dropout,
--ar, --tar, --tie-weights) are off by default: a few epochs of a short budget underfit, and
they measured worse there. --find-lr runs a learning-rate range test (OUT/lr_finder.png).
"""

from __future__ import annotations

import argparse
import sys

import keras

from textrnn.cli import args as shared
from textrnn.preprocessing.registry import LEVELS
from textrnn.runs import cli, legacy_settings, start_run, write_history, write_metrics
from textrnn.tasks import language_model as lm
from textrnn.training.precision import DTYPE_POLICIES, resolve_dtype_policy

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
    schedule="one-cycle",  # warm up to --lr, anneal to ~0 when the budget ends: 800 KB of KJV,
    lr=1e-2,               # 5 min: test 1.55-1.66 bits/char vs 1.92 at constant 2e-3 (6-gram 1.645)
    clip=1.0,           # global gradient norm
    epochs=30,
    max_minutes=15.0,   # the budget, not the epochs, ends the default run
    out="runs/language_model",
    prompt="ROMEO:",
    dtype="float32",    # bfloat16 (auto / mixed_bfloat16) wins in 5 minutes (800 KB of KJV:
                        # 1,152 steps, test 1.406 bits/char against 701 and 1.450) but not
                        # here: validation 1.381 against 1.368 nats/char in the 15 minutes
)
# Settings of runs made before these flags existed: what such a run resumes with.
LEGACY = dict(schedule="constant", weight_decay=0.0, tie_weights=False, dtype="float32",
              **dict.fromkeys(shared.REGULARIZATION_FLAGS, 0.0))
# The settings saved in config.json; a resumed run must repeat those that shape model or data.
FIELDS = ("data", "text_column", "encoding_errors", "level", "lowercase", "coverage", "vocab_top_k",
          "min_df", "vocab_size", "cell", "input", "layers", "units", "embedding_dim", "dropout",
          "seq_len", "reset_every", "batch_size", "lr", "clip", "epochs", "max_minutes", "seed",
          "distribute", "out", "no_baseline", "prompt", "sample_length", "tensorboard", *LEGACY)
MODEL_ARGS = ("cell", "units", "dropout", "embedding_dim", "tie_weights", "dtype",
              *shared.REGULARIZATION_FLAGS)  # `build_language_model`'s names
FIT_ARGS = ("batch_size", "seq_len", "epochs", "lr", "clip", "reset_every", "max_minutes",
            "prompt", "sample_length", "distribute", "tensorboard", "schedule", "weight_decay")
VOCAB_ARGS = ("level", "text_column", "encoding_errors", "lowercase", "min_df", "vocab_top_k",
              "coverage", "vocab_size")


def parse_args(argv=None):
    parser = shared.make_parser(__doc__)
    data = shared.add_data_args(parser, "txt file, csv/tsv/jsonl with --text-column, or a hub "
                         "dataset name (default: the shipped tinyshakespeare)")
    data.add_argument("--level", choices=LEVELS, default=DEFAULTS["level"])
    data.add_argument("--lowercase", action="store_true", help="lowercase words (word level)")
    data.add_argument("--coverage", type=shared.probability, help="word vocabulary: keep "
                      "the most frequent words covering this share of tokens")
    data.add_argument("--vocab-top-k", type=shared.positive_int, help="keep at most K words")
    data.add_argument("--min-df", type=shared.document_frequency, default=1, help="words in "
                      "at least this number (int) or share (float <= 1.0) of lines")
    data.add_argument("--vocab-size", type=shared.subword_vocabulary_size, default=2000,
                      help="subword pieces")
    model = shared.add_model_args(parser, DEFAULTS)
    model.add_argument("--input", choices=("embedding", "onehot"), default=DEFAULTS["input"])
    model.add_argument("--tie-weights", action=argparse.BooleanOptionalAction,
                       default=DEFAULTS.get("tie_weights", False),
                       help="the softmax reuses the embedding matrix")
    model.add_argument("--dtype-policy", dest="dtype", choices=DTYPE_POLICIES,
                       default=DEFAULTS["dtype"], help="mixed_bfloat16: compute in bfloat16 "
                       "(float32 weights and logits); auto: that where the CPU has bfloat16 "
                       "matrix units and there is no GPU, else float32")
    shared.add_regularization_args(parser, DEFAULTS)
    train = shared.add_training_args(parser, DEFAULTS)
    train.add_argument("--seq-len", type=shared.positive_int, default=DEFAULTS["seq_len"])
    train.add_argument("--reset-every", type=shared.non_negative_int,
                       default=DEFAULTS["reset_every"],
                       help="reset the carried state every N windows (0: only per epoch)")
    train.add_argument("--no-baseline", action="store_true", help="skip the n-gram baseline")
    shared.add_schedule_args(parser, DEFAULTS)
    gen = parser.add_argument_group("generation")
    gen.add_argument("--generate", metavar="RUN_DIR", help="sample from a trained run")
    gen.add_argument("--prompt", default=DEFAULTS["prompt"])
    gen.add_argument("--length", type=shared.positive_int, default=500)
    gen.add_argument("--temperature", type=shared.non_negative, default=0.8,
                     help="0: greedy decoding")
    gen.add_argument("--top-k", type=shared.positive_int, help="sample from the K likeliest")
    gen.add_argument("--top-p", type=shared.probability, help="sample from the nucleus of mass P")
    gen.add_argument("--sample-length", type=shared.non_negative_int, default=200,
                     help="tokens per epoch sample")
    args = parser.parse_args(argv)
    if args.top_k is not None and not args.generate:  # --top-k was once the vocabulary cut
        parser.error("--top-k samples with --generate; the vocabulary cut is --vocab-top-k")
    return args


def train(args) -> None:
    keras.utils.set_random_seed(args.seed)
    vars(args).update(legacy_settings(args.out, LEGACY))
    run_dir = start_run(args.out, shared.run_config(args, FIELDS), legacy=LEGACY)
    task, ids, windows = lm.LanguageModelTask.from_corpus(
        args.data, run_dir, args.batch_size, args.seq_len, **shared.run_config(args, VOCAB_ARGS))
    model = dict(num_layers=args.layers, input_mode=args.input, seed=args.seed,
                 **shared.run_config(args, MODEL_ARGS))
    model["dtype"] = resolve_dtype_policy(args.dtype)
    print(f"dtype policy {model['dtype']}" + (" (auto)" if args.dtype == "auto" else ""))
    if args.find_lr:
        found = task.find_lr(windows["train"], run_dir, batch_size=args.batch_size,
                             seq_len=args.seq_len, clip=args.clip, **model)
        print(f"Learning-rate range test ({run_dir / lm.LR_FINDER_PLOT}): {found.summary()}")
        return
    history = task.fit(windows["train"], windows["validation"], run_dir, **model,
                       **shared.run_config(args, FIT_ARGS))
    write_history(run_dir, history)
    write_metrics(run_dir, task.report(ids, windows, args.seq_len, not args.no_baseline))


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
