"""Keras `PyDataset`s a classifier reads: dense TF-IDF rows or tightly padded id sequences.

Each batch is `x` (prediction), `(x, y)` or `(x, y, sample_weight)` (training with class
weights): `y` holds label ids `[batch]` and `sample_weight` one float per document.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import scipy.sparse

from textrnn.training.bucketing import LengthBuckets, pad


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


class SequenceBatches(LengthBuckets):
    """Batches of token-id sequences padded (with 0) only to their own longest document.

    Documents of similar length are batched together (see `LengthBuckets`), so little time
    goes to padding; `restore_order` puts the predictions of an unshuffled pass back in
    document order.

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
        if not sequences:
            raise ValueError("Received no documents for argument `sequences`.")
        self.sequences = sequences
        self.y = y
        self.sample_weight = sample_weight
        super().__init__([len(s) for s in sequences], batch_size, shuffle, seed, multiple)

    def __getitem__(self, index: int):
        members = self.members(index)
        x = pad(self.sequences, members, self.width(members))
        return _batch(x, self.y, self.sample_weight, members)


def _batch(x: np.ndarray, y: np.ndarray | None, sample_weight: np.ndarray | None,
           members: np.ndarray):
    if y is None:
        return x
    if sample_weight is None:
        return x, y[members]
    return x, y[members], sample_weight[members]
