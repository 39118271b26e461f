"""Helpers shared by the cells' fast paths (hand-written backward passes over `keras.ops.scan`).

Each fast path takes the projected inputs of all steps (`[timesteps, batch, gates * units]`,
time-major, in processing order), steps only the recurrent matmul forward, and defines its
gradient with `keras.ops.custom_gradient`: a reverse scan that carries only the gradient of the
state, after which the recurrent kernel's gradient is one large matmul over all steps instead
of one small accumulation per step. Masked steps (mask 0) keep the previous state; their
gradient passes straight through to the previous step.
"""

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


def scan(step, init, xs, reverse=False):
    """`keras.ops.scan`, letting TensorFlow overlap independent work of nearby steps.

    On TensorFlow `unroll` sets the while loop's `parallel_iterations` (32, as Keras' own RNN
    loop uses); on JAX it would copy the step body, which measured no faster, so it stays 1.
    """
    unroll = 32 if keras.backend.backend() == "tensorflow" else 1
    return ops.scan(step, init, xs, reverse=reverse, unroll=unroll)
