"""TensorFlow kernels: the cells' recurrences as `tf.while_loop`s with the carry in registers.

Same numbers as the `keras.ops` code in `simple_rnn.py`, `lstm.py` and `gru.py` (tests in
`tests/layers/test_backend_kernels.py`), cheaper per step: `keras.ops.scan` on TensorFlow
writes and reads its carry through a TensorArray every step and must output the carry itself,
so the reference training loops carry the saved gates too. Here the states are loop variables,
each step writes only what the backward pass needs, and inference runs a forward-only loop
that writes nothing when only the last output is wanted (as Keras' own `backend.rnn` does).

All tensors are time-major (`[timesteps, batch, width]`) and in processing order; `mask` is
`None` or a float `[timesteps, batch, 1]` tensor, 1 where a step counts. Masked steps keep the
previous state; their gradient passes straight through to the previous step. Biases are
added with `+` (`AddV2`), never `tf.nn.bias_add`: see `inference.py` for why.
"""

import functools

import tensorflow as tf

from textrnn.layers.backend import equations, inference
from textrnn.layers.fast_path import (  # keras.ops: traced once, free at run time
    add_passed,
    keep_where_masked,
    split_masked,
    sum_over_steps,
)

# As Keras' own RNN loop: lets the while loop overlap independent work of nearby steps.
PARALLEL_ITERATIONS = 32


def scan(step, init, xs, reverse=False, outputs=True, arrays=False):
    """`jax.lax.scan` over time-major `xs`, as a `tf.while_loop` carrying `init` in registers.

    `step(carry, x_t) -> (carry, y_t)`: `init`, `xs` and `y_t` may be nested. Returns
    `(final carry, ys stacked over time)`; with `outputs=False` the `y_t` are not kept and
    `ys` is `None` (the loop then writes nothing but its carry); with `arrays=True` they are
    returned as the `tf.TensorArray`s they were written to, to be read back step by step.
    """
    flat_xs = [None if x is None else tf.convert_to_tensor(x) for x in tf.nest.flatten(xs)]
    present = [x for x in flat_xs if x is not None]
    steps = tf.shape(present[0])[0]
    static_steps = present[0].shape[0]
    if tf.executing_eagerly():
        return _eager_scan(step, init, xs, flat_xs, static_steps, reverse, outputs, arrays)
    xs_arrays = [None if x is None else _unstacked(x, steps) for x in flat_xs]

    ys_arrays = []
    if outputs:
        # Traced once for the outputs' structure, dtypes and shapes; never run (pruned).
        x0 = [None if x is None else x[0] for x in flat_xs]
        _, y0 = step(init, tf.nest.pack_sequence_as(xs, x0))
        ys_structure = y0
        ys_arrays = [
            tf.TensorArray(y.dtype, size=steps, element_shape=y.shape) for y in tf.nest.flatten(y0)
        ]

    def body(t, carry, ys_arrays):
        x_t = tf.nest.pack_sequence_as(
            xs, [None if array is None else array.read(t) for array in xs_arrays]
        )
        carry, y_t = step(carry, x_t)
        if outputs:
            ys_arrays = [
                array.write(t, y) for array, y in zip(ys_arrays, tf.nest.flatten(y_t), strict=True)
            ]
        return (t - 1 if reverse else t + 1), carry, ys_arrays

    _, carry, ys_arrays = tf.while_loop(
        lambda t, *_: t >= 0 if reverse else t < steps,
        body,
        (steps - 1 if reverse else tf.constant(0), init, ys_arrays),
        parallel_iterations=PARALLEL_ITERATIONS,
        maximum_iterations=steps,
    )
    if not outputs:
        return carry, None
    if arrays:
        return carry, tf.nest.pack_sequence_as(ys_structure, ys_arrays)
    ys = [array.stack() for array in ys_arrays]
    for y in ys:
        y.set_shape(tf.TensorShape([static_steps]).concatenate(y.shape[1:]))
    return carry, tf.nest.pack_sequence_as(ys_structure, ys)


