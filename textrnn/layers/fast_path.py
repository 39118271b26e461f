"""Helpers shared by the cells' fast paths (hand-written backward passes over `keras.ops.scan`).

Each fast path takes the projected inputs of all steps (`[timesteps, batch, gates * units]`,
time-major, in processing order), steps only the recurrent matmul forward, and defines its
gradient with `keras.ops.custom_gradient`: a reverse scan that carries only the gradient of the
state, after which the recurrent kernel's gradient is one large matmul over all steps instead
of one small accumulation per step. Masked steps (mask 0) keep the previous state; their
gradient passes straight through to the previous step.
"""

import functools
import itertools
import math
from itertools import pairwise

import keras
from keras import ops

from textrnn.layers import backend


def custom_gradient(forward):
    """`keras.ops.custom_gradient` for `forward(*inputs) -> (outputs, grad)` on every backend.

    `outputs` is a tensor or a tuple of tensors; `grad(*upstream)` receives one gradient per
    output and returns one per input. Keras' backends call the gradient function differently:
    TensorFlow with one gradient per output, JAX with one structure, torch as
    `grad(*inputs, upstream=...)` with a single gradient, as its bridge takes one output only.
    """
    if keras.backend.backend() == "torch":
        return _single_output_custom_gradient(forward)

    @functools.wraps(forward)
    def adapted(*inputs):
        outputs, grad = forward(*inputs)
        return outputs, lambda *upstream: grad(*keras.tree.flatten(upstream))

    return ops.custom_gradient(adapted)


def _single_output_custom_gradient(forward):
    """Several outputs cross Keras' torch bridge as one flat tensor, split again on both sides.

    (Elsewhere they stay separate: the flattening would cost TensorFlow a copy of the outputs
    and of their gradients.)
    """
    last_shapes = []  # of the call in progress: read right after it, to split its output

    @ops.custom_gradient
    def flat(*inputs):
        outputs, grad = forward(*inputs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        shapes = [tuple(output.shape) for output in outputs]
        last_shapes[:] = shapes

        def flat_grad(*_inputs, upstream):
            return grad(*_split_flat(upstream, shapes))

        return ops.concatenate([ops.reshape(output, (-1,)) for output in outputs]), flat_grad

    @functools.wraps(forward)
    def unflattened(*inputs):
        outputs = _split_flat(flat(*inputs), last_shapes)
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    return unflattened


def _split_flat(flat, shapes):
    sizes = [math.prod(shape) for shape in shapes]
    edges = list(itertools.accumulate(sizes))[:-1]
    parts = ops.split(flat, edges) if edges else [flat]
    return [ops.reshape(part, shape) for part, shape in zip(parts, shapes, strict=True)]


def previous_steps(first, sequence):
    """The states entering each step: `[first, sequence[0], ..., sequence[-2]]`."""
    return ops.concatenate([ops.expand_dims(first, 0), sequence[:-1]], axis=0)


def sum_over_steps(left, right):
    """`sum_t left[t].T @ right[t]` as one matmul: `[T, B, U] x [T, B, G] -> [U, G]`.

    A matmul of the flattened steps, not an einsum: TensorFlow folds the transpose into the
    matmul, and the einsum measured 20-25% slower on TensorFlow at the classifier shape (T
    200, B 64) and 1.2-1.45x slower under `jax.jit` at both benchmark shapes.
    """
    flat_left = ops.reshape(left, (-1, left.shape[-1]))
    return ops.matmul(ops.transpose(flat_left), ops.reshape(right, (-1, right.shape[-1])))


def keep_where_masked(mask_t, new, old):
    """Forward masking: the new carry where the step counts, the old one where it is masked."""
    return new if mask_t is None else ops.where(mask_t > 0, new, old)


def split_masked(mask_t, gradient):
    """Backward masking: `(part through the step, part passed straight to the previous step)`."""
    if mask_t is None:
        return gradient, None
    through = gradient * mask_t
    return through, gradient - through


def add_passed(gradient, passed):
    return gradient if passed is None else gradient + passed


def with_mask(tensors, mask):
    """Scan inputs: a tensor or tuple, plus the mask when there is one."""
    return tensors if mask is None else (tensors, mask)


def unpack_step(step_inputs, has_mask):
    return step_inputs if has_mask else (step_inputs, None)


def mask_arguments(mask, like):
    """Extra positional arguments for a custom-gradient function: the mask, cast like `like`."""
    return () if mask is None else (ops.cast(mask, like.dtype),)


def scan(step, init, xs, reverse=False, unroll=None):
    """`keras.ops.scan` over one tensor or a (nested) tuple of time-major tensors.

    Several `xs` (all `[timesteps, batch, width]`) are concatenated along the last axis and
    split again inside `step`, so the backend always scans a single tensor: Keras' TensorFlow
    scan fails on several `xs` whose number of steps is unknown when traced (e.g. batches of
    varying length), with "'NoneType' object has no attribute 'assert_is_compatible_with'".

    On TensorFlow `unroll` defaults to the while loop's `parallel_iterations` (32, as Keras'
    own RNN loop uses), letting it overlap independent work of nearby steps; on JAX it would
    copy the step body, which measured no faster, so it defaults to 1 there. `unroll=True`
    runs a Python loop instead (`unrolled_scan`), as Keras' `unroll=True` layers do. Where the
    backend's kernels (`textrnn.layers.backend`) have a `scan`, it runs instead.
    """
    if unroll is True:
        return unrolled_scan(step, init, xs, reverse)
    kernel_scan = backend.kernel("scan")
    if kernel_scan is not None:
        return kernel_scan(step, init, xs, reverse=reverse)
    if unroll is None:
        unroll = 32 if keras.backend.backend() == "tensorflow" else 1
    flat = keras.tree.flatten(xs)
    if len(flat) == 1:
        return ops.scan(step, init, xs, reverse=reverse, unroll=unroll)
    dtypes = [x.dtype for x in flat]
    edges = [0]
    for x in flat:
        edges.append(edges[-1] + x.shape[-1])
    packed = ops.concatenate([ops.cast(x, dtypes[0]) for x in flat], axis=-1)

    def packed_step(carry, packed_t):
        parts = [
            ops.cast(packed_t[..., start:end], dtype)
            for (start, end), dtype in zip(pairwise(edges), dtypes, strict=True)
        ]
        return step(carry, keras.tree.pack_sequence_as(xs, parts))

    return ops.scan(packed_step, init, packed, reverse=reverse, unroll=unroll)


def unrolled_scan(step, init, xs, reverse=False):
    """`scan` as a Python loop over the steps of `xs`, whose number must be known.

    Every backend then sees straight-line code (no loop op): one copy of `step` per timestep.
    """
    steps = keras.tree.flatten(xs)[0].shape[0]
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    carry, ys = init, [None] * steps
    for t in order:
        carry, ys[t] = step(carry, keras.tree.map_structure(lambda x, t=t: x[t], xs))
    return carry, ops.stack(ys)
