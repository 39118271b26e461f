"""Train a recurrent language model on characters, words or subwords, and sample from it.

    python recipes/language_model.py                       # char LSTM on tinyshakespeare
    python recipes/language_model.py --data my.txt --level word --coverage 0.95
    python recipes/language_model.py --generate runs/language_model --prompt "ROMEO:" \
        --length 500 --temperature 0.8 --top-k 20

The same as the `textrnn-lm` command (`textrnn/cli/language_model.py`); `--help` lists the
flags. From Python: `textrnn.tasks.LanguageModelTask`.
"""

import sys

from textrnn.cli.language_model import main

if __name__ == "__main__":
    sys.exit(main())