def _unstacked(x, steps):
    return tf.TensorArray(x.dtype, size=steps, element_shape=x.shape[1:]).unstack(x)


def _eager_scan(step, init, xs, flat_xs, steps, reverse, outputs, arrays):
    """`scan` run eagerly (tests, debugging): a Python loop."""
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    carry, ys = init, [None] * steps
    for t in order:
        x_t = [None if x is None else x[t] for x in flat_xs]
        carry, ys[t] = step(carry, tf.nest.pack_sequence_as(xs, x_t))
    if not outputs:
        return carry, None
    if arrays:
        return carry, tf.nest.map_structure(lambda *y: _EagerArray(y), *ys)
    return carry, tf.nest.map_structure(lambda *y: tf.stack(y), *ys)


class _EagerArray:
    """What `scan(..., arrays=True)` returns eagerly: the `tf.TensorArray` methods it needs."""

    def __init__(self, items):
        self.items = items

    def read(self, t):
        return self.items[int(t)]

    def stack(self):
        return tf.stack(self.items)


# === Forward-only (inference) loops: shared with JAX, on this module's `scan` ===

simple_rnn_inference = functools.partial(inference.simple_rnn, scan)
lstm_inference = functools.partial(inference.lstm, scan)
gru_inference = functools.partial(inference.gru, scan)


# === SimpleRNN ===


def simple_rnn_input_recurrence(inputs, input_kernel, bias, kernel, h0, mask=None,
                                sequences=True):
    """`h_t = tanh(x_t @ input_kernel + bias + h_{t-1} @ kernel)` over `inputs [T, B, F]`:
    `[T, B, U]` (`[1, B, U]`, the last step's, with `sequences=False`).

    As `lstm_input_recurrence`: each step projects its own inputs and the backward loop gives
    each step's input gradient, so the while loop can run them ahead of the recurrence.
    """

    @tf.custom_gradient
    def recurrence(inputs, input_kernel, bias, kernel, h0):
        def step(h, step_inputs):
            x_t, mask_t = step_inputs
            pre = tf.matmul(x_t, input_kernel) + bias + tf.matmul(h, kernel)
            h_new = keep_where_masked(mask_t, tf.tanh(pre), h)
            return h_new, h_new

        h_last, saved = scan(step, h0, (inputs, mask), arrays=True)
        outputs = _stack(saved, inputs) if sequences else h_last[None]

        def grad(d_outputs):
            kernel_t = tf.transpose(kernel)  # once: a transposed matmul each step costs more
            input_kernel_t = tf.transpose(input_kernel)

            def back_step(d_h_next, step_inputs):
                t, d_out, mask_t = step_inputs
                h = saved.read(t)
                d_h, passed = split_masked(mask_t, d_h_next if d_out is None else d_out + d_h_next)
                d_pre = d_h * (1.0 - h * h)
                d_prev = add_passed(tf.matmul(d_pre, kernel_t), passed)
                return d_prev, (d_pre, tf.matmul(d_pre, input_kernel_t))

            d_h_last, d_outputs = _split_output_gradient(d_outputs, h0, sequences)
            steps = tf.range(tf.shape(inputs)[0])
            d_h0, (d_pre, d_inputs) = scan(back_step, d_h_last, (steps, d_outputs, mask),
                                           reverse=True)
            hs = outputs if sequences else _stack(saved, inputs)
            return (d_inputs, sum_over_steps(inputs, d_pre),
                    tf.reduce_sum(d_pre, axis=(0, 1)), _sum_over_previous_steps(h0, hs, d_pre),
                    d_h0)

        return outputs, grad

    return recurrence(inputs, input_kernel, bias, kernel, h0)


# === LSTM ===


