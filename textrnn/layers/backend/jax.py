"""JAX kernels: the LSTM's training recurrence and the forward-only inference loops.

`keras.ops.scan` is `jax.lax.scan` itself, so the SimpleRNN and GRU train on the `keras.ops`
fast paths. The LSTM trains on `lstm_input_recurrence`: each step projects its own inputs
inside the scan (as Keras' built-in does), the states are carried as a tuple, each step's
gates are kept as separate outputs, and the backward pass is written by hand (a reverse scan
that also gives each step's input gradient; the weight gradients are one matmul each after
it). Measured for the recurrence alone (forward and backward, `jax.jit`, medians): at the
classifier shape 160-169 ms against 168-182 ms for Keras' built-in layer and 187-190 ms for
the `keras.ops` path (one projection of all steps before the scan, the states and gates packed
into one carry); at the LM shape 386 against 441 and 448 ms.

Inference gains from the loops of `inference.py`: the states are carried as a tuple (the
layers' generic loop packs them into one tensor and unpacks them every step, and stacks the
packed carry of every step) and, without `return_sequences`, no step's output is stacked.
"""

import functools

import jax
from keras import ops

from textrnn.layers import fast_path as fp
from textrnn.layers.backend import inference


def scan(step, init, xs, reverse=False, outputs=True):
    """`jax.lax.scan` (`outputs=False`: the steps return `None`, nothing is stacked)."""
    del outputs  # the steps already return None for outputs that are not kept
    return jax.lax.scan(step, init, xs, reverse=reverse)


simple_rnn_inference = functools.partial(inference.simple_rnn, scan)
lstm_inference = functools.partial(inference.lstm, scan)
gru_inference = functools.partial(inference.gru, scan)


def lstm_input_recurrence(inputs, kernel, bias, recurrent_kernel, h0, c0, *mask,
                          sequences=True):
    """LSTM (sigmoid gates, tanh) over time-major `inputs [T, B, D]`: `(h of all steps
    [T, B, U], last c)`.

    `kernel [D, 4U]`, `bias [4U]`, `recurrent_kernel [U, 4U]` in Keras' gate order (i, f, c,
    o); `mask`: none, or float `[T, B, 1]` (a masked step keeps the states). Every step's h is
    needed by the backward pass anyway, so `sequences` changes nothing here.
    """
    del sequences
    return _lstm(inputs, kernel, bias, recurrent_kernel, h0, c0, mask[0] if mask else None)


@jax.custom_vjp
def _lstm(inputs, kernel, bias, recurrent_kernel, h0, c0, mask):
    return _lstm_forward(inputs, kernel, bias, recurrent_kernel, h0, c0, mask)[0]


def _lstm_forward(inputs, kernel, bias, recurrent_kernel, h0, c0, mask):
    def step(carry, step_inputs):
        h, c = carry
        x_t, mask_t = step_inputs
        z = ops.matmul(x_t, kernel) + ops.matmul(h, recurrent_kernel) + bias
        z_i, z_f, z_g, z_o = ops.split(z, 4, axis=-1)
        i, f, g, o = ops.sigmoid(z_i), ops.sigmoid(z_f), ops.tanh(z_g), ops.sigmoid(z_o)
        c_new = fp.keep_where_masked(mask_t, f * c + i * g, c)
        h_new = fp.keep_where_masked(mask_t, o * ops.tanh(c_new), h)
        return (h_new, c_new), (h_new, c_new, i, f, g, o)

    _, saved = jax.lax.scan(step, (h0, c0), (inputs, mask))
    hs, cs = saved[0], saved[1]
    return (hs, cs[-1]), (inputs, kernel, recurrent_kernel, h0, c0, mask, saved)


def _lstm_backward(residuals, upstream):
    inputs, kernel, recurrent_kernel, h0, c0, mask, (hs, cs, i, f, g, o) = residuals
    d_hs, d_c_last = upstream
    kernel_t, recurrent_t = ops.transpose(kernel), ops.transpose(recurrent_kernel)

    def back_step(carry, step_inputs):
        d_h_next, d_c_next = carry
        d_out, c_t, c_prev, i_t, f_t, g_t, o_t, mask_t = step_inputs
        d_h, h_passed = fp.split_masked(mask_t, d_out + d_h_next)
        d_c, c_passed = fp.split_masked(mask_t, d_c_next)
        tanh_c = ops.tanh(c_t)
        d_c = d_c + d_h * o_t * (1.0 - tanh_c * tanh_c)
        d_z = ops.concatenate([d_c * g_t * i_t * (1.0 - i_t), d_c * c_prev * f_t * (1.0 - f_t),
                               d_c * i_t * (1.0 - g_t * g_t), d_h * tanh_c * o_t * (1.0 - o_t)],
                              axis=-1)
        new_carry = (fp.add_passed(ops.matmul(d_z, recurrent_t), h_passed),
                     fp.add_passed(d_c * f_t, c_passed))
        return new_carry, (d_z, ops.matmul(d_z, kernel_t))

    step_inputs = (d_hs, cs, fp.previous_steps(c0, cs), i, f, g, o, mask)
    (d_h0, d_c0), (d_z, d_inputs) = jax.lax.scan(
        back_step, (ops.zeros_like(h0), d_c_last), step_inputs, reverse=True)
    d_kernel = fp.sum_over_steps(inputs, d_z)
    d_recurrent = fp.sum_over_steps(fp.previous_steps(h0, hs), d_z)
    d_mask = None if mask is None else ops.zeros_like(mask)
    return (d_inputs, d_kernel, ops.sum(d_z, axis=(0, 1)), d_recurrent, d_h0, d_c0, d_mask)


_lstm.defvjp(_lstm_forward, _lstm_backward)
