"""Greedy decoding: always the most likely token."""

from __future__ import annotations

from keras import ops

from textrnn.generation.samplers.sampler import Sampler


class GreedySampler(Sampler):
    """Picks the most likely token (the lowest id among ties); no randomness.

    Example:

    >>> ids = GreedySampler()(step_fn, state, start_ids, max_length=20, end_id=3)
    """

    def __init__(self):
        super().__init__(temperature=1.0)

    def get_next_token(self, logits, uniform):
        return ops.cast(ops.argmax(logits, axis=-1), "int32")

    def get_config(self) -> dict:
        return {}
