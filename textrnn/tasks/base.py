"""The two base classes every task builds on: `Preprocessor` and `Task`.

A **preprocessor** owns what turns strings into model inputs: the tokenizer (from the one
registry in `textrnn.preprocessing.registry`), the vocabulary or vocabularies, the labels. It
is built from training data only, saved to and loaded from a run folder as JSON (plus
sentencepiece model files), and checks that a model was trained with it.

A **task** pairs a preprocessor with a Keras model and gives the task's verbs: `fit`,
`evaluate`, and its use (`generate`, `predict`, `translate`). `Task.from_run(path)` loads a
run folder written by the task's recipe, so a trained run is usable from Python:

>>> from textrnn.tasks import ClassifierTask
>>> ClassifierTask.from_run("runs/classify").predict(["WIN a FREE prize now!"])
['spam']
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import keras

import textrnn.layers  # noqa: F401  (registers textrnn's layers for load_model)
from textrnn.errors import InputError
from textrnn.io import read_json, write_json
from textrnn.training import save_model_atomic

MODEL_FILE = "model.keras"

PreprocessorT = TypeVar("PreprocessorT", bound="Preprocessor")
TaskT = TypeVar("TaskT", bound="Task")


class Preprocessor:
    """Base class: strings in, model inputs out; saved in and loaded from a run folder.

    Subclasses set `config_file` (the JSON file in the run folder that `save` writes and `load`
    reads) and `format` (the string stored in it, so a file of another task is refused), and
    implement `get_config`, `from_config`, `save_assets` and `model_sizes`.
    """

    config_file: ClassVar[str] = "preprocessor.json"
    format: ClassVar[str] = ""

    def get_config(self) -> dict[str, Any]:
        """JSON-serialisable settings (vocabularies and models live in their own files)."""
        raise NotImplementedError

    @classmethod
    def from_config(cls: type[PreprocessorT], config: dict[str, Any],
                    run_dir: Path) -> PreprocessorT:
        """Rebuilds the preprocessor from `get_config()` and the asset files in `run_dir`."""
        raise NotImplementedError

    def save_assets(self, run_dir: Path) -> None:
        """Writes the vocabularies and other files besides `config_file`."""
        raise NotImplementedError

    def model_sizes(self, model: keras.Model) -> dict[str, tuple[int, int]]:
        """For each size a model depends on: `name -> (the model's value, this one's)`."""
        raise NotImplementedError

    def save(self, run_dir: str | os.PathLike) -> None:
        """Writes `config_file` and the assets into `run_dir` (each file atomically)."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        self.save_assets(run_dir)
        write_json(run_dir / self.config_file, {"format": self.format, **self.get_config()})

    @classmethod
    def exists(cls, run_dir: str | os.PathLike) -> bool:
        """Whether `run_dir` holds a saved preprocessor of this kind."""
        return (Path(run_dir) / cls.config_file).exists()

    @classmethod
    def load(cls: type[PreprocessorT], run_dir: str | os.PathLike) -> PreprocessorT:
        """Loads what `save` wrote; `InputError` when the folder holds another kind of run."""
        run_dir = Path(run_dir)
        config = read_json(run_dir / cls.config_file)
        if not isinstance(config, dict) or config.get("format", cls.format) != cls.format:
            raise InputError(f"not a {cls.format} file: expected an object with format "
                             f"{cls.format!r}", run_dir / cls.config_file)
        config = {key: value for key, value in config.items() if key != "format"}
        try:
            return cls.from_config(config, run_dir)
        except (KeyError, TypeError) as error:
            raise InputError(f"bad or missing setting {error} in {cls.config_file}",
                             run_dir / cls.config_file) from None

    def check_model(self, model: keras.Model, path: str | os.PathLike | None = None) -> None:
        """Raises `InputError` when `model` was not trained with this preprocessor's sizes."""
        for name, (model_size, own_size) in self.model_sizes(model).items():
            if model_size != own_size:
                raise InputError(f"the model expects {name} {model_size} but the run folder's "
                                 f"preprocessor has {own_size}; the vocabulary or labels do "
                                 "not belong to this model", path)


class Task:
    """Base class: a preprocessor and a Keras model, with the task's verbs.

    Args:
        preprocessor: the task's `Preprocessor`.
        model: the Keras model, or None before training.
        model_options: the model builder's settings for the model `fit` creates.

    Subclasses set `preprocessor_class` and `command` (the console script that trains one,
    named in error messages), and add `fit`, `evaluate` and their use.
    """

    preprocessor_class: ClassVar[type[Preprocessor]] = Preprocessor
    command: ClassVar[str] = "textrnn"

    def __init__(self, preprocessor: Preprocessor, model: keras.Model | None = None,
                 model_options: dict[str, Any] | None = None):
        self.preprocessor = preprocessor
        self.model = model
        self.model_options = dict(model_options or {})

    @classmethod
    def from_run(cls: type[TaskT], path: str | os.PathLike) -> TaskT:
        """Loads a trained run folder: its preprocessor and `model.keras` (Keras safe mode).

        Raises:
            InputError: the folder is not a trained run of this task, or its files do not
                match each other.
        """
        path = Path(path)
        model_path = path / MODEL_FILE
        if not model_path.exists() or not cls.preprocessor_class.exists(path):
            raise InputError(f"not a trained {cls.command} run folder (needs {MODEL_FILE} and "
                             f"{cls.preprocessor_class.config_file}); train one with "
                             f"`{cls.command} --out DIR`", path)
        preprocessor = cls.preprocessor_class.load(path)
        model = load_model(model_path)
        preprocessor.check_model(model, path)
        return cls(preprocessor, model)

    def save(self, path: str | os.PathLike) -> None:
        """Writes the preprocessor and `model.keras` (atomically) into `path`."""
        if self.model is None:
            raise ValueError("This task has no model yet: call `fit` first.")
        self.preprocessor.save(path)
        save_model_atomic(self.model, Path(path) / MODEL_FILE)


def load_model(path: str | os.PathLike) -> keras.Model:
    """`keras.saving.load_model` (safe mode, not compiled) with a one-line `InputError`."""
    try:
        return keras.saving.load_model(path, compile=False)
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise InputError(f"cannot load the model: {' '.join(str(error).split())[:300]}",
                         path) from None
