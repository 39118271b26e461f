"""Train a recurrent language model on characters, words or subwords, and sample from it.

    python recipes/language_model.py                       # char LSTM on tinyshakespeare
    python recipes/language_model.py --data my.txt --level word --coverage 0.95
    python recipes/language_model.py --generate runs/language_model --prompt "ROMEO:" \
        --length 500 --temperature 0.8 --top-k 20

Training is truncated BPTT over one token stream (contiguous 90/5/5 split), with global-norm
clipping, perplexity / bits-per-character on validation after each epoch, a sample from a
fixed prompt, and a checkpoint per epoch: run the same command again to resume. The run folder
gets config.json, model.keras, vocab.json, tokenizer.json, history.csv, learning_curves.png,
samples.txt and metrics.json (with the n-gram baseline's perplexity on the same test tokens).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import keras

from textrnn import datasets as shipped
from textrnn.data import load_documents, read_text
from textrnn.errors import InputError
from textrnn.generation import RecurrentGenerator
from textrnn.models import RECURRENT_LAYERS, build_language_model
from textrnn.runs import cli, fit_resumable, start_run, write_history, write_metrics
from textrnn.tasks.language_modeling import LEVELS, LanguageModelAssets, build_assets, split_text
from textrnn.tasks.lm_evaluation import SampleCallback, evaluate_stream, ngram_baseline
from textrnn.training import (
    GlobalNormClipping,
    Perplexity,
    ResetStatesCallback,
    bptt_batches,
    get_strategy,
)
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


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    data = parser.add_argument_group("data")
    data.add_argument("--data", help="txt file, csv/tsv/jsonl with --text-column, or a hub "
                      "dataset name (default: the shipped tinyshakespeare)")
    data.add_argument("--text-column", help="column holding the text (csv/tsv/jsonl/hub)")
    data.add_argument("--encoding-errors", choices=("strict", "replace"), default="strict")
    data.add_argument("--level", choices=LEVELS, default=DEFAULTS["level"])
    data.add_argument("--lowercase", action="store_true", help="lowercase words (word level)")
    data.add_argument("--coverage", type=float, help="word vocabulary: keep the most frequent "
                      "words covering this share of tokens")
    data.add_argument("--top-k", type=int, help="training: keep at most K words in the "
                      "vocabulary; with --generate: sample among the K most likely tokens")
    data.add_argument("--min-df", type=float, default=1, help="word vocabulary: minimum "
                      "number (int) or share (float < 1) of lines a word appears in")
    data.add_argument("--vocab-size", type=int, default=2000, help="subword pieces")
    model = parser.add_argument_group("model")
    model.add_argument("--cell", choices=sorted(RECURRENT_LAYERS), default=DEFAULTS["cell"])
    model.add_argument("--input", choices=("embedding", "onehot"), default=DEFAULTS["input"])
    model.add_argument("--layers", type=int, choices=range(1, 5), default=DEFAULTS["layers"])
    model.add_argument("--units", type=int, default=DEFAULTS["units"])
    model.add_argument("--embedding-dim", type=int, default=DEFAULTS["embedding_dim"])
    model.add_argument("--dropout", type=float, default=DEFAULTS["dropout"])
    train = parser.add_argument_group("training")
    train.add_argument("--seq-len", type=int, default=DEFAULTS["seq_len"])
    train.add_argument("--reset-every", type=int, default=DEFAULTS["reset_every"],
                       help="reset the carried state every N windows (0: only per epoch)")
    train.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    train.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    train.add_argument("--clip", type=float, default=DEFAULTS["clip"])
    train.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    train.add_argument("--max-minutes", type=float, default=DEFAULTS["max_minutes"])
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--distribute", choices=STRATEGIES, default="default")
    train.add_argument("--out", default=DEFAULTS["out"], help="run folder (resumes if present)")
    train.add_argument("--no-baseline", action="store_true", help="skip the n-gram baseline")
    gen = parser.add_argument_group("generation")
    gen.add_argument("--generate", metavar="RUN_DIR", help="sample from a trained run")
    gen.add_argument("--prompt", default=DEFAULTS["prompt"])
    gen.add_argument("--length", type=int, default=500)
    gen.add_argument("--temperature", type=float, default=0.8)
    gen.add_argument("--top-p", type=float)
    gen.add_argument("--sample-length", type=int, default=200, help="tokens in each epoch's "
                     "sample")
    return parser.parse_args(argv)


def load_corpus(args) -> str:
    if args.data is None:
        return read_text(shipped.path("tinyshakespeare"), args.encoding_errors)
    path = Path(args.data)
    if path.suffix in (".txt", ".gz") and path.exists() and args.text_column is None:
        return read_text(path, args.encoding_errors)
    documents = load_documents(args.data, text_column=args.text_column,
                               encoding_errors=args.encoding_errors)
    return "\n".join(documents["text"]) + "\n"


def train(args) -> None:
    keras.utils.set_random_seed(args.seed)
    config = {key: value for key, value in vars(args).items()
              if key not in ("generate", "length", "temperature", "top_p")}
    run_dir = start_run(args.out, config)
    splits = split_text(load_corpus(args))
    if (run_dir / "vocab.json").exists():
        assets = LanguageModelAssets.load(run_dir)
    else:
        assets = build_assets(splits.train, args.level, run_dir, lowercase=args.lowercase,
                              min_df=int(args.min_df) if args.min_df >= 1 else args.min_df,
                              top_k=args.top_k, coverage=args.coverage,
                              vocab_size=args.vocab_size)
        assets.save(run_dir)
    ids = {name: assets.encode(getattr(splits, name))
           for name in ("train", "validation", "test")}
    window = (args.batch_size, args.seq_len)
    x_train, y_train = bptt_batches(ids["train"], *window)
    validation = bptt_batches(ids["validation"], *window)
    bpc = args.level == "char"
    print(f"{args.level} level: vocabulary {len(assets.vocabulary)}, train/val/test tokens "
          f"{len(ids['train'])}/{len(ids['validation'])}/{len(ids['test'])}")

    def build():
        model = build_language_model(
            len(assets.vocabulary), cell=args.cell, units=args.units, num_layers=args.layers,
            dropout=args.dropout, input_mode=args.input, embedding_dim=args.embedding_dim,
            batch_size=args.batch_size)
        model.compile(optimizer=GlobalNormClipping(keras.optimizers.Adam(args.lr), args.clip),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[Perplexity()])
        return model

    with get_strategy(args.distribute).scope():
        model, history = fit_resumable(
            build, run_dir, epochs=args.epochs, max_minutes=args.max_minutes,
            callbacks=[ResetStatesCallback(args.reset_every or None),
                       SampleCallback(assets, args.prompt, args.sample_length, run_dir)],
            x=x_train, y=y_train, batch_size=args.batch_size, shuffle=False,
            validation_data=validation)
    write_history(run_dir, history)
    write_metrics(run_dir, final_metrics(args, model, assets, ids, bpc))


def final_metrics(args, model, assets, ids, bpc: bool) -> dict:
    window = (args.batch_size, args.seq_len)
    val = evaluate_stream(model, ids["validation"], *window, bpc=bpc)
    test = evaluate_stream(model, ids["test"], *window, bpc=bpc)
    metrics = {"val_loss": val["loss"], "val_perplexity": val["perplexity"],
               "test_loss": test["loss"], "test_perplexity": test["perplexity"]}
    if bpc:
        metrics.update(val_bpc=val["bpc"], test_bpc=test["bpc"])
    if not args.no_baseline:
        print("Fitting the n-gram baseline ...")
        ngram = ngram_baseline(assets, ids["train"], ids["validation"], ids["test"], *window)
        metrics.update(baseline_ngram_order=ngram["order"],
                       baseline_ngram_perplexity=ngram["perplexity"])
        if bpc:
            metrics["baseline_ngram_bpc"] = ngram["bpc"]
    return metrics


def generate(args) -> None:
    run_dir = Path(args.generate)
    if not (run_dir / "model.keras").exists():
        raise InputError("not a language-model run folder (no model.keras); train one first "
                         "with `python recipes/language_model.py --out DIR`", run_dir)
    assets = LanguageModelAssets.load(run_dir)
    unknown = assets.unknown_tokens(args.prompt)
    if unknown:
        print(f"note: the prompt has tokens outside the vocabulary, read as <unk>: {unknown}",
              file=sys.stderr)
    model = keras.saving.load_model(run_dir / "model.keras", compile=False)
    ids = RecurrentGenerator(model).generate(
        assets.encode(args.prompt), args.length, temperature=args.temperature,
        top_k=args.top_k, top_p=args.top_p, seed=args.seed)[0]
    print(args.prompt + assets.decode(ids))


@cli
def main(argv=None) -> None:
    args = parse_args(argv)
    generate(args) if args.generate else train(args)


if __name__ == "__main__":
    sys.exit(main())
