"""Pick a distribution strategy for the active Keras backend (the recipes' `--distribute`).

TensorFlow: a `tf.distribute` strategy; build and compile the model inside `strategy.scope()`.
JAX: a `keras.distribution.DataParallel` over the local devices, also made the global
distribution so `fit` shards its batches. Every returned object has a `scope()` context
manager.
"""

from __future__ import annotations

import contextlib
import json
import os

import keras

STRATEGIES = ("auto", "default", "mirrored", "multiworker")


class SingleDevice:
    """No distribution (used where the backend has no strategy object)."""

    num_replicas_in_sync = 1

    def scope(self):
        return contextlib.nullcontext()


def get_strategy(name: str = "auto"):
    """Return a distribution strategy by name.

    Args:
        name: "default" (one device), "mirrored" (all local GPUs, or all CPUs when there is
            none), "multiworker" (several machines; TensorFlow reads `TF_CONFIG`, JAX calls
            `keras.distribution.initialize()`), or "auto": multiworker when `TF_CONFIG` names
            more than one worker, mirrored when there is more than one local GPU, else default.

    Returns:
        TensorFlow: a `tf.distribute.Strategy`. JAX: a `keras.distribution.DataParallel` (set
        as the global distribution) or `SingleDevice`. Other backends: `SingleDevice` for
        "auto"/"default".
    """
    if name not in STRATEGIES:
        raise ValueError(f"Received an invalid value for argument `name`: {name!r}; expected "
                         f"one of {', '.join(STRATEGIES)}.")
    backend = keras.backend.backend()
    if name == "auto":
        name = _auto_name(backend)
    if backend == "tensorflow":
        return _tf_strategy(name)
    if backend == "jax":
        return _jax_distribution(name)
    if name == "default":
        return SingleDevice()
    raise ValueError(f"Strategy {name!r} is not supported on the {backend} backend; use "
                     "KERAS_BACKEND=tensorflow or jax, or name='default'.")


def _auto_name(backend: str) -> str:
    workers = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {}).get("worker", [])
    if len(workers) > 1:
        return "multiworker"
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = len(tf.config.list_logical_devices("GPU"))
    elif backend == "jax":
        import jax

        gpus = len([d for d in jax.devices() if d.platform != "cpu"])
    else:
        gpus = 0
    return "mirrored" if gpus > 1 else "default"


def _tf_strategy(name: str):
    import tensorflow as tf

    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([device.name for device in devices])
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def _jax_distribution(name: str):
    if name == "default":
        keras.distribution.set_distribution(None)
        return SingleDevice()
    if name == "multiworker":
        keras.distribution.initialize()
    distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    keras.distribution.set_distribution(distribution)
    return distribution


def replica_count(strategy) -> int:
    """How many replicas `strategy` (from `get_strategy`) trains on at once."""
    replicas = getattr(strategy, "num_replicas_in_sync", None)
    if replicas is None:  # keras.distribution.DataParallel
        replicas = int(strategy.device_mesh.devices.size)
    return int(replicas)
