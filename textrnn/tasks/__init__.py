"""Tasks: one folder per task, each a `Preprocessor` and a `Task` (see `tasks.base`).

- `language_model/`: `LanguageModelTask` — train, evaluate (perplexity, bits per character),
  `generate`.
- `classification/`: `ClassifierTask` — train, evaluate, `predict`, `predict_proba`.
- `translation/`: `TranslatorTask` — train, evaluate (BLEU, chrF), `translate`.
- `tagging/`: `TaggerTask` — train, evaluate, `predict` (part-of-speech / entity tags).

`LanguageModelTask.from_run(path)` (and the others) load a run folder written by the task's
console script. The task classes are imported on first use, so importing this package does not
load every task's dependencies.
"""

from __future__ import annotations

import importlib
from typing import Any

_TASKS = {
    "LanguageModelTask": "textrnn.tasks.language_model",
    "ClassifierTask": "textrnn.tasks.classification",
    "TranslatorTask": "textrnn.tasks.translation",
    "TaggerTask": "textrnn.tasks.tagging",
}

__all__ = sorted(_TASKS)


def __getattr__(name: str) -> Any:
    if name in _TASKS:
        return getattr(importlib.import_module(_TASKS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
