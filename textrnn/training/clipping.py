"""Global-norm gradient clipping with a non-finite guard, usable through `model.compile`.

`g <- g * min(1, max_norm / ||g||)` where `||g||` is the L2 norm over *all* gradients together
(not per tensor, which is what an optimizer's `clipnorm` does). `GlobalNormClipping` wraps any
Keras optimizer the way `keras.optimizers.LossScaleOptimizer` does: it measures the pre-clip
norm, skips (and counts) a step whose gradients contain NaN or Inf, clips, then lets the inner
optimizer apply the step. Its counters are optimizer variables, so they are saved with the model
and `GradNormLogger` can put them in `fit`'s logs.
"""

from __future__ import annotations

import keras
from keras import ops

from textrnn._compat import no_automatic_dependency_tracking, strategy_supports_no_merge_call

_BASE_OPTIMIZER_ARGS = ("clipnorm", "clipvalue", "global_clipnorm", "loss_scale_factor")


def global_norm(grads: list) -> keras.KerasTensor:
    """L2 norm of all tensors in `grads` taken together (`None` entries are ignored).

    Returns:
        A float32 scalar.
    """
    squares = [ops.sum(ops.square(ops.cast(g, "float32"))) for g in grads if g is not None]
    if not squares:
        return ops.zeros((), "float32")
    return ops.sqrt(ops.sum(ops.stack(squares)))


def clip_by_global_norm(grads: list, max_norm: float) -> tuple[list, keras.KerasTensor]:
    """Scale all gradients together so that their global L2 norm is at most `max_norm`.

    Same result as `tf.clip_by_global_norm`: every tensor is multiplied by
    `min(1, max_norm / global_norm)`.

    Args:
        grads: list of gradient tensors (any shapes); `None` entries are passed through.
        max_norm: positive float, the largest global norm allowed.

    Returns:
        `(clipped, norm)`: the clipped list (same structure, `None` kept) and the pre-clip
        global norm, a float32 scalar. A non-finite norm makes every clipped tensor NaN.
    """
    _check_max_norm(max_norm)
    norm = global_norm(grads)
    scale = ops.minimum(1.0, max_norm / ops.maximum(norm, 1e-12))
    # NaN/Inf norms must not be scaled to a finite value that hides the problem.
    scale = ops.where(ops.isfinite(norm), scale, float("nan"))
    clipped = [None if g is None else g * ops.cast(scale, g.dtype) for g in grads]
    return clipped, norm


def all_finite(grads: list) -> keras.KerasTensor:
    """Boolean scalar: True when no gradient (ignoring `None`) holds NaN or Inf."""
    checks = [ops.all(ops.isfinite(g)) for g in grads if g is not None]
    if not checks:
        return ops.convert_to_tensor(True)
    return ops.all(ops.stack(checks))


def _check_max_norm(max_norm) -> None:
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)) or max_norm <= 0:
        raise ValueError(
            "Received an invalid value for argument `max_norm`: expected a positive number, "
            f"got {max_norm!r}. Typical values for RNNs are 1.0 to 5.0."
        )


