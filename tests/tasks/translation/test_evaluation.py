"""Scores equal sacrebleu's; the predictions file round-trips."""

import sacrebleu

from textrnn.tasks.translation.evaluation import read_predictions, scores, write_predictions


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
