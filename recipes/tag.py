"""Train and evaluate a BiLSTM(-CRF) part-of-speech / named-entity tagger; tag text with it.

    python recipes/tag.py                       # UPOS on the shipped UD English EWT dev part
    python recipes/tag.py --crf                 # a linear-chain CRF output layer
    python recipes/tag.py --data train.conllu --test-data test.conllu
    python recipes/tag.py --predict runs/tag "I saw her duck."

The same as the `textrnn-tag` command; `--help` lists every flag.
"""

import sys

from textrnn.cli.tag import main

if __name__ == "__main__":
    sys.exit(main())
