"""`LengthBuckets`: a Keras `PyDataset` base that batches sequences of similar length.

Padding every batch to the corpus's longest sequence wastes most of the recurrent steps on
short documents and sentences; batching similar lengths together and padding each batch only
to its own longest (rounded up to a multiple, which bounds the number of distinct shapes and
so of compilations) keeps that waste small. Subclasses turn a batch's members into arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

# A shuffled epoch is cut into chunks of this many batches, each sorted by length: batches
# stay length-homogeneous while their order (and membership) still changes every epoch.
BATCHES_PER_CHUNK = 32


class LengthBuckets(keras.utils.PyDataset):
    """Batches of indices into `lengths`, grouping similar lengths.

    With `shuffle`, the order is shuffled, cut into chunks of `BATCHES_PER_CHUNK` batches,
    each chunk sorted by length, and the batches shuffled again every epoch. Without it, the
    items are sorted by length once, and `restore_order` puts outputs back in input order.

    Subclasses implement `__getitem__(index)` with `self.members(index)` (the item indices of
    batch `index`) and `self.width(members)` (the padded length), e.g. with `pad`.

    Args:
        lengths: the length of each item `[num_items]`.
        batch_size: items per batch.
        shuffle: reshuffle every epoch (training).
        seed: seed of the shuffling (`self.rng`, which subclasses may use too).
        multiple: pad lengths up to a multiple of this.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int = 32, shuffle: bool = False,
                 seed: int = 0, multiple: int = 8):
        super().__init__()
        if len(lengths) == 0:
            raise ValueError("Received no items to batch: `lengths` is empty.")
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.multiple = multiple
        self.rng = np.random.default_rng(seed)
        self._batches = self._plan()

    def _plan(self) -> list[np.ndarray]:
        size = self.batch_size
        if not self.shuffle:
            order = np.argsort(self.lengths, kind="stable")
            return self._widest_and_narrowest_first(
                [order[i:i + size] for i in range(0, len(order), size)])
        order = self.rng.permutation(len(self.lengths))
        batches = []
        for start in range(0, len(order), BATCHES_PER_CHUNK * size):
            part = order[start:start + BATCHES_PER_CHUNK * size]
            part = part[np.argsort(self.lengths[part], kind="stable")]
            batches.extend(part[i:i + size] for i in range(0, len(part), size))
        return self._widest_and_narrowest_first(
            [batches[i] for i in self.rng.permutation(len(batches))])

    def _widest_and_narrowest_first(self, batches: list[np.ndarray]) -> list[np.ndarray]:
        # Keras' TensorFlow adapter takes the tf.data signature from the first two batches:
        # if both had the same width, the time axis would be fixed and a longer batch later
        # would fail. A widest batch then a narrowest one make that axis `None`.
        widths = [self.width(batch) for batch in batches]
        first, second = int(np.argmax(widths)), int(np.argmin(widths))
        if widths[first] == widths[second]:
            return batches
        rest = [batch for i, batch in enumerate(batches) if i not in (first, second)]
        return [batches[first], batches[second], *rest]

    def width(self, members: np.ndarray) -> int:
        """The padded length of a batch: its longest item rounded up to `multiple` (>= 1)."""
        longest = max(int(self.lengths[members].max()), 1)
        return -(-longest // self.multiple) * self.multiple

    def members(self, index: int) -> np.ndarray:
        """The item indices of batch `index`."""
        return self._batches[index]

    def __len__(self) -> int:
        return len(self._batches)

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._batches = self._plan()

    def restore_order(self, outputs: np.ndarray | list) -> np.ndarray | list:
        """Outputs listed in batch order (`shuffle=False`) back in input order.

        `outputs` is an array (one row per item) or a list (one entry per item, e.g. tag
        sequences of different lengths); the result has the same type.
        """
        positions = np.concatenate(self._batches)
        if isinstance(outputs, np.ndarray):
            restored = np.empty_like(outputs)
            restored[positions] = outputs
            return restored
        restored_list: list = [None] * len(outputs)
        for position, member in enumerate(positions):
            restored_list[member] = outputs[position]
        return restored_list


def pad(rows: Sequence[np.ndarray], members: np.ndarray, width: int, fill: int = 0,
        dtype: str = "int32") -> np.ndarray:
    """`rows[members]` padded with `fill` after their end: `[len(members), width, ...]`.

    Rows may have trailing axes (e.g. `[t, chars]`), which must match across rows.
    """
    trailing = np.shape(rows[members[0]])[1:]
    batch = np.full((len(members), width, *trailing), fill, dtype=dtype)
    for row, member in enumerate(members):
        batch[row, :len(rows[member])] = rows[member]
    return batch
