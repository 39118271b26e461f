import json

import pytest

from textrnn.errors import InputError
from textrnn.io import atomic_path, atomic_write, read_json, write_json


def test_write_json_round_trip_and_creates_folders(tmp_path):
    path = tmp_path / "a" / "b.json"
    write_json(path, {"ü": [1, 2.5]})
    assert read_json(path) == {"ü": [1, 2.5]}
    assert "ü" in path.read_text(encoding="utf-8")  # UTF-8, not \\u escapes


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "state.json"
    write_json(path, {"epoch": 1})
    with pytest.raises(RuntimeError), atomic_write(path) as handle:
        handle.write('{"epoch": 2, "tr')
        raise RuntimeError("killed mid-write")
    assert read_json(path) == {"epoch": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_atomic_path_replaces_only_on_success(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"old")
    with atomic_path(path, suffix=".bin") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".bin"
        tmp.write_bytes(b"new")
        assert path.read_bytes() == b"old"  # not replaced before the block ends
    assert path.read_bytes() == b"new"
    with pytest.raises(OSError), atomic_path(path) as tmp:
        tmp.write_bytes(b"half")
        raise OSError("disk full")
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]


def test_bad_mode():
    with pytest.raises(ValueError, match="mode"), atomic_write("x", mode="a"):
        pass


@pytest.mark.parametrize(("content", "message"), [
    (b'{"a": 1,\n "b": }', r"bad\.json:2: malformed JSON"),
    (b'{"a": "\xff"}', r"bad\.json \(byte 7\): not valid UTF-8"),
])
def test_read_json_names_file_and_position(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_json(path)


def test_read_json_missing_file(tmp_path):
    with pytest.raises(InputError, match="missing.json: file not found"):
        read_json(tmp_path / "missing.json")


def test_input_error_is_a_value_error_with_its_parts():
    error = InputError("empty file", "corpus.txt", line=3, offset=10)
    assert isinstance(error, ValueError)
    assert str(error) == "corpus.txt:3 (byte 10): empty file"
    assert (error.path, error.line, error.offset, error.reason) == (
        "corpus.txt", 3, 10, "empty file")
    assert str(InputError("no file here")) == "no file here"
    assert json.dumps(str(InputError("x", line=2))) == '"line 2: x"'
