"""Helpers shared by the cells' fast paths (hand-written backward passes over `keras.ops.scan`).

Each fast path takes the projected inputs of all steps (`[timesteps, batch, gates * units]`,
time-major, in processing order), steps only the recurrent matmul forward, and defines its
gradient with `keras.ops.custom_gradient`: a reverse scan that carries only the gradient of the
state, after which the recurrent kernel's gradient is one large matmul over all steps instead
of one small accumulation per step. Masked steps (mask 0) keep the previous state; their
gradient passes straight through to the previous step.
"""

from itertools import pairwise

import keras
from keras import ops


def upstream_gradients(upstream):
    """TensorFlow passes one gradient per output, JAX one structure: flatten both."""
    return keras.tree.flatten(upstream)


def previous_steps(first, sequence):
    """The states entering each step: `[first, sequence[0], ..., sequence[-2]]`."""
    return ops.concatenate([ops.expand_dims(first, 0), sequence[:-1]], axis=0)


def sum_over_steps(left, right):
    """`sum_t left[t].T @ right[t]` as one matmul: `[T, B, U] x [T, B, G] -> [U, G]`."""
    return ops.einsum("tbu,tbg->ug", left, right)


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
    copy the step body, which measured no faster, so it defaults to 1 there.
    """
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
