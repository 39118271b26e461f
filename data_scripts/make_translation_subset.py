"""Derive the shipped English->Spanish translation subset from the Bible corpus.

    python data_scripts/make_translation_subset.py \
        [--source ../shared/data/bible_en_es.tsv] [--out textrnn/datasets/bible_en_es_short.tsv.gz]

Keeps verses of at most MAX_WORDS whitespace words on both sides and labels each verse with
its split BY BOOK: neighbouring verses repeat formulas ("And he said unto them ..."), so a
random verse split would put near-copies of test verses in training. The held-out books are
fixed; every other book of the Bible is training data (more pairs is what a translator that
trains for a few CPU minutes needs most). Writes a gzip TSV with the header
`split book chapter verse en es` and prints the number of verses, words and bytes per split.
"""

import argparse
import csv
import gzip
import io
import sys
from collections import Counter
from pathlib import Path

from textrnn.cli.entry import cli

MAX_WORDS = 20
HELD_OUT = {"validation": ("Ruth", "Heb"), "test": ("John",)}


@cli
def main(argv: list[str] | None = None) -> None:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=root.parent / "shared/data/bible_en_es.tsv")
    parser.add_argument("--out", default=root / "textrnn/datasets/bible_en_es_short.tsv.gz")
    args = parser.parse_args(argv)
    with open(args.source, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    split_of = {row["book"]: "train" for row in rows}
    split_of.update({book: split for split, books in HELD_OUT.items() for book in books})
    kept = [row for row in rows
            if max(len(row["en"].split()), len(row["es"].split())) <= MAX_WORDS]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", quoting=csv.QUOTE_NONE, lineterminator="\n")
    writer.writerow(["split", "book", "chapter", "verse", "en", "es"])
    for row in kept:
        writer.writerow([split_of[row["book"]], row["book"], row["chapter"], row["verse"],
                         row["en"], row["es"]])
    # mtime=0 makes the file byte-identical across runs.
    data = gzip.compress(buffer.getvalue().encode("utf-8"), mtime=0)
    Path(args.out).write_bytes(data)
    verses = Counter(split_of[row["book"]] for row in kept)
    words = Counter()
    for row in kept:
        words[split_of[row["book"]]] += len(row["en"].split())
    print(f"read {len(rows)} verses from {args.source}; kept {len(kept)} of <= {MAX_WORDS} "
          f"words on both sides from {len(split_of)} books")
    for split in ("train", "validation", "test"):
        books = [book for book, name in split_of.items() if name == split]
        print(f"  {split:<10} {verses[split]:>5} verses {words[split]:>6} English words  "
              f"{len(books)} books: {', '.join(books)}")
    print(f"wrote {args.out} ({len(data)} bytes gzip)")


if __name__ == "__main__":
    sys.exit(main())
