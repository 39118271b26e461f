"""Task logic the recipes share: data preparation, evaluation and prediction per task.

- `language_modeling`, `lm_evaluation`: token streams, vocabularies, perplexity, n-gram
  baseline and per-epoch samples for `recipes/language_model.py`.
- `classification*`: splits, features, training and evaluation for `recipes/classify.py`.
- `translation*`: parallel data, subword assets, BLEU/chrF evaluation for `recipes/translate.py`.
"""
