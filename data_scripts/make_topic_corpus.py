"""Build a 7-class topic corpus from the English side of the Bible: each verse labelled by section.

    python data_scripts/make_topic_corpus.py \
        [--source ../shared/data/bible_en_es.tsv] [--out runs/data/bible_topics.tsv]
    textrnn-classify --data runs/data/bible_topics.tsv --split-column split

Sections: law (the five books of Moses), history (Joshua .. Esther), wisdom (Job .. Song of
Songs), prophets (Isaiah .. Malachi), gospels (the four gospels and Acts), letters (Romans ..
Jude) and apocalypse (Revelation). The split is BY BOOK: neighbouring verses repeat formulas
("And the LORD spake unto Moses, saying"), so a random verse split would put near-copies of test
verses in training. Every section with at least three books holds out one book for validation and
one for test; apocalypse has a single book, so its 404 verses are split by chapter (1-16 train,
17-19 validation, 20-22 test). Writes a TSV with the header `split section book text` and prints
the verses per split and section.
"""

import argparse
import csv
from collections import Counter
from pathlib import Path

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


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=root.parent / "shared/data/bible_en_es.tsv")
    parser.add_argument("--out", default=root / "runs/data/bible_topics.tsv")
    args = parser.parse_args()
    with open(args.source, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    counts = Counter()
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_NONE, lineterminator="\n")
        writer.writerow(["split", "section", "book", "text"])
        for row in rows:
            split, section = split_of(row["book"], int(row["chapter"])), section_of(row["book"])
            writer.writerow([split, section, row["book"], " ".join(row["en"].split())])
            counts[split, section] += 1
    print(f"read {len(rows)} verses from {args.source}; wrote {out}")
    print(f"  {'':<12}" + "".join(f"{split:>12}" for split in ("train", "validation", "test")))
    for section in SECTIONS:
        print(f"  {section:<12}" + "".join(f"{counts[split, section]:>12}"
                                           for split in ("train", "validation", "test")))


if __name__ == "__main__":
    main()
