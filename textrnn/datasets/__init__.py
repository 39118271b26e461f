"""Small corpora shipped with textrnn, so the recipes run with no download.

Licences and sources are in `LICENSES.md` beside this file.
"""

from importlib import resources
from pathlib import Path

_FILES = {
    "tinyshakespeare": "tinyshakespeare.txt.gz",
    "sms_spam": "sms_spam.tsv.gz",
    "eng_fra_tatoeba_5k": "eng_fra_tatoeba_5k.tsv.gz",
    "bible_en_es_short": "bible_en_es_short.tsv.gz",
    "ud_ewt_dev": "ud_ewt_dev.conllu.gz",
}


def names() -> list[str]:
    """Names of the shipped corpora, e.g. `["eng_fra_tatoeba_5k", ...]`."""
    return sorted(_FILES)


def path(name: str) -> Path:
    """Path of the (gzip-compressed) file of a shipped corpus.

    Args:
        name: one of `names()`.

    Returns:
        The file's path inside the installed package.
    """
    if name not in _FILES:
        raise ValueError(
            f"Received an invalid value for argument `name`: {name!r}. "
            f"Shipped corpora are {names()}."
        )
    return Path(str(resources.files(__name__).joinpath(_FILES[name])))
