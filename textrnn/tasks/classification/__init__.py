"""Document classification: a `ClassifierPreprocessor` and a `ClassifierTask`.

- `data`: `LabelledTexts`, `load_labelled_texts`, stratified splits, label ids, class weights.
- `preprocessor`: `ClassifierPreprocessor` (tokenizer, vocabulary, labels, TF-IDF weights;
  strings -> `(x, y, sample_weight)` batches; `classifier.json` and friends in a run folder).
- `batches`: the `PyDataset`s it returns (`SequenceBatches`, `FeatureBatches`).
- `training`: resumable fitting with early stopping that keeps the best weights.
- `evaluation`: accuracy, per-class and macro-F1, confusion matrix.
- `task`: `ClassifierTask` (`fit`, `fit_baseline`, `evaluate`, `predict`, `predict_proba`,
  `from_run`).

>>> from textrnn.tasks.classification import ClassifierTask
>>> ClassifierTask.from_run("runs/classify").predict(["WIN a FREE prize now!"])
['spam']
"""

from textrnn.tasks.classification.batches import FeatureBatches, SequenceBatches
from textrnn.tasks.classification.data import (
    CLASS_WEIGHTS,
    LabelledTexts,
    class_weights,
    encode_labels,
    label_list,
    load_labelled_texts,
    load_splits,
    stratified_split,
)
from textrnn.tasks.classification.evaluation import (
    classification_metrics,
    confusion_matrix,
    plot_confusion_matrix,
)
from textrnn.tasks.classification.preprocessor import (
    LEVELS,
    MODELS,
    ClassifierPreprocessor,
)
from textrnn.tasks.classification.task import (
    BOW_LEARNING_RATE,
    LEARNING_RATE,
    ClassifierTask,
)

__all__ = [
    "BOW_LEARNING_RATE",
    "CLASS_WEIGHTS",
    "LEARNING_RATE",
    "LEVELS",
    "MODELS",
    "ClassifierPreprocessor",
    "ClassifierTask",
    "FeatureBatches",
    "LabelledTexts",
    "SequenceBatches",
    "class_weights",
    "classification_metrics",
    "confusion_matrix",
    "encode_labels",
    "label_list",
    "load_labelled_texts",
    "load_splits",
    "plot_confusion_matrix",
    "stratified_split",
]
