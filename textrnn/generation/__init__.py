"""Text generation: samplers over one step protocol, state-carrying generation from a language
model, and beam search."""

from textrnn.generation import samplers
from textrnn.generation.beam_search import beam_search, length_normalized
from textrnn.generation.compile import compile_function
from textrnn.generation.recurrent import RecurrentGenerator
from textrnn.generation.samplers import (
    BeamSampler,
    GreedySampler,
    RandomSampler,
    Sampler,
    TopKSampler,
    TopPSampler,
)
from textrnn.generation.samplers import get as get_sampler

__all__ = [
    "BeamSampler",
    "GreedySampler",
    "RandomSampler",
    "RecurrentGenerator",
    "Sampler",
    "TopKSampler",
    "TopPSampler",
    "beam_search",
    "compile_function",
    "get_sampler",
    "length_normalized",
    "samplers",
]
