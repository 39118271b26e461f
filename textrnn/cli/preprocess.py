"""Count a corpus (TF, DF, Zipf fit, coverage), cut its vocabulary and encode it to ids.

Run:
    textrnn-preprocess corpus.txt --out prep/
    textrnn-preprocess reviews.csv --text-column body --out prep/ \\
        --lowercase --stopwords en --min-df 2 --max-df 0.5 --top-k 20000 --num-proc 2
    textrnn-preprocess corpus.txt --out prep/ --zipf-cut 0.95
    textrnn-preprocess corpus.txt --out prep_sp/ --level subword --vocab-size 4000
    textrnn-preprocess valid.txt --out prep_valid/ --vocab prep/vocab.json
    textrnn-preprocess corpus.txt --out prep_pq/ --format parquet
    textrnn-preprocess shard1.txt --out c1/ --counts-only      # one machine or process each
    textrnn-preprocess shard2.txt --out c2/ --counts-only
    textrnn-preprocess --merge-counts c1/ c2/ --out prep/ --min-df 2 --top-k 20000

(`python data_scripts/preprocess.py ...` runs the same command from a checkout.)

--min-df / --max-df follow scikit-learn: an integer is a number of documents (2), a decimal a
share of them (0.5; 1.0 is every document).

Writes OUT/vocab.json, OUT/stats.json, OUT/zipf.png, OUT/coverage.png and OUT/encoded/
(`datasets` Arrow with an `ids` column; read it with `datasets.load_from_disk`; with
--format parquet, OUT/encoded/*.parquet for `datasets.load_dataset("parquet", ...)`, pandas or
pyarrow).

Shards: --counts-only writes OUT/counts.parquet (type, TF, DF) and OUT/counts.json (sizes,
level, lowercase, tokenizer) instead, uncut; --merge-counts sums such folders exactly (counts
made with other settings are refused) and applies the cut flags, writing vocab.json,
stats.json and the plots as one run over the concatenated shards would (no encoded/).
--merge-counts with --counts-only writes the merged counts, to merge again later.

Bad input gives one line on stderr and exit status 2. The work is done by
`textrnn.preprocessing.pipeline`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from textrnn.cli.args import document_frequency, make_parser, positive_int
from textrnn.cli.entry import cli
from textrnn.errors import InputError
from textrnn.preprocessing.count_files import read_counts, read_settings, write_counts
from textrnn.preprocessing.encoding import FORMATS
from textrnn.preprocessing.pipeline import (
    LEVELS,
    PreprocessOptions,
    count_only,
    merge_counts,
    preprocess,
)

# Flags that cut the vocabulary, with their defaults: --counts-only writes uncut counts.
CUT_FLAGS = {"stopwords": "none", "min_df": 1, "max_df": 1.0, "top_k": None,
             "coverage": None, "zipf_cut": None}
# Flags that read or encode a corpus, which --merge-counts has not got.
CORPUS_FLAGS = {"vocab": None, "text_column": None, "vocab_size": None, "format": "arrow",
                "encoding_errors": "strict"}


def build_parser() -> argparse.ArgumentParser:
    """The `textrnn-preprocess` argument parser."""
    parser = make_parser(__doc__)
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help=".txt(.gz) with one document per line, .csv/.tsv/.jsonl with "
                             "--text-column, or a Hugging Face dataset name (needs network)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument("--level", choices=LEVELS, default=None,
                        help="token level (default word; with --merge-counts, the counts')")
    parser.add_argument("--lowercase", action="store_true", default=None,
                        help="lowercase before tokenizing")
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
    parser.add_argument("--format", choices=FORMATS, default="arrow",
                        help="encoded/ as a `datasets` Arrow folder or as Parquet")
    parser.add_argument("--counts-only", action="store_true",
                        help="write the uncut counts (counts.parquet, counts.json) of this "
                             "shard and stop, to merge later with --merge-counts")
    parser.add_argument("--merge-counts", nargs="+", default=None, metavar="DIR",
                        help="merge the counts of folders written by --counts-only (instead "
                             "of INPUT) and cut, as counting their shards together would")
    return parser


@cli
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `textrnn-preprocess`; returns the exit status."""
    args = build_parser().parse_args(argv)
    check_combination(args)
    options = PreprocessOptions(
        level=args.level or "word", lowercase=bool(args.lowercase), stopwords=args.stopwords,
        min_df=args.min_df, max_df=args.max_df, top_k=args.top_k, coverage=args.coverage,
        zipf_cut=args.zipf_cut,
        vocab_size=args.vocab_size, text_column=args.text_column, num_proc=args.num_proc,
        encoding_errors=args.encoding_errors, vocab=args.vocab,
        subword_sample=args.subword_sample, seed=args.seed, format=args.format,
    )
    if args.merge_counts and args.counts_only:
        stats, tokenizer, inputs = read_counts(args.merge_counts)
        write_counts(args.out, stats, tokenizer, inputs)
        print(f"merged {len(args.merge_counts)} count(s) into {args.out}/counts.parquet, "
              "counts.json")
    elif args.merge_counts:
        merge_counts(args.merge_counts, args.out, options)
    elif args.counts_only:
        count_only(args.inputs, args.out, options)
    else:
        preprocess(args.inputs, args.out, options)
    return 0


def check_combination(args: argparse.Namespace) -> None:
    """Refuse flags that cannot work together, in one line (`InputError`)."""
    if args.merge_counts:
        if args.inputs:
            raise InputError("give either INPUT files to count or --merge-counts folders, "
                             f"not both (got INPUT {args.inputs[0]!r})")
        given = [name for name, default in CORPUS_FLAGS.items()
                 if getattr(args, name) != default]
        if given:
            raise InputError(f"--{given[0].replace('_', '-')} reads or encodes a corpus; "
                             "--merge-counts has only counts (their level and lowercasing "
                             "come from counts.json)")
        _check_merge_settings(args)
    elif not args.inputs:
        raise InputError("no INPUT: give files or dataset names to count, or --merge-counts "
                         "folders")
    if args.counts_only:
        given = [name for name, default in CUT_FLAGS.items() if getattr(args, name) != default]
        if given or args.vocab is not None or args.format != "arrow":
            flag = given[0] if given else "vocab" if args.vocab is not None else "format"
            raise InputError(f"--{flag.replace('_', '-')} does not apply to --counts-only, "
                             "which writes uncut counts; give the cuts to --merge-counts")


def _check_merge_settings(args: argparse.Namespace) -> None:
    """--level / --lowercase given with --merge-counts must be those of the counts."""
    settings = read_settings(args.merge_counts[0])
    for flag, value in (("level", args.level), ("lowercase", args.lowercase)):
        if value is not None and value != settings[flag]:
            raise InputError(f"counted with {flag}={settings[flag]!r}, but --{flag} "
                             f"{value!r} was given; drop --{flag} (merging keeps the counts' "
                             "settings)", args.merge_counts[0])


if __name__ == "__main__":
    sys.exit(main())
