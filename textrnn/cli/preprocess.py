"""Count a corpus (TF, DF, Zipf fit, coverage), cut its vocabulary and encode it to ids.

Run:
    textrnn-preprocess corpus.txt --out prep/
    textrnn-preprocess reviews.csv --text-column body --out prep/ \
        --lowercase --stopwords en --min-df 2 --max-df 0.5 --top-k 20000 --num-proc 2
    textrnn-preprocess corpus.txt --out prep/ --zipf-cut 0.95
    textrnn-preprocess corpus.txt --out prep_sp/ --level subword --vocab-size 4000
    textrnn-preprocess valid.txt --out prep_valid/ --vocab prep/vocab.json

(`python data_scripts/preprocess.py ...` runs the same command from a checkout.)

--min-df / --max-df follow scikit-learn: an integer is a number of documents (2), a decimal a
share of them (0.5; 1.0 is every document).

Writes OUT/vocab.json, OUT/stats.json, OUT/zipf.png, OUT/coverage.png and OUT/encoded/
(`datasets` Arrow with an `ids` column; read it with `datasets.load_from_disk`). Bad input
gives one line on stderr and exit status 2. The work is done by
`textrnn.preprocessing.pipeline`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from textrnn.cli.args import document_frequency, make_parser, positive_int
from textrnn.cli.entry import cli
from textrnn.preprocessing.pipeline import LEVELS, PreprocessOptions, preprocess


def build_parser() -> argparse.ArgumentParser:
    """The `textrnn-preprocess` argument parser."""
    parser = make_parser(__doc__)
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help=".txt(.gz) with one document per line, .csv/.tsv/.jsonl with "
                             "--text-column, or a Hugging Face dataset name (needs network)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--level", choices=LEVELS, default="word", help="token level")
    parser.add_argument("--lowercase", action="store_true", help="lowercase before tokenizing")
    parser.add_argument("--stopwords", default="none", metavar="none|auto|LANG|FILE",
                        help="stopwords to drop: none, auto (types in over half the "
                             "documents), a language code (e.g. en), nltk:LANG or a file")
    parser.add_argument("--min-df", type=document_frequency, default=1, metavar="X",
                        help="keep types in at least X documents (integer) or share of the "
                             "documents (decimal in (0, 1])")
    parser.add_argument("--max-df", type=document_frequency, default=1.0, metavar="X",
                        help="keep types in at most X documents (integer) or share of the "
                             "documents (decimal in (0, 1]; 1.0, the default, is all)")
    parser.add_argument("--top-k", type=positive_int, default=None, metavar="K",
                        help="keep at most the K most frequent types")
    parser.add_argument("--coverage", type=float, default=None, metavar="P",
                        help="keep the fewest frequent types covering share P of the tokens")
    parser.add_argument("--zipf-cut", type=float, default=None, metavar="P",
                        help="cut the vocabulary where the maximum-likelihood Zipf fit "
                             "predicts coverage P (0 < P < 1); stats.json reports the "
                             "predicted and the actual coverage there")
    parser.add_argument("--vocab-size", type=positive_int, default=None, metavar="N",
                        help="sentencepiece model size for --level subword (default 8000)")
    parser.add_argument("--subword-sample", type=positive_int, default=1_000_000, metavar="N",
                        help="sentencepiece trains on a random sample of at most N documents "
                             "(above 100; seeded by --seed)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sentencepiece sample")
    parser.add_argument("--vocab", default=None, metavar="FILE",
                        help="encode with this existing vocab.json instead of building one")
    parser.add_argument("--text-column", default=None, metavar="NAME",
                        help="column holding the text in .csv/.tsv/.jsonl inputs (headerless "
                             "files: 0, 1, ...)")
    parser.add_argument("--num-proc", type=positive_int, default=1, metavar="N",
                        help="worker processes for tokenizing, counting and encoding")
    parser.add_argument("--encoding-errors", choices=("strict", "replace"), default="strict",
                        help="replace: turn bytes that are not UTF-8 into U+FFFD")
    return parser


@cli
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `textrnn-preprocess`; returns the exit status."""
    args = build_parser().parse_args(argv)
    options = PreprocessOptions(
        level=args.level, lowercase=args.lowercase, stopwords=args.stopwords,
        min_df=args.min_df, max_df=args.max_df, top_k=args.top_k, coverage=args.coverage,
        zipf_cut=args.zipf_cut,
        vocab_size=args.vocab_size, text_column=args.text_column, num_proc=args.num_proc,
        encoding_errors=args.encoding_errors, vocab=args.vocab,
        subword_sample=args.subword_sample, seed=args.seed,
    )
    preprocess(args.inputs, args.out, options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
