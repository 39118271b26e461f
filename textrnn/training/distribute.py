"""Pick a distribution strategy for the active Keras backend (the recipes' `--distribute`).

TensorFlow: a `tf.distribute` strategy; build and compile the model inside `strategy.scope()`.
JAX: a `keras.distribution.DataParallel` over the local devices, also made the global
distribution so `fit` shards its batches. Every returned object has a `scope()` context
manager; `strategy_scope(name)` gets the strategy and enters it, as every task's `fit` does.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Iterator
from typing import Any

import keras

from textrnn.errors import InputError

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


@functools.cache
def _tf_strategy(name: str):
    """One strategy object per name and process: a second `MirroredStrategy` in the same
    process (a second training run) fails its collectives with a shape mismatch, and
    TensorFlow allows one multi-worker strategy per process."""
    import tensorflow as tf

    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([device.name for device in devices])
    if name == "multiworker":
        return _multi_worker_strategy_class()()
    return tf.distribute.get_strategy()


@functools.cache
def _multi_worker_strategy_class():
    import tensorflow as tf

    class MultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
        """`reduce` as Keras 3's TensorFlow `fit` calls it (keras-team/keras#20585).

        Keras reduces a whole `(x, y)` batch in one call to build its metrics, and each
        scalar log with `axis=0`; the collective strategy fails on both (it cannot convert a
        tuple to a tensor, nor reduce a scalar along an axis). Reduced a leaf at a time, with
        no axis for a scalar, both work.
        """

        def reduce(self, reduce_op, value, axis=None):
            parent = super()

            def reduce_leaf(leaf):
                first = self.experimental_local_results(leaf)[0]
                scalar = tf.TensorShape(getattr(first, "shape", ())).rank == 0
                return parent.reduce(reduce_op, leaf, None if scalar else axis)

            return tf.nest.map_structure(reduce_leaf, value)

    return MultiWorkerMirroredStrategy


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


@contextlib.contextmanager
def strategy_scope(name: str = "default", even_batches: bool = False) -> Iterator[Any]:
    """`get_strategy(name)`, entered: models built (or loaded) and compiled inside train on
    its replicas, each step's batch split evenly between them.

    Example:

    >>> with strategy_scope("mirrored"):
    ...     model = build_model()  # and compile it
    ...     model.fit(x, y, batch_size=32)  # 16 rows a step on each of two replicas

    Args:
        name: a strategy name of `get_strategy`.
        even_batches: whether every batch the caller trains and predicts on splits evenly
            over the replicas (the language model's do). JAX shards a batch only evenly and
            Keras does not pad a last partial batch, so several JAX devices are refused
            without it, before any work, instead of failing mid-run.

    Yields:
        The strategy (see `get_strategy`).

    Raises:
        InputError: several JAX devices and `even_batches=False`.
    """
    strategy = get_strategy(name)
    if (not even_batches and keras.backend.backend() == "jax"
            and (replicas := replica_count(strategy)) > 1):
        raise InputError(f"--distribute {name}: on JAX every batch must split evenly over the "
                         f"{replicas} devices, and this task's last and prediction batches do "
                         "not; use KERAS_BACKEND=tensorflow for it (the language model "
                         "distributes on JAX)")
    with strategy.scope():
        yield strategy
