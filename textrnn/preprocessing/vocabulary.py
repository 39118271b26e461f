"""`Vocabulary`: a fixed token <-> id mapping with reserved ids, one-hot and JSON save/load."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Any

import numpy as np

from textrnn.errors import InputError
from textrnn.io import read_json, write_json

FORMAT = "textrnn.vocabulary"
VERSION = 1
_SPECIAL_DEFAULTS = {
    "pad_token": "<pad>",
    "unk_token": "<unk>",
    "bos_token": None,
    "eos_token": None,
}
_SPECIAL_NAMES = tuple(_SPECIAL_DEFAULTS)


class Vocabulary:
    """Maps tokens to integer ids and back.

    Ids are laid out as: 0 = `pad_token`, 1 = `unk_token`, then `bos_token` and `eos_token`
    when given, then `tokens` in the order passed. Tokens not in the vocabulary encode to
    `unk_id`.

    The same ids come out of Keras' `StringLookup` built with `lookup_kwargs()`:
    `keras.layers.StringLookup(**vocab.lookup_kwargs())`, i.e.
    `StringLookup(vocabulary=vocab.lookup_vocabulary(), mask_token=vocab.pad_token,
    oov_token=vocab.unk_token, num_oov_indices=1)`.

    Args:
        tokens: the regular tokens, most useful first (e.g. by frequency). No duplicates and
            none equal to a special token.
        pad_token: token with id 0 (padding; the mask token in Keras).
        unk_token: token with id 1, standing for every out-of-vocabulary token.
        bos_token: optional begin-of-sequence token (next id).
        eos_token: optional end-of-sequence token (next id).

    Example:
    >>> vocab = Vocabulary(["the", "cat"], bos_token="<s>")
    >>> vocab.encode(["the", "dog"], add_bos=True)
    [2, 3, 1]
    """

    def __init__(
        self,
        tokens: Sequence[str],
        pad_token: str = "<pad>",
        unk_token: str = "<unk>",
        bos_token: str | None = None,
        eos_token: str | None = None,
    ):
        if isinstance(tokens, str):
            raise ValueError(
                "Received an invalid value for argument `tokens`: a single string; expected a "
                "sequence of token strings, e.g. ['the', 'cat']."
            )
        specials = [pad_token, unk_token] + [t for t in (bos_token, eos_token) if t is not None]
        all_tokens = specials + list(tokens)
        index: dict[str, int] = {}
        for i, token in enumerate(all_tokens):
            if not isinstance(token, str):
                raise ValueError(
                    f"Vocabulary tokens (special ones included) must be strings; got {token!r} "
                    f"at id {i}."
                )
            if token in index:
                kind = "a special token" if index[token] < len(specials) else "a duplicate"
                raise ValueError(
                    f"Token {token!r} at id {i} is {kind} (already id {index[token]}). "
                    "Pass each token once and none equal to pad/unk/bos/eos."
                )
            index[token] = i
        self.pad_token = pad_token
        self.unk_token = unk_token
        self.bos_token = bos_token
        self.eos_token = eos_token
        self._tokens = all_tokens
        self._index = index
        self._num_special = len(specials)

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, int],
        max_size: int | None = None,
        min_count: int = 1,
        **special_tokens: str | None,
    ) -> Vocabulary:
        """Build a vocabulary from token counts, most frequent first.

        Ties are broken by the token string, so the result is deterministic. Tokens equal to a
        special token (e.g. a literal `<unk>` in a pre-processed corpus) are left out: they
        already have their reserved id.

        Args:
            counts: token -> count, e.g. a `collections.Counter`.
            max_size: largest `len(vocabulary)`, special tokens included (like Keras'
                `max_tokens`); None for no limit.
            min_count: drop tokens counted fewer times than this.
            **special_tokens: `pad_token`, `unk_token`, `bos_token`, `eos_token` as in the
                constructor.

        Returns:
            A `Vocabulary`.
        """
        specials = {**_SPECIAL_DEFAULTS, **special_tokens}
        unknown = set(special_tokens) - set(_SPECIAL_NAMES)
        if unknown:
            raise ValueError(
                f"Unexpected keyword arguments {sorted(unknown)}; special tokens are "
                f"{list(_SPECIAL_NAMES)}."
            )
        reserved = {t for t in specials.values() if t is not None}
        if max_size is not None and max_size < len(reserved):
            raise ValueError(
                f"Received an invalid value for argument `max_size`: {max_size}; expected None "
                f"or at least the number of special tokens ({len(reserved)})."
            )
        ranked = sorted(
            (item for item in counts.items() if item[1] >= min_count and item[0] not in reserved),
            key=lambda item: (-item[1], item[0]),
        )
        if max_size is not None:
            ranked = ranked[: max_size - len(reserved)]
        return cls([token for token, _ in ranked], **specials)

    # === Lookups ===

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self.get_config() == other.get_config()

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)}, special_tokens={self.special_tokens})"

    @property
    def tokens(self) -> list[str]:
        """All tokens in id order, special tokens first (a copy)."""
        return list(self._tokens)

    @property
    def special_tokens(self) -> dict[str, str | None]:
        """`{"pad_token": ..., "unk_token": ..., "bos_token": ..., "eos_token": ...}`."""
        return {name: getattr(self, name) for name in _SPECIAL_NAMES}

    @property
    def num_special(self) -> int:
        """Number of special tokens; regular tokens start at this id."""
        return self._num_special

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def unk_id(self) -> int:
        return 1

    @property
    def bos_id(self) -> int | None:
        return None if self.bos_token is None else self._index[self.bos_token]

    @property
    def eos_id(self) -> int | None:
        return None if self.eos_token is None else self._index[self.eos_token]

    def token_to_id(self, token: str) -> int:
        """Id of `token`, or `unk_id` when it is not in the vocabulary."""
        return self._index.get(token, 1)

    def id_to_token(self, i: int) -> str:
        """Token with id `i`; ValueError when `i` is outside `[0, len(self))`."""
        if not 0 <= i < len(self._tokens):
            raise ValueError(f"Token id {i} is out of range for a vocabulary of size {len(self)}.")
        return self._tokens[int(i)]

    # === Encoding ===

    def encode(
        self, tokens: Sequence[str], add_bos: bool = False, add_eos: bool = False
    ) -> list[int]:
        """Map tokens to ids (unknown tokens -> `unk_id`).

        Args:
            tokens: one document's tokens, shape `[length]`.
            add_bos: prepend `bos_id` (the vocabulary must have a `bos_token`).
            add_eos: append `eos_id` (the vocabulary must have an `eos_token`).

        Returns:
            A list of `length (+1) (+1)` ints.
        """
        ids = list(map(self._index.get, tokens, repeat(1)))
        if add_bos:
            ids.insert(0, self._required_id("bos_token", "add_bos"))
        if add_eos:
            ids.append(self._required_id("eos_token", "add_eos"))
        return ids

    def _required_id(self, name: str, argument: str) -> int:
        token = getattr(self, name)
        if token is None:
            raise ValueError(
                f"`{argument}=True` needs a vocabulary with a `{name}`; this one has none. "
                f"Build it with `{name}=...`."
            )
        return self._index[token]

    def decode(self, ids: Sequence[int] | np.ndarray, skip_special: bool = True) -> list[str]:
        """Map ids back to tokens.

        Args:
            ids: token ids, shape `[length]`.
            skip_special: drop `pad`, `bos` and `eos` ids. `unk` is always kept, since it
                stands for a real (unknown) word.

        Returns:
            A list of tokens.
        """
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
            raise ValueError(
                f"Argument `ids` must be a 1-D sequence of ints, got shape {ids.shape} and "
                f"dtype {ids.dtype}."
            )
        self._check_range(ids)
        skipped = {self.pad_id, self.bos_id, self.eos_id} if skip_special else set()
        return [self._tokens[i] for i in ids.tolist() if i not in skipped]

    def _check_range(self, ids: np.ndarray) -> None:
        if ids.size and (ids.min() < 0 or ids.max() >= len(self._tokens)):
            bad = ids[(ids < 0) | (ids >= len(self._tokens))].flat[0]
            raise ValueError(
                f"Token id {bad} is out of range for a vocabulary of size {len(self)}; "
                "was this data encoded with another vocabulary?"
            )

    def one_hot(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """One-hot vectors for an int array of any shape.

        Args:
            ids: token ids, shape `[...]`.

        Returns:
            float32 array of shape `[..., len(self)]`.
        """
        ids = np.asarray(ids)
        if not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"Argument `ids` must hold integers, got dtype {ids.dtype}.")
        self._check_range(ids)
        out = np.zeros((ids.size, len(self._tokens)), dtype=np.float32)
        out[np.arange(ids.size), ids.reshape(-1)] = 1.0
        return out.reshape(ids.shape + (len(self._tokens),))

    # === Keras interop ===

    def lookup_vocabulary(self) -> list[str]:
        """Tokens for `keras.layers.StringLookup(vocabulary=...)`: all but pad and unk.

        Use with `mask_token=self.pad_token, oov_token=self.unk_token, num_oov_indices=1`
        (see `lookup_kwargs`), so Keras puts pad at 0 and unk at 1 as here. Keras refuses an
        empty list, so the vocabulary needs at least one regular, bos or eos token.
        """
        return self._tokens[2:]

    def lookup_kwargs(self) -> dict[str, Any]:
        """Keyword arguments making `keras.layers.StringLookup(**kwargs)` give `encode`'s ids."""
        return {
            "vocabulary": self.lookup_vocabulary(),
            "mask_token": self.pad_token,
            "oov_token": self.unk_token,
            "num_oov_indices": 1,
        }

    # === Serialisation ===

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments: the regular `tokens` and the four special tokens."""
        return {"tokens": self._tokens[self._num_special :], **self.special_tokens}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Vocabulary:
        return cls(**config)

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON (atomically).

        Format: `{"format": "textrnn.vocabulary", "version": 1, "tokens": [all tokens in id
        order], "special_tokens": {"pad_token": ..., "unk_token": ..., "bos_token": ...,
        "eos_token": ...}}`, so `tokens[i]` is the token with id `i` for any reader.
        """
        write_json(
            path,
            {
                "format": FORMAT,
                "version": VERSION,
                "tokens": self._tokens,
                "special_tokens": self.special_tokens,
            },
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """Read a vocabulary written by `save`; `InputError` naming the file if it is bad."""
        data = read_json(path)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise InputError(f"not a textrnn vocabulary (format {found!r}, expected "
                             f"{FORMAT!r})", path)
        if data.get("version") != VERSION:
            raise InputError(f"unsupported vocabulary version {data.get('version')!r}; this "
                             f"textrnn reads version {VERSION}", path)
        missing = {"tokens", "special_tokens"} - set(data)
        if missing:
            raise InputError(f"vocabulary file lacks key(s) {sorted(missing)}", path)
        tokens, specials = data["tokens"], data["special_tokens"]
        if not isinstance(tokens, list) or not isinstance(specials, dict):
            raise InputError("`tokens` must be a list and `special_tokens` an object", path)
        if set(specials) - set(_SPECIAL_NAMES) or not {"pad_token", "unk_token"} <= set(specials):
            raise InputError(f"`special_tokens` has keys {sorted(specials)}; expected "
                             f"pad_token, unk_token and optionally bos_token, eos_token", path)
        expected = [specials[name] for name in _SPECIAL_NAMES if specials.get(name) is not None]
        if tokens[: len(expected)] != expected:
            raise InputError(f"the first tokens {tokens[: len(expected)]} do not match the "
                             f"special tokens {expected}", path)
        try:
            return cls(tokens[len(expected) :], **specials)
        except ValueError as error:
            raise InputError(str(error), path) from None
