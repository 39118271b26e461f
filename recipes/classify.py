"""Train and evaluate a document classifier: `textrnn-classify` run from a checkout.

    python recipes/classify.py                       # BiGRU on the shipped SMS spam data
    python recipes/classify.py --model rnn --cell gru --layers 2
    python recipes/classify.py --predict runs/classify "WIN a FREE prize now!" "see you at 8"

`python recipes/classify.py --help` lists the flags; the work is done by
`textrnn.cli.classify` and `textrnn.tasks.classification.ClassifierTask`.
"""

import sys

from textrnn.cli.classify import main

if __name__ == "__main__":
    sys.exit(main())
