"""The translation task: an encoder-decoder with attention over sentencepiece subwords.

- `TranslatorTask` (`task.py`): `fit`, `evaluate` (sacrebleu BLEU / chrF, beam and greedy),
  `translate`, `plot_attention`; `TranslatorTask.from_run(path)` loads a `textrnn-translate`
  run folder.
- `TranslatorPreprocessor` (`preprocessor.py`): the subword tokenizers and vocabularies of
  both languages (shared or not); sentence pairs to `([source, target_in], target_out)`.
- `load_parallel` / `ParallelCorpus` (`data.py`): sentence pairs from a table, split.
- `MaskedSparseCrossentropy`, `log_prior` (`loss.py`): the training loss and output bias.
- `evaluation.py`: `scores`, the predictions file, attention heat-maps.
"""

from textrnn.tasks.translation.data import SPLITS, ParallelCorpus, load_parallel
from textrnn.tasks.translation.loss import MaskedSparseCrossentropy, log_prior
from textrnn.tasks.translation.preprocessor import EncodedPairs, TranslatorPreprocessor, pad
from textrnn.tasks.translation.task import TranslatorTask

__all__ = [
    "SPLITS",
    "EncodedPairs",
    "MaskedSparseCrossentropy",
    "ParallelCorpus",
    "TranslatorPreprocessor",
    "TranslatorTask",
    "load_parallel",
    "log_prior",
    "pad",
]
