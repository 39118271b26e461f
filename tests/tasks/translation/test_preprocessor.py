"""TranslatorPreprocessor: subword assets, the data contract, run-folder files, refusals."""

import gzip
import json
import unicodedata

import pytest

from textrnn import datasets
from textrnn.errors import InputError
from textrnn.models.seq2seq import build_seq2seq
from textrnn.preprocessing import CharTokenizer
from textrnn.tasks.translation import TranslatorPreprocessor


@pytest.fixture(scope="module")
def pairs():
    with gzip.open(datasets.path("eng_fra_tatoeba_5k"), "rt", encoding="utf-8") as handle:
        rows = [line.split("\t")[:2] for _, line in zip(range(400), handle, strict=False)]
    return [en for en, _ in rows], [fr for _, fr in rows]


@pytest.fixture(scope="module")
def built(pairs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pre")
    preprocessor = TranslatorPreprocessor.build(*pairs, folder, vocab_size=200, max_length=12)
    preprocessor.save(folder)
    return preprocessor, folder


@pytest.mark.parametrize("shared", [False, True])
def test_save_load_round_trip(pairs, tmp_path, shared):
    sources, targets = pairs
    built = TranslatorPreprocessor.build(sources, targets, tmp_path / "build", vocab_size=200,
                                         shared=shared, max_length=17)
    built.save(tmp_path / "run")  # another folder: the subword models are copied
    loaded = TranslatorPreprocessor.load(tmp_path / "run")
    assert loaded.shared == shared and loaded.max_length == 17
    assert loaded.target_vocabulary == built.target_vocabulary
    assert loaded.source_vocabulary == built.source_vocabulary
    vocab = loaded.target_vocabulary
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    ids = loaded.encode_target(targets[5])
    # sentencepiece applies NFKC (e.g. a narrow no-break space becomes a space).
    assert vocab.unk_id not in ids
    assert loaded.decode_target(ids) == unicodedata.normalize("NFKC", targets[5])
    assert (loaded.source_vocabulary == loaded.target_vocabulary) == shared
    files = {"subword.model"} if shared else {"source.model", "target.model"}
    assert files <= {path.name for path in (tmp_path / "run").iterdir()}
    config = json.loads((tmp_path / "run" / "translation_assets.json").read_text())
    assert config["format"] == "textrnn.translation" and config["shared"] == shared


def test_old_layout_folder_loads(built):
    preprocessor, folder = built
    # What the recipe wrote before the preprocessor: {"shared": ...} and fixed file names.
    (folder / "translation_assets.json").write_text(json.dumps({"shared": False}))
    loaded = TranslatorPreprocessor.load(folder)
    assert loaded.max_length == 40  # the recipe's default; the command sets its own
    assert loaded.target_vocabulary == preprocessor.target_vocabulary
    assert loaded.encode_source("I ran.") == preprocessor.encode_source("I ran.")
    preprocessor.save(folder)


def test_data_contract(built, pairs):
    preprocessor, _ = built
    sources, targets = pairs
    (source, target_in), target_out = preprocessor(sources[:3], targets[:3])
    expected = preprocessor.encode_target(targets[0])
    assert source.shape[1] == 12 and target_in.shape[1] == target_out.shape[1] == 13
    assert target_in[0, : len(expected) + 1].tolist() == [2, *expected]
    assert target_out[0, : len(expected) + 1].tolist() == [*expected, 3]
    assert source.dtype == "int32"


def test_encode_pairs_filters_and_counts(built, pairs):
    preprocessor, _ = built
    sources, targets = pairs
    encoded = preprocessor.encode_pairs(sources + ["a " * 30], targets + ["b"])
    lengths = [max(len(preprocessor.encode_source(s)), len(preprocessor.encode_target(t)))
               for s, t in zip(sources, targets, strict=True)]
    assert encoded.too_long == sum(n > 12 for n in lengths) + 1
    assert encoded.source.shape == (len(encoded.kept), 12)
    with pytest.raises(ValueError, match="as many targets"):
        preprocessor.encode_pairs(sources, targets[:-1])


def test_unseen_characters_become_unk(built):
    preprocessor, _ = built
    assert preprocessor.unseen_characters("Go ☃ now!") == ["☃"]
    assert preprocessor.source_vocabulary.unk_id in preprocessor.encode_source("Go ☃ now")
    assert preprocessor.encode_sources(["", "Go"]).shape[0] == 2  # "" becomes one <unk>


def test_model_with_other_vocabularies_is_refused(built):
    preprocessor, folder = built
    model = build_seq2seq(len(preprocessor.source_vocabulary),
                          len(preprocessor.target_vocabulary) + 5, units=4, embedding_dim=4)
    with pytest.raises(InputError, match="target vocabulary size .* do not belong"):
        preprocessor.check_model(model, folder)


def test_target_vocabulary_file_of_the_wrong_size_is_refused(built, tmp_path):
    preprocessor, _ = built
    preprocessor.save(tmp_path)
    vocab = json.loads((tmp_path / "target_vocab.json").read_text())
    vocab["tokens"] = vocab["tokens"][:-3]
    (tmp_path / "target_vocab.json").write_text(json.dumps(vocab))
    with pytest.raises(InputError, match="target_vocab.json.*does not match"):
        TranslatorPreprocessor.load(tmp_path)


def test_bad_arguments(built, tmp_path):
    preprocessor, _ = built
    with pytest.raises(ValueError, match="SubwordTokenizer"):
        TranslatorPreprocessor(CharTokenizer())
    with pytest.raises(ValueError, match="max_length"):
        TranslatorPreprocessor(preprocessor.source_tokenizer, max_length=0)
    (tmp_path / "translation_assets.json").write_text(json.dumps({"format": "textrnn.lm"}))
    with pytest.raises(InputError, match="not a textrnn.translation"):
        TranslatorPreprocessor.load(tmp_path)
