import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.tasks.classification.interpolation import (
    BASELINE_MODEL_FILE,
    INTERPOLATION_FILE,
    interpolate,
    interpolation_weight,
    saved_weight,
)


def two_classes(p_first):
    """Probabilities `[num_docs, 2]` giving class 0 the probabilities `p_first`."""
    p_first = np.asarray(p_first, np.float32)
    return np.stack([p_first, 1 - p_first], axis=1)


def test_weight_is_the_log_loss_optimum_on_the_grid():
    # Mixture's p(true) = 0.2 + 0.6w, 0.8 - 0.6w, 0.2 + 0.6w: the log-likelihood
    # 2 log(0.2 + 0.6w) + log(0.8 - 0.6w) peaks where 1.2 / (0.2 + 0.6w) = 0.6 / (0.8 - 0.6w),
    # w = 7/9; of the grid's neighbours 0.75 and 0.8, 0.8 has the lower loss.
    y = np.array([0, 1, 0])
    assert interpolation_weight(y, two_classes([0.8] * 3), two_classes([0.2] * 3)) == 0.8


@pytest.mark.parametrize("recurrent, baseline, expected", [
    ([0.99, 0.01], [0.6, 0.4], 1.0),   # the recurrent model is right and surer everywhere
    ([0.6, 0.4], [0.99, 0.01], 0.0),   # the baseline is
    ([0.7, 0.3], [0.7, 0.3], 1.0),     # equal losses: the recurrent model keeps the weight
])
def test_weight_goes_to_the_better_model(recurrent, baseline, expected):
    y = np.array([0, 1])
    assert interpolation_weight(y, two_classes(recurrent), two_classes(baseline)) == expected


def test_weight_needs_validation_documents():
    with pytest.raises(ValueError, match="needs validation documents"):
        interpolation_weight(np.array([], int), np.zeros((0, 2)), np.zeros((0, 2)))


def test_interpolate_mixes_the_probabilities():
    mixed = interpolate(two_classes([1.0, 0.0]), two_classes([0.5, 0.5]), 0.25)
    np.testing.assert_allclose(mixed, [[0.625, 0.375], [0.375, 0.625]])
    assert mixed.dtype == np.float32


def test_saved_weight_reads_checks_and_names_the_file(tmp_path):
    assert saved_weight(tmp_path) is None
    (tmp_path / INTERPOLATION_FILE).write_text('{"weight": 0.35}', encoding="utf-8")
    with pytest.raises(InputError, match=f"{BASELINE_MODEL_FILE} is missing"):
        saved_weight(tmp_path)
    (tmp_path / BASELINE_MODEL_FILE).write_bytes(b"")
    assert saved_weight(tmp_path) == 0.35
    for bad in ('{"weight": 1.5}', '{"weight": true}', '[0.5]', '{}'):
        (tmp_path / INTERPOLATION_FILE).write_text(bad, encoding="utf-8")
        with pytest.raises(InputError, match=INTERPOLATION_FILE):
            saved_weight(tmp_path)
