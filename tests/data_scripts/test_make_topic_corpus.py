"""The topic corpora built from shipped data: labels, and splits that never share a document."""

from collections import defaultdict

from textrnn import datasets


def test_ewt_genres_are_split_by_document(script):
    module = script("data_scripts/make_topic_corpus.py")
    rows = module.ewt_genre_rows(datasets.path("ud_ewt_dev"))
    assert len(rows) == 2001
    splits_of = defaultdict(set)
    for split, genre, document, text in rows:
        splits_of[document].add(split)
        assert document.startswith(f"{genre}-") and text.strip()
    assert all(len(splits) == 1 for splits in splits_of.values())
    genres = {genre for _, genre, _, _ in rows}
    assert genres == {"answers", "email", "newsgroup", "reviews", "weblog"}
    for split in ("train", "validation", "test"):
        assert {genre for s, genre, _, _ in rows if s == split} == genres


def test_bible_sections_hold_out_whole_books(script):
    module = script("data_scripts/make_topic_corpus.py")
    assert module.section_of("Rev") == "apocalypse" and module.section_of("Matt") == "gospels"
    assert module.split_of("Luke", 3) == "test" and module.split_of("Matt", 3) == "train"
    assert module.split_of("Rev", 18) == "validation"
