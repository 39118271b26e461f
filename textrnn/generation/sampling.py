"""Choosing the next token from logits: greedy, temperature, top-k and top-p (nucleus).

Randomness comes in as uniform numbers drawn on the host from a seeded numpy generator, so a
compiled loop that emits many tokens per call stays deterministic for a given seed on every
backend, and no backend random state is carried through the loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from keras import ops


@dataclass(frozen=True)
class SamplingConfig:
    """How to pick the next token.

    Attributes:
        temperature: divides the logits; 0 means greedy (argmax). Lower is more conservative.
        top_k: keep only the k most likely tokens (None: all).
        top_p: keep the smallest set of most likely tokens whose probability reaches p (None: all).
    """

    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None

    def __post_init__(self):
        if self.temperature < 0:
            raise ValueError(
                "Received an invalid value for argument `temperature`, expected a number >= 0 "
                f"(0 means greedy), got {self.temperature}."
            )
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(
                f"Received an invalid value for argument `top_k`, expected an integer >= 1 or "
                f"None, got {self.top_k}."
            )
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ValueError(
                f"Received an invalid value for argument `top_p`, expected a number in (0, 1] "
                f"or None, got {self.top_p}."
            )

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


def _mask_below(logits, threshold):
    """Sets logits below a per-row threshold `[batch, 1]` to a large negative number."""
    return ops.where(logits < threshold, ops.full_like(logits, -1e9), logits)


def _apply_top_k(logits, k: int):
    k = min(k, logits.shape[-1])
    kth_largest = ops.top_k(logits, k, sorted=True)[0][:, k - 1 :]
    return _mask_below(logits, kth_largest)


def _apply_top_p(logits, p: float):
    sorted_logits = ops.top_k(logits, logits.shape[-1], sorted=True)[0]
    sorted_probs = ops.softmax(sorted_logits, axis=-1)
    mass_before = ops.cumsum(sorted_probs, axis=-1) - sorted_probs
    # The most likely token is always kept, so the nucleus is never empty.
    kept = ops.logical_or(mass_before < p, ops.arange(logits.shape[-1]) == 0)
    smallest_kept = ops.min(ops.where(kept, sorted_logits, ops.full_like(sorted_logits, 1e9)),
                            axis=-1, keepdims=True)
    return _mask_below(logits, smallest_kept)


def sample_next_token(logits, uniform, config: SamplingConfig):
    """Picks one token per row.

    Args:
        logits: `[batch, vocab]` float tensor (unnormalised log-probabilities).
        uniform: `[batch]` numbers in [0, 1), one per row (ignored when greedy).
        config: the `SamplingConfig`.

    Returns:
        `[batch]` int32 token ids.
    """
    if config.greedy:
        return ops.cast(ops.argmax(logits, axis=-1), "int32")
    logits = ops.cast(logits, "float32") / config.temperature
    if config.top_k is not None:
        logits = _apply_top_k(logits, config.top_k)
    if config.top_p is not None:
        logits = _apply_top_p(logits, config.top_p)
    cdf = ops.cumsum(ops.softmax(logits, axis=-1), axis=-1)
    # Inverse-CDF sampling: the first token whose cumulative probability exceeds u (tokens
    # of zero probability never qualify, even for u = 0).
    below = ops.cast(cdf <= ops.expand_dims(uniform, -1) * cdf[:, -1:], "int32")
    return ops.minimum(ops.sum(below, axis=-1), logits.shape[-1] - 1)
