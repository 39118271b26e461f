"""Train and evaluate an encoder-decoder translator with attention; translate with it.

    python recipes/translate.py                     # English -> Spanish Bible verses, shipped
    python recipes/translate.py --data pairs.tsv --source-column en --target-column fr
    python recipes/translate.py --compare-baseline  # also train the no-attention model
    python recipes/translate.py --translate runs/translate "In the beginning was the Word."

The same command as `textrnn-translate` (see `textrnn/cli/translate.py` and `--help`).
"""

import sys

from textrnn.cli.translate import main

if __name__ == "__main__":
    sys.exit(main())
