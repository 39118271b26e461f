import pytest

from textrnn.tasks.tagging import MostFrequentTagBaseline
from textrnn.tasks.tagging.evaluation import (
    entity_scheme,
    entity_scores,
    plot_confusion,
    subset_accuracy,
    tag_scores,
)


def test_baseline_most_frequent_tag_per_word_and_overall():
    train = [(["run", "run", "run", "the", "dog"], ["VERB", "NOUN", "VERB", "DET", "NOUN"])]
    baseline = MostFrequentTagBaseline().fit(train)
    # "zebra" is unknown: the most frequent tag overall (NOUN and VERB tie on 2; NOUN wins
    # alphabetically); "Run" finds "run" by its lowercased form.
    assert baseline.predict([["Run", "zebra", "the"]]) == [["VERB", "NOUN", "DET"]]


def test_tag_scores_by_hand():
    gold = [["A", "A", "B"], ["B"]]
    predicted = [["A", "B", "B"], ["B"]]
    scores = tag_scores(gold, predicted)
    assert scores["accuracy"] == 0.75
    assert scores["A_precision"] == 1.0 and scores["A_recall"] == 0.5
    assert scores["B_precision"] == pytest.approx(2 / 3) and scores["B_recall"] == 1.0
    assert scores["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    assert subset_accuracy(gold, predicted, [[False, True, False], [True]]) == 0.5
    with pytest.raises(ValueError, match="one predicted tag per gold tag"):
        tag_scores(gold, [["A"]])


def test_entity_scheme_and_seqeval_scores():
    assert entity_scheme(["O", "B-PER", "I-PER"]) == "BIO"
    assert entity_scheme(["O", "S-PER", "B-LOC", "E-LOC"]) == "BIOES"
    assert entity_scheme(["NOUN", "VERB"]) is None
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    predicted = [["B-PER", "I-PER", "O", "O"]]
    scores = entity_scores(gold, predicted, "BIO")
    assert scores == {"entity_precision": 1.0, "entity_recall": 0.5,
                      "entity_f1": pytest.approx(2 / 3)}


def test_confusion_plot_is_a_png(tmp_path):
    plot_confusion([["A", "B"]], [["B", "B"]], tmp_path / "cm.png")
    assert (tmp_path / "cm.png").read_bytes()[:4] == b"\x89PNG"