def lstm_input_recurrence(inputs, input_kernel, input_bias, kernel, h0, c0, mask=None,
                          sequences=True):
    """Runs the LSTM over `inputs [T, B, F]`: `(h for all steps [T, B, U], last c)`.

    Each step projects its own inputs (`x_t @ input_kernel + input_bias`, a `[4U]` bias), and
    the backward loop gives each step's input gradient: these products do not depend on the
    recurrence, so the while loop runs them ahead of it on another core, where one projection
    of all steps before the loop (and its gradient after) would wait for it. Measured at the
    classifier shape (batch 64, 200 steps, 64 features, 128 units) a training step of the
    recurrence took 88 ms against 103 ms with the projection outside, and the same at the LM
    shape (292 against 283 ms, batch 32, 128 features, 512 units); the weight gradients stay
    one large matmul each, after the loop.

    With `sequences=False` only the last h is returned, as `[1, B, U]`. The forward loop also
    computes each step's local derivatives (`equations.lstm_local_gradients`), off the
    recurrence's critical path, and keeps them in TensorArrays that the backward loop reads
    back step by step (stacking them into `[T, B, 4U]` tensors, as the `keras.ops` code does,
    costs more memory traffic); a backward step is then a few products and two matmuls.
    """

    @tf.custom_gradient
    def recurrence(inputs, input_kernel, input_bias, kernel, h0, c0):
        def step(carry, step_inputs):
            h, c = carry
            x_t, mask_t = step_inputs
            z = tf.matmul(x_t, input_kernel) + input_bias + tf.matmul(h, kernel)
            z_i, z_f, z_g, z_o = tf.split(z, 4, axis=-1)
            i, f, g, o = tf.sigmoid(z_i), tf.sigmoid(z_f), tf.tanh(z_g), tf.sigmoid(z_o)
            c_step = f * c + i * g
            tanh_c = tf.tanh(c_step)
            c_new = keep_where_masked(mask_t, c_step, c)
            h_new = keep_where_masked(mask_t, o * tanh_c, h)
            # A masked step's factors are saved too: its gradient through them is zero.
            return (h_new, c_new), (h_new, f, *equations.lstm_local_gradients(
                c, i, f, g, o, tanh_c))

        (h_last, c_last), saved = scan(step, (h0, c0), (inputs, mask), arrays=True)
        outputs = _stack(saved[0], inputs) if sequences else h_last[None]

        def grad(d_outputs, d_c_last):
            h_array, factor_arrays = saved[0], saved[1:]
            kernel_t = tf.transpose(kernel)  # once: a transposed matmul each step costs more
            input_kernel_t = tf.transpose(input_kernel)

            def back_step(carry, step_inputs):
                d_h_next, d_c_next = carry
                t, d_out, mask_t = step_inputs
                f, gate_factors, cell_factor = (array.read(t) for array in factor_arrays)
                d_h, h_passed = split_masked(
                    mask_t, d_h_next if d_out is None else d_out + d_h_next)
                d_c, c_passed = split_masked(mask_t, d_c_next)
                d_c, d_z = equations.lstm_gate_gradients(d_h, d_c, gate_factors, cell_factor)
                d_h_prev = add_passed(tf.matmul(d_z, kernel_t), h_passed)
                d_x = tf.matmul(d_z, input_kernel_t)
                return (d_h_prev, add_passed(d_c * f, c_passed)), (d_z, d_x)

            d_h_last, d_outputs = _split_output_gradient(d_outputs, h0, sequences)
            if d_c_last is None:
                d_c_last = tf.zeros_like(c0)
            steps = tf.range(tf.shape(inputs)[0])
            (d_h0, d_c0), (d_z, d_inputs) = scan(
                back_step, (d_h_last, d_c_last), (steps, d_outputs, mask), reverse=True
            )
            hs = outputs if sequences else _stack(h_array, inputs)
            d_kernel = _sum_over_previous_steps(h0, hs, d_z)
            return (d_inputs, sum_over_steps(inputs, d_z), tf.reduce_sum(d_z, axis=(0, 1)),
                    d_kernel, d_h0, d_c0)

        return (outputs, c_last), grad

    return recurrence(inputs, input_kernel, input_bias, kernel, h0, c0)


