"""Keras `PyDataset`s a classifier reads: dense TF-IDF rows or tightly padded id sequences.

Each batch is `x` (prediction), `(x, y)` or `(x, y, sample_weight)` (training with class
weights): `y` holds label ids `[batch]` and `sample_weight` one float per document.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import scipy.sparse


class FeatureBatches(keras.utils.PyDataset):
    """Dense float32 batches `[batch, num_features]` cut from a sparse feature matrix.

    Densifying one batch at a time keeps memory small, and every batch has the same shape, so
    no backend recompiles per batch (a sparse batch's number of non-zeros varies, which makes
    JAX recompile every step).

    Args:
        features: CSR matrix `[num_docs, num_features]`.
        y: label ids `[num_docs]`, or None (prediction).
        batch_size: documents per batch.
        shuffle: reshuffle every epoch (training).
        seed: shuffling seed.
        sample_weight: loss weight of each document `[num_docs]`, or None.
    """

    def __init__(self, features: scipy.sparse.csr_matrix, y: np.ndarray | None = None,
                 batch_size: int = 32, shuffle: bool = False, seed: int = 0,
                 sample_weight: np.ndarray | None = None):
        super().__init__()
        self.features = features
        self.y = y
        self.sample_weight = sample_weight
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._order = self._plan()

    def _plan(self) -> np.ndarray:
        count = self.features.shape[0]
        return self._rng.permutation(count) if self.shuffle else np.arange(count)

    def __len__(self) -> int:
        return -(-self.features.shape[0] // self.batch_size)

    def __getitem__(self, index: int):
        members = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        return _batch(self.features[members].toarray(), self.y, self.sample_weight, members)

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._order = self._plan()


class SequenceBatches(keras.utils.PyDataset):
    """Batches of token-id sequences padded (with 0) only to their own longest document.

    Documents of similar length are batched together, so little time goes to padding: the
    order is shuffled, cut into chunks of 32 batches, each chunk sorted by length, and the
    batches of all chunks shuffled again (every epoch when `shuffle=True`). Without
    `shuffle`, documents are sorted by length once; `restore_order` puts predictions back in
    the original order. Lengths are rounded up to a multiple of `multiple`, which bounds the
    number of distinct batch shapes (and compilations).

    Args:
        sequences: int arrays, one per document.
        y: label ids `[num_docs]`, or None (prediction).
        batch_size: documents per batch.
        shuffle: reshuffle every epoch (training).
        seed: shuffling seed.
        multiple: pad lengths up to a multiple of this.
        sample_weight: loss weight of each document `[num_docs]`, or None.
    """

    def __init__(self, sequences: Sequence[np.ndarray], y: np.ndarray | None = None,
                 batch_size: int = 32, shuffle: bool = False, seed: int = 0, multiple: int = 8,
                 sample_weight: np.ndarray | None = None):
        super().__init__()
        if not sequences:
            raise ValueError("Received no documents for argument `sequences`.")
        self.sequences = sequences
        self.y = y
        self.sample_weight = sample_weight
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.multiple = multiple
        self._lengths = np.asarray([len(s) for s in sequences])
        self._rng = np.random.default_rng(seed)
        self._batches = self._plan()

    def _plan(self) -> list[np.ndarray]:
        return self._widest_and_narrowest_first(self._plan_batches())

    def _widest_and_narrowest_first(self, batches: list[np.ndarray]) -> list[np.ndarray]:
        # Keras' TensorFlow adapter takes the tf.data signature from the first two batches:
        # if both had the same length, the time axis would be fixed and a longer batch later
        # would fail. A widest batch then a narrowest one make that axis `None`.
        widths = [int(self._lengths[batch].max()) for batch in batches]
        first, second = int(np.argmax(widths)), int(np.argmin(widths))
        if first == second:
            return batches
        rest = [batch for i, batch in enumerate(batches) if i not in (first, second)]
        return [batches[first], batches[second], *rest]

    def _plan_batches(self) -> list[np.ndarray]:
        if not self.shuffle:
            order = np.argsort(self._lengths, kind="stable")
            return [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        order = self._rng.permutation(len(self.sequences))
        chunk = 32 * self.batch_size
        batches = []
        for start in range(0, len(order), chunk):
            part = order[start:start + chunk]
            part = part[np.argsort(self._lengths[part], kind="stable")]
            batches.extend(part[i:i + self.batch_size] for i in range(0, len(part),
                                                                        self.batch_size))
        return [batches[i] for i in self._rng.permutation(len(batches))]

    def __len__(self) -> int:
        return len(self._batches)

    def __getitem__(self, index: int):
        members = self._batches[index]
        longest = max(int(self._lengths[members].max()), 1)
        width = -(-longest // self.multiple) * self.multiple
        x = np.zeros((len(members), width), dtype=np.int32)
        for row, member in enumerate(members):
            x[row, :self._lengths[member]] = self.sequences[member]
        return _batch(x, self.y, self.sample_weight, members)

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._batches = self._plan()

    def restore_order(self, outputs: np.ndarray) -> np.ndarray:
        """Rows of `outputs` (in batch order, `shuffle=False`) back in document order."""
        restored = np.empty_like(outputs)
        restored[np.concatenate(self._batches)] = outputs
        return restored


def _batch(x: np.ndarray, y: np.ndarray | None, sample_weight: np.ndarray | None,
           members: np.ndarray):
    if y is None:
        return x
    if sample_weight is None:
        return x, y[members]
    return x, y[members], sample_weight[members]
