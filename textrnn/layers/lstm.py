"""`LSTMCell` and `LSTM`: input, forget and output gates and a cell state (Hochreiter 1997)."""

import keras
from keras import ops

from textrnn.layers import backend
from textrnn.layers import fast_path as fp
from textrnn.layers.cell import RecurrentCell, check_implementation, get_activation
from textrnn.layers.rnn import GatedRNNLayer


@keras.saving.register_keras_serializable(package="textrnn")
class LSTMCell(RecurrentCell):
    """LSTM cell, weight-compatible with `keras.layers.LSTMCell` (gate order i, f, c, o).

    Args: those of `RecurrentCell`, plus
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        unit_forget_bias: Start the forget gate's bias at 1 (with `bias_initializer` for the
            rest). Default `True`.
        implementation: Keras' legacy choice between per-gate matmuls (1) and one fused
            matmul (2), accepted and serialised so Keras code and configs run unchanged;
            textrnn always fuses (the numbers are the same). Default 2.

    Call arguments:
        inputs: `[batch, features]`.
        states: `[h, c]`, each `[batch, units]`.
        training: whether dropout is active.

    Returns:
        `(h [batch, units], [h, c])`.

    Example:

    >>> rnn = keras.layers.RNN(LSTMCell(4))
    >>> rnn(np.zeros((2, 5, 3), "float32")).shape
    (2, 4)
    """

    gates = 4

    def __init__(
        self,
        units,
        recurrent_activation="sigmoid",
        unit_forget_bias=True,
        implementation=2,
        **kwargs,
    ):
        super().__init__(units, **kwargs)
        self.recurrent_activation = get_activation(recurrent_activation, "recurrent_activation")
        self.implementation = check_implementation(implementation)
        self.unit_forget_bias = unit_forget_bias
        # As in Keras: with recurrent dropout each gate gets its own input and state mask.
        if self.recurrent_dropout:
            self.dropout_mask_count = 4
        self.state_size = [units, units]

    def bias_weight_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def initializer(shape, dtype=None):
            return ops.concatenate(
                [base((units,), dtype), ops.ones((units,), dtype), base((2 * units,), dtype)]
            )

        return initializer

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_mask = self.get_recurrent_dropout_mask(h_prev) if training else None
        recurrent_kernel = self.recurrent_kernel_for(training)
        if isinstance(dp_mask, list) or isinstance(rec_mask, list):
            z = self._per_gate_preactivations(inputs, h_prev, dp_mask, rec_mask, recurrent_kernel)
        else:
            x = inputs if dp_mask is None else inputs * dp_mask
            z = ops.matmul(x, self.kernel) + ops.matmul(h_prev, recurrent_kernel)
            z = z if self.bias is None else z + self.bias
        i, f, g, o = ops.split(z, 4, axis=-1)
        act, rec_act = self.activation, self.recurrent_activation
        c = rec_act(f) * c_prev + rec_act(i) * act(g)
        h = rec_act(o) * act(c)
        return h, [h, c]

    def _per_gate_preactivations(self, inputs, h_prev, dp_mask, rec_mask, recurrent_kernel):
        """With recurrent dropout each gate sees its own dropped copy of inputs and state."""
        x_parts = self._gate_inputs(inputs, dp_mask)
        h_parts = self._gate_inputs(h_prev, rec_mask)
        kernels = ops.split(self.kernel, 4, axis=1)
        recurrent = ops.split(recurrent_kernel, 4, axis=1)
        z = ops.concatenate(
            [
                ops.matmul(x, k) + ops.matmul(h, r)
                for x, k, h, r in zip(x_parts, kernels, h_parts, recurrent, strict=True)
            ],
            axis=-1,
        )
        return z if self.bias is None else z + self.bias

    def _gate_inputs(self, tensor, mask):
        """The tensor seen by each of the 4 gates after (per-gate or shared) dropout."""
        if mask is None:
            return [tensor] * 4
        return [tensor * m for m in mask] if isinstance(mask, list) else [tensor * mask] * 4

    def fast_sequence(self, inputs, states, mask, training=False, sequences=True):
        recurrence = backend.kernel("lstm_input_recurrence")
        if recurrence is None:
            projected, kernel, mask_arguments = self.fast_path_operands(inputs, mask, training)
            outputs, c_last = _lstm_recurrence(
                projected, kernel, states[0], states[1], *mask_arguments
            )
        else:
            operands, mask_arguments = self.input_recurrence_operands(inputs, mask, training)
            outputs, c_last = recurrence(
                *operands, states[0], states[1], *mask_arguments, sequences=sequences
            )
        return outputs, [outputs[-1], c_last]

    def inference_sequence(self, inputs, states, mask, sequences):
        run = backend.kernel("lstm_inference")
        if run is None:
            raise NotImplementedError
        activations = (self.activation, self.recurrent_activation)
        outputs, (h, c) = run(
            *self.inference_operands(inputs), activations, states[0], states[1], mask, sequences
        )
        return outputs, [h, c]

    def get_config(self):
        config = {
            "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
            "implementation": self.implementation,
            "unit_forget_bias": self.unit_forget_bias,
        }
        return {**super().get_config(), **config}


