"""Backend-specific kernels behind the layers' API, as Keras keeps `backend/<name>/rnn.py`.

The layers and cells are written in `keras.ops`; that code is the reference and the fallback.
Where a backend's own loop primitive is cheaper per step than `keras.ops.scan`, a module here
(named after the backend, imported lazily) runs the same recurrences with it and gives the same
numbers. TensorFlow (`tensorflow.py`) has training and inference kernels: Keras' TensorFlow
`scan` keeps its carry in a TensorArray (a write and a read every step) and needs each step's
output to have the carry's shape, while `tf.while_loop` can carry tensors as loop variables.
On JAX `keras.ops.scan` is `jax.lax.scan` itself; `jax.py` has training recurrences that
project each step's inputs inside the scan with tuple carries, and the forward-only inference
loops (`inference.py`, shared with TensorFlow).
On torch, which runs eagerly, the layers take their fast path for inference too, and
`torch.py` runs the three recurrences on PyTorch's fused RNN operators (masked batches run the
reference code).

A kernel module has any of `scan`, `simple_rnn_input_recurrence`, `lstm_input_recurrence`,
`gru_input_recurrence` (training on the inputs, each step projecting its own) and
`simple_rnn_inference`, `lstm_inference`, `gru_inference`; a cell runs its `keras.ops` code
where the module lacks one.
"""

import contextlib
import importlib

import keras

_BACKENDS_WITH_KERNELS = ("tensorflow", "jax", "torch")
_disabled = False


def kernels():
    """The kernel module of the running Keras backend, or `None` to run the `keras.ops` code."""
    name = keras.backend.backend()
    if _disabled or name not in _BACKENDS_WITH_KERNELS:
        return None
    return importlib.import_module(f"{__name__}.{name}")


def kernel(name: str):
    """The running backend's kernel `name` (e.g. `"lstm_inference"`), or `None` where it has
    none and the cell runs its `keras.ops` code."""
    return getattr(kernels(), name, None)


@contextlib.contextmanager
def reference_only():
    """Runs (traces) the `keras.ops` reference code inside the block, for tests and benchmarks."""
    global _disabled
    previous, _disabled = _disabled, True
    try:
        yield
    finally:
        _disabled = previous
