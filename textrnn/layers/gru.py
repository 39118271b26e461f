"""`GRUCell` and `GRU`: update and reset gates, no separate cell state (Cho et al. 2014)."""

import keras
from keras import ops

from textrnn.layers import backend
from textrnn.layers import fast_path as fp
from textrnn.layers.backend import equations
from textrnn.layers.cell import RecurrentCell, check_implementation, get_activation
from textrnn.layers.rnn import GatedRNNLayer


@keras.saving.register_keras_serializable(package="textrnn")
class GRUCell(RecurrentCell):
    """GRU cell, weight-compatible with `keras.layers.GRUCell` (gate order z, r, h).

    Args: those of `RecurrentCell`, plus
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        reset_after: Apply the reset gate after the recurrent matmul (Keras' default, and
            cuDNN's; the bias is then `[2, 3 * units]`: input and recurrent) or before it
            (`False`, the original paper; bias `[3 * units]`). Default `True`.
        implementation: Keras' legacy choice between per-gate matmuls (1) and one fused
            matmul (2), accepted and serialised so Keras code and configs run unchanged;
            textrnn always fuses (the numbers are the same). Default 2.

    Call arguments:
        inputs: `[batch, features]`.
        states: list holding the previous state `[batch, units]` (or that tensor).
        training: whether dropout is active.

    Returns:
        `(output [batch, units], new_states)`.

    Example:

    >>> rnn = keras.layers.RNN(GRUCell(4))
    >>> rnn(np.zeros((2, 5, 3), "float32")).shape
    (2, 4)
    """

    gates = 3

    def __init__(
        self,
        units,
        recurrent_activation="sigmoid",
        reset_after=True,
        implementation=2,
        **kwargs,
    ):
        super().__init__(units, **kwargs)
        self.recurrent_activation = get_activation(recurrent_activation, "recurrent_activation")
        self.implementation = check_implementation(implementation)
        self.reset_after = reset_after
        # As in Keras: with recurrent dropout each gate gets its own input and state mask.
        if self.recurrent_dropout:
            self.dropout_mask_count = 3

    def bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def input_bias(self):
        if self.bias is None or not self.reset_after:
            return self.bias
        return self.bias[0]

    def recurrent_bias(self):
        return self.bias[1] if self.bias is not None and self.reset_after else None

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        h_prev = states[0] if nested else states
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_mask = self.get_recurrent_dropout_mask(h_prev) if training else None
        input_bias, recurrent_bias = self.input_bias(), self.recurrent_bias()
        if isinstance(dp_mask, list):  # recurrent dropout on: one input mask per gate
            kernels = ops.split(self.kernel, 3, axis=1)
            x = ops.concatenate(
                [ops.matmul(inputs * m, k) for m, k in zip(dp_mask, kernels, strict=True)], -1
            )
        else:
            x = ops.matmul(inputs if dp_mask is None else inputs * dp_mask, self.kernel)
        if input_bias is not None:
            x = x + input_bias
        kernel = self.recurrent_kernel_for(training)
        if rec_mask is None and self.reset_after:
            inner = ops.matmul(h_prev, kernel)
            if recurrent_bias is not None:
                inner = inner + recurrent_bias
            activations = (self.activation, self.recurrent_activation)
            z, _, candidate = equations.gru_reset_after_gates(x, inner, activations)
        else:
            z, candidate = self._gates_per_block(x, h_prev, rec_mask, kernel, recurrent_bias)
        h = z * h_prev + (1.0 - z) * candidate
        return h, [h] if nested else h

    def _gates_per_block(self, x, h_prev, rec_mask, kernel, recurrent_bias):
        """`(z, candidate)` with a recurrent matmul per gate: recurrent dropout (a state mask
        per gate) or `reset_after=False` (the reset gate scales h before its matmul)."""
        units = self.units
        h_z, h_r, h_h = self._gate_inputs(h_prev, rec_mask)
        inner = ops.concatenate(
            [ops.matmul(h_z, kernel[:, :units]), ops.matmul(h_r, kernel[:, units : 2 * units])]
            + ([ops.matmul(h_h, kernel[:, 2 * units :])] if self.reset_after else []),
            axis=-1,
        )
        if recurrent_bias is not None:
            inner = inner + recurrent_bias
        gates = self.recurrent_activation(x[:, : 2 * units] + inner[:, : 2 * units])
        z, r = gates[:, :units], gates[:, units:]
        if self.reset_after:
            recurrent_h = r * inner[:, 2 * units :]
        else:
            recurrent_h = ops.matmul(r * h_h, kernel[:, 2 * units :])
        return z, self.activation(x[:, 2 * units :] + recurrent_h)

    def _gate_inputs(self, tensor, mask):
        """The state seen by each of the 3 gates after (per-gate) recurrent dropout."""
        return [tensor] * 3 if mask is None else [tensor * m for m in mask]

    def fast_sequence(self, inputs, states, mask, training=False, sequences=True):
        if not self.reset_after:
            raise NotImplementedError
        recurrent_bias = self.bias_operand(self.recurrent_bias(), inputs.dtype)
        recurrence = backend.kernel("gru_input_recurrence")
        if recurrence is None:
            projected, kernel, mask_arguments = self.fast_path_operands(inputs, mask, training)
            outputs = _gru_recurrence(projected, kernel, recurrent_bias, states[0],
                                      *mask_arguments)
        else:
            operands, mask_arguments = self.input_recurrence_operands(inputs, mask, training)
            outputs = recurrence(
                *operands, recurrent_bias, states[0], *mask_arguments, sequences=sequences
            )
        return outputs, [outputs[-1]]

    def inference_sequence(self, inputs, states, mask, sequences):
        run = backend.kernel("gru_inference")
        if run is None:
            raise NotImplementedError
        activations = (self.activation, self.recurrent_activation)
        outputs, h = run(
            *self.inference_operands(inputs),
            activations,
            self.reset_after,
            states[0],
            mask,
            sequences,
        )
        return outputs, [h]

    def get_config(self):
        config = {
            "recurrent_activation": keras.activations.serialize(self.recurrent_activation),
            "implementation": self.implementation,
            "reset_after": self.reset_after,
        }
        return {**super().get_config(), **config}