def _lstm_forward(projected, kernel, h0, c0, mask=None):
    """Scans the LSTM over `projected [T, B, 4U]`; returns the carries `[T, B, 6U]`.

    Each carry is `[h, c, i, f, g, o]`: the gates are kept so that the backward pass need not
    recompute them.
    """
    units = h0.shape[-1]

    def step(carry, step_inputs):
        z_t, mask_t = fp.unpack_step(step_inputs, mask is not None)
        z = z_t + ops.matmul(carry[:, :units], kernel)
        i = ops.sigmoid(z[:, :units])
        f = ops.sigmoid(z[:, units : 2 * units])
        g = ops.tanh(z[:, 2 * units : 3 * units])
        o = ops.sigmoid(z[:, 3 * units :])
        c_new = f * carry[:, units : 2 * units] + i * g
        new = ops.concatenate([o * ops.tanh(c_new), c_new, i, f, g, o], axis=-1)
        new = fp.keep_where_masked(mask_t, new, carry)
        return new, new

    carry0 = ops.concatenate([h0, c0, ops.zeros_like(projected[0])], axis=-1)
    _, carries = fp.scan(step, carry0, fp.with_mask(projected, mask))
    return carries


@fp.custom_gradient
def _lstm_recurrence(projected, kernel, h0, c0, *mask):
    """Runs the LSTM over `projected [T, B, 4U]`; returns `(h for all steps, last c)`."""
    mask = mask[0] if mask else None
    units = h0.shape[-1]
    carries = _lstm_forward(projected, kernel, h0, c0, mask)
    hs, cs = carries[..., :units], carries[..., units : 2 * units]

    def grad(d_hs, d_c_last):
        i, f, g, o = (carries[..., k * units : (k + 1) * units] for k in range(2, 6))
        tanh_c = ops.tanh(cs)
        # d loss / d z = dc * c_coefficients (for i, f, g) and dh * o_coefficient (for o).
        c_coefficients = ops.concatenate(
            [g * i * (1.0 - i), fp.previous_steps(c0, cs) * f * (1.0 - f), i * (1.0 - g * g)],
            axis=-1,
        )
        o_coefficient = tanh_c * o * (1.0 - o)
        h_to_c = o * (1.0 - tanh_c * tanh_c)
        kernel_t = ops.transpose(kernel)

        def back_step(carry, step_inputs):
            (d_out, h_to_c_t, c_coef_t, o_coef_t, f_t), mask_t = fp.unpack_step(
                step_inputs, mask is not None
            )
            d_h, h_passed = fp.split_masked(mask_t, d_out + carry[:, :units])
            d_c, c_passed = fp.split_masked(mask_t, carry[:, units:])
            d_c = d_c + d_h * h_to_c_t
            d_z = ops.concatenate([ops.tile(d_c, (1, 3)) * c_coef_t, d_h * o_coef_t], axis=-1)
            new = ops.concatenate(
                [
                    fp.add_passed(ops.matmul(d_z, kernel_t), h_passed),
                    fp.add_passed(d_c * f_t, c_passed),
                ],
                axis=-1,
            )
            return new, ops.concatenate([d_h, d_c], axis=-1)

        carry0 = ops.concatenate([ops.zeros_like(h0), d_c_last], axis=-1)
        step_inputs = (d_hs, h_to_c, c_coefficients, o_coefficient, f)
        d_first, d_hc = fp.scan(back_step, carry0, fp.with_mask(step_inputs, mask), reverse=True)
        d_h, d_c = d_hc[..., :units], d_hc[..., units:]
        d_z = ops.concatenate([ops.tile(d_c, (1, 1, 3)) * c_coefficients, d_h * o_coefficient], -1)
        d_kernel = fp.sum_over_steps(fp.previous_steps(h0, hs), d_z)
        extra = () if mask is None else (ops.zeros_like(mask),)
        return (d_z, d_kernel, d_first[:, :units], d_first[:, units:], *extra)

    return (hs, cs[-1]), grad


@keras.saving.register_keras_serializable(package="textrnn")
class LSTM(GatedRNNLayer):
    """LSTM over a sequence, weight-compatible with `keras.layers.LSTM`.

    Takes the arguments of `LSTMCell` and of `RNNLayer` (`return_sequences`,
    `return_state`, `go_backwards`, `stateful`, `unroll`, ...) and Keras' `use_cudnn`
    (accepted for compatibility, no effect: see `GatedRNNLayer`).

    Call arguments: `sequences [batch, timesteps, features]`, `initial_state` (`[h, c]`),
    `mask`, `training` (see `RNNLayer`).

    Returns:
        `[batch, units]` (or `[batch, timesteps, units]` with `return_sequences`), followed
        by the final `h` and `c` (each `[batch, units]`) with `return_state`.

    Example:

    >>> output, h, c = LSTM(4, return_state=True)(np.zeros((2, 5, 3), "float32"))
    >>> output.shape, c.shape
    ((2, 4), (2, 4))
    """

    cell_class = LSTMCell
    cell_name = "lstm_cell"
