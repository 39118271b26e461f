"""Seq2seq builder: step decoding equals teacher forcing, beam 1 is greedy, it learns, saves."""

import json

import keras
import numpy as np
import pytest

from textrnn.models.seq2seq import Seq2Seq, Seq2SeqDecoder, build_seq2seq

BOS, EOS = 2, 3
SOURCE = np.array([[5, 6, 7, 8, 9], [9, 4, 0, 0, 0]], dtype="int32")
TARGET_IN = np.array([[BOS, 5, 6, 7], [BOS, 8, 9, 0]], dtype="int32")


def _log_softmax(logits):
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


@pytest.mark.parametrize(("cell", "attention"),
                         [("lstm", "bahdanau"), ("gru", "luong"), ("lstm", "none")])
def test_step_decoding_equals_teacher_forcing(cell, attention):
    keras.utils.set_random_seed(0)
    model = build_seq2seq(20, 22, cell=cell, units=8, embedding_dim=4, attention=attention)
    expected = _log_softmax(np.asarray(model([SOURCE, TARGET_IN])))
    decoder = Seq2SeqDecoder(model)
    state = decoder.encode(SOURCE)
    for t in range(TARGET_IN.shape[1]):
        log_probs, state = decoder.step(TARGET_IN[:, t], state)
        real = TARGET_IN[:, t] != 0
        np.testing.assert_allclose(np.asarray(log_probs)[real], expected[real, t], atol=1e-5)


def test_beam_width_one_is_greedy():
    keras.utils.set_random_seed(1)
    decoder = Seq2SeqDecoder(build_seq2seq(12, 12, units=8, embedding_dim=4))
    state = decoder.encode(SOURCE)
    tokens, greedy = np.full(2, BOS, "int32"), [[], []]
    for _ in range(6):
        log_probs, state = decoder.step(tokens, state)
        tokens = np.asarray(log_probs).argmax(-1).astype("int32")
        for row, token in enumerate(tokens):
            if EOS not in greedy[row]:
                greedy[row].append(int(token))
    expected = [ids[: ids.index(EOS)] if EOS in ids else ids for ids in greedy]
    assert decoder.translate(SOURCE, BOS, EOS, beam_width=1, max_length=6) == expected


def _reverse_task(rng, n=256, length=5, vocab=10):
    source = rng.integers(4, vocab, size=(n, length)).astype("int32")
    target = np.concatenate([source[:, ::-1], np.full((n, 1), EOS)], axis=1).astype("int32")
    target_in = np.concatenate([np.full((n, 1), BOS), target[:, :-1]], axis=1).astype("int32")
    return source, target_in, target


