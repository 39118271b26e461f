"""Top-k sampling: only among the k most likely tokens."""

from __future__ import annotations

from keras import ops

from textrnn.generation.samplers.random_sampler import RandomSampler, mask_below


class TopKSampler(RandomSampler):
    """Samples among the `k` most likely tokens, renormalised.

    Args:
        k: tokens kept per step (all of them when `k` exceeds the vocabulary).
        temperature: divides the logits before sampling.

    Example:

    >>> ids = TopKSampler(k=5)(step_fn, state, start_ids, max_length=100, seed=1)
    """

    def __init__(self, k: int = 5, temperature: float = 1.0):
        super().__init__(temperature)
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"Received an invalid value for argument `k`, expected an "
                             f"integer >= 1, got {k!r}.")
        self.k = k

    def get_next_token(self, logits, uniform):
        return super().get_next_token(top_k_filter(logits, self.k), uniform)

    def get_config(self) -> dict:
        return {**super().get_config(), "k": self.k}


def top_k_filter(logits, k: int):
    """Logits `[n, vocab]` with all but the `k` largest of each row masked."""
    k = min(k, logits.shape[-1])
    kth_largest = ops.top_k(logits, k, sorted=True)[0][:, k - 1:]
    return mask_below(logits, kth_largest)
