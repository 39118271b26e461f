"""The tagging task: a many-to-many BiRNN(-CRF) part-of-speech / named-entity tagger.

- `TaggerTask` (`task.py`): `fit`, `evaluate`, `predict`; `TaggerTask.from_run(path)` loads
  a `textrnn-tag` run folder.
- `TaggerPreprocessor` (`preprocessor.py`): word and character vocabularies, the tag set and
  the tokenizer of raw text; sentences to model inputs.
- `read_tagged`, `split_sentences` (`data.py`): CoNLL-U and CoNLL-2003-style column files.
- `TagBatches` (`batches.py`): length-bucketed batches with word dropout.
- `evaluation.py`: accuracy, per-tag and macro F1, entity F1 (seqeval), the
  most-frequent-tag baseline, the confusion-matrix plot.
"""

from textrnn.tasks.tagging.batches import TagBatches
from textrnn.tasks.tagging.data import read_tagged, split_sentences
from textrnn.tasks.tagging.evaluation import MostFrequentTagBaseline
from textrnn.tasks.tagging.preprocessor import TaggerPreprocessor
from textrnn.tasks.tagging.task import TaggerTask

__all__ = [
    "MostFrequentTagBaseline",
    "TagBatches",
    "TaggerPreprocessor",
    "TaggerTask",
    "read_tagged",
    "split_sentences",
]
