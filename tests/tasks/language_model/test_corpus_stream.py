import gzip

import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.tasks.language_model import corpus_stream
from textrnn.tasks.language_model.corpus_stream import CorpusChunks, chunks_of, split_pieces
from textrnn.tasks.language_model.data import load_corpus, split_text


def random_text(seed, size=400):
    rng = np.random.default_rng(seed)
    alphabet = list("ab c\n") + ["\r\n", "\n\n", "é", "ß"]
    return "".join(rng.choice(alphabet, size=size))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("chunk_chars", [1, 5, 64, 10_000])
def test_split_pieces_cut_where_split_text_cuts(seed, chunk_chars):
    text = random_text(seed) + ("" if seed % 2 else "tail without newline")
    chunks = list(chunks_of(text, chunk_chars))
    assert "".join(chunks) == text
    assert all(chunk.endswith("\n") for chunk in chunks[:-1])
    joined = {"train": "", "validation": "", "test": ""}
    for name, piece in split_pieces(chunks, len(text)):
        joined[name] += piece
    assert joined == dict(split_text(text).items())


def test_split_pieces_without_line_breaks_keep_everything_in_train():
    pieces = list(split_pieces(["abcdef", "ghij"], 10))
    assert pieces == [("train", "abcdef"), ("train", "ghij")]


@pytest.mark.parametrize("suffix", [".txt", ".gz"])
def test_file_chunks_are_the_loaded_corpus(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(corpus_stream, "CHUNK_CHARS", 16)
    text = random_text(1, 300) + "ünïcödé\r\nend"
    path = tmp_path / f"corpus{suffix}"
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if suffix == ".gz" else data)
    chunks = list(CorpusChunks(str(path)))
    assert "".join(chunks) == load_corpus(str(path)) == text
    assert len(chunks) > 5 and CorpusChunks(str(path)).num_chars() == len(text)


def test_table_chunks_join_documents_like_load_corpus(tmp_path):
    path = tmp_path / "docs.csv"
    path.write_text("label,text\nx,the cat\ny,a dog ran\nz,end\n", encoding="utf-8")
    assert "".join(CorpusChunks(str(path), "text")) == load_corpus(str(path), "text")


def test_bad_files_are_input_errors_naming_them(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"fine\ncaf\xe9\n")
    with pytest.raises(InputError, match=r"latin1.txt:2 \(byte 8\): not valid UTF-8"):
        CorpusChunks(str(bad))
    assert "".join(CorpusChunks(str(bad), encoding_errors="replace")) == "fine\ncaf\ufffd\n"
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n", encoding="utf-8")
    with pytest.raises(InputError, match="empty.txt: file is empty"):
        CorpusChunks(str(empty))
