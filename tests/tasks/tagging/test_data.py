import gzip

import pytest

from textrnn.errors import InputError
from textrnn.tasks.tagging import read_tagged, split_sentences


def test_conllu_skips_multiword_tokens_and_empty_nodes(conllu_file):
    sentences = read_tagged(conllu_file)
    assert sentences == [(["The", "dog", "runs", "."], ["DET", "NOUN", "VERB", "PUNCT"]),
                         (["do", "n't", "go"], ["AUX", "PART", "VERB"])]
    assert read_tagged(conllu_file, "xpos")[0][1] == ["DT", "NN", "VBZ", "."]


def test_conllu_is_recognised_by_content_and_gzip(tmp_path, conllu_file):
    path = tmp_path / "data.txt.gz"
    path.write_bytes(gzip.compress(conllu_file.read_bytes()))
    assert read_tagged(path)[1][0] == ["do", "n't", "go"]


def test_column_file_skips_docstart_and_uses_the_tag_column(tmp_path):
    path = tmp_path / "ner.txt"
    path.write_text("-DOCSTART- -X- O O\n\nEU NNP B-ORG\nrejects VBZ O\n\n\nPeter NNP B-PER\n")
    assert read_tagged(path) == [(["EU", "rejects"], ["B-ORG", "O"]), (["Peter"], ["B-PER"])]
    assert read_tagged(path, "1")[0][1] == ["NNP", "VBZ"]


@pytest.mark.parametrize("text, line", [
    ("a DET\nb\n", 2),                       # no tag column
    ("a DET x\nb NOUN\n", 2),                # column count changes
])
def test_bad_column_rows_name_file_and_line(tmp_path, text, line):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=rf"bad.txt:{line}:"):
        read_tagged(path)


def test_bad_conllu_rows_name_file_and_line(tmp_path, conllu_file):
    lines = conllu_file.read_text().splitlines()
    lines[4] = "2\tdog\tdog\tNOUN"                   # line 5: 4 fields
    path = tmp_path / "bad.conllu"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"bad.conllu:5: expected 10 tab-separated"):
        read_tagged(path)
    lines = conllu_file.read_text().splitlines()
    lines[2] = lines[2].replace("DET", "_")          # line 3: no UPOS
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"bad.conllu:3: token 'The' has no upos tag"):
        read_tagged(path)
    with pytest.raises(InputError, match="unknown CoNLL-U tag column 'pos'"):
        read_tagged(conllu_file, "pos")


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.conllu"
    path.write_text("\n\n")
    with pytest.raises(InputError, match="empty.conllu"):
        read_tagged(path)


def test_split_is_seeded_and_complete(toy):
    parts = split_sentences(toy, (0.8, 0.1, 0.1), seed=3)
    assert [len(p) for p in parts] == [96, 12, 12]
    assert sorted(map(str, sum(parts, []))) == sorted(map(str, toy))
    assert parts == split_sentences(toy, (0.8, 0.1, 0.1), seed=3)
    assert [len(p) for p in split_sentences(toy[:3], (0.8, 0.1, 0.1))] == [1, 1, 1]
    with pytest.raises(InputError, match="only 2 sentence"):
        split_sentences(toy[:2], (0.8, 0.1, 0.1))
