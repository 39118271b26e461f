"""Run `textrnn-preprocess` from a checkout: `python data_scripts/preprocess.py --help`.

The command lives in `textrnn.cli.preprocess`; see its docstring for examples.
"""

import sys

from textrnn.cli.preprocess import main

if __name__ == "__main__":
    sys.exit(main())
