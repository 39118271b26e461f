"""Decoding strategies over one step protocol, in the spirit of `keras_hub.samplers`.

A `Sampler` owns the decoding loop and the temperature; each strategy overrides one method.
`get("top_k", k=10)` builds one by name.
"""

from textrnn.generation.samplers.beam_sampler import BeamSampler, length_normalized
from textrnn.generation.samplers.greedy_sampler import GreedySampler
from textrnn.generation.samplers.random_sampler import RandomSampler
from textrnn.generation.samplers.registry import SAMPLERS, from_options, get
from textrnn.generation.samplers.sampler import Sampler
from textrnn.generation.samplers.top_k_sampler import TopKSampler
from textrnn.generation.samplers.top_p_sampler import TopPSampler

__all__ = [
    "SAMPLERS",
    "BeamSampler",
    "GreedySampler",
    "RandomSampler",
    "Sampler",
    "TopKSampler",
    "TopPSampler",
    "from_options",
    "get",
    "length_normalized",
]
