import json

import numpy as np
import pytest

from textrnn.preprocessing.corpus_stats import CorpusStats
from textrnn.preprocessing.feature_selection import RULES, FeatureSelector, Selection

# TF: the 6, cat 4, sat 3, mat 2, dog 1, rare 1;  DF: the 4, cat 3, sat 3, mat 2, dog 1, rare 1
DOCS = [
    ["the", "cat", "sat", "the"],
    ["the", "cat", "mat", "the"],
    ["the", "cat", "sat", "cat", "dog"],
    ["the", "mat", "sat", "rare"],
]


@pytest.fixture
def stats():
    return CorpusStats.from_documents(DOCS)


def test_no_rules_keeps_everything_in_tf_order(stats):
    selection = FeatureSelector().select(stats)
    assert selection.tokens == ("the", "cat", "sat", "mat", "dog", "rare")
    assert selection.removed_counts == dict.fromkeys(RULES, 0)


@pytest.mark.parametrize(
    "kwargs, kept, removed",
    [
        ({"min_df": 2}, ("the", "cat", "sat", "mat"), {"min_df": 2}),
        ({"min_df": 0.5}, ("the", "cat", "sat", "mat"), {"min_df": 2}),  # 0.5 * 4 docs = 2
        ({"min_df": 0.6}, ("the", "cat", "sat"), {"min_df": 3}),  # 2.4 docs -> DF >= 3
        ({"max_df": 3}, ("cat", "sat", "mat", "dog", "rare"), {"max_df": 1}),
        ({"max_df": 0.5}, ("mat", "dog", "rare"), {"max_df": 3}),
        ({"top_k": 2}, ("the", "cat"), {"top_k": 4}),
        ({"top_k": 3, "top_k_by": "df"}, ("the", "cat", "sat"), {"top_k": 3}),
        ({"coverage": 0.5}, ("the", "cat"), {"coverage": 4}),  # 10 of 17 tokens
        ({"coverage": 10 / 17}, ("the", "cat"), {"coverage": 4}),  # exactly reached
        ({"stopwords": {"the", "nope"}}, ("cat", "sat", "mat", "dog", "rare"),
         {"stopwords": 1}),
    ],
)
def test_single_rules_by_hand(stats, kwargs, kept, removed):
    selection = FeatureSelector(**kwargs).select(stats)
    assert selection.tokens == kept
    assert selection.removed_counts == {**dict.fromkeys(RULES, 0), **removed}


def test_rules_compose_in_documented_order(stats):
    selector = FeatureSelector(stopwords={"the"}, min_df=2, max_df=0.9, coverage=0.6, top_k=1)
    selection = selector.select(stats)
    # stopwords: -the; min_df: -dog -rare; max_df (3.6 docs): none left above;
    # coverage 0.6 of cat 4 + sat 3 + mat 2 = 5.4 -> cat, sat; top_k 1 -> cat.
    assert selection.tokens == ("cat",)
    assert selection.removed_counts == {"stopwords": 1, "min_df": 2, "max_df": 0,
                                        "coverage": 1, "zipf_cut": 0, "top_k": 1}
    assert len(selection.tokens) + sum(selection.removed_counts.values()) == stats.num_types


def test_selection_never_stores_removed_tokens(stats):
    selection = FeatureSelector(min_df=2, stopwords={"the"}).select(stats)
    assert isinstance(selection, Selection)
    text = json.dumps(selection.to_dict()) + repr(selection) + repr(vars(selection))
    for removed in ("the", "dog", "rare"):
        assert removed not in selection.tokens
        assert f'"{removed}"' not in text and f"'{removed}'" not in text
    assert selection.to_dict() == {"num_kept": 3, "removed_counts": selection.removed_counts}


def test_no_terms_remain(stats):
    with pytest.raises(ValueError, match="After pruning, no terms remain.*min_df"):
        FeatureSelector(min_df=5, max_df=10).select(stats)
    with pytest.raises(ValueError, match="fewer documents"):
        FeatureSelector(min_df=0.9, max_df=0.1).select(stats)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"min_df": -1}, "min_df"),
        ({"min_df": 1.5}, "min_df"),
        ({"max_df": "0.5"}, "max_df"),
        ({"max_df": True}, "max_df"),
        ({"min_df": 3, "max_df": 2}, "max_df.*< `min_df`"),
        ({"top_k": 0}, "top_k"),
        ({"top_k_by": "idf"}, "top_k_by"),
        ({"coverage": 0.0}, "coverage"),
        ({"coverage": 1.2}, "coverage"),
        ({"stopwords": "the"}, "stopwords"),
        ({"zipf_cut": 1.0}, "zipf_cut"),
    ],
)
def test_bad_arguments_fail_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FeatureSelector(**kwargs)


def test_config_round_trip():
    selector = FeatureSelector(min_df=2, max_df=0.5, top_k=10, top_k_by="df", coverage=0.9,
                               stopwords={"b", "a"}, zipf_cut=0.95)
    config = json.loads(json.dumps(selector.get_config()))
    assert config["stopwords"] == ["a", "b"]
    assert FeatureSelector.from_config(config).get_config() == selector.get_config()


def test_zipf_cut_keeps_the_ranks_where_the_fit_predicts_the_coverage():
    counts = np.round(10_000 * np.arange(1, 501, dtype=float) ** -1.1).astype(int)
    stats = CorpusStats.from_documents([[f"w{r:03d}"] * int(c) for r, c in enumerate(counts, 1)])
    size = stats.zipf_size_for_coverage(0.8)
    assert stats.fit_zipf().coverage(size) >= 0.8 > stats.fit_zipf().coverage(size - 1)
    selection = FeatureSelector(zipf_cut=0.8, stopwords={"w001"}).select(stats)
    assert selection.tokens == tuple(f"w{r:03d}" for r in range(2, size + 1))
    assert selection.removed_counts["zipf_cut"] == 500 - size
