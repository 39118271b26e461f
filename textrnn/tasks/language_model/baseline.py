"""The n-gram baseline, scored on exactly the test tokens the network is evaluated on."""

from __future__ import annotations

import math

import numpy as np

from textrnn.models import NgramLanguageModel
from textrnn.preprocessing import Vocabulary


def evaluated_streams(x: np.ndarray, y: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """The `batch_size` streams that BPTT windows `(x, y)` cut, as whole arrays.

    Each stream is its inputs followed by its last target, so scoring `stream[1:]` scores
    exactly the targets `y` of that stream.
    """
    seq_len = x.shape[1]
    windows = len(x) // batch_size
    inputs = x.reshape(windows, batch_size, seq_len).transpose(1, 0, 2).reshape(batch_size, -1)
    last = y.reshape(windows, batch_size, seq_len)[-1, :, -1:]
    return list(np.concatenate([inputs, last], axis=1))


def ngram_baseline(vocabulary: Vocabulary, train_ids: np.ndarray, validation_ids: np.ndarray,
                   test_windows: tuple, batch_size: int, max_order: int = 6) -> dict[str, float]:
    """Fits an n-gram model on the training stream and scores the network's test targets.

    Args:
        vocabulary: the network's vocabulary (out-of-vocabulary tokens are its `<unk>`).
        train_ids: the training token stream `[num_tokens]`; the n-grams are counted here.
        validation_ids: the validation stream; the order is chosen on it.
        test_windows: `(x, y, ...)` BPTT windows of the test split, as the network reads them.
        batch_size: the number of parallel streams the windows were cut into.
        max_order: the longest n-gram tried.

    Returns:
        `{"order", "loss", "perplexity", "bpc"}` (loss in nats per token). Each stream is
        scored from its start: neither model sees context across stream borders.
    """
    ngram = NgramLanguageModel(vocabulary, max_order=max_order)
    ngram.fit(vocabulary.decode(np.asarray(train_ids).tolist(), skip_special=False))
    ngram.select_order(vocabulary.decode(np.asarray(validation_ids).tolist(),
                                         skip_special=False))
    streams = evaluated_streams(test_windows[0], test_windows[1], batch_size)
    losses = [ngram.cross_entropy(vocabulary.decode(s.tolist(), skip_special=False))
              for s in streams]
    loss = float(np.mean(losses))  # every stream scores the same number of tokens
    return {"order": ngram.order, "loss": loss, "perplexity": math.exp(loss),
            "bpc": loss / math.log(2)}
