import gzip
import tempfile

import datasets
import huggingface_hub
import pytest
from huggingface_hub.errors import RepositoryNotFoundError

from textrnn import data, text_files
from textrnn import datasets as shipped
from textrnn.errors import InputError


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Keep `datasets`' Arrow cache inside the test's folder."""
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf_cache"))


def write(path, content: bytes):
    if path.suffix == ".gz":
        content = gzip.compress(content)
    path.write_bytes(content)
    return path


def test_read_text_plain_and_gzip(tmp_path):
    for name in ("a.txt", "a.txt.gz"):
        path = write(tmp_path / name, "héllo\nworld\n".encode())
        assert data.read_text(path) == "héllo\nworld\n"


@pytest.mark.parametrize("name", ["bad.txt", "bad.txt.gz"])
def test_read_text_names_line_and_byte_of_bad_utf8(tmp_path, name):
    path = write(tmp_path / name, b"ok line\nstill \xc3\xa9 ok\nbad \xff here\n")
    with pytest.raises(InputError) as caught:
        data.read_text(path)
    assert (caught.value.line, caught.value.offset) == (3, 24)
    assert str(caught.value).startswith(f"{path}:3 (byte 24): not valid UTF-8")
    assert data.read_text(path, encoding_errors="replace").endswith("bad \ufffd here\n")


def test_empty_missing_and_directory(tmp_path):
    empty = write(tmp_path / "empty.txt", b"")
    blank = write(tmp_path / "blank.txt", b"\n  \n")
    for path in (empty, blank):
        with pytest.raises(InputError, match=f"{path}: file is empty"):
            data.read_text(path)
    with pytest.raises(InputError, match="missing.txt: file not found"):
        data.read_text(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="is a directory"):
        data.read_text(tmp_path)
    fake_gzip = tmp_path / "fake.txt.gz"
    fake_gzip.write_bytes(b"plain text")
    with pytest.raises(InputError, match="fake.txt.gz: not a valid gzip file"):
        data.read_text(fake_gzip)
    with pytest.raises(ValueError, match="encoding_errors"):
        data.read_text(empty, encoding_errors="ignore")


def test_chunked_scan_finds_position_across_chunk_borders(tmp_path, monkeypatch):
    monkeypatch.setattr(text_files, "_CHUNK_BYTES", 4)  # read_text and friends live there
    # "é" (2 bytes) straddles the first chunk border; the bad byte is at offset 10 on line 3.
    path = write(tmp_path / "a.txt", b"abc\xc3\xa9\nx\ny\xfe\n")
    assert not data.check_utf8(path)
    error = data.locate_bad_utf8(path)
    assert (error.line, error.offset) == (3, 9)
    assert data.check_utf8(write(tmp_path / "b.txt", "abcé\nxyzé\n".encode()))


def test_load_documents_from_text_skips_blank_lines(tmp_path):
    path = write(tmp_path / "c.txt.gz", b"first doc\n\n  \nsecond doc\n")
    docs = data.load_documents(path)
    assert docs.column_names == ["text"] and docs["text"] == ["first doc", "second doc"]


def test_load_documents_from_tables(tmp_path):
    csv_path = write(tmp_path / "c.csv", b'label,body\nx,"hello, world"\ny,007\n')
    assert data.load_documents(csv_path, "body")["text"] == ["hello, world", "007"]
    tsv_path = write(tmp_path / "c.tsv", b'ham\tsay "hi\nspam\tNA\n')
    assert data.load_documents(tsv_path, "1")["text"] == ['say "hi', "NA"]
    jsonl_path = write(tmp_path / "c.jsonl", b'{"text": "a", "n": 1}\n{"text": "b"}\n')
    assert data.load_documents(jsonl_path)["text"] == ["a", "b"]


def test_missing_column_lists_the_available_ones(tmp_path):
    path = write(tmp_path / "c.csv", b"label,body\nx,y\n")
    with pytest.raises(InputError, match=r"c.csv: missing column 'text'; available columns: "
                                         r"\['label', 'body'\]"):
        data.load_documents(path)


def test_bad_utf8_in_a_table_and_replace(tmp_path):
    path = write(tmp_path / "c.jsonl", b'{"text": "fine"}\n{"text": "caf\xe9"}\n')
    with pytest.raises(InputError, match=r"c.jsonl:2 \(byte 30\): not valid UTF-8"):
        data.load_documents(path)
    assert data.load_documents(path, encoding_errors="replace")["text"] == ["fine", "caf\ufffd"]


def test_unsupported_suffix_and_missing_local_file(tmp_path):
    with pytest.raises(InputError, match="unsupported file type '.docx'"):
        data.load_documents(write(tmp_path / "a.docx", b"x"))
    with pytest.raises(InputError, match="nothere.tsv: file not found"):
        data.load_table(tmp_path / "nothere.tsv", ["0"])
    with pytest.raises(InputError, match="use `load_documents`"):
        data.load_table(write(tmp_path / "a.txt", b"x\n"), ["0"])


def test_load_table_headerless_shipped_data():
    pairs = data.load_table(shipped.path("eng_fra_tatoeba_5k"), ["0", "1"])
    assert pairs.column_names == ["0", "1"] and len(pairs) == 5000
    assert pairs[0] == {"0": "Go.", "1": "Va !"}
    named = data.load_table(shipped.path("sms_spam"), ["text", "label"],
                            column_names=["label", "text"])
    assert named.column_names == ["text", "label"] and named[0]["label"] == "ham"
    assert set(named["label"]) == {"ham", "spam"} and len(named) == 5574


@pytest.fixture
def hub_answers(monkeypatch):
    """The hub's metadata request succeeds (no network is used)."""
    monkeypatch.setattr(huggingface_hub, "dataset_info", lambda name, timeout: None)


