"""Text generation: sampling strategies, state-carrying generation and beam search."""

from textrnn.generation.beam_search import beam_search, length_normalized
from textrnn.generation.recurrent import RecurrentGenerator, compile_function
from textrnn.generation.sampling import SamplingConfig, sample_next_token

__all__ = [
    "RecurrentGenerator",
    "SamplingConfig",
    "beam_search",
    "compile_function",
    "length_normalized",
    "sample_next_token",
]
