"""The language-model task: a recurrent model over characters, words or subwords.

- `LanguageModelPreprocessor` (`preprocessor.py`): tokenizer and vocabulary, text <-> ids,
  truncated-BPTT windows, the run-folder files `tokenizer.json`, `vocab.json`,
  `subword.model`.
- `LanguageModelTask` (`task.py`): `from_corpus`, `fit`, `find_lr`, `evaluate`
  (perplexity, bits per character), `report`, `generate`, `from_run`.
- `split_text`, `load_corpus` (`data.py`), `ngram_baseline` (`baseline.py`), `SampleCallback`
  (`callbacks.py`).

>>> from textrnn.tasks import LanguageModelTask
>>> LanguageModelTask.from_run("runs/language_model").generate("ROMEO:", seed=1)
"""

from textrnn.tasks.language_model.baseline import evaluated_streams, ngram_baseline
from textrnn.tasks.language_model.callbacks import SampleCallback
from textrnn.tasks.language_model.data import TextSplits, load_corpus, split_text
from textrnn.tasks.language_model.preprocessor import EOL, LanguageModelPreprocessor
from textrnn.tasks.language_model.task import (
    LR_FINDER_PLOT,
    LanguageModelTask,
    language_model_metrics,
)

__all__ = [
    "EOL",
    "LR_FINDER_PLOT",
    "LanguageModelPreprocessor",
    "LanguageModelTask",
    "SampleCallback",
    "TextSplits",
    "evaluated_streams",
    "language_model_metrics",
    "load_corpus",
    "ngram_baseline",
    "split_text",
]