def test_hub_names_go_to_load_dataset(monkeypatch, hub_answers):
    calls = []

    def fake_load_dataset(name, split, cache_dir):
        calls.append((name, split))
        return datasets.Dataset.from_dict({"sentence": ["hub text"], "label": [0]})

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    docs = data.load_documents("someone/corpus", text_column="sentence", split="validation")
    assert docs["text"] == ["hub text"] and calls == [("someone/corpus", "validation")]
    with pytest.raises(InputError, match="missing column 'text'.*'sentence', 'label'"):
        data.load_documents("someone/corpus")


def test_hub_failure_is_one_input_error(monkeypatch, hub_answers):
    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(InputError, match="someone/corpus: not a local file.*no network"):
        data.load_documents("someone/corpus")


def test_an_unreachable_hub_or_unknown_name_fails_at_once(monkeypatch):
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: pytest.fail("retried"))
    asked = []

    def unreachable(name, timeout):
        asked.append(timeout)
        raise OSError("Name or service not known")

    monkeypatch.setattr(huggingface_hub, "dataset_info", unreachable)
    with pytest.raises(InputError, match="someone/corpus: no such local file, and the Hugging "
                       "Face hub could not be reached .*Name or service not known"):
        data.load_documents("someone/corpus")
    assert asked == [data.HUB_TIMEOUT]

    def unknown(name, timeout):
        raise RepositoryNotFoundError.__new__(RepositoryNotFoundError)  # its init wants a reply

    monkeypatch.setattr(huggingface_hub, "dataset_info", unknown)
    with pytest.raises(InputError, match="no such Hugging Face dataset"):
        data.load_documents("someone/corpus")


@pytest.mark.parametrize("name", ["mycorpus", "data/corpus", "corpus.parquet", "someone/c.txt",
                                  "./someone/corpus"])
def test_names_that_are_not_hub_ids_fail_at_once_without_the_hub(tmp_path, monkeypatch, name):
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: pytest.fail("hub called"))
    with pytest.raises(InputError, match=r"file not found|unsupported file type"):
        data.load_documents(name)
    assert not data.is_hub_id(name)


def test_missing_bare_name_hints_at_the_hub_naming(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"^mycorpus: file not found \(a Hugging Face hub "
                                         r"dataset is named owner/name\)"):
        data.load_documents("mycorpus")
    assert data.is_hub_id("stanfordnlp/imdb") and data.is_hub_id("allenai/c4")


@pytest.mark.parametrize(("content", "message"), [
    (b'{"text": "a"}\n\n{"text": "b"\n{"text": "c"}\n',
     r"c\.jsonl:3: malformed JSON: Expecting ',' delimiter \(column 13\)"),
    (b'{"text": "a"}\n["text", "b"]\n', r"c\.jsonl:2: expected one JSON object per line, "
                                        r"got a JSON list"),
])
def test_jsonl_errors_name_the_1_based_line_and_the_reason(tmp_path, content, message):
    with pytest.raises(InputError, match=message):
        data.load_documents(write(tmp_path / "c.jsonl", content))


def test_loading_local_files_leaves_no_cache_and_no_progress_bars(tmp_path, monkeypatch,
                                                                  capfd):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    (tmp_path / "docs.txt").write_text("one\n\ntwo\n", encoding="utf-8")
    (tmp_path / "rows.csv").write_text("label,text\na,one\nb,two\n", encoding="utf-8")
    assert data.load_documents(tmp_path / "docs.txt")["text"] == ["one", "two"]
    assert data.load_table(tmp_path / "rows.csv", ["text"])["text"] == ["one", "two"]
    assert not (tmp_path / "hf_cache").exists() and not any((tmp_path / "tmp").iterdir())
    assert capfd.readouterr().err == "" and datasets.is_progress_bar_enabled()
    kept = tmp_path / "kept"  # a cache the caller asks for is kept
    data.load_documents(tmp_path / "docs.txt", cache_dir=str(kept))
    assert any(path.suffix == ".arrow" for path in kept.rglob("*"))
