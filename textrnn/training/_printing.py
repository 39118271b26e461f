"""How the training callbacks print a message: like Keras' own callbacks, through public API."""

from __future__ import annotations

import logging

import keras

_LOGGER = logging.getLogger("textrnn")


def print_msg(message: str) -> None:
    """Print `message` to stdout, or log it when Keras' interactive logging is off.

    Same behaviour as Keras' callbacks (`keras.utils.disable_interactive_logging()` sends their
    messages to the log instead), without importing Keras' private `io_utils`.
    """
    if keras.utils.is_interactive_logging_enabled():
        print(message, flush=True)
    else:
        _LOGGER.info(message)
