"""PyTorch kernels: the recurrences on PyTorch's own fused RNN operators.

Keras' torch backend runs eagerly, so a `keras.ops.scan` costs a Python iteration and a few
dispatched ops per step, and autograd records every one of them. `torch.rnn_tanh`,
`torch.lstm` and `torch.gru` (what `torch.nn.RNN` / `LSTM` / `GRU` call: oneDNN or ATen
kernels, with their own backward) run the whole sequence in one call. Their weights are
Keras' transposed, the GRU's gates reordered (PyTorch's r, z, n against Keras' z, r, h);
their GRU is Keras' `reset_after=True` with separate input and recurrent biases. They cover
batches without a mask; a masked batch runs the `keras.ops` recurrence with its hand-written
gradient, as on a backend without kernels. PyTorch's RNN operators take no per-sequence
weight-drop mask, but the cells pass the already-dropped recurrent kernel, which autograd
differentiates like any other tensor.
"""

import torch
from keras import ops


def simple_rnn_input_recurrence(inputs, kernel, bias, recurrent_kernel, h0, *mask,
                                sequences=True):
    """`h_t = tanh(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)` over time-major
    `inputs [T, B, D]`: h of all steps `[T, B, U]`."""
    del sequences  # PyTorch's operator returns every step's output anyway
    inputs = inputs.to(kernel.dtype)  # keras.ops would promote e.g. integer inputs; torch won't
    if mask:
        from textrnn.layers.simple_rnn import _tanh_recurrence  # the keras.ops reference

        return _tanh_recurrence(ops.matmul(inputs, kernel) + bias, recurrent_kernel, h0, *mask)
    params = [kernel.T, recurrent_kernel.T, bias, torch.zeros_like(bias)]
    outputs, _ = torch.rnn_tanh(inputs, h0[None], params, True, 1, 0.0, torch.is_grad_enabled(),
                                False, False)
    return outputs


def lstm_input_recurrence(inputs, kernel, bias, recurrent_kernel, h0, c0, *mask,
                          sequences=True):
    """LSTM over time-major `inputs [T, B, D]`: `(h of all steps [T, B, U], last c)`.

    `kernel [D, 4U]`, `bias [4U]`, `recurrent_kernel [U, 4U]` in Keras' layout and gate order
    (i, f, c, o, PyTorch's too).
    """
    del sequences
    inputs = inputs.to(kernel.dtype)
    if mask:
        from textrnn.layers.lstm import _lstm_recurrence  # the keras.ops reference

        return _lstm_recurrence(ops.matmul(inputs, kernel) + bias, recurrent_kernel, h0, c0,
                                *mask)
    params = [kernel.T, recurrent_kernel.T, bias, torch.zeros_like(bias)]
    outputs, _, c_last = torch.lstm(inputs, [h0[None], c0[None]], params, True, 1, 0.0,
                                    torch.is_grad_enabled(), False, False)
    return outputs, c_last[0]


def gru_input_recurrence(inputs, kernel, input_bias, recurrent_kernel, recurrent_bias, h0,
                         *mask, sequences=True):
    """GRU (`reset_after=True`) over time-major `inputs [T, B, D]`: h of all steps `[T, B, U]`.

    `kernel [D, 3U]`, `recurrent_kernel [U, 3U]`, both biases `[3U]`, in Keras' layout and
    gate order (z, r, h).
    """
    del sequences
    inputs = inputs.to(kernel.dtype)
    if mask:
        from textrnn.layers.gru import _gru_recurrence  # the keras.ops reference

        return _gru_recurrence(ops.matmul(inputs, kernel) + input_bias, recurrent_kernel,
                               recurrent_bias, h0, *mask)
    params = [_gru_gates(kernel).T, _gru_gates(recurrent_kernel).T, _gru_gates(input_bias),
              _gru_gates(recurrent_bias)]
    outputs, _ = torch.gru(inputs, h0[None], params, True, 1, 0.0, torch.is_grad_enabled(),
                           False, False)
    return outputs


def _gru_gates(weights):
    """Keras' gate blocks (z, r, h) along the last axis, in PyTorch's order (r, z, n)."""
    z, r, h = torch.chunk(weights, 3, dim=-1)
    return torch.cat([r, z, h], dim=-1)
