"""Feature selection: which token types a vocabulary keeps, decided from `CorpusStats`.

`FeatureSelector` applies its rules in this fixed order, each to the types the previous rules
kept, and counts how many types each rule removed:

1. `stopwords`: types in the stopword set.
2. `min_df`: types in fewer documents than `min_df` (rare, often typos or names).
3. `max_df`: types in more documents than `max_df` (so common they carry little information).
4. `coverage`: the fewest most frequent (by TF) types whose occurrences make up `coverage` of the
   occurrences of the types still kept; the rest go.
5. `zipf_cut`: the types ranked beyond the vocabulary size at which the maximum-likelihood
   Zipf fit of the whole corpus predicts coverage `zipf_cut` (`CorpusStats.zipf_size_for_coverage`).
6. `top_k`: the `top_k` types with the highest TF (or DF, `top_k_by="df"`).

As in scikit-learn, an `int` for `min_df` / `max_df` is a number of documents and a `float` a
fraction of documents.

Only the kept tokens are stored. scikit-learn's `CountVectorizer` kept every pruned token in
`stop_words_`, so pickled models leaked training data (CVE-2024-5206); a `Selection` holds the
number of types each rule removed and never the removed types themselves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

from textrnn.preprocessing.corpus_stats import CorpusStats

RULES = ("stopwords", "min_df", "max_df", "coverage", "zipf_cut", "top_k")
TOP_K_BY = ("tf", "df")


@dataclasses.dataclass(frozen=True)
class Selection:
    """The result of `FeatureSelector.select`.

    Attributes:
        tokens: kept types, by TF descending then type ascending (deterministic).
        removed_counts: rule name -> number of types that rule removed, for every rule in
            `RULES` order (0 for rules that were off).
    """

    tokens: tuple[str, ...]
    removed_counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: number kept and per-rule removal counts (no removed types)."""
        return {"num_kept": len(self.tokens), "removed_counts": dict(self.removed_counts)}