def _gru_forward(projected, kernel, recurrent_bias, h0, mask=None):
    """Scans the `reset_after` GRU over `projected [T, B, 3U]`; returns carries `[T, B, 5U]`.

    Each carry is h, z, r, the candidate and the recurrent candidate term: all but h are kept
    so that the backward pass need not recompute them.
    """
    units = h0.shape[-1]

    def step(carry, step_inputs):
        x_t, mask_t = fp.unpack_step(step_inputs, mask is not None)
        h = carry[:, :units]
        recurrent = ops.matmul(h, kernel) + recurrent_bias
        gates = ops.sigmoid(x_t[:, : 2 * units] + recurrent[:, : 2 * units])
        z, r = gates[:, :units], gates[:, units:]
        recurrent_h = recurrent[:, 2 * units :]
        candidate = ops.tanh(x_t[:, 2 * units :] + r * recurrent_h)
        h_new = candidate + z * (h - candidate)
        new = ops.concatenate([h_new, gates, candidate, recurrent_h], axis=-1)
        new = fp.keep_where_masked(mask_t, new, carry)
        return new, new

    carry0 = ops.concatenate([h0, ops.zeros_like(projected[0]), ops.zeros_like(h0)], axis=-1)
    _, carries = fp.scan(step, carry0, fp.with_mask(projected, mask))
    return carries


@fp.custom_gradient
def _gru_recurrence(projected, kernel, recurrent_bias, h0, *mask):
    """Runs the `reset_after` GRU over `projected [T, B, 3U]`; returns h for all steps."""
    mask = mask[0] if mask else None
    units = h0.shape[-1]
    carries = _gru_forward(projected, kernel, recurrent_bias, h0, mask)
    hs = carries[..., :units]

    def grad(d_hs):
        z, r, candidate, recurrent_h = (
            carries[..., k * units : (k + 1) * units] for k in range(1, 5)
        )
        h_prev = fp.previous_steps(h0, hs)
        d_candidate = (1.0 - z) * (1.0 - candidate * candidate)
        # d loss / d (h_prev @ kernel + recurrent_bias) = dh * coefficients.
        coefficients = ops.concatenate(
            [
                (h_prev - candidate) * z * (1.0 - z),
                d_candidate * recurrent_h * r * (1.0 - r),
                d_candidate * r,
            ],
            axis=-1,
        )
        kernel_t = ops.transpose(kernel)

        def back_step(d_h_next, step_inputs):
            (d_out, coefficients_t, z_t), mask_t = fp.unpack_step(step_inputs, mask is not None)
            d_h, passed = fp.split_masked(mask_t, d_out + d_h_next)
            d_recurrent = ops.tile(d_h, (1, 3)) * coefficients_t
            d_prev = ops.matmul(d_recurrent, kernel_t) + d_h * z_t
            return fp.add_passed(d_prev, passed), d_h

        d_h0, d_h = fp.scan(
            back_step,
            ops.zeros_like(h0),
            fp.with_mask((d_hs, coefficients, z), mask),
            reverse=True,
        )
        d_recurrent = ops.tile(d_h, (1, 1, 3)) * coefficients
        d_projected = ops.concatenate([d_recurrent[..., : 2 * units], d_h * d_candidate], axis=-1)
        d_kernel = fp.sum_over_steps(h_prev, d_recurrent)
        d_bias = ops.sum(d_recurrent, axis=(0, 1))
        extra = () if mask is None else (ops.zeros_like(mask),)
        return (d_projected, d_kernel, d_bias, d_h0, *extra)

    return hs, grad


@keras.saving.register_keras_serializable(package="textrnn")
class GRU(GatedRNNLayer):
    """GRU over a sequence, weight-compatible with `keras.layers.GRU`.

    Takes the arguments of `GRUCell` and of `RNNLayer` (`return_sequences`,
    `return_state`, `go_backwards`, `stateful`, `unroll`, ...) and Keras' `use_cudnn`
    (accepted for compatibility, no effect: see `GatedRNNLayer`).

    Call arguments: `sequences [batch, timesteps, features]`, `initial_state`, `mask`,
    `training` (see `RNNLayer`).

    Returns:
        `[batch, units]` (or `[batch, timesteps, units]` with `return_sequences`), followed
        by the final state `[batch, units]` with `return_state`.

    Example:

    >>> GRU(4)(np.zeros((2, 5, 3), "float32")).shape
    (2, 4)
    """

    cell_class = GRUCell
    cell_name = "gru_cell"
