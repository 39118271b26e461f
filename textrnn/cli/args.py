"""Flags every task command shares, each defined once with one meaning.

A command builds its parser with `make_parser(__doc__)`, adds the shared groups
(`add_data_args`, `add_model_args`, `add_training_args`) with its own defaults, then its own
flags. `run_config(args, FIELDS)` picks the settings written to `config.json` by name.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from typing import Any

from textrnn.models import RECURRENT_LAYERS


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


def positive_int(value: str) -> int:
    """An integer >= 1 (batch sizes, units, lengths)."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value!r}")
    return number


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
    group = parser.add_argument_group("model")
    group.add_argument("--cell", choices=sorted(RECURRENT_LAYERS), default=defaults["cell"])
    if layers:
        group.add_argument("--layers", type=int, choices=range(1, 5),
                           default=defaults.get("layers", 1), help="stacked recurrent layers")
    group.add_argument("--units", type=positive_int, default=defaults["units"])
    group.add_argument("--embedding-dim", type=positive_int, default=defaults["embedding_dim"])
    group.add_argument("--dropout", type=float, default=defaults["dropout"])
    return group


def add_training_args(parser: argparse.ArgumentParser,
                      defaults: Mapping[str, Any]) -> argparse._ArgumentGroup:
    """`--batch-size`, `--lr`, `--clip`, `--epochs`, `--max-minutes`, `--seed`, `--out`,
    `--tensorboard`."""
    group = parser.add_argument_group("training")
    group.add_argument("--batch-size", type=positive_int, default=defaults["batch_size"])
    group.add_argument("--lr", type=float, default=defaults.get("lr"), help="learning rate")
    group.add_argument("--clip", type=float, default=defaults["clip"],
                       help="global gradient-norm clipping threshold")
    group.add_argument("--epochs", type=positive_int, default=defaults["epochs"])
    group.add_argument("--max-minutes", type=float, default=defaults["max_minutes"],
                       help="stop training cleanly after this many minutes (0: no limit)")
    group.add_argument("--seed", type=int, default=0)
    group.add_argument("--out", default=defaults["out"], help="run folder (resumes if present)")
    group.add_argument("--tensorboard", action="store_true",
                       help="also write TensorBoard logs to OUT/logs")
    return group


def run_config(args: argparse.Namespace, fields: Iterable[str]) -> dict[str, Any]:
    """The settings saved in `config.json`: exactly `fields`, read from `args`."""
    return {field: getattr(args, field) for field in fields}
