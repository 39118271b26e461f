"""Flags every task command shares, each defined once with one meaning.

A command builds its parser with `make_parser(__doc__)`, adds the shared groups
(`add_data_args`, `add_model_args`, `add_training_args`, `add_regularization_args`,
`add_schedule_args`) with its own defaults, then its own flags. `run_config(args, FIELDS)`
picks the settings written to `config.json` by name.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def document_frequency(value: str) -> int | float:
    """`--min-df` / `--max-df`: an int is a number of documents, a float a share of them.

    As in scikit-learn: `"2"` means two documents, `"0.01"` one percent of them and `"1.0"`
    all of them. `"2.5"` is an error, not silently 2.
    """
    try:
        number = int(value) if value.strip().isdigit() else float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of documents (an integer such as "
                                         f"2) or a share of them (0 < x <= 1.0), got {value!r}"
                                         ) from None
    if isinstance(number, float) and not 0.0 < number <= 1.0:
        raise argparse.ArgumentTypeError(f"a share of documents must be in (0, 1.0]; for a "
                                         f"number of documents write an integer, got {value!r}")
    return number


def _checked_int(value: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value!r}")
    return number


def positive_int(value: str) -> int:
    """An integer >= 1 (batch sizes, units, lengths)."""
    return _checked_int(value, 1)


def non_negative_int(value: str) -> int:
    """An integer >= 0 (counts where 0 turns something off)."""
    return _checked_int(value, 0)


def make_parser(doc: str) -> argparse.ArgumentParser:
    """A parser whose description is the docstring's first paragraph, the rest its epilog."""
    summary, _, details = doc.partition("\n\n")
    return argparse.ArgumentParser(description=summary, epilog=details,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def add_data_args(parser: argparse.ArgumentParser, data_help: str,
                  text_column: bool = True) -> argparse._ArgumentGroup:
    """`--data`, `--text-column`, `--encoding-errors`; returns the group for more flags."""
    group = parser.add_argument_group("data")
    group.add_argument("--data", help=data_help)
    if text_column:
        group.add_argument("--text-column", help="column holding the text (csv/tsv/jsonl/hub)")
    group.add_argument("--encoding-errors", choices=("strict", "replace"), default="strict",
                       help="'replace' reads undecodable bytes as U+FFFD instead of stopping")
    return group


def add_model_args(parser: argparse.ArgumentParser, defaults: Mapping[str, Any],
                   layers: bool = True) -> argparse._ArgumentGroup:
    """`--cell`, `--layers` (unless `layers=False`), `--units`, `--embedding-dim`,
    `--dropout`."""
    from textrnn.models import RECURRENT_LAYERS  # here: textrnn-preprocess must not load Keras

    group = parser.add_argument_group("model")
    group.add_argument("--cell", choices=sorted(RECURRENT_LAYERS), default=defaults["cell"])
    if layers:
        group.add_argument("--layers", type=int, choices=range(1, 5),
                           default=defaults.get("layers", 1), help="stacked recurrent layers")
    group.add_argument("--units", type=positive_int, default=defaults["units"])
    group.add_argument("--embedding-dim", type=positive_int, default=defaults["embedding_dim"])
    group.add_argument("--dropout", type=rate, default=defaults["dropout"])
    return group


def add_training_args(parser: argparse.ArgumentParser,
                      defaults: Mapping[str, Any]) -> argparse._ArgumentGroup:
    """`--batch-size`, `--lr`, `--clip`, `--epochs`, `--max-minutes`, `--seed`, `--out`,
    `--tensorboard`, `--distribute`."""
    from textrnn.training.distribute import STRATEGIES  # imports Keras: not at module level,
    # so that `textrnn-preprocess`, which shares this module, starts without TensorFlow

    group = parser.add_argument_group("training")
    group.add_argument("--batch-size", type=positive_int, default=defaults["batch_size"])
    group.add_argument("--lr", type=positive, default=defaults.get("lr"), help="learning rate")
    group.add_argument("--clip", type=positive, default=defaults["clip"],
                       help="global gradient-norm clipping threshold")
    group.add_argument("--epochs", type=positive_int, default=defaults["epochs"])
    group.add_argument("--max-minutes", type=non_negative, default=defaults["max_minutes"],
                       help="stop training cleanly after this many minutes (0: no limit)")
    group.add_argument("--seed", type=int, default=0)
    group.add_argument("--out", default=defaults["out"], help="run folder (resumes if present)")
    group.add_argument("--tensorboard", action="store_true",
                       help="also write TensorBoard logs to OUT/logs")
    group.add_argument("--distribute", choices=STRATEGIES, default="default",
                       help="mirrored: every local GPU (or CPU); multiworker: the machines "
                       "of TF_CONFIG; auto: multiworker or mirrored where there is more than "
                       "one; the batch is split between the replicas")
    return group


def _checked_number(value: str, accept: Callable[[float], bool], expected: str) -> float:
    """`float(value)` if it is finite and `accept`ed, else an argparse error naming `expected`."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and accept(number)):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {value!r}")
    return number


def rate(value: str) -> float:
    """A dropout rate: a float in [0, 1)."""
    return _checked_number(value, lambda number: 0.0 <= number < 1.0, "a rate in [0, 1)")


def non_negative(value: str) -> float:
    """A finite float >= 0 (penalty weights, weight decay, temperatures, minutes)."""
    return _checked_number(value, lambda number: number >= 0.0, "a finite number >= 0")


def positive(value: str) -> float:
    """A finite float > 0 (learning rates, clipping norms)."""
    return _checked_number(value, lambda number: number > 0.0, "a finite number > 0")


def probability(value: str) -> float:
    """A float in (0, 1] (nucleus mass, shares)."""
    return _checked_number(value, lambda number: 0.0 < number <= 1.0, "a number in (0, 1]")


# sentencepiece's fewest pieces: <unk>, <s>, </s> and one character. A corpus needs one piece
# per distinct character on top; the tokenizer's error says how many when that is the problem.
MIN_SUBWORD_VOCABULARY = 4


def subword_vocabulary_size(value: str) -> int:
    """`--vocab-size`: an integer >= `MIN_SUBWORD_VOCABULARY`."""
    number = positive_int(value)
    if number < MIN_SUBWORD_VOCABULARY:
        raise argparse.ArgumentTypeError(
            f"sentencepiece needs at least {MIN_SUBWORD_VOCABULARY} pieces (<unk>, <s>, </s> "
            f"and the corpus's characters), got {value!r}")
    return number


# The AWD-LSTM regularisers (Merity et al. 2017): flag -> help.
REGULARIZATION_FLAGS = {
    "weight_dropout": "DropConnect on the recurrent (hidden-to-hidden) kernels",
    "embedding_dropout": "drop whole tokens: rows of the embedding matrix",
    "input_dropout": "locked dropout (one mask per sequence) on the embedded input",
    "hidden_dropout": "locked dropout between recurrent layers",
    "output_dropout": "locked dropout on the last recurrent layer's output",
    "ar": "activation regularisation: AR * mean(h^2) on the last layer's dropped output",
    "tar": "temporal activation regularisation: TAR * mean((h_t - h_t-1)^2)",
}


def add_regularization_args(parser: argparse.ArgumentParser,
                            defaults: Mapping[str, Any]) -> argparse._ArgumentGroup:
    """`--weight-dropout`, `--embedding-dropout`, `--input-dropout`, `--hidden-dropout`,
    `--output-dropout`, `--ar`, `--tar` (defaults from `defaults`, else 0)."""
    group = parser.add_argument_group("regularisation (AWD-LSTM)")
    for name, text in REGULARIZATION_FLAGS.items():
        group.add_argument("--" + name.replace("_", "-"), default=defaults.get(name, 0.0),
                           type=non_negative if name in ("ar", "tar") else rate, help=text)
    return group


def add_schedule_args(parser: argparse.ArgumentParser,
                      defaults: Mapping[str, Any]) -> argparse._ArgumentGroup:
    """`--schedule`, `--weight-decay`, `--find-lr`."""
    from textrnn.training.schedules import SCHEDULES  # here: as RECURRENT_LAYERS above

    group = parser.add_argument_group("learning-rate schedule")
    group.add_argument("--schedule", choices=SCHEDULES,
                       default=defaults.get("schedule", "constant"),
                       help="constant --lr, or one-cycle / slanted-triangular peaking at --lr "
                       "(shortened to fit --max-minutes)")
    group.add_argument("--weight-decay", type=non_negative,
                       default=defaults.get("weight_decay", 0.0), help="AdamW's weight decay")
    group.add_argument("--find-lr", action="store_true", help="run a learning-rate range "
                       "test instead of training: writes OUT/lr_finder.png, prints a rate")
    return group


def run_config(args: argparse.Namespace, fields: Iterable[str]) -> dict[str, Any]:
    """The settings saved in `config.json`: exactly `fields`, read from `args`."""
    return {field: getattr(args, field) for field in fields}


def add_transfer_args(parser: argparse.ArgumentParser,
                      defaults: Mapping[str, Any]) -> argparse._ArgumentGroup:
    """ULMFiT transfer: `--encoder`, `--pretrain-lm`, `--unlabeled`, `--lm-epochs`,
    `--lr-decay`, `--unfreeze` / `--no-unfreeze`."""
    group = parser.add_argument_group("transfer from a language model (ULMFiT)")
    group.add_argument("--encoder", metavar="RUN_DIR",
                       help="start from this word/subword textrnn-lm run's encoder")
    group.add_argument("--pretrain-lm", action="store_true",
                       help="first train a language model on the training texts, in OUT/lm")
    group.add_argument("--unlabeled", help="more raw text for --pretrain-lm (txt: one per line)")
    group.add_argument("--lm-epochs", type=positive_int, default=defaults["lm_epochs"])
    group.add_argument("--lr-decay", type=positive, default=defaults["lr_decay"],
                       help="discriminative rates: lr / DECAY**depth for each layer group")
    group.add_argument("--unfreeze", action=argparse.BooleanOptionalAction, default=True,
                       help="gradual unfreezing: the head first, one more group per epoch")
    return group


def add_vocabulary_args(group: argparse._ArgumentGroup, defaults: Mapping[str, Any]) -> None:
    """Document-level vocabulary cuts: `--lowercase`, `--min-df`, `--max-df`,
    `--vocab-top-k`, `--coverage`, `--stopwords`, `--vocab-size` (subword pieces)."""
    group.add_argument("--lowercase", action=argparse.BooleanOptionalAction, default=True)
    group.add_argument("--min-df", type=document_frequency, default=defaults["min_df"])
    group.add_argument("--max-df", type=document_frequency, default=1.0,
                       help="--min-df/--max-df: an integer counts documents, a decimal a share")
    group.add_argument("--vocab-top-k", type=positive_int, help="keep the K most frequent")
    group.add_argument("--coverage", type=probability,
                       help="keep types covering this share of tokens")
    group.add_argument("--stopwords", default="none", help="none, en, nltk:english or a file")
    group.add_argument("--vocab-size", type=subword_vocabulary_size,
                       default=defaults["vocab_size"],
                       help="subword pieces")
