"""PyTorch kernels: the recurrences on PyTorch's own fused RNN operators.

Keras' torch backend runs eagerly, so a `keras.ops.scan` costs a Python iteration and a few
dispatched ops per step, and autograd records every one of them. `torch.rnn_tanh`,
`torch.lstm` and `torch.gru` (what `torch.nn.RNN` / `LSTM` / `GRU` call: oneDNN or ATen
kernels, with their own backward) run the whole sequence in one call. Their weights are
Keras' transposed, the GRU's gates reordered (PyTorch's r, z, n against Keras' z, r, h);
their GRU is Keras' `reset_after=True` with separate input and recurrent biases.

For inference (autograd not recording), a mask whose unmasked steps are one run in each row
(right-padded batches, and left-padded ones, which is what a right-padded batch becomes under
`go_backwards`) becomes a packed sequence: each row's run is moved to the start, the operator
runs each row for its length, and the outputs are moved back, the state held before and after
the run as Keras' masking does. Any other mask (gaps inside a row, an empty row), and every
mask while autograd records, runs the `keras.ops` recurrence with its hand-written gradient,
as on a backend without kernels: PyTorch's backward pass over a packed sequence measured
slower than that on CPU (a masked BiLSTM classifier batch trained at 0.74x Keras' built-in
packed, 1.36x through the reference, while inference ran at 6.8x packed, 1.9x through the
reference). PyTorch's RNN operators take no per-sequence weight-drop mask, but the cells pass
the already-dropped recurrent kernel, which autograd differentiates like any other tensor.
"""

import torch
from keras import ops
from torch.nn.utils import rnn as torch_rnn


def simple_rnn_input_recurrence(inputs, kernel, bias, recurrent_kernel, h0, *mask,
                                sequences=True):
    """`h_t = tanh(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)` over time-major
    `inputs [T, B, D]`: h of all steps `[T, B, U]`."""
    del sequences  # PyTorch's operators return every step's output anyway
    params = [kernel.T, recurrent_kernel.T, bias, torch.zeros_like(bias)]
    result = _run(torch.rnn_tanh, inputs.to(kernel.dtype), [h0], params, mask)
    if result is None:
        from textrnn.layers.simple_rnn import _tanh_recurrence  # the keras.ops reference

        return _tanh_recurrence(ops.matmul(inputs, kernel) + bias, recurrent_kernel, h0, *mask)
    return result[0]


def lstm_input_recurrence(inputs, kernel, bias, recurrent_kernel, h0, c0, *mask,
                          sequences=True):
    """LSTM over time-major `inputs [T, B, D]`: `(h of all steps [T, B, U], last c)`.

    `kernel [D, 4U]`, `bias [4U]`, `recurrent_kernel [U, 4U]` in Keras' layout and gate order
    (i, f, c, o, PyTorch's too).
    """
    del sequences
    params = [kernel.T, recurrent_kernel.T, bias, torch.zeros_like(bias)]
    result = _run(torch.lstm, inputs.to(kernel.dtype), [h0, c0], params, mask)
    if result is None:
        from textrnn.layers.lstm import _lstm_recurrence

        return _lstm_recurrence(ops.matmul(inputs, kernel) + bias, recurrent_kernel, h0, c0,
                                *mask)
    outputs, (_, c_last) = result
    return outputs, c_last


def gru_input_recurrence(inputs, kernel, input_bias, recurrent_kernel, recurrent_bias, h0,
                         *mask, sequences=True):
    """GRU (`reset_after=True`) over time-major `inputs [T, B, D]`: h of all steps `[T, B, U]`.

    `kernel [D, 3U]`, `recurrent_kernel [U, 3U]`, both biases `[3U]`, in Keras' layout and
    gate order (z, r, h).
    """
    del sequences
    params = [_gru_gates(kernel).T, _gru_gates(recurrent_kernel).T, _gru_gates(input_bias),
              _gru_gates(recurrent_bias)]
    result = _run(torch.gru, inputs.to(kernel.dtype), [h0], params, mask)
    if result is None:
        from textrnn.layers.gru import _gru_recurrence

        return _gru_recurrence(ops.matmul(inputs, kernel) + input_bias, recurrent_kernel,
                               recurrent_bias, h0, *mask)
    return result[0]


def _gru_gates(weights):
    """Keras' gate blocks (z, r, h) along the last axis, in PyTorch's order (r, z, n)."""
    z, r, h = torch.chunk(weights, 3, dim=-1)
    return torch.cat([r, z, h], dim=-1)


def _run(operator, inputs, states, params, mask):
    """One layer of `operator` (`torch.lstm`, ...) over `inputs [T, B, D]` from `states` (each
    `[B, U]`): `(outputs [T, B, U], final states)`, or None where the reference should run:
    any mask while autograd records, or a mask without one unmasked run per row.

    `mask` is `()` or `(mask [T, B, 1],)`: outside each row's run of unmasked steps the
    outputs and states are held, as `keras.ops` code with `where(mask, new, old)` does.
    """
    train = torch.is_grad_enabled()
    hx = [state[None] for state in states]
    hx = hx if len(hx) > 1 else hx[0]
    if not mask:
        outputs, *final = operator(inputs, hx, params, True, 1, 0.0, train, False, False)
        return outputs, [state[0] for state in final]
    runs = None if train else _unmasked_runs(mask[0])
    if runs is None:
        return None
    starts, lengths = runs
    packed = torch_rnn.pack_padded_sequence(_roll_steps(inputs, starts), lengths.cpu(),
                                            enforce_sorted=False)
    order, unorder = packed.sorted_indices, packed.unsorted_indices
    sorted_hx = [h.index_select(1, order) for h in hx] if len(states) > 1 else \
        hx.index_select(1, order)
    data, *final = operator(packed.data, packed.batch_sizes, sorted_hx, params, True, 1, 0.0,
                            train, False)
    final = [state.index_select(1, unorder)[0] for state in final]
    outputs, _ = torch_rnn.pad_packed_sequence(
        torch_rnn.PackedSequence(data, packed.batch_sizes, order, unorder),
        total_length=inputs.shape[0])
    outputs = _roll_steps(outputs, -starts)
    steps = torch.arange(inputs.shape[0], device=inputs.device)[:, None, None]
    outputs = torch.where(steps < starts[:, None], states[0],
                          torch.where(steps >= (starts + lengths)[:, None], final[0], outputs))
    return outputs, final


def _unmasked_runs(mask):
    """`(starts, lengths)` (int64 `[B]`) when each row of `mask [T, B, 1]` is unmasked on one
    non-empty run of steps, else None."""
    valid = mask[..., 0] > 0
    lengths = valid.sum(0)
    starts = valid.int().argmax(0)
    steps = torch.arange(valid.shape[0], device=valid.device)[:, None]
    if (lengths == 0).any() or not torch.equal(valid, (steps >= starts) & (
            steps < starts + lengths)):
        return None
    return starts, lengths


def _roll_steps(tensor, shifts):
    """`tensor [T, B, W]` with row b's steps rolled back by `shifts[b]`: step t of the result
    is step `(t + shifts[b]) mod T`."""
    steps = tensor.shape[0]
    index = (torch.arange(steps, device=tensor.device)[:, None] + shifts) % steps
    return torch.gather(tensor, 0, index[..., None].expand(-1, -1, tensor.shape[-1]))
