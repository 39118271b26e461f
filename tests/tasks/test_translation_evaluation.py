"""Scores equal sacrebleu's; predictions round-trip; heat-maps are written."""

import pytest
import sacrebleu

from textrnn.models.seq2seq import Seq2SeqDecoder, build_seq2seq
from textrnn.tasks.translation import TranslationAssets
from textrnn.tasks.translation_evaluation import (
    plot_attention,
    read_predictions,
    scores,
    write_predictions,
)

SOURCES = ["the cat sat", "a dog ran", "the dog sat", "a cat ran"] * 5
TARGETS = ["el gato", "un perro", "el perro", "un gato"] * 5


def test_scores_are_sacrebleu():
    hypotheses, references = ["el gato se sentó", "un perro"], ["el gato se sentó", "un gato"]
    result = scores(hypotheses, references)
    assert result["bleu"] == sacrebleu.corpus_bleu(hypotheses, [references]).score
    assert result["chrf"] == sacrebleu.corpus_chrf(hypotheses, [references]).score


def test_predictions_round_trip(tmp_path):
    rows = [["a \\ b", 'quote "x"', "", "c"], ["d", "e", "f", "g"]]
    write_predictions(tmp_path / "p.tsv", *map(list, zip(*rows, strict=True)))
    columns = read_predictions(tmp_path / "p.tsv")
    assert columns["source"] == ["a \\ b", "d"] and columns["reference"] == ['quote "x"', "e"]
    assert columns["hypothesis"] == ["", "f"] and columns["hypothesis_greedy"] == ["c", "g"]


@pytest.mark.parametrize(("attention", "written"), [("luong", True), ("none", False)])
def test_attention_heatmap(tmp_path, attention, written):
    assets = TranslationAssets.build(SOURCES, TARGETS, tmp_path, vocab_size=30)
    model = build_seq2seq(len(assets.source_vocabulary), len(assets.target_vocabulary),
                          units=4, embedding_dim=4, attention=attention)
    path = tmp_path / "attention.png"
    assert plot_attention(Seq2SeqDecoder(model), assets, "the cat", "el gato", path) is written
    assert path.exists() is written
    if written:
        assert path.read_bytes()[:4] == b"\x89PNG"
