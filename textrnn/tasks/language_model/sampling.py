"""Continuing a text prompt with a language model: encode, `RecurrentGenerator`, decode."""

from __future__ import annotations

from textrnn.generation import RecurrentGenerator
from textrnn.tasks.language_model.preprocessor import LanguageModelPreprocessor


def continue_text(generator: RecurrentGenerator, preprocessor: LanguageModelPreprocessor,
                  prompt: str, length: int, temperature: float = 0.8, top_k: int | None = None,
                  top_p: float | None = None, seed: int | None = None) -> str:
    """The text of `length` new tokens after `prompt` (the prompt itself not included).

    Tokens of the prompt outside the vocabulary are read as `<unk>`
    (`preprocessor.unknown_tokens(prompt)` lists them); padding and `<unk>` are never
    generated.
    """
    if not prompt:
        raise ValueError("Received an empty `prompt`; give at least one character, e.g. a "
                         "newline.")
    vocabulary = preprocessor.vocabulary
    ids = generator.generate(preprocessor.encode(prompt), length, temperature=temperature,
                             top_k=top_k, top_p=top_p, seed=seed,
                             banned_ids=(vocabulary.pad_id, vocabulary.unk_id))[0]
    return preprocessor.decode(ids)
