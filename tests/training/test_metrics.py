import math

import keras
import numpy as np
import pytest

from textrnn.training import BitsPerCharacter, Perplexity


def _log_softmax(logits):
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def _ragged_batches(pad=0, vocab=7):
    """Three batches with different lengths and different amounts of padding."""
    rng = np.random.default_rng(0)
    batches = []
    for batch, time, lengths in [(2, 5, [5, 2]), (3, 4, [1, 4, 3]), (1, 6, [6])]:
        y = rng.integers(1, vocab, size=(batch, time))
        for row, length in enumerate(lengths):
            y[row, length:] = pad
        batches.append((y, rng.normal(size=(batch, time, vocab)).astype("float32") * 2))
    return batches


def _numpy_mean_ce(batches, pad=0):
    total, count = 0.0, 0
    for y, logits in batches:
        logp = np.take_along_axis(_log_softmax(logits.astype("float64")), y[..., None], -1)[..., 0]
        total -= logp[y != pad].sum()
        count += (y != pad).sum()
    return total / count


def test_perplexity_is_exp_of_token_mean_over_ragged_batches():
    batches = _ragged_batches()
    metric = Perplexity(mask_token_id=0)
    for y, logits in batches:
        metric.update_state(y, logits)
    mean_ce = _numpy_mean_ce(batches)
    assert float(metric.result()) == pytest.approx(math.exp(mean_ce), rel=1e-5)
    per_batch = np.mean([math.exp(_numpy_mean_ce([b])) for b in batches])
    assert not np.isclose(float(metric.result()), per_batch, rtol=1e-3)


def test_bpc_from_probabilities_and_sample_weight_mask():
    batches = _ragged_batches()
    metric = BitsPerCharacter(from_logits=False)
    for y, logits in batches:
        probs = np.exp(_log_softmax(logits))
        metric.update_state(y, probs, sample_weight=(y != 0).astype("float32"))
    assert float(metric.result()) == pytest.approx(_numpy_mean_ce(batches) / math.log(2),
                                                   rel=1e-4)


def test_per_sequence_sample_weight_broadcasts_and_reset():
    (y, logits), *_ = _ragged_batches()
    metric = Perplexity()
    metric.update_state(y, logits, sample_weight=np.array([1.0, 0.0]))
    assert float(metric.result()) == pytest.approx(math.exp(_numpy_mean_ce([(y[:1], logits[:1])],
                                                                           pad=-1)), rel=1e-5)
    metric.reset_state()
    assert float(metric.result()) == 1.0


def test_out_of_range_padding_id_is_ignored():
    batches = _ragged_batches(pad=-1)
    metric = Perplexity(mask_token_id=-1)
    for y, logits in batches:
        metric.update_state(y, logits)
    assert float(metric.result()) == pytest.approx(math.exp(_numpy_mean_ce(batches, pad=-1)),
                                                   rel=1e-5)


def test_bad_inputs_are_named():
    metric = Perplexity()
    with pytest.raises(ValueError, match="integer token ids"):
        metric.update_state(np.zeros((2, 3), "float32"), np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="one more axis"):
        metric.update_state(np.zeros((2, 3), "int32"), np.zeros((2, 3), "float32"))


def test_compiled_metric_matches_loss_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 9, size=(12, 6))
    y = rng.integers(0, 9, size=(12, 6))
    model = keras.Sequential([keras.Input((6,), dtype="int32"), keras.layers.Embedding(9, 4),
                              keras.layers.GRU(5, return_sequences=True), keras.layers.Dense(9)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[Perplexity(), BitsPerCharacter()])
    results = model.evaluate(x, y, batch_size=5, return_dict=True, verbose=0)
    assert results["perplexity"] == pytest.approx(math.exp(results["loss"]), rel=1e-4)
    assert results["bpc"] == pytest.approx(results["loss"] / math.log(2), rel=1e-4)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    again = loaded.evaluate(x, y, batch_size=5, return_dict=True, verbose=0)
    assert again["perplexity"] == pytest.approx(results["perplexity"], rel=1e-5)
    config = Perplexity(mask_token_id=3, name="ppl").get_config()
    assert Perplexity.from_config(config).get_config() == config


def test_fit_logs_val_perplexity_into_history_csv(tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(1)
    x, y = rng.integers(1, 9, size=(10, 6)), rng.integers(1, 9, size=(10, 6))
    x_val, y_val = rng.integers(1, 9, size=(7, 6)), rng.integers(1, 9, size=(7, 6))
    model = keras.Sequential([keras.Input((6,), dtype="int32"), keras.layers.Embedding(9, 4),
                              keras.layers.LSTM(5, return_sequences=True), keras.layers.Dense(9)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[Perplexity(), BitsPerCharacter()])
    csv_path = tmp_path / "history.csv"
    history = model.fit(x, y, batch_size=5, epochs=2, verbose=0,
                        validation_data=(x_val, y_val), validation_batch_size=3,
                        callbacks=[keras.callbacks.CSVLogger(str(csv_path))])
    val_loss = model.evaluate(x_val, y_val, batch_size=7, verbose=0)[0]
    assert history.history["val_perplexity"][-1] == pytest.approx(math.exp(val_loss), rel=1e-4)
    assert history.history["val_bpc"][-1] == pytest.approx(val_loss / math.log(2), rel=1e-4)
    last_row = csv_path.read_text().splitlines()[-1].split(",")
    header = csv_path.read_text().splitlines()[0].split(",")
    assert float(last_row[header.index("val_perplexity")]) == pytest.approx(
        history.history["val_perplexity"][-1])
