"""Compiling a function for the current backend."""

from __future__ import annotations

from collections.abc import Callable

import keras


def compile_function(fn: Callable) -> Callable:
    """Compiles `fn` for the current backend (XLA on TensorFlow, `jax.jit` on JAX).

    Under JAX the compiled function holds the weights it saw when first called; make a new
    one (a new generator or decoder) after training further.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=True, reduce_retracing=True)
    if backend == "jax":
        import jax

        return jax.jit(fn)
    return fn