class FeatureSelector:
    """Chooses the token types a vocabulary keeps (see the module docstring for the order).

    Args:
        min_df: keep types in at least this many documents (`int`) or this fraction of
            documents (`float` in [0, 1]). Default 1: no cut.
        max_df: keep types in at most this many documents (`int`) or this fraction of
            documents (`float` in [0, 1]). Default 1.0: no cut.
        top_k: keep at most this many types (the most frequent); None for no cap.
        top_k_by: rank for `top_k` by term frequency (`"tf"`) or document frequency (`"df"`).
        coverage: keep the fewest most frequent types covering this share (in (0, 1]) of the
            tokens of the types kept so far; None for no cut.
        stopwords: types to drop (e.g. from `textrnn.preprocessing.stopwords.get_stopwords`).
        zipf_cut: keep the types ranked within the size where the corpus' Zipf fit predicts
            this coverage (in (0, 1)); None for no cut.

    Example:
    >>> stats = CorpusStats.from_documents([["the", "cat"], ["the", "dog"], ["the", "cat"]])
    >>> selection = FeatureSelector(min_df=2, stopwords={"the"}).select(stats)
    >>> selection.tokens, selection.removed_counts["min_df"]
    (('cat',), 1)
    """

    def __init__(
        self,
        min_df: int | float = 1,
        max_df: int | float = 1.0,
        top_k: int | None = None,
        top_k_by: str = "tf",
        coverage: float | None = None,
        stopwords: Iterable[str] = frozenset(),
        zipf_cut: float | None = None,
    ):
        _check_df("min_df", min_df)
        _check_df("max_df", max_df)
        if isinstance(min_df, Integral) and isinstance(max_df, Integral) and max_df < min_df:
            raise ValueError(
                f"Received `max_df`={max_df} < `min_df`={min_df}: no type could be kept. "
                "Pass a higher max_df or a lower min_df."
            )
        if top_k is not None and (not _is_int(top_k) or top_k < 1):
            raise ValueError(f"Received an invalid value for argument `top_k`: {top_k!r}; "
                             "expected a positive integer or None.")
        if top_k_by not in TOP_K_BY:
            raise ValueError(f"Received an invalid value for argument `top_k_by`: "
                             f"{top_k_by!r}; expected one of {TOP_K_BY}.")
        if coverage is not None and not (_is_real(coverage) and 0.0 < coverage <= 1.0):
            raise ValueError(f"Received an invalid value for argument `coverage`: "
                             f"{coverage!r}; expected a share of tokens in (0, 1], e.g. 0.95.")
        if zipf_cut is not None and not (_is_real(zipf_cut) and 0.0 < zipf_cut < 1.0):
            raise ValueError(f"Received an invalid value for argument `zipf_cut`: "
                             f"{zipf_cut!r}; expected a predicted coverage in (0, 1), e.g. 0.95.")
        if isinstance(stopwords, str):
            raise ValueError("Received a string for argument `stopwords`; expected a set of "
                             "words, e.g. get_stopwords('en').")
        self.min_df = min_df
        self.max_df = max_df
        self.top_k = top_k
        self.top_k_by = top_k_by
        self.coverage = coverage
        self.stopwords = frozenset(stopwords)
        self.zipf_cut = zipf_cut

    def select(self, stats: CorpusStats) -> Selection:
        """Apply the rules to the types counted in `stats`.

        Args:
            stats: corpus counts (TF, DF, number of documents).

        Returns:
            A `Selection` with the kept types and per-rule removal counts.

        Raises:
            ValueError: no type survives, or max_df is below min_df once fractions are
                turned into document counts.
        """
        min_count = _doc_count(self.min_df, stats.num_docs)
        max_count = _doc_count(self.max_df, stats.num_docs)
        if max_count < min_count:
            raise ValueError(
                f"max_df={self.max_df!r} corresponds to fewer documents ({max_count:g}) than "
                f"min_df={self.min_df!r} ({min_count:g}) for {stats.num_docs} documents. "
                "Pass a higher max_df or a lower min_df."
            )
        df = stats.doc_freq
        kept = [token for token, _ in stats.ranked()]
        removed = dict.fromkeys(RULES, 0)
        steps = (
            ("stopwords", lambda ts: [t for t in ts if t not in self.stopwords]),
            ("min_df", lambda ts: [t for t in ts if df[t] >= min_count]),
            ("max_df", lambda ts: [t for t in ts if df[t] <= max_count]),
            ("coverage", lambda ts: self._cut_coverage(ts, stats)),
            ("zipf_cut", lambda ts: self._cut_zipf(ts, stats)),
            ("top_k", lambda ts: self._cut_top_k(ts, stats)),
        )
        for rule, apply in steps:
            survivors = apply(kept)
            removed[rule] = len(kept) - len(survivors)
            kept = survivors
            if not kept:
                raise ValueError(
                    f"After pruning, no terms remain (rule `{rule}` removed the last "
                    f"{removed[rule]} of {stats.num_types} types). Try a lower min_df, a "
                    "higher max_df, a larger top_k or coverage, or fewer stopwords."
                )
        return Selection(tokens=tuple(kept), removed_counts=removed)

    def _cut_coverage(self, tokens: list[str], stats: CorpusStats) -> list[str]:
        if self.coverage is None:
            return tokens
        tf = stats.term_freq
        target = self.coverage * sum(tf[t] for t in tokens)
        covered = 0
        for size, token in enumerate(tokens, start=1):
            covered += tf[token]
            if covered >= target * (1 - 1e-12):
                return tokens[:size]
        return tokens

    def _cut_zipf(self, tokens: list[str], stats: CorpusStats) -> list[str]:
        if self.zipf_cut is None:
            return tokens
        size = stats.zipf_size_for_coverage(self.zipf_cut)
        within = {token for token, _ in stats.ranked()[:size]}
        return [t for t in tokens if t in within]

    def _cut_top_k(self, tokens: list[str], stats: CorpusStats) -> list[str]:
        if self.top_k is None or self.top_k >= len(tokens):
            return tokens
        if self.top_k_by == "tf":
            return tokens[: self.top_k]  # already in (TF desc, token) order
        df, tf = stats.doc_freq, stats.term_freq
        best = set(sorted(tokens, key=lambda t: (-df[t], -tf[t], t))[: self.top_k])
        return [t for t in tokens if t in best]

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (stopwords as a sorted list), JSON-ready."""
        return {
            "min_df": self.min_df,
            "max_df": self.max_df,
            "top_k": self.top_k,
            "top_k_by": self.top_k_by,
            "coverage": self.coverage,
            "stopwords": sorted(self.stopwords),
            "zipf_cut": self.zipf_cut,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FeatureSelector:
        """Rebuild from `get_config()`."""
        return cls(**config)


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _check_df(name: str, value: Any) -> None:
    """int >= 0 is a document count; float in [0, 1] a fraction of documents."""
    if _is_int(value):
        if value < 0:
            raise ValueError(f"Received an invalid value for argument `{name}`: {value}; an "
                             "integer is a number of documents and must be >= 0.")
        return
    if _is_real(value) and 0.0 <= value <= 1.0:
        return
    raise ValueError(
        f"Received an invalid value for argument `{name}`: {value!r}; expected an integer "
        "number of documents (>= 0) or a float fraction of documents in [0.0, 1.0]."
    )


def _doc_count(value: int | float, num_docs: int) -> float:
    return value if _is_int(value) else value * num_docs

