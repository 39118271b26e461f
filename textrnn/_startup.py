"""Quiet TensorFlow's C++ start-up lines, whichever module imports Keras first.

TensorFlow 2.21 prints its start-up lines (oneDNN, CPU features, CUDA probing) through absl
before `TF_CPP_MIN_LOG_LEVEL` is read, so the variable alone does not hide them: file
descriptor 2 has to point at /dev/null while Keras loads its backend. `textrnn/__init__.py`
calls `quiet_keras_import()`, which puts a finder in front of `sys.meta_path` that wraps the
first `import keras` in that redirection. A hook rather than an `import keras` here, because
`import textrnn.preprocessing` must not load Keras at all, and because some sixty modules (and
the commands, which import Keras before any textrnn subpackage) would otherwise each have to
remember to import a silencing module first.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Iterator
from types import ModuleType


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 (C++ logging) to /dev/null while the block runs.

    Python errors raised in the block are printed after stderr is back.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _QuietLoader(importlib.abc.Loader):
    """Runs Keras' own loader with stderr silenced, then hands the module back to it."""

    def __init__(self, loader: importlib.abc.Loader):
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = module.__spec__.loader = self._loader
        with native_stderr_silenced():
            self._loader.exec_module(module)


class _QuietKerasFinder(importlib.abc.MetaPathFinder):
    """Finds `keras` with the other finders and wraps its loader in `_QuietLoader`, once."""

    def find_spec(self, name, path, target=None):
        if name != "keras":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)  # with the finders after this one
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def quiet_keras_import() -> None:
    """Hide TensorFlow's start-up lines when Keras is first imported, unless the user chose.

    Sets `TF_CPP_MIN_LOG_LEVEL` to 2 unless the user picked a level; hooks the import unless
    the user picked a level, Keras is already loaded or `TEXTRNN_DEBUG` asks for everything.
    """
    silence = not ("keras" in sys.modules or "TF_CPP_MIN_LOG_LEVEL" in os.environ
                   or os.environ.get("TEXTRNN_DEBUG"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if silence and not any(isinstance(finder, _QuietKerasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietKerasFinder())
