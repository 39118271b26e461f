"""Build a 7-class topic corpus from the English side of the Bible: each verse labelled by section.

    python data_scripts/make_topic_corpus.py \
        [--source ../shared/data/bible_en_es.tsv] [--out runs/data/bible_topics.tsv]
    textrnn-classify --data runs/data/bible_topics.tsv --split-column split
    python data_scripts/make_topic_corpus.py --corpus ewt-genres   # runs/data/ewt_genres.tsv
    textrnn-classify --data runs/data/ewt_genres.tsv --split-column split --label-column genre

Sections: law (the five books of Moses), history (Joshua .. Esther), wisdom (Job .. Song of
Songs), prophets (Isaiah .. Malachi), gospels (the four gospels and Acts), letters (Romans ..
Jude) and apocalypse (Revelation). The split is BY BOOK: neighbouring verses repeat formulas
("And the LORD spake unto Moses, saying"), so a random verse split would put near-copies of test
verses in training. Every section with at least three books holds out one book for validation and
one for test; apocalypse has a single book, so its 404 verses are split by chapter (1-16 train,
17-19 validation, 20-22 test). Writes a TSV with the header `split section book text` and prints
the verses per split and section.

`--corpus ewt-genres` instead labels the 2,001 sentences of the shipped UD English Web Treebank
dev part (modern English, CC BY-SA 4.0) with their source genre (answers, email, newsgroup,
reviews, weblog: the prefix of each `sent_id`), split by document: per genre, whole documents in
a fixed hashed order fill about 15% test, 12% validation, the rest training.
"""

import argparse
import csv
import gzip
import sys
import zlib
from collections import Counter, defaultdict
from pathlib import Path

from textrnn.cli.entry import cli

SECTIONS = {
    "law": "Gen Exod Lev Num Deut",
    "history": "Josh Judg Ruth 1Sam 2Sam 1Kgs 2Kgs 1Chr 2Chr Ezra Neh Esth",
    "wisdom": "Job Ps Prov Eccl Song",
    "prophets": "Isa Jer Lam Ezek Dan Hos Joel Amos Obad Jonah Mic Nah Hab Zeph Hag Zech Mal",
    "gospels": "Matt Mark Luke John Acts",
    "letters": "Rom 1Cor 2Cor Gal Eph Phil Col 1Thess 2Thess 1Tim 2Tim Titus Phlm Heb Jas 1Pet "
               "2Pet 1John 2John 3John Jude",
    "apocalypse": "Rev",
}
# Held-out books: mid-sized ones, so that training keeps the biggest books of every section.
HELD_OUT = {
    "validation": ("Num", "1Kgs", "Prov", "Ezek", "Mark", "1Cor"),
    "test": ("Deut", "2Kgs", "Job", "Jer", "Luke", "Rom"),
}
REVELATION_CHAPTERS = {"validation": range(17, 20), "test": range(20, 23)}


def section_of(book: str) -> str:
    for section, books in SECTIONS.items():
        if book in books.split():
            return section
    raise ValueError(f"Unknown book code {book!r}: expected one of the 66 codes of "
                     "bible_en_es.tsv (Gen, Exod, ..., Rev).")


def split_of(book: str, chapter: int) -> str:
    if book == "Rev":
        return next((split for split, chapters in REVELATION_CHAPTERS.items()
                     if chapter in chapters), "train")
    return next((split for split, books in HELD_OUT.items() if book in books), "train")


def bible_rows(source: Path) -> list[list[str]]:
    """`[split, section, book, text]` of every verse of bible_en_es.tsv."""
    with open(source, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [[split_of(row["book"], int(row["chapter"])), section_of(row["book"]), row["book"],
             " ".join(row["en"].split())] for row in rows]


GENRE_SPLITS = (("test", 0.15), ("validation", 0.27))  # cumulative shares of each genre


def ewt_genre_rows(source: Path) -> list[list[str]]:
    """`[split, genre, document, text]` of every sentence of a UD EWT CoNLL-U file."""
    documents: dict[str, list[str]] = defaultdict(list)
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("# sent_id = "):
                document = line.split("= ", 1)[1].strip().rsplit("-", 1)[0]
            elif line.startswith("# text = "):
                documents[document].append(" ".join(line.split("= ", 1)[1].split()))
    rows = []
    for genre in sorted({name.split("-")[0] for name in documents}):
        names = sorted((name for name in documents if name.split("-")[0] == genre),
                       key=lambda name: zlib.crc32(name.encode()))
        total, seen = sum(len(documents[name]) for name in names), 0
        for name in names:
            split = next((split for split, share in GENRE_SPLITS if seen < share * total),
                         "train")
            seen += len(documents[name])
            rows += [[split, genre, name, text] for text in documents[name]]
    return rows


CORPORA = {  # --corpus -> (rows, default source, default out, label column)
    "bible": (bible_rows, "../shared/data/bible_en_es.tsv", "runs/data/bible_topics.tsv",
              "section"),
    "ewt-genres": (ewt_genre_rows, "textrnn/datasets/ud_ewt_dev.conllu.gz",
                   "runs/data/ewt_genres.tsv", "genre"),
}


@cli
def main(argv: list[str] | None = None) -> None:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=CORPORA, default="bible")
    parser.add_argument("--source", help="default: by --corpus")
    parser.add_argument("--out", help="default: by --corpus")
    args = parser.parse_args(argv)
    make_rows, source, out, label = CORPORA[args.corpus]
    source = Path(args.source or root / source)
    rows, out = make_rows(source), Path(args.out or root / out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")  # quotes a '"' text
        writer.writerow(["split", label, "book" if args.corpus == "bible" else "document",
                         "text"])
        writer.writerows(rows)
    counts = Counter((row[0], row[1]) for row in rows)
    print(f"read {len(rows)} documents from {source}; wrote {out}")
    print(f"  {'':<12}" + "".join(f"{split:>12}" for split in ("train", "validation", "test")))
    for name in sorted({row[1] for row in rows}, key=[row[1] for row in rows].index):
        print(f"  {name:<12}" + "".join(f"{counts[split, name]:>12}"
                                        for split in ("train", "validation", "test")))


if __name__ == "__main__":
    sys.exit(main())
