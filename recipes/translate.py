"""Train and evaluate an encoder-decoder translator with attention; translate with it.

    python recipes/translate.py                     # English -> Spanish Bible verses, shipped
    python recipes/translate.py --data pairs.tsv --source-column en --target-column fr
    python recipes/translate.py --compare-baseline  # also train the no-attention model
    python recipes/translate.py --translate runs/translate "In the beginning was the Word."

Sentences become sentencepiece subwords (separate vocabularies, or `--shared-vocab`); pairs
with an empty side are skipped and pairs longer than `--max-length` pieces are dropped, both
counted. A bidirectional encoder feeds a decoder with Bahdanau / Luong attention, trained with
teacher forcing, optional label smoothing and global-norm clipping, with a checkpoint per
epoch (run the same command again to resume). The output bias starts at the targets' log
unigram frequencies (`log_prior`): started at zero, the model saturated its tanh layers to
learn that bias and stayed on the unigram loss (5.9) for the whole default budget. The test
split is translated greedily and with beam search and scored with sacrebleu. The run folder
gets config.json, model.keras, the subword models and vocabularies, history.csv,
learning_curves.png, test_predictions.tsv, attention_*.png and metrics.json (test_bleu,
test_chrf, test_bleu_greedy, test_chrf_greedy, baseline_bleu, baseline_chrf).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import keras

from textrnn import datasets as shipped
from textrnn.errors import InputError
from textrnn.models import RECURRENT_LAYERS
from textrnn.models.seq2seq import ATTENTIONS, Seq2SeqDecoder, build_seq2seq
from textrnn.runs import cli, fit_resumable, start_run, write_history, write_metrics
from textrnn.tasks.translation import (
    MaskedSparseCrossentropy,
    TranslationAssets,
    encode_pairs,
    load_parallel,
    log_prior,
)
from textrnn.tasks.translation_evaluation import evaluate, plot_attention, translate
from textrnn.training import GlobalNormClipping

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


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    data = parser.add_argument_group("data")
    data.add_argument("--data", help="tsv/csv/jsonl of sentence pairs or a hub dataset name "
                      "(default: the shipped bible_en_es_short)")
    data.add_argument("--source-column", default=DEFAULTS["source_column"])
    data.add_argument("--target-column", default=DEFAULTS["target_column"])
    data.add_argument("--split-column", help="column with train/validation/test labels "
                      "(default: 'split' for the shipped data, else a random 90/5/5 split)")
    data.add_argument("--vocab-size", type=int, default=DEFAULTS["vocab_size"])
    data.add_argument("--shared-vocab", action="store_true", help="one subword model for both "
                      "languages")
    data.add_argument("--max-length", type=int, default=DEFAULTS["max_length"])
    model = parser.add_argument_group("model")
    model.add_argument("--cell", choices=sorted(RECURRENT_LAYERS), default=DEFAULTS["cell"])
    model.add_argument("--attention", choices=ATTENTIONS, default=DEFAULTS["attention"])
    model.add_argument("--units", type=int, default=DEFAULTS["units"])
    model.add_argument("--embedding-dim", type=int, default=DEFAULTS["embedding_dim"])
    model.add_argument("--dropout", type=float, default=DEFAULTS["dropout"])
    train = parser.add_argument_group("training")
    train.add_argument("--label-smoothing", type=float, default=DEFAULTS["label_smoothing"])
    train.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    train.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    train.add_argument("--clip", type=float, default=DEFAULTS["clip"])
    train.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    train.add_argument("--max-minutes", type=float, default=DEFAULTS["max_minutes"])
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default=DEFAULTS["out"], help="run folder (resumes if present)")
    train.add_argument("--compare-baseline", action="store_true", help="also train the model "
                       "without attention on the same budget (in OUT/baseline)")
    decode = parser.add_argument_group("decoding")
    decode.add_argument("--beam", type=int, default=DEFAULTS["beam"])
    decode.add_argument("--length-penalty", type=float, default=DEFAULTS["length_penalty"])
    decode.add_argument("--translate", nargs="+", metavar=("RUN_DIR", "TEXT"),
                        help="translate TEXT(s) with a trained run")
    return parser.parse_args(argv)


def train_one(args, run_dir: Path, attention: str, corpus):
    """Trains (or resumes) one model in `run_dir`; returns it with its assets and history."""
    keras.utils.set_random_seed(args.seed)
    config = {key: value for key, value in vars(args).items()
              if key not in ("translate", "compare_baseline")}
    start_run(run_dir, {**config, "attention": attention})
    if (run_dir / "translation_assets.json").exists():
        assets = TranslationAssets.load(run_dir)
    else:
        assets = TranslationAssets.build(corpus.sources["train"], corpus.targets["train"],
                                         run_dir, args.vocab_size, args.shared_vocab)
        assets.save(run_dir)
    train = encode_pairs(assets, corpus.sources["train"], corpus.targets["train"],
                         args.max_length)
    fit_kwargs = dict(x=[train.source, train.target_in], y=train.target_out,
                      batch_size=args.batch_size, verbose=2)
    if corpus.sources["validation"]:
        val = encode_pairs(assets, corpus.sources["validation"], corpus.targets["validation"],
                           args.max_length)
        fit_kwargs["validation_data"] = ([val.source, val.target_in], val.target_out)
    print(f"{attention}: {len(train.kept)} training pairs ({train.too_long} over "
          f"{args.max_length} pieces dropped); vocabularies {len(assets.source_vocabulary)} / "
          f"{len(assets.target_vocabulary)}")

    def build():
        model = build_seq2seq(len(assets.source_vocabulary), len(assets.target_vocabulary),
                              cell=args.cell, units=args.units,
                              embedding_dim=args.embedding_dim, attention=attention,
                              dropout=args.dropout,
                              output_bias=log_prior(train.target_out,
                                                    len(assets.target_vocabulary)))
        model.compile(optimizer=GlobalNormClipping(keras.optimizers.Adam(args.lr), args.clip),
                      loss=MaskedSparseCrossentropy(args.label_smoothing))
        return model

    monitor = "val_loss" if "validation_data" in fit_kwargs else "loss"
    model, history = fit_resumable(build, run_dir, epochs=args.epochs,
                                   max_minutes=args.max_minutes, monitor=monitor, **fit_kwargs)
    write_history(run_dir, history)
    return model, assets, history, train.too_long


def run(args) -> None:
    split_column = args.split_column or (DEFAULTS["split_column"] if args.data is None else None)
    corpus = load_parallel(args.data or shipped.path("bible_en_es_short"), args.source_column,
                           args.target_column, split_column, seed=args.seed)
    print(f"pairs train/validation/test: "
          f"{'/'.join(str(len(corpus.sources[s])) for s in ('train', 'validation', 'test'))}; "
          f"{corpus.counts['empty_pairs']} with an empty side skipped")
    run_dir = Path(args.out)
    model, assets, history, too_long = train_one(args, run_dir, args.attention, corpus)
    sources, references = corpus.sources["test"], corpus.targets["test"]
    decoder = Seq2SeqDecoder(model)
    decode = dict(beam_width=args.beam, max_length=args.max_length + 1,
                  length_penalty=args.length_penalty)
    metrics = evaluate(decoder, assets, sources, references, run_dir, **decode)
    metrics.update(epochs=len(history), empty_pairs_skipped=corpus.counts["empty_pairs"],
                   train_pairs_too_long=too_long)
    for i, source in enumerate(sources[:HEATMAPS]):
        hypothesis = translate(decoder, assets, [source], args.beam, args.max_length + 1,
                               args.length_penalty)[0]
        plot_attention(decoder, assets, source, hypothesis, run_dir / f"attention_{i}.png")
    if args.compare_baseline and args.attention != "none":
        # Same data, seed, epochs and --max-minutes; its own subword models (trained on the
        # same sentences) decode its own outputs.
        baseline, baseline_assets, baseline_history, _ = train_one(
            args, run_dir / "baseline", "none", corpus)
        baseline_metrics = evaluate(Seq2SeqDecoder(baseline), baseline_assets, sources,
                                    references, run_dir / "baseline", **decode)
        metrics.update(baseline_bleu=baseline_metrics["test_bleu"],
                       baseline_chrf=baseline_metrics["test_chrf"],
                       baseline_bleu_greedy=baseline_metrics["test_bleu_greedy"],
                       baseline_chrf_greedy=baseline_metrics["test_chrf_greedy"],
                       baseline_epochs=len(baseline_history))
    write_metrics(run_dir, metrics)


def translate_texts(args) -> None:
    run_dir, *texts = args.translate
    run_dir = Path(run_dir)
    if not texts:
        raise ValueError("--translate needs RUN_DIR and at least one TEXT to translate")
    if not (run_dir / "model.keras").exists():
        raise InputError("not a translation run folder (no model.keras); train one first "
                         "with `python recipes/translate.py --out DIR`", run_dir)
    assets = TranslationAssets.load(run_dir)
    model = keras.saving.load_model(run_dir / "model.keras", compile=False)
    assets.check_model(model, run_dir)
    for text in texts:
        unseen = assets.unseen_characters(text)
        if unseen:
            print(f"note: characters the subword model never saw, read as <unk>: {unseen}",
                  file=sys.stderr)
    for line in translate(Seq2SeqDecoder(model), assets, texts, args.beam,
                          args.max_length + 1, args.length_penalty):
        print(line)


@cli
def main(argv=None) -> None:
    args = parse_args(argv)
    translate_texts(args) if args.translate else run(args)


if __name__ == "__main__":
    sys.exit(main())
