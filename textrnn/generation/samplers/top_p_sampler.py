"""Top-p (nucleus) sampling: only from the most likely tokens holding probability p."""

from __future__ import annotations

from keras import ops

from textrnn.generation.samplers.random_sampler import RandomSampler, mask_below
from textrnn.generation.samplers.top_k_sampler import top_k_filter


class TopPSampler(RandomSampler):
    """Samples from the smallest set of most likely tokens whose probability reaches `p`.

    The most likely token is always kept, so the nucleus is never empty.

    Args:
        p: the probability mass kept, in (0, 1].
        k: if set, keep only the `k` most likely tokens first, then apply top-p.
        temperature: divides the logits before sampling.

    Example:

    >>> ids = TopPSampler(p=0.9)(step_fn, state, start_ids, max_length=100, seed=1)
    """

    def __init__(self, p: float = 0.1, k: int | None = None, temperature: float = 1.0):
        super().__init__(temperature)
        if not 0 < p <= 1:
            raise ValueError(f"Received an invalid value for argument `p`, expected a number "
                             f"in (0, 1], got {p!r}.")
        if k is not None and (not isinstance(k, int) or k < 1):
            raise ValueError(f"Received an invalid value for argument `k`, expected an "
                             f"integer >= 1 or None, got {k!r}.")
        self.p = p
        self.k = k

    def get_next_token(self, logits, uniform):
        if self.k is not None:
            logits = top_k_filter(logits, self.k)
        return super().get_next_token(top_p_filter(logits, self.p), uniform)

    def get_config(self) -> dict:
        return {**super().get_config(), "p": self.p, "k": self.k}


def top_p_filter(logits, p: float):
    """Logits `[n, vocab]` with the tokens outside each row's nucleus of mass `p` masked."""
    sorted_logits = ops.top_k(logits, logits.shape[-1], sorted=True)[0]
    sorted_probs = ops.softmax(sorted_logits, axis=-1)
    mass_before = ops.cumsum(sorted_probs, axis=-1) - sorted_probs
    kept = ops.logical_or(mass_before < p, ops.arange(logits.shape[-1]) == 0)
    smallest_kept = ops.min(ops.where(kept, sorted_logits, ops.full_like(sorted_logits, 1e9)),
                            axis=-1, keepdims=True)
    return mask_below(logits, smallest_kept)
