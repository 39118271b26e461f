"""The Arrow fast path counts exactly what the Python path counts, or hands the work back."""

from collections import Counter

import pytest

from textrnn.preprocessing.arrow_counting import count_ascii
from textrnn.preprocessing.count_table import CountTable, counters_table
from textrnn.preprocessing.counting import count_batch, count_tokens
from textrnn.preprocessing.tokenizers import CharTokenizer, WordTokenizer

TEXTS = [
    "The cat sat.  Don't stop, well-known a--b 'quoted' x'",
    "  leading and trailing\t",
    "!!?? 42 3.14 under_score",
    "vertical\x0btab and \x1cfile separator",  # Python-only whitespace
    "Ｃａｔ café naïve",  # not ASCII: NFKC and Unicode \w
    " ",
    "nul\x00byte",
    "The CAT",
    "I a b_c 12 x9 __ _ A1b2 e-mail",  # one-character runs: not tokens of \w\w+
    "cat, cat. cat well-known sat. (cat) e-mail",  # pieces repeated across and within documents
]


def python_counts(tokenizer, texts):
    term_freq, doc_freq = Counter(), Counter()
    documents = tokenizer.tokenize_batch(texts)
    count_tokens(documents, term_freq, doc_freq)
    return term_freq, doc_freq, sum(map(len, documents))


@pytest.mark.parametrize("tokenizer", [
    WordTokenizer(),
    WordTokenizer(lowercase=True),
    WordTokenizer(lowercase=True, normalization=None),
    WordTokenizer(method="whitespace"),
    WordTokenizer(lowercase=True, normalization=None, pattern=r"\S+"),
    WordTokenizer(lowercase=True, normalization=None, pattern=r"(?u)\b\w\w+\b"),
    WordTokenizer(pattern=r"\b\w\w+\b"),
])
def test_counts_equal_the_python_path(tokenizer):
    table, num_tokens, rest = count_ascii(tokenizer, TEXTS)
    assert rest == [TEXTS[3], TEXTS[4]]
    totals = CountTable()
    totals.add(table)
    ascii_only = [text for text in TEXTS if text not in rest]
    term_freq, doc_freq, expected_tokens = python_counts(tokenizer, ascii_only)
    assert totals.to_counters() == (term_freq, doc_freq) and num_tokens == expected_tokens
    counts = count_batch(tokenizer, TEXTS)  # fast path + Python for the rest
    everything = CountTable()
    everything.add(counts.table)
    term_freq, doc_freq, expected_tokens = python_counts(tokenizer, TEXTS)
    assert everything.to_counters() == (term_freq, doc_freq)
    assert (counts.num_docs, counts.num_tokens) == (len(TEXTS), expected_tokens)


@pytest.mark.parametrize("tokenizer", [
    WordTokenizer(method="toktok"), WordTokenizer(pattern=r"\w+"), CharTokenizer(),
    str.split,
])
def test_other_tokenizers_are_handed_back(tokenizer):
    with pytest.raises(NotImplementedError):
        count_ascii(tokenizer, TEXTS)


def test_count_table_sums_across_compactions(monkeypatch):
    monkeypatch.setattr("textrnn.preprocessing.count_table.COMPACT_ROWS", 2)
    totals, expected_tf, expected_df = CountTable(), Counter(), Counter()
    for i in range(30):
        tf = Counter({f"w{i % 7}": 2, f"v{i % 3}": 1})
        df = Counter({f"w{i % 7}": 1, f"v{i % 3}": 1})
        totals.add(counters_table(tf, df))
        expected_tf.update(tf)
        expected_df.update(df)
    assert totals.to_counters() == (expected_tf, expected_df)
    assert CountTable().to_counters() == (Counter(), Counter())
