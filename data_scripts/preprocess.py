"""Corpus statistics, feature selection, vocabulary and id encoding for text files.

Run:
    python data_scripts/preprocess.py corpus.txt --out prep/
    python data_scripts/preprocess.py reviews.csv --text-column body --out prep/ \
        --lowercase --stopwords en --min-df 2 --max-df 0.5 --top-k 20000 --num-proc 2
    python data_scripts/preprocess.py corpus.txt --out prep_sp/ --level subword --vocab-size 4000
    python data_scripts/preprocess.py valid.txt --out prep_valid/ --vocab prep/vocab.json

Writes OUT/vocab.json, OUT/stats.json, OUT/zipf.png and OUT/encoded/ (`datasets` Arrow with an
`ids` column; read it with `datasets.load_from_disk`). Bad input gives one line on stderr and
exit status 1. The work is done by `textrnn.preprocessing.pipeline`.
"""

from __future__ import annotations

import argparse
import sys

from textrnn.errors import InputError
from textrnn.preprocessing.pipeline import LEVELS, PreprocessOptions, preprocess


def _df(text: str) -> int | float:
    """`--min-df` / `--max-df`: an integer is a number of documents, a decimal a fraction."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of documents (e.g. 2) or a fraction (e.g. 0.5), got {text!r}"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Count a corpus (TF, DF, Zipf fit, coverage), cut its vocabulary and "
                    "encode it to ids.",
        epilog="Example: python data_scripts/preprocess.py corpus.txt --out prep/ --top-k 20000",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help=".txt(.gz) with one document per line, .csv/.tsv/.jsonl with "
                             "--text-column, or a Hugging Face dataset name (needs network)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--level", choices=LEVELS, default="word", help="token level")
    parser.add_argument("--lowercase", action="store_true", help="lowercase before tokenizing")
    parser.add_argument("--stopwords", default="none", metavar="none|auto|LANG|FILE",
                        help="stopwords to drop: none, auto (types in over half the "
                             "documents), a language code (e.g. en), nltk:LANG or a file")
    parser.add_argument("--min-df", type=_df, default=1, metavar="X",
                        help="keep types in at least X documents (int) or share (float)")
    parser.add_argument("--max-df", type=_df, default=1.0, metavar="X",
                        help="keep types in at most X documents (int) or share (float)")
    parser.add_argument("--top-k", type=int, default=None, metavar="K",
                        help="keep at most the K most frequent types")
    parser.add_argument("--coverage", type=float, default=None, metavar="P",
                        help="keep the fewest frequent types covering share P of the tokens")
    parser.add_argument("--vocab-size", type=int, default=None, metavar="N",
                        help="sentencepiece model size for --level subword (default 8000)")
    parser.add_argument("--vocab", default=None, metavar="FILE",
                        help="encode with this existing vocab.json instead of building one")
    parser.add_argument("--text-column", default=None, metavar="NAME",
                        help="column holding the text in .csv/.tsv/.jsonl inputs (headerless "
                             "files: 0, 1, ...)")
    parser.add_argument("--num-proc", type=int, default=1, metavar="N",
                        help="worker processes for tokenizing, counting and encoding")
    parser.add_argument("--encoding-errors", choices=("strict", "replace"), default="strict",
                        help="replace: turn bytes that are not UTF-8 into U+FFFD")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        options = PreprocessOptions(
            level=args.level, lowercase=args.lowercase, stopwords=args.stopwords,
            min_df=args.min_df, max_df=args.max_df, top_k=args.top_k, coverage=args.coverage,
            vocab_size=args.vocab_size, text_column=args.text_column, num_proc=args.num_proc,
            encoding_errors=args.encoding_errors, vocab=args.vocab,
        )
        preprocess(args.inputs, args.out, options)
    except (InputError, ValueError, OSError) as error:
        message = " ".join(str(error).split())  # one line, whatever the message holds
        print(f"preprocess.py: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
