"""`TagBatches`: a Keras `PyDataset` of sentences padded to their batch's longest, with word
dropout for training.

A batch is `x` (prediction) or `(x, y)`: `x = {"word_ids": [b, w], "char_ids": [b, w, c]}`
(no `char_ids` for a words-only model) and `y` the tag ids `[b, w]`, -1 at padding.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np


class TagBatches(keras.utils.PyDataset):
    """Sentences of similar length batched together and padded only to a multiple of 8.

    With `shuffle`, the order is shuffled, cut into chunks of 32 batches sorted by length,
    and the batches shuffled again each epoch; without it, sentences are sorted by length
    once and `restore_order` puts outputs back in sentence order.

    Args:
        word_ids: one int array `[t]` per sentence.
        char_ids: one int array `[t, c]` per sentence, or None (words-only model).
        tag_ids: one int array `[t]` per sentence, or None (prediction).
        batch_size: sentences per batch.
        shuffle: reshuffle every epoch (training).
        seed: seed of the shuffling and the word dropout.
        unk_rate: per word id, the chance of reading it as unknown (id 1) in a training
            batch, so the model learns what to do with unseen words; None for none.
    """

    multiple = 8

    def __init__(self, word_ids: Sequence[np.ndarray], char_ids: Sequence[np.ndarray] | None,
                 tag_ids: Sequence[np.ndarray] | None = None, batch_size: int = 32,
                 shuffle: bool = False, seed: int = 0, unk_rate: np.ndarray | None = None):
        super().__init__()
        if not word_ids:
            raise ValueError("Received no sentences for argument `word_ids`.")
        self.word_ids = word_ids
        self.char_ids = char_ids
        self.tag_ids = tag_ids
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.unk_rate = unk_rate
        self._lengths = np.asarray([len(ids) for ids in word_ids])
        self._rng = np.random.default_rng(seed)
        self._batches = self._plan()

    def _plan(self) -> list[np.ndarray]:
        size = self.batch_size
        if self.shuffle:
            order = self._rng.permutation(len(self._lengths))
            batches = []
            for start in range(0, len(order), 32 * size):
                part = order[start:start + 32 * size]
                part = part[np.argsort(self._lengths[part], kind="stable")]
                batches.extend(part[i:i + size] for i in range(0, len(part), size))
            batches = [batches[i] for i in self._rng.permutation(len(batches))]
        else:
            order = np.argsort(self._lengths, kind="stable")
            batches = [order[i:i + size] for i in range(0, len(order), size)]
        # Keras' TensorFlow adapter fixes the time axis if the first two batches share a
        # width; the widest then the narrowest batch first keeps that axis `None`.
        widths = [self._width(batch) for batch in batches]
        first, second = int(np.argmax(widths)), int(np.argmin(widths))
        if widths[first] != widths[second]:
            rest = [b for i, b in enumerate(batches) if i not in (first, second)]
            batches = [batches[first], batches[second], *rest]
        return batches

    def _width(self, members: np.ndarray) -> int:
        longest = max(int(self._lengths[members].max()), 1)
        return -(-longest // self.multiple) * self.multiple

    def __len__(self) -> int:
        return len(self._batches)

    def __getitem__(self, index: int):
        members = self._batches[index]
        width = self._width(members)
        words = np.zeros((len(members), width), dtype="int32")
        for row, member in enumerate(members):
            words[row, :self._lengths[member]] = self.word_ids[member]
        if self.unk_rate is not None:
            dropped = self._rng.random(words.shape) < self.unk_rate[words]
            words = np.where(dropped & (words > 1), 1, words).astype("int32")
        x = {"word_ids": words}
        if self.char_ids is not None:
            chars = np.zeros((len(members), width, self.char_ids[0].shape[1]), dtype="int32")
            for row, member in enumerate(members):
                chars[row, :self._lengths[member]] = self.char_ids[member]
            x["char_ids"] = chars
        if self.tag_ids is None:
            return x
        tags = np.full((len(members), width), -1, dtype="int32")
        for row, member in enumerate(members):
            tags[row, :self._lengths[member]] = self.tag_ids[member]
        return x, tags

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._batches = self._plan()

    def restore_order(self, outputs: list) -> list:
        """Per-sentence outputs listed in batch order (`shuffle=False`) back in input order."""
        restored: list = [None] * len(outputs)
        for position, member in enumerate(np.concatenate(self._batches)):
            restored[member] = outputs[position]
        return restored
