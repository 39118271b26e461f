"""Document classification: a `ClassifierPreprocessor` and a `ClassifierTask`.

- `data`: `LabelledTexts`, `load_labelled_texts`, stratified splits, label ids, class weights.
- `preprocessor`: `ClassifierPreprocessor` (tokenizer, vocabulary, labels, TF-IDF weights;
  strings -> `(x, y, sample_weight)` batches; `classifier.json` and friends in a run folder).
- `batches`: the `PyDataset`s it returns (`SequenceBatches`, `FeatureBatches`).
- `training`: resumable fitting with early stopping that keeps the best weights.
- `baseline`: the TF-IDF logistic regression every run is measured against, fitted to its
  optimum with its L2 strength chosen on validation (`fit_tfidf_baseline`).
- `evaluation`: accuracy, per-class and macro-F1, confusion matrix.
- `ensemble`: an ensemble's member folders (`OUT/member-k`), their shares of the time budget
  and their figures in `metrics.json`.
- `transfer`: ULMFiT — a language model's encoder in a classifier (`load_encoder_run`,
  `pretrain_language_model`, `transfer_encoder`) and `GradualUnfreezing`.
- `optimizer`: `LayerwiseAdamW` (discriminative learning rates per layer group, decoupled
  weight decay at the same rates, layers frozen by name on every backend).
- `task`: `ClassifierTask` (`fit`, also of an ensemble, `fit_baseline`, `evaluate`,
  `evaluate_with_baseline`, `predict`, `predict_proba`, `member_probabilities`, `from_run`,
  `from_language_model`, `for_run`).

>>> from textrnn.tasks.classification import ClassifierTask
>>> ClassifierTask.from_run("runs/classify").predict(["WIN a FREE prize now!"])
['spam']
"""

from textrnn.tasks.classification.batches import FeatureBatches, SequenceBatches
from textrnn.tasks.classification.data import (
    CLASS_WEIGHTS,
    SPLITS,
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
from textrnn.tasks.classification.optimizer import LayerwiseAdamW, discriminative_multipliers
from textrnn.tasks.classification.preprocessor import (
    LEVELS,
    MODELS,
    ClassifierPreprocessor,
)
from textrnn.tasks.classification.task import (
    BOW_LEARNING_RATE,
    LEARNING_RATE,
    TRANSFER_LEARNING_RATE,
    ClassifierTask,
)
from textrnn.tasks.classification.transfer import (
    GradualUnfreezing,
    encoder_options,
    load_encoder_run,
    pretrain_language_model,
    transfer_encoder,
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
    "GradualUnfreezing",
    "LabelledTexts",
    "LayerwiseAdamW",
    "SPLITS",
    "TRANSFER_LEARNING_RATE",
    "SequenceBatches",
    "class_weights",
    "classification_metrics",
    "confusion_matrix",
    "discriminative_multipliers",
    "encoder_options",
    "encode_labels",
    "label_list",
    "load_encoder_run",
    "load_labelled_texts",
    "load_splits",
    "plot_confusion_matrix",
    "pretrain_language_model",
    "stratified_split",
    "transfer_encoder",
]
