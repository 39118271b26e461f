"""Parallel data loading, subword assets, length filtering and the masked loss."""

import gzip
import json
import unicodedata

import keras
import numpy as np
import pytest

from textrnn import datasets
from textrnn.errors import InputError
from textrnn.models.seq2seq import build_seq2seq
from textrnn.tasks.translation import (
    MaskedSparseCrossentropy,
    TranslationAssets,
    encode_pairs,
    load_parallel,
    log_prior,
)


@pytest.fixture(scope="module")
def pairs():
    with gzip.open(datasets.path("eng_fra_tatoeba_5k"), "rt", encoding="utf-8") as handle:
        rows = [line.split("\t")[:2] for _, line in zip(range(400), handle, strict=False)]
    return [en for en, _ in rows], [fr for _, fr in rows]


def test_split_column_and_empty_pairs(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("split\ten\tes\ntrain\tHello .\tHola .\ntrain\t\tvacío\n"
                    "test\tGood\tBueno\nvalidation\tYes\t  \ntest\tNo\tNo\n", encoding="utf-8")
    corpus = load_parallel(path, "en", "es", "split")
    assert corpus.counts["empty_pairs"] == 2
    assert corpus.sources == {"train": ["Hello ."], "validation": [], "test": ["Good", "No"]}
    assert corpus.targets["test"] == ["Bueno", "No"]


def test_random_split_of_jsonl_is_seeded(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps({"a": f"s{i}\tx", "b": f"t{i}"}) + "\n"
                            for i in range(100)), encoding="utf-8")
    first, again = load_parallel(path, "a", "b", seed=1), load_parallel(path, "a", "b", seed=1)
    assert [len(first.sources[s]) for s in ("train", "validation", "test")] == [90, 5, 5]
    assert first.sources == again.sources
    assert first.sources["train"][0].endswith(" x")  # tabs become spaces


def test_bad_split_labels_and_no_pairs(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("en,es,split\na,b,dev\n", encoding="utf-8")
    with pytest.raises(InputError, match="expected only"):
        load_parallel(path, "en", "es", "split")
    path.write_text("en,es\na,\n", encoding="utf-8")
    with pytest.raises(InputError, match="no sentence pair"):
        load_parallel(path, "en", "es")


@pytest.mark.parametrize("shared", [False, True])
def test_assets_round_trip(pairs, tmp_path, shared):
    sources, targets = pairs
    assets = TranslationAssets.build(sources, targets, tmp_path, vocab_size=200, shared=shared)
    assets.save(tmp_path)
    loaded = TranslationAssets.load(tmp_path)
    assert loaded.shared == shared
    assert loaded.target_vocabulary == assets.target_vocabulary
    vocab = loaded.target_vocabulary
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
    ids = loaded.encode_target(targets[5])
    # sentencepiece applies NFKC (e.g. a narrow no-break space becomes a space).
    assert vocab.unk_id not in ids
    assert loaded.decode_target(ids) == unicodedata.normalize("NFKC", targets[5])
    assert (loaded.source_vocabulary == loaded.target_vocabulary) == shared


def test_unseen_characters_become_unk(pairs, tmp_path):
    assets = TranslationAssets.build(*pairs, tmp_path, vocab_size=200)
    assert assets.unseen_characters("Go ☃ now!") == ["☃"]
    assert assets.source_vocabulary.unk_id in assets.encode_source("Go ☃ now")


def test_model_with_other_vocabularies_is_refused(pairs, tmp_path):
    assets = TranslationAssets.build(*pairs, tmp_path, vocab_size=200)
    model = build_seq2seq(len(assets.source_vocabulary), len(assets.target_vocabulary) + 5,
                          units=4, embedding_dim=4)
    with pytest.raises(InputError, match="target vocabulary"):
        assets.check_model(model, tmp_path)


def test_encode_pairs_filters_and_counts(pairs, tmp_path):
    sources, targets = pairs
    assets = TranslationAssets.build(sources, targets, tmp_path, vocab_size=200)
    encoded = encode_pairs(assets, sources + ["a " * 30], targets + ["b"], max_length=12)
    lengths = [max(len(assets.encode_source(s)), len(assets.encode_target(t)))
               for s, t in zip(sources, targets, strict=True)]
    assert encoded.too_long == sum(n > 12 for n in lengths) + 1
    assert encoded.source.shape == (len(encoded.kept), 12)
    first = encoded.kept[0]
    expected = assets.encode_target(targets[first])
    assert encoded.target_in[0, : len(expected) + 1].tolist() == [2, *expected]
    assert encoded.target_out[0, : len(expected) + 1].tolist() == [*expected, 3]


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_loss_is_the_mean_over_real_tokens(smoothing):
    keras.utils.set_random_seed(0)
    model = build_seq2seq(9, 7, units=4, embedding_dim=4)
    model.compile(loss=MaskedSparseCrossentropy(smoothing))
    source = np.array([[4, 5, 6], [7, 0, 0]], "int32")
    target_in = np.array([[2, 4, 5], [2, 6, 0]], "int32")
    target_out = np.array([[4, 5, 3], [6, 3, 0]], "int32")
    logits = model.predict([source, target_in], verbose=0)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    real = target_out != 0
    nll = -np.take_along_axis(log_probs, target_out[..., None], -1)[..., 0]
    per_token = (1 - smoothing) * nll - smoothing * log_probs.mean(-1)
    loss = model.evaluate([source, target_in], target_out, verbose=0)
    np.testing.assert_allclose(loss, per_token[real].mean(), rtol=1e-5)
    restored = MaskedSparseCrossentropy.from_config(model.loss.get_config())
    assert restored.label_smoothing == smoothing


def test_log_prior_is_smoothed_target_unigram_frequency():
    target_out = np.array([[4, 4, 3, 0], [5, 3, 0, 0]])
    prior = log_prior(target_out, 6)
    counts = np.array([0, 0, 0, 2, 2, 1]) + 1.0  # padding (id 0) is not counted
    np.testing.assert_allclose(prior, np.log(counts / counts.sum()), rtol=1e-6)
    assert prior.dtype == np.float32