def test_learns_to_reverse_and_decodes():
    keras.utils.set_random_seed(0)
    source, target_in, target = _reverse_task(np.random.default_rng(0))
    model = build_seq2seq(10, 10, cell="gru", units=32, embedding_dim=16)
    model.compile(keras.optimizers.Adam(1e-2),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0))
    history = model.fit([source, target_in], target, epochs=12, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.3 * losses[0]
    hypotheses = Seq2SeqDecoder(model).translate(source[:20], BOS, EOS, beam_width=2,
                                                 max_length=8)
    exact = sum(h == list(s[::-1]) for h, s in zip(hypotheses, source[:20], strict=True))
    assert exact >= 10


def test_saved_model_decodes_the_same(tmp_path):
    keras.utils.set_random_seed(2)
    model = build_seq2seq(20, 22, units=8, embedding_dim=4, attention="luong")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(loaded, Seq2Seq)
    assert loaded.get_config() == model.get_config()
    assert [b.name for b in loaded.bridges] == ["bridge_0", "bridge_1"]
    assert isinstance(loaded.attention_layer, keras.layers.Layer)
    args = (SOURCE, BOS, EOS, 2, 5)
    assert Seq2SeqDecoder(loaded).translate(*args) == Seq2SeqDecoder(model).translate(*args)
    weights = Seq2SeqDecoder(loaded).attention_weights(SOURCE, TARGET_IN)
    assert weights.shape == (2, 4, 5)
    np.testing.assert_allclose(weights[1, :, 2:], 0, atol=1e-6)


def test_functional_models_saved_before_seq2seq_still_decode(tmp_path):
    # Earlier versions saved a plain functional model with these layer names.
    keras.utils.set_random_seed(4)
    model = build_seq2seq(20, 22, cell="gru", units=8, embedding_dim=4)
    keras.Model(model.inputs, model.outputs).save(tmp_path / "old.keras")
    old = keras.saving.load_model(tmp_path / "old.keras", safe_mode=True)
    assert not isinstance(old, Seq2Seq)
    assert {"encoder", "decoder", "bridge_0", "attention"} <= {layer.name for layer in old.layers}
    args = (SOURCE, BOS, EOS, 3, 6)
    assert Seq2SeqDecoder(old).translate(*args) == Seq2SeqDecoder(model).translate(*args)
    np.testing.assert_allclose(Seq2SeqDecoder(old).attention_weights(SOURCE, TARGET_IN),
                               Seq2SeqDecoder(model).attention_weights(SOURCE, TARGET_IN))


def test_beam_search_equals_the_host_loop():
    # The reference is the former host-side beam search, over the same decoder steps.
    keras.utils.set_random_seed(5)
    decoder = Seq2SeqDecoder(build_seq2seq(16, 9, units=8, embedding_dim=4))
    got = decoder.translate(SOURCE, BOS, EOS, beam_width=3, max_length=7, length_penalty=0.6)
    assert got == host_beam_search(decoder, SOURCE, beam_width=3, max_length=7, alpha=0.6)


def host_beam_search(decoder, source, beam_width, max_length, alpha):
    """Beam search one sentence at a time, on the host, with full prefixes as hypotheses."""
    results = []
    for row in source:
        alive, finished = [([BOS], 0.0, decoder.encode(row[None]))], []
        for step in range(max_length):
            candidates = []
            for path, score, state in alive:
                log_probs, next_state = decoder.step(np.array([path[-1]], "int32"), state)
                for token, lp in enumerate(np.asarray(log_probs, "float64")[0]):
                    candidates.append((score + lp, path + [token], next_state))
            candidates.sort(key=lambda c: -c[0])  # stable: ties keep beam-major order
            alive = []
            for score, path, state in candidates[: 2 * beam_width]:
                if len(alive) == beam_width:
                    break
                if path[-1] == EOS or step == max_length - 1:
                    finished.append((path[1:], score))
                    if len(finished) == beam_width:
                        break
                else:
                    alive.append((path, score, state))
            if len(finished) >= beam_width:
                break
        best = max(finished, key=lambda h: h[1] / ((5 + len(h[0])) / 6) ** alpha)[0]
        results.append([token for token in best if token != EOS])
    return results


def test_bad_arguments():
    with pytest.raises(ValueError, match="`attention`"):
        build_seq2seq(10, 10, attention="concat")
    with pytest.raises(ValueError, match="`cell`"):
        build_seq2seq(10, 10, cell="transformer")
    with pytest.raises(ValueError, match="`units`"):
        build_seq2seq(10, 10, units=0)
    with pytest.raises(ValueError, match="not a model from `build_seq2seq`"):
        Seq2SeqDecoder(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="`output_bias`"):
        build_seq2seq(10, 12, output_bias=np.zeros(10))


def test_output_bias_starts_the_logits_and_stays_out_of_the_config(tmp_path):
    bias = np.log(np.linspace(1.0, 2.0, 12) / np.linspace(1.0, 2.0, 12).sum())
    model = build_seq2seq(10, 12, units=8, embedding_dim=4, output_bias=bias)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.get_layer("logits").bias), bias,
                               rtol=1e-6)
    model.save(tmp_path / "m.keras")
    assert "output_bias" not in json.dumps(model.get_config())
    loaded = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded.get_layer("logits").bias),
                               bias, rtol=1e-6)
