import math

import pytest

from textrnn.models import NgramLanguageModel
from textrnn.preprocessing import Vocabulary

TRAIN = list("abababababababab" * 20)


def test_learns_a_deterministic_pattern():
    vocabulary = Vocabulary(["a", "b", "c"])
    model = NgramLanguageModel(vocabulary, max_order=3).fit(TRAIN)
    losses = model.select_order(list("abababab"))
    # Order 1 can only learn the unigram split (~ln 2); order 2 sees a->b, b->a.
    assert losses[1] == pytest.approx(math.log(2), abs=0.05)
    assert losses[2] < 0.1
    assert model.order in (2, 3)
    assert model.cross_entropy(list("abababab")) < 0.1


def test_unknown_tokens_get_a_finite_loss():
    vocabulary = Vocabulary(["a", "b"])  # "z" is outside the vocabulary
    model = NgramLanguageModel(vocabulary, max_order=2).fit(TRAIN)
    loss = model.cross_entropy(list("abzab"))
    assert math.isfinite(loss)
    assert loss > model.cross_entropy(list("ababa"))


def test_bad_arguments():
    vocabulary = Vocabulary(["a"])
    with pytest.raises(ValueError, match="max_order"):
        NgramLanguageModel(vocabulary, max_order=0)
    model = NgramLanguageModel(vocabulary, max_order=2)
    with pytest.raises(ValueError, match="at least 2"):
        model.fit(["a"])
    model.fit(["a", "a", "a"])
    with pytest.raises(ValueError, match="order"):
        model.cross_entropy(["a", "a"], order=5)
