"""`SimpleRNNCell` and `SimpleRNN`: `h_t = tanh(x_t W + h_{t-1} U + b)`."""

import keras
from keras import ops

from textrnn.layers import backend
from textrnn.layers import fast_path as fp
from textrnn.layers.cell import RecurrentCell
from textrnn.layers.rnn import RNNLayer


@keras.saving.register_keras_serializable(package="textrnn")
class SimpleRNNCell(RecurrentCell):
    """Cell of a fully connected RNN, weight-compatible with `keras.layers.SimpleRNNCell`.

    Args: see `RecurrentCell` (`units`, `activation`, initializers, regularizers,
    constraints, `dropout`, `recurrent_dropout`, `recurrent_weight_dropout`, `seed`).

    Call arguments:
        inputs: `[batch, features]`.
        states: list holding the previous state `[batch, units]` (or that tensor).
        training: whether dropout is active.

    Returns:
        `(output [batch, units], new_states)`.

    Example:

    >>> rnn = keras.layers.RNN(SimpleRNNCell(4))
    >>> rnn(np.zeros((2, 5, 3), "float32")).shape
    (2, 4)
    """

    def call(self, inputs, states, training=False):
        previous = states[0] if isinstance(states, (list, tuple)) else states
        if training:  # masks are drawn only in training, never inside an inference loop
            dp_mask = self.get_dropout_mask(inputs)
            rec_dp_mask = self.get_recurrent_dropout_mask(previous)
            inputs = inputs if dp_mask is None else inputs * dp_mask
            previous = previous if rec_dp_mask is None else previous * rec_dp_mask
        h = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            h = h + self.bias
        output = self.activation(h + ops.matmul(previous, self.recurrent_kernel_for(training)))
        return output, [output] if isinstance(states, (list, tuple)) else output

    def fast_sequence(self, inputs, states, mask, training=False, sequences=True):
        recurrence = backend.kernel("simple_rnn_input_recurrence")
        if recurrence is None:
            projected, kernel, mask_arguments = self.fast_path_operands(inputs, mask, training)
            outputs = _tanh_recurrence(projected, kernel, states[0], *mask_arguments)
        else:
            operands, mask_arguments = self.input_recurrence_operands(inputs, mask, training)
            outputs = recurrence(*operands, states[0], *mask_arguments, sequences=sequences)
        return outputs, [outputs[-1]]

    def inference_sequence(self, inputs, states, mask, sequences):
        run = backend.kernel("simple_rnn_inference")
        if run is None:
            raise NotImplementedError
        outputs, h = run(
            *self.inference_operands(inputs), self.activation, states[0], mask, sequences
        )
        return outputs, [h]


@fp.custom_gradient
def _tanh_recurrence(projected, kernel, h0, *mask):
    """`h_t = tanh(projected_t + h_{t-1} @ kernel)` for all t: `[T, B, U]`."""
    mask = mask[0] if mask else None

    def step(h, step_inputs):
        x_t, mask_t = fp.unpack_step(step_inputs, mask is not None)
        h_new = fp.keep_where_masked(mask_t, ops.tanh(x_t + ops.matmul(h, kernel)), h)
        return h_new, h_new

    _, outputs = fp.scan(step, h0, fp.with_mask(projected, mask))

    def grad(d_outputs):
        derivative = 1.0 - outputs * outputs
        kernel_t = ops.transpose(kernel)

        def back_step(d_h_next, step_inputs):
            (d_out, derivative_t), mask_t = fp.unpack_step(step_inputs, mask is not None)
            d_h, passed = fp.split_masked(mask_t, d_out + d_h_next)
            d_pre = d_h * derivative_t
            return fp.add_passed(ops.matmul(d_pre, kernel_t), passed), d_pre

        d_h0, d_pre = fp.scan(
            back_step,
            ops.zeros_like(h0),
            fp.with_mask((d_outputs, derivative), mask),
            reverse=True,
        )
        d_kernel = fp.sum_over_steps(fp.previous_steps(h0, outputs), d_pre)
        extra = () if mask is None else (ops.zeros_like(mask),)
        return (d_pre, d_kernel, d_h0, *extra)

    return outputs, grad


@keras.saving.register_keras_serializable(package="textrnn")
class SimpleRNN(RNNLayer):
    """Fully connected RNN over a sequence, weight-compatible with `keras.layers.SimpleRNN`.

    Takes the arguments of `SimpleRNNCell` and of `RNNLayer` (`return_sequences`,
    `return_state`, `go_backwards`, `stateful`, `unroll`, ...).

    Call arguments: `sequences [batch, timesteps, features]`, `initial_state`, `mask`,
    `training` (see `RNNLayer`).

    Returns:
        `[batch, units]` (or `[batch, timesteps, units]` with `return_sequences`), followed
        by the final state `[batch, units]` with `return_state`.

    Example:

    >>> layer = SimpleRNN(4, return_sequences=True)
    >>> layer(np.zeros((2, 5, 3), "float32")).shape
    (2, 5, 4)
    """

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"