@keras.saving.register_keras_serializable(package="textrnn")
class GlobalNormClipping(keras.optimizers.Optimizer):
    """Wraps an optimizer: global-norm clipping, non-finite step skipping, norm statistics.

    Each step: compute the global norm of all gradients; if any gradient is NaN/Inf, leave the
    weights and the inner optimizer's state untouched and add one to `skipped_steps`;
    otherwise clip with `clip_by_global_norm` and let `inner_optimizer` apply the result.
    Skipped steps do not advance `iterations`, so learning-rate schedules ignore them.

    Add `GradNormLogger()` to `fit`'s callbacks to get `grad_norm` (mean pre-clip norm of the
    epoch's applied steps) and `skipped_steps` in the logs, History and CSVLogger.

    Args:
        inner_optimizer: any `keras.optimizers.Optimizer` (without its own clipping).
        max_norm: positive float, the largest global gradient norm allowed.
        name: optional name.

    Example:

    ```python
    model.compile(optimizer=GlobalNormClipping(keras.optimizers.Adam(1e-3), max_norm=1.0),
                  loss="sparse_categorical_crossentropy")
    model.fit(x, y, callbacks=[GradNormLogger()])
    ```
    """

    def __init__(self, inner_optimizer, max_norm: float = 1.0, name: str | None = None):
        if not isinstance(inner_optimizer, keras.optimizers.Optimizer):
            raise ValueError(
                "Received an invalid value for argument `inner_optimizer`: expected a "
                f"`keras.optimizers.Optimizer` instance, got {inner_optimizer!r}. "
                "Pass e.g. `keras.optimizers.Adam(1e-3)`."
            )
        if isinstance(inner_optimizer, keras.optimizers.LossScaleOptimizer):
            raise ValueError(
                "`inner_optimizer` must not be a LossScaleOptimizer: the gradients it receives "
                "are still scaled, so their norm would be wrong. Wrap the other way round: "
                "`LossScaleOptimizer(GlobalNormClipping(opt, max_norm))`."
            )
        used = [arg for arg in _BASE_OPTIMIZER_ARGS if getattr(inner_optimizer, arg, None)]
        if used:
            raise ValueError(
                f"`inner_optimizer` already sets {used}; GlobalNormClipping does the clipping. "
                "Create the inner optimizer without these arguments."
            )
        _check_max_norm(max_norm)
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.max_norm = float(max_norm)

    @no_automatic_dependency_tracking
    def build(self, var_list):
        def counter(name, dtype):
            # "only_first_replica": every replica computes the same (all-reduced) values.
            return self.add_variable(shape=(), dtype=dtype, initializer="zeros",
                                     aggregation="only_first_replica", name=name)

        self.last_grad_norm = counter("last_grad_norm", "float32")
        self.grad_norm_sum = counter("grad_norm_sum", "float32")
        self.applied_steps = counter("applied_steps", "int32")
        self.skipped_steps = counter("skipped_steps", "int32")
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self):
        return self._variables + self.inner_optimizer.variables

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def _record(self, norm, finite) -> None:
        """Update the statistics variables for one step."""
        applied = ops.cast(finite, "int32")
        self.last_grad_norm.assign(norm)
        self.grad_norm_sum.assign_add(ops.where(finite, norm, 0.0))
        self.applied_steps.assign_add(applied)
        self.skipped_steps.assign_add(1 - applied)

    def _prepare(self, grads):
        clipped, norm = clip_by_global_norm(grads, self.max_norm)
        return clipped, norm, all_finite(grads)

    # === Stateless path (JAX trainer) ===

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        if not self.built:
            raise ValueError(
                "To call `stateless_apply`, GlobalNormClipping must be built: call "
                "`optimizer.build(model.trainable_variables)` first."
            )
        own_count = len(self._variables)
        own_values = list(optimizer_variables[:own_count])
        inner_values = list(optimizer_variables[own_count:])
        clipped, norm, finite = self._prepare(list(grads))
        new_trainable, new_inner = ops.cond(
            finite,
            lambda: self._inner_stateless_apply(inner_values, clipped, trainable_variables),
            lambda: (list(trainable_variables), inner_values),
        )
        mapping = list(zip(self._variables, own_values, strict=True))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            self._record(norm, finite)
        own_values = [scope.get_current_value(v) for v in self._variables]
        return list(new_trainable), own_values + list(new_inner)

    def _inner_stateless_apply(self, inner_values, grads, trainable_variables):
        new_trainable, new_inner = self.inner_optimizer.stateless_apply(
            inner_values, grads, trainable_variables)
        return list(new_trainable), list(new_inner)

    # === Stateful path (direct calls, and the TensorFlow trainer) ===

    def apply(self, grads, trainable_variables=None):
        if not self.built:
            with keras.name_scope(self.name, caller=self):
                self.build(trainable_variables)
            self.built = True
        grads = list(grads)
        if keras.backend.backend() == "tensorflow":
            self._tf_apply(grads, trainable_variables)
            return
        # Elsewhere (JAX) a cond branch may not assign variables: run the stateless step.
        trainable = list(trainable_variables or self._trainable_variables)
        new_trainable, new_values = self.stateless_apply(
            [v.value for v in self.variables], grads, [v.value for v in trainable])
        for variable, value in zip(trainable + self.variables, new_trainable + new_values,
                                   strict=True):
            variable.assign(value)

    def _inner_apply(self, grads, trainable_variables):
        self.inner_optimizer.apply(grads, trainable_variables=trainable_variables)

    def _tf_apply(self, grads, trainable_variables):
        """Like LossScaleOptimizer's: the skip decision must work under tf.distribute."""
        import tensorflow as tf

        replica = tf.distribute.get_replica_context()
        if replica is None:
            raise ValueError("GlobalNormClipping.apply() must be called in a replica context.")
        replicas = replica.num_replicas_in_sync
        if replicas > 1:
            # Clip the *global* gradient (summed over replicas), not each replica's share.
            grads = _all_reduce_sum(replica, grads)
        clipped, norm, finite = self._prepare(grads)
        self._record(norm, finite)
        if replicas > 1:
            # The inner optimizer sums the replicas' gradients again; hand it 1/N of each.
            clipped = [None if g is None else g / replicas for g in clipped]
        if strategy_supports_no_merge_call():
            ops.cond(finite, lambda: self._inner_apply(clipped, trainable_variables), lambda: None)
            return

        def cross_replica(distribution, clipped, finite):
            # A cond whose branch calls merge_call is only allowed in cross-replica context.
            finite = distribution.experimental_local_results(finite)[0]

            def apply_fn():
                distribution.extended.call_for_each_replica(
                    self._inner_apply, args=(clipped, trainable_variables))

            ops.cond(finite, apply_fn, lambda: None)

        replica.merge_call(cross_replica, args=(clipped, finite))

    def get_config(self):
        return {
            "name": self.name,
            "inner_optimizer": keras.saving.serialize_keras_object(self.inner_optimizer),
            "max_norm": self.max_norm,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = keras.saving.deserialize_keras_object(
            config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)


def _all_reduce_sum(replica, grads):
    import tensorflow as tf

    present = [g for g in grads if g is not None]
    reduced = iter(replica.all_reduce(tf.distribute.ReduceOp.SUM, present))
    return [None if g is None else next(reduced) for g in grads]
