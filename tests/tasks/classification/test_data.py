import json

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from textrnn import datasets as shipped
from textrnn.errors import InputError
from textrnn.tasks.classification.data import (
    class_weights,
    encode_labels,
    label_list,
    load_labelled_texts,
    load_splits,
    stratified_split,
)


def test_headerless_tsv_skips_and_counts_bad_rows(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text("spam\tWIN now\nham\t   \n\thello there\nham\tsee you\n", encoding="utf-8")
    data = load_labelled_texts(path, "1", "0")
    assert data.texts == ["WIN now", "see you"]
    assert data.labels == ["spam", "ham"]
    assert data.skipped == {"empty_text": 1, "missing_label": 1}


def test_jsonl_labels_become_strings(tmp_path):
    path = tmp_path / "data.jsonl"
    rows = [{"review": "good", "stars": 5}, {"review": "bad", "stars": 1},
            {"review": "meh", "stars": None}]
    path.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    data = load_labelled_texts(path, "review", "stars")
    assert data.labels == ["5", "1"]
    assert data.skipped["missing_label"] == 1


def test_wrong_column_lists_the_columns(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("text,label\nhello,a\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"missing column 'category'.*\['text', 'label'\]"):
        load_labelled_texts(path, "text", "category")
    with pytest.raises(ValueError, match="both 'text'"):
        load_labelled_texts(path, "text", "text")


def test_no_usable_row_is_an_error(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("text,label\nhello,\n ,a\n", encoding="utf-8")
    with pytest.raises(InputError, match="no row has both"):
        load_labelled_texts(path, "text", "label")


def test_shipped_sms_collection_loads_with_its_columns():
    data = load_labelled_texts(shipped.path("sms_spam"), "1", "0")
    assert len(data) == 5574 and set(data.labels) == {"ham", "spam"}


def test_stratified_split_keeps_shares_and_is_seeded():
    labels = ["a"] * 80 + ["b"] * 20
    train, val, test = stratified_split(labels, (0.1, 0.1), seed=3)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(100))
    for part, size in ((train, 80), (val, 10), (test, 10)):
        assert len(part) == size
        assert sum(labels[i] == "b" for i in part) == size // 5
    again = stratified_split(labels, (0.1, 0.1), seed=3)
    other = stratified_split(labels, (0.1, 0.1), seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(again, (train, val, test), strict=True))
    assert not np.array_equal(other[2], test)


def test_stratified_split_keeps_rare_labels_in_training():
    labels = ["a"] * 50 + ["rare"] * 2
    train, val, test = stratified_split(labels, (0.4, 0.4))
    assert sum(labels[i] == "rare" for i in train) >= 1


def test_split_fractions_are_checked():
    with pytest.raises(ValueError, match="fractions"):
        stratified_split(["a", "b"], (0.5, 0.5))


def test_labels_single_class_and_unseen_labels():
    assert label_list(["b", "a", "b"]) == ["a", "b"]
    with pytest.raises(ValueError, match="single label"):
        label_list(["spam"] * 3)
    np.testing.assert_array_equal(encode_labels(["b", "a"], ["a", "b"]), [1, 0])
    with pytest.raises(ValueError, match=r"test data has labels never seen.*'c' \(2 rows\)"):
        encode_labels(["a", "c", "c"], ["a", "b"])


def test_balanced_class_weights_match_scikit_learn():
    y = np.array([0] * 6 + [1] * 3 + [2])
    expected = compute_class_weight("balanced", classes=np.arange(3), y=y)
    weights = class_weights(y, 3, "balanced")
    np.testing.assert_allclose([weights[c] for c in range(3)], expected)
    assert class_weights(y, 3, "none") is None
    with pytest.raises(ValueError, match="mode"):
        class_weights(y, 3, "inverse")


def test_load_splits_with_and_without_a_test_file(tmp_path):
    rows = [f"doc {i}\t{'ab'[i % 2]}" for i in range(40)]
    (tmp_path / "data.tsv").write_text("text\tlabel\n" + "\n".join(rows) + "\n\tb\n",
                                       encoding="utf-8")
    (tmp_path / "test.tsv").write_text("text\tlabel\nx\ta\ny\tb\n \ta\n", encoding="utf-8")
    parts, skipped = load_splits(tmp_path / "data.tsv", "text", "label", seed=1)
    assert [len(part) for part in parts] == [32, 4, 4]
    assert skipped == {"empty_text": 1, "missing_label": 0}
    parts, skipped = load_splits(tmp_path / "data.tsv", "text", "label", tmp_path / "test.tsv")
    assert [len(part) for part in parts] == [36, 4, 2] and parts[2].texts == ["x", "y"]
    assert skipped == {"empty_text": 2, "missing_label": 0}


def write_split_file(path, rows):
    path.write_text("split\ttext\tlabel\n" + "".join(f"{s}\t{t}\t{label}\n"
                                                    for s, t, label in rows), encoding="utf-8")
    return path


def test_split_column_names_each_rows_part(tmp_path):
    rows = [("train", f"doc {i}", "ab"[i % 2]) for i in range(20)]
    rows += [("validation", "val a", "a"), ("test", "test b", "b"), ("test", "test a", "a")]
    (train, validation, test), skipped = load_splits(
        write_split_file(tmp_path / "d.tsv", rows), "text", "label", split_column="split")
    assert len(train) == 20 and validation.texts == ["val a"]
    assert test.texts == ["test b", "test a"] and test.labels == ["b", "a"]
    assert skipped == {"empty_text": 0, "missing_label": 0}


def test_split_column_without_validation_rows_validates_on_a_tenth_of_train(tmp_path):
    rows = [("train", f"doc {i}", "ab"[i % 2]) for i in range(20)] + [("test", "t", "a")]
    (train, validation, _), _ = load_splits(write_split_file(tmp_path / "d.tsv", rows), "text",
                                            "label", split_column="split")
    assert (len(train), len(validation)) == (18, 2)


@pytest.mark.parametrize("rows, message", [
    ([("train", "x", "a"), ("dev", "y", "b")], "expected only"),
    ([("train", "x", "a"), ("train", "y", "b")], "names no 'test' row"),
])
def test_bad_split_column_is_an_error(tmp_path, rows, message):
    with pytest.raises((InputError, ValueError), match=message):
        load_splits(write_split_file(tmp_path / "d.tsv", rows), "text", "label",
                    split_column="split")
