"""`TagBatches`: a Keras `PyDataset` of sentences padded to their batch's longest, with word
dropout for training.

A batch is `x` (prediction) or `(x, y)`: `x = {"word_ids": [b, w], "char_ids": [b, w, c]}`
(no `char_ids` for a words-only model) and `y` the tag ids `[b, w]`, -1 at padding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from textrnn.training.bucketing import LengthBuckets, pad


class TagBatches(LengthBuckets):
    """Sentences of similar length batched together and padded only to a multiple of 8.

    See `LengthBuckets` for the batching; `restore_order` puts per-sentence outputs of an
    unshuffled pass back in sentence order.

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

    def __init__(self, word_ids: Sequence[np.ndarray], char_ids: Sequence[np.ndarray] | None,
                 tag_ids: Sequence[np.ndarray] | None = None, batch_size: int = 32,
                 shuffle: bool = False, seed: int = 0, unk_rate: np.ndarray | None = None):
        if not word_ids:
            raise ValueError("Received no sentences for argument `word_ids`.")
        self.word_ids = word_ids
        self.char_ids = char_ids
        self.tag_ids = tag_ids
        self.unk_rate = unk_rate
        super().__init__([len(ids) for ids in word_ids], batch_size, shuffle, seed)

    def __getitem__(self, index: int):
        members = self.members(index)
        width = self.width(members)
        words = pad(self.word_ids, members, width)
        if self.unk_rate is not None:
            dropped = self.rng.random(words.shape) < self.unk_rate[words]
            words = np.where(dropped & (words > 1), 1, words).astype("int32")
        x = {"word_ids": words}
        if self.char_ids is not None:
            x["char_ids"] = pad(self.char_ids, members, width)
        if self.tag_ids is None:
            return x
        return x, pad(self.tag_ids, members, width, fill=-1)
