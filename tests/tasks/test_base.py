import json

import keras
import numpy as np
import pytest

from textrnn.errors import InputError
from textrnn.io import write_json
from textrnn.preprocessing import Vocabulary
from textrnn.tasks.base import MODEL_FILE, Preprocessor, Task


class ToyPreprocessor(Preprocessor):
    config_file = "toy.json"
    format = "textrnn.toy"

    def __init__(self, vocabulary: Vocabulary, width: int = 3):
        self.vocabulary = vocabulary
        self.width = width

    def get_config(self):
        return {"width": self.width}

    @classmethod
    def from_config(cls, config, run_dir):
        return cls(Vocabulary.load(run_dir / "toy_vocab.json"), config["width"])

    def save_assets(self, run_dir):
        self.vocabulary.save(run_dir / "toy_vocab.json")

    def model_sizes(self, model):
        return {"a vocabulary of": (model.layers[0].input_dim, len(self.vocabulary))}


class ToyTask(Task):
    preprocessor_class = ToyPreprocessor
    command = "textrnn-toy"


def toy_model(vocab_size: int) -> keras.Model:
    return keras.Sequential([keras.Input((None,), dtype="int32"),
                             keras.layers.Embedding(vocab_size, 2), keras.layers.Dense(1)])


def test_save_and_from_run_round_trip(tmp_path):
    vocabulary = Vocabulary(["a", "b", "c"])
    task = ToyTask(ToyPreprocessor(vocabulary, width=7), toy_model(len(vocabulary)))
    task.save(tmp_path)
    saved = json.loads((tmp_path / "toy.json").read_text())
    assert saved == {"format": "textrnn.toy", "width": 7}

    loaded = ToyTask.from_run(tmp_path)
    assert loaded.preprocessor.vocabulary == vocabulary
    assert loaded.preprocessor.width == 7
    ids = np.array([[2, 3, 4]])
    np.testing.assert_allclose(loaded.model(ids), task.model(ids), atol=1e-6)


def test_from_run_refuses_a_vocabulary_that_does_not_match_the_model(tmp_path):
    ToyTask(ToyPreprocessor(Vocabulary(["a", "b"])), toy_model(4)).save(tmp_path)
    Vocabulary(["a", "b", "c", "d"]).save(tmp_path / "toy_vocab.json")
    with pytest.raises(InputError, match="expects a vocabulary of 4 .* has 6"):
        ToyTask.from_run(tmp_path)


def test_from_run_names_the_command_when_the_folder_is_not_a_run(tmp_path):
    with pytest.raises(InputError, match="textrnn-toy --out DIR"):
        ToyTask.from_run(tmp_path)


def test_load_refuses_another_tasks_file(tmp_path):
    write_json(tmp_path / "toy.json", {"format": "textrnn.other", "width": 3})
    with pytest.raises(InputError, match="textrnn.toy"):
        ToyPreprocessor.load(tmp_path)


def test_load_names_a_missing_setting(tmp_path):
    Vocabulary(["a"]).save(tmp_path / "toy_vocab.json")
    write_json(tmp_path / "toy.json", {"format": "textrnn.toy"})
    with pytest.raises(InputError, match="'width'.*toy.json"):
        ToyPreprocessor.load(tmp_path)


def test_a_truncated_model_file_is_a_one_line_input_error(tmp_path):
    ToyTask(ToyPreprocessor(Vocabulary(["a"])), toy_model(3)).save(tmp_path)
    path = tmp_path / MODEL_FILE
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(InputError, match="cannot load the model") as error:
        ToyTask.from_run(tmp_path)
    assert "\n" not in str(error.value)


def test_save_without_a_model_says_to_fit_first(tmp_path):
    with pytest.raises(ValueError, match="call `fit` first"):
        ToyTask(ToyPreprocessor(Vocabulary(["a"]))).save(tmp_path)
