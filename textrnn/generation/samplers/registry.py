"""Samplers by name, so users can write `sampler="top_k"`."""

from __future__ import annotations

import math

from textrnn.generation.samplers.beam_sampler import BeamSampler
from textrnn.generation.samplers.greedy_sampler import GreedySampler
from textrnn.generation.samplers.random_sampler import RandomSampler
from textrnn.generation.samplers.sampler import Sampler
from textrnn.generation.samplers.top_k_sampler import TopKSampler
from textrnn.generation.samplers.top_p_sampler import TopPSampler

SAMPLERS = {
    "beam": BeamSampler,
    "greedy": GreedySampler,
    "random": RandomSampler,
    "top_k": TopKSampler,
    "top_p": TopPSampler,
}


def get(identifier: str | Sampler, **kwargs) -> Sampler:
    """A sampler from its name (`"greedy"`, `"random"`, `"top_k"`, `"top_p"`, `"beam"`).

    Args:
        identifier: a name from `SAMPLERS`, or a `Sampler`, returned as it is.
        **kwargs: the sampler's arguments, e.g. `k=10, temperature=0.8` for `"top_k"`.

    Example:

    >>> get("top_k", k=10).get_config()
    {'temperature': 1.0, 'k': 10}
    """
    if isinstance(identifier, Sampler):
        if kwargs:
            raise ValueError(f"Received a `Sampler` instance together with arguments "
                             f"{sorted(kwargs)}; set them when building the sampler.")
        return identifier
    if identifier not in SAMPLERS:
        raise ValueError(f"Received an invalid value for argument `sampler`: {identifier!r}; "
                         f"expected a `Sampler` or one of {sorted(SAMPLERS)}.")
    return SAMPLERS[identifier](**kwargs)


def from_options(temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None) -> Sampler:
    """The sampler for `RecurrentGenerator.generate`'s options (temperature 0: greedy).

    `top_k` and `top_p` are validated even when greedy decoding ignores them.
    """
    if temperature is None or not (math.isfinite(temperature) and temperature >= 0):
        raise ValueError("Received an invalid value for argument `temperature`, expected a "
                         f"number >= 0 (0 means greedy), got {temperature}.")
    scale = temperature or 1.0
    if top_p is not None:
        sampler = TopPSampler(top_p, k=top_k, temperature=scale)
    elif top_k is not None:
        sampler = TopKSampler(top_k, temperature=scale)
    else:
        sampler = RandomSampler(scale)
    return GreedySampler() if temperature == 0 else sampler
