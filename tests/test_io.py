import json

import pytest

from textrnn.errors import InputError
from textrnn.io import (
    atomic_path,
    atomic_write,
    read_json,
    remove_stale_temporaries,
    write_json,
)


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
        assert tmp.parent == tmp_path and tmp.name.endswith(".tmp.bin")
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


@pytest.mark.parametrize(("data", "where"), [
    ({"val_loss": float("nan")}, "val_loss = nan"),
    ({"history": [{"loss": 1.0}, {"loss": float("inf")}]}, r"history\[1\]\.loss = inf"),
    (float("-inf"), "the value = -inf"),
])
def test_write_json_refuses_nan_and_infinity(tmp_path, data, where):
    path = tmp_path / "m.json"
    write_json(path, {"old": 1})
    with pytest.raises(ValueError, match=rf"m\.json: cannot write {where}: strict JSON"):
        write_json(path, data)
    assert read_json(path) == {"old": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_remove_stale_temporaries_keeps_everything_else(tmp_path):
    for name in (".model.keras.abc.tmp.keras", ".state.json.x.tmp", ".best.weights.h5.q.tmp.h5",
                 "model.keras", ".lock", "notes.tmp"):
        (tmp_path / name).write_text("x")
    removed = remove_stale_temporaries(tmp_path)
    assert len(removed) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "model.keras", "notes.tmp"]
