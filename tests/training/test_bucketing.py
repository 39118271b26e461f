import numpy as np
import pytest

from textrnn.training.bucketing import LengthBuckets, pad


class Indices(LengthBuckets):
    """Each batch is `(its members' indices, its padded width)`."""

    def __getitem__(self, index):
        members = self.members(index)
        return members, self.width(members)


def test_shuffled_batches_cover_every_item_group_lengths_and_change_each_epoch():
    lengths = np.random.default_rng(0).integers(1, 60, 500)
    buckets = Indices(lengths, batch_size=8, shuffle=True, seed=1)
    batches = [buckets[i] for i in range(len(buckets))]
    assert sorted(np.concatenate([members for members, _ in batches])) == list(range(500))
    for members, width in batches:
        assert width % 8 == 0 and 0 <= width - lengths[members].max() < 8
    # Sorted within chunks of 32 batches: far less spread than random batches would have.
    spread = np.mean([np.ptp(lengths[members]) for members, _ in batches])
    assert spread < 0.25 * np.mean([np.ptp(lengths[m]) for m in np.split(np.arange(496), 62)])
    buckets.on_epoch_end()
    assert [buckets[i][0].tolist() for i in range(len(buckets))] != \
        [members.tolist() for members, _ in batches]


def test_the_first_two_batches_are_the_widest_and_the_narrowest():
    lengths = [3, 3, 4, 4, 5, 5, 30, 30]
    for shuffle in (False, True):
        buckets = Indices(lengths, batch_size=2, shuffle=shuffle)
        widths = [buckets[i][1] for i in range(len(buckets))]
        assert widths[:2] == [32, 8]


@pytest.mark.parametrize("as_list", [False, True])
def test_restore_order_puts_outputs_back_in_input_order(as_list):
    lengths = [5, 1, 9, 3, 2]
    buckets = Indices(lengths, batch_size=2)
    outputs = [lengths[i] for members, _ in map(buckets.__getitem__, range(3)) for i in members]
    outputs = outputs if as_list else np.asarray(outputs)[:, None]
    restored = buckets.restore_order(outputs)
    assert type(restored) is type(outputs)
    assert np.asarray(restored).ravel().tolist() == lengths


def test_pad_keeps_trailing_axes_and_fills_after_the_end():
    rows = [np.ones((2, 3), "int32"), np.full((1, 3), 7, "int32")]
    batch = pad(rows, np.array([1, 0]), width=4, fill=-1)
    assert batch.shape == (2, 4, 3) and batch.dtype == np.int32
    assert (batch[0, 0] == 7).all() and (batch[0, 1:] == -1).all()
    assert (batch[1, :2] == 1).all() and (batch[1, 2:] == -1).all()


def test_no_items_is_an_error():
    with pytest.raises(ValueError, match="`lengths` is empty"):
        Indices([])
