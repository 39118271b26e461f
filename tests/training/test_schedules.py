"""`OneCycle`, `SlantedTriangular` and `FitScheduleToBudget`."""

import math
import types

import keras
import numpy as np
import pytest

from textrnn.training import (
    FitScheduleToBudget,
    GlobalNormClipping,
    OneCycle,
    SlantedTriangular,
    constant_or_schedule,
    learning_rate_schedule,
    schedules,
)


def rates(schedule, steps):
    return [float(schedule(step)) for step in steps]


def test_one_cycle_rates_at_given_steps():
    # max 1e-2, 100 steps, warm-up 25: start 1e-2/25 = 4e-4, end 4e-4/1e4 = 4e-8.
    schedule = OneCycle(1e-2, 100, warmup=0.25, div_factor=25, final_div_factor=1e4)
    start, end = 4e-4, 4e-8
    expected = [start,
                start + (1e-2 - start) * (1 - math.cos(math.pi * 0.5)) / 2,  # half-way up
                1e-2,
                end + (1e-2 - end) * (1 + math.cos(math.pi * 0.5)) / 2,  # half-way down
                end, end]  # after the last step: the final rate
    assert rates(schedule, [0, 12.5, 25, 62.5, 100, 1000]) == pytest.approx(expected, rel=1e-5)


def test_slanted_triangular_rates_at_given_steps():
    # Howard & Ruder: cut = 10 of 100 steps, ratio 32.
    schedule = SlantedTriangular(0.01, 100, cut_frac=0.1, ratio=32)
    expected = [0.01 / 32, 0.01 * (1 + 0.5 * 31) / 32, 0.01, 0.01 * (1 + 0.5 * 31) / 32,
                0.01 / 32, 0.01 / 32]
    assert rates(schedule, [0, 5, 10, 55, 100, 150]) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("schedule", [OneCycle(3e-3, 50, warmup=0.3),
                                      SlantedTriangular(3e-3, 50, cut_frac=0.2, ratio=10)])
def test_config_round_trip(schedule):
    clone = type(schedule).from_config(schedule.get_config())
    assert clone.get_config() == schedule.get_config()
    assert rates(clone, [0, 7, 30]) == rates(schedule, [0, 7, 30])


def test_constant_or_schedule_and_bad_values():
    assert constant_or_schedule("constant", 0.1, 10) == 0.1
    assert isinstance(constant_or_schedule("one-cycle", 0.1, 10), OneCycle)
    assert isinstance(constant_or_schedule("slanted", 0.1, 10), SlantedTriangular)
    with pytest.raises(ValueError, match="schedule"):
        constant_or_schedule("cosine", 0.1, 10)
    with pytest.raises(ValueError, match="total_steps"):
        OneCycle(0.1, 0)
    with pytest.raises(ValueError, match="warmup"):
        OneCycle(0.1, 10, warmup=1.5)


def compiled(optimizer):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer, "mse")
    return model


DATA = (np.ones((8, 3), "float32"), np.zeros((8, 2), "float32"))


def test_adamw_with_a_schedule_inside_global_norm_clipping_resumes_the_schedule(tmp_path):
    model = compiled(GlobalNormClipping(
        keras.optimizers.AdamW(OneCycle(1e-2, 10), weight_decay=0.1), 1.0))
    assert learning_rate_schedule(model.optimizer).total_steps == 10
    model.fit(*DATA, batch_size=4, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert int(loaded.optimizer.iterations) == 4  # the schedule continues at step 4
    assert float(loaded.optimizer.learning_rate) == pytest.approx(float(OneCycle(1e-2, 10)(4)))
    assert loaded.optimizer.inner_optimizer.weight_decay == pytest.approx(0.1)
    loaded.fit(*DATA, batch_size=4, epochs=1, verbose=0)
    assert int(loaded.optimizer.iterations) == 6


class Clock(keras.callbacks.Callback):
    """A fake `time.monotonic`: each training step takes `seconds[epoch]`."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds, self.now, self.epoch = seconds, 0.0, 0

    def __call__(self):
        return self.now

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        self.now += self.seconds[self.epoch]


def fit_with_clock(seconds, planned=100_000, max_minutes=1.0, monkeypatch=None):
    """Fits 8 steps per epoch under the fake clock; returns `total_steps` after each epoch."""
    clock = Clock(seconds)
    monkeypatch.setattr(schedules, "time", types.SimpleNamespace(monotonic=clock))
    model = compiled(keras.optimizers.Adam(OneCycle(1e-2, planned)))
    totals = []
    record = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: totals.append(
        learning_rate_schedule(model.optimizer).total_steps))
    budget = FitScheduleToBudget(max_minutes, warmup_batches=1, timed_batches=2)
    model.fit(*DATA, batch_size=1, epochs=len(seconds), verbose=0,
              callbacks=[clock, budget, record])
    return totals[1:] + [learning_rate_schedule(model.optimizer).total_steps]


def test_fit_schedule_to_budget_ends_the_schedule_with_the_budget(monkeypatch):
    # 60 s at 1 s per step: after 3 steps the estimate is 3 + 0.95 * 57 + 1 = 58 steps.
    assert fit_with_clock([1.0, 1.0], monkeypatch=monkeypatch) == [58, 58]


def test_fit_schedule_to_budget_lengthens_and_shortens_as_the_speed_changes(monkeypatch):
    # Epoch 1 at 1 s per step: 58 steps, as above. Epoch 2 at 0.25 s, measured when epoch 3
    # begins (step 16, 10 s used): 16 + int(0.95 * 50 / 0.25) + 1 = 207. Epoch 3 at 2 s,
    # measured when epoch 4 begins (step 24, 26 s used): 24 + int(0.95 * 34 / 2) + 1 = 41.
    assert fit_with_clock([1.0, 0.25, 2.0, 2.0], monkeypatch=monkeypatch) == [58, 207, 41, 41]
    # Never past the planned length.
    assert fit_with_clock([1.0, 0.01, 0.01], planned=80, monkeypatch=monkeypatch) == [58, 80, 80]
    assert learning_rate_schedule(compiled(keras.optimizers.Adam(1e-3)).optimizer) is None
