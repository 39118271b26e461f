"""Text preprocessing: tokenizers, `Vocabulary`, stopwords, corpus statistics, features.

- Tokenizers: `CharTokenizer`, `WordTokenizer` (regexp or nltk Toktok), `SubwordTokenizer`
  (sentencepiece), built by name with `get_tokenizer("char" | "word" | "subword", ...)`.
- `Vocabulary`: token <-> id with pad (0) / unk (1) / bos / eos, one-hot, JSON save/load and
  `keras.layers.StringLookup` export.
- Stopwords: `get_stopwords("en" | "nltk:english" | FILE | "auto" | "none")`.
- `CorpusStats` (TF, DF, coverage; Zipf fits: `ZipfFit` by maximum likelihood, `TwoRegimeFit`,
  `LeastSquaresFit`), counted a batch at a time in memory bounded by the number of types, and
  `FeatureSelector` (DF / top-k / coverage / Zipf cuts). Shards' counts are written and
  merged exactly through Parquet files (`count_files.write_counts` / `read_counts`).
- `Corpus`: the documents of files or hub datasets, streamed a batch at a time.
- `bag_of_words` and `TfidfVectorizer`: sparse document vectors for baselines.
"""

from textrnn.preprocessing.corpus_reader import Corpus
from textrnn.preprocessing.corpus_stats import CorpusStats
from textrnn.preprocessing.feature_selection import FeatureSelector, Selection
from textrnn.preprocessing.stopwords import (
    corpus_stopwords,
    get_stopwords,
    read_stopword_file,
    stopword_languages,
)
from textrnn.preprocessing.tokenizers import (
    CharTokenizer,
    SubwordTokenizer,
    Tokenizer,
    WordTokenizer,
    get_tokenizer,
)
from textrnn.preprocessing.vectorize import TfidfVectorizer, bag_of_words
from textrnn.preprocessing.vocabulary import Vocabulary
from textrnn.preprocessing.zipf import LeastSquaresFit, ZipfFit
from textrnn.preprocessing.zipf_two_regime import TwoRegimeFit

__all__ = [
    "CharTokenizer",
    "Corpus",
    "CorpusStats",
    "FeatureSelector",
    "LeastSquaresFit",
    "Selection",
    "SubwordTokenizer",
    "TfidfVectorizer",
    "Tokenizer",
    "TwoRegimeFit",
    "Vocabulary",
    "WordTokenizer",
    "ZipfFit",
    "bag_of_words",
    "corpus_stopwords",
    "get_stopwords",
    "get_tokenizer",
    "read_stopword_file",
    "stopword_languages",
]