def _split_output_gradient(d_outputs, h0, sequences):
    """`(gradient into the last h, per-step output gradients or None)` from a kernel's
    output gradient: `[T, B, U]` with `sequences`, else the last step's only, `[1, B, U]`."""
    if sequences:
        return tf.zeros_like(h0), d_outputs
    return d_outputs[0], None


def _stack(array, like):
    """`array.stack()` with the number of steps of `like` (a TensorArray's is unknown)."""
    stacked = array.stack()
    stacked.set_shape(like.shape[:1].concatenate(stacked.shape[1:]))
    return stacked


def _sum_over_previous_steps(first, sequence, gradient):
    """`sum_t previous[t].T @ gradient[t]` with `previous = [first, sequence[:-1]]` (without
    concatenating them: `fast_path.previous_steps` would copy the whole sequence)."""
    return sum_over_steps(sequence[:-1], gradient[1:]) + tf.matmul(
        first, gradient[0], transpose_a=True)


# === GRU ===


def gru_input_recurrence(inputs, input_kernel, input_bias, kernel, recurrent_bias, h0,
                         mask=None, sequences=True):
    """Runs the `reset_after` GRU over `inputs [T, B, F]`: h for all steps `[T, B, U]`.

    As `lstm_input_recurrence`: each step projects its own inputs (`input_bias` `[3U]`) and the
    backward loop gives each step's input gradient, so the while loop runs them ahead of the
    recurrence; the forward loop also computes each step's local derivatives
    (`equations.gru_local_gradients`), which the backward loop reads back step by step. With
    `sequences=False` only the last h is returned, as `[1, B, U]`.
    """
    units = h0.shape[-1]

    @tf.custom_gradient
    def recurrence(inputs, input_kernel, input_bias, kernel, recurrent_bias, h0):
        def step(h, step_inputs):
            x_t, mask_t = step_inputs
            recurrent = tf.matmul(h, kernel) + recurrent_bias
            z, r, candidate = equations.gru_reset_after_gates(
                tf.matmul(x_t, input_kernel) + input_bias, recurrent)
            h_new = keep_where_masked(mask_t, candidate + z * (h - candidate), h)
            return h_new, (h_new, z, *equations.gru_local_gradients(
                h, z, r, candidate, recurrent[:, 2 * units :]))

        h_last, saved = scan(step, h0, (inputs, mask), arrays=True)
        outputs = _stack(saved[0], inputs) if sequences else h_last[None]

        def grad(d_outputs):
            kernel_t = tf.transpose(kernel)  # once: a transposed matmul each step costs more
            input_kernel_t = tf.transpose(input_kernel)

            def back_step(d_h_next, step_inputs):
                t, d_out, mask_t = step_inputs
                z, projected_factors, inner_factors = (array.read(t) for array in saved[1:])
                d_h, passed = split_masked(mask_t, d_h_next if d_out is None else d_out + d_h_next)
                d_projected, d_recurrent = equations.gru_gate_gradients(
                    d_h, projected_factors, inner_factors)
                d_prev = tf.matmul(d_recurrent, kernel_t) + d_h * z
                d_x = tf.matmul(d_projected, input_kernel_t)
                return add_passed(d_prev, passed), (d_recurrent, d_projected, d_x)

            d_h_last, d_outputs = _split_output_gradient(d_outputs, h0, sequences)
            steps = tf.range(tf.shape(inputs)[0])
            d_h0, (d_recurrent, d_projected, d_inputs) = scan(
                back_step, d_h_last, (steps, d_outputs, mask), reverse=True
            )
            hs = outputs if sequences else _stack(saved[0], inputs)
            d_kernel = _sum_over_previous_steps(h0, hs, d_recurrent)
            d_bias = tf.reduce_sum(d_recurrent, axis=(0, 1))
            return (d_inputs, sum_over_steps(inputs, d_projected),
                    tf.reduce_sum(d_projected, axis=(0, 1)), d_kernel, d_bias, d_h0)

        return outputs, grad

    return recurrence(inputs, input_kernel, input_bias, kernel, recurrent_bias, h0)
