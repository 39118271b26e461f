"""Sampling from the whole (temperature-scaled) distribution."""

from __future__ import annotations

from keras import ops

from textrnn.generation.samplers.sampler import Sampler

MASKED_LOGIT = -1e9  # a logit no token is sampled with.


class RandomSampler(Sampler):
    """Samples the next token from `softmax(logits / temperature)`.

    Sampling is by inverse CDF: row `i` takes the first token whose cumulative probability
    exceeds `uniform[i]`, so the host-drawn uniforms alone decide the outcome.

    Args:
        temperature: divides the logits; below 1 sharpens the distribution, above 1 flattens it.

    Example:

    >>> ids = RandomSampler(temperature=0.8)(step_fn, state, start_ids, 100, seed=1)
    """

    def get_next_token(self, logits, uniform):
        cdf = ops.cumsum(ops.softmax(logits, axis=-1), axis=-1)
        # Tokens of zero probability never qualify, even for u = 0.
        below = ops.cast(cdf <= ops.expand_dims(uniform, -1) * cdf[:, -1:], "int32")
        return ops.minimum(ops.sum(below, axis=-1), logits.shape[-1] - 1)


def mask_below(logits, threshold):
    """Logits `[n, vocab]` below a per-row `threshold` `[n, 1]` set to `MASKED_LOGIT`."""
    return ops.where(logits < threshold, ops.full_like(logits, MASKED_LOGIT), logits)
