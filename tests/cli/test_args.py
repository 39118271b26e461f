import argparse

import pytest

from textrnn.cli.args import (
    add_data_args,
    add_model_args,
    add_training_args,
    document_frequency,
    make_parser,
    positive_int,
    run_config,
)

DEFAULTS = dict(cell="lstm", units=8, embedding_dim=4, dropout=0.0, batch_size=2, lr=1e-3,
                clip=1.0, epochs=1, max_minutes=1.0, out="runs/x")


@pytest.mark.parametrize(("text", "value"), [("2", 2), ("0.5", 0.5), ("1.0", 1.0), ("1", 1)])
def test_document_frequency_int_is_a_count_float_a_share(text, value):
    result = document_frequency(text)
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize("text", ["2.5", "0.0", "1.5", "-1", "many"])
def test_document_frequency_refuses_ambiguous_values(text):
    with pytest.raises(argparse.ArgumentTypeError):
        document_frequency(text)


def test_positive_int():
    assert positive_int("3") == 3
    for text in ("0", "-2", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_int(text)


def test_shared_groups_parse_and_run_config_keeps_only_named_fields(capsys):
    parser = make_parser("Summary line.\n\nDetails.")
    add_data_args(parser, "a file")
    add_model_args(parser, DEFAULTS)
    add_training_args(parser, DEFAULTS)
    args = parser.parse_args(["--data", "x.txt", "--units", "16", "--tensorboard"])
    assert (args.data, args.units, args.cell, args.tensorboard) == ("x.txt", 16, "lstm", True)
    assert run_config(args, ("units", "cell")) == {"units": 16, "cell": "lstm"}
    with pytest.raises(SystemExit):
        parser.parse_args(["--batch-size", "0"])
    assert "--batch-size" in capsys.readouterr().err
