"""Command-line entry points, installed as console scripts.

`textrnn-lm`, `textrnn-classify`, `textrnn-translate` and `textrnn-preprocess` run the
`main` of `language_model`, `classify`, `translate` and `preprocess`; the files in `recipes/`
and `data_scripts/` call the same functions. `args` holds the flags they share.
"""
