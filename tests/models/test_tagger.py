import keras
import numpy as np
import pytest

from textrnn.layers import CRF
from textrnn.models.tagger import build_tagger

SMALL = dict(units=8, embedding_dim=4, char_dim=4, char_units=6, max_word_length=5)


def inputs(batch=2, time=7):
    rng = np.random.default_rng(0)
    word_ids = rng.integers(1, 50, size=(batch, time)).astype("int32")
    word_ids[0, 4:] = 0
    return {"word_ids": word_ids,
            "char_ids": rng.integers(0, 20, size=(batch, time, 5)).astype("int32")}


@pytest.mark.parametrize("crf", [False, True])
def test_shapes_and_probabilities(crf):
    model = build_tagger(50, 4, char_vocab_size=20, crf=crf, cell="gru", num_layers=2, **SMALL)
    for time in (7, 3):  # the time axis is dynamic
        out = model.predict(inputs(time=time), verbose=0)
        assert out.shape == ((2, time, 7, 4) if crf else (2, time, 4))
    if not crf:
        np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)
    assert any(isinstance(layer, CRF) for layer in model.layers) == crf


def test_words_only_model_has_one_input():
    model = build_tagger(50, 4, char_encoder="none", **SMALL)
    assert list(model.input) == ["word_ids"]
    assert model.predict({"word_ids": inputs()["word_ids"]}, verbose=0).shape == (2, 7, 4)


def test_padding_does_not_change_real_steps():
    model = build_tagger(50, 4, char_vocab_size=20, **SMALL)
    x = inputs()
    short = {key: value[:1, :4] for key, value in x.items()}
    np.testing.assert_allclose(model.predict(short, verbose=0)[0],
                               model.predict(x, verbose=0)[0, :4], atol=1e-5)


def test_saves_and_loads(tmp_path):
    model = build_tagger(50, 4, char_vocab_size=20, crf=True, **SMALL)
    model.save(tmp_path / "tagger.keras")
    loaded = keras.saving.load_model(tmp_path / "tagger.keras")
    np.testing.assert_allclose(loaded.predict(inputs(), verbose=0),
                               model.predict(inputs(), verbose=0), atol=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    (dict(vocab_size=0), "vocab_size"),
    (dict(char_encoder="lstm"), "char_encoder"),
    (dict(char_vocab_size=1), "char_vocab_size"),
    (dict(num_layers=5), "num_layers"),
    (dict(dropout=1.0), "dropout"),
])
def test_bad_arguments(kwargs, match):
    settings = {"vocab_size": 50, "num_tags": 4, "char_vocab_size": 20, **kwargs}
    with pytest.raises(ValueError, match=match):
        build_tagger(**settings)
