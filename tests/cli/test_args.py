import argparse

import pytest

from textrnn.cli.args import (
    add_data_args,
    add_model_args,
    add_training_args,
    document_frequency,
    make_parser,
    non_negative,
    non_negative_int,
    positive,
    positive_int,
    probability,
    rate,
    run_config,
    subword_vocabulary_size,
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


@pytest.mark.parametrize(("check", "good", "bad"), [
    (positive_int, {"3": 3}, ("0", "-2", "x", "1.5")),
    (non_negative_int, {"0": 0, "7": 7}, ("-1", "x")),
    (positive, {"0.01": 0.01, "1e6": 1e6}, ("0", "-1", "nan", "inf", "x")),
    (non_negative, {"0": 0.0, "0.8": 0.8}, ("-0.1", "nan", "inf", "-inf")),
    (rate, {"0": 0.0, "0.5": 0.5}, ("1", "-0.1", "nan")),
    (probability, {"1": 1.0, "0.9": 0.9}, ("0", "1.1", "nan")),
    (subword_vocabulary_size, {"4": 4, "8000": 8000}, ("1", "3", "0")),
])
def test_number_flags_accept_only_finite_values_in_range(check, good, bad):
    assert {text: check(text) for text in good} == good
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
            check(text)


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


@pytest.mark.parametrize("flags", [["--lr", "nan"], ["--lr", "0"], ["--clip", "-1"],
                                   ["--max-minutes", "inf"], ["--dropout", "1.0"]])
def test_training_flags_are_refused_before_any_work_naming_the_flag(flags, capsys):
    parser = make_parser("Summary.")
    add_model_args(parser, DEFAULTS)
    add_training_args(parser, DEFAULTS)
    with pytest.raises(SystemExit):
        parser.parse_args(flags)
    assert f"argument {flags[0]}: expected" in capsys.readouterr().err
