"""One step of the cells' equations and of their gradients, in `keras.ops`, shared by the
inference loops (`inference.py`) and the TensorFlow and JAX training kernels, so each formula
is written once. All tensors are `[batch, width]`; gate blocks are in Keras' order.
"""

from keras import ops


def gru_reset_after_gates(projected, inner, activations=(ops.tanh, ops.sigmoid)):
    """One `reset_after` GRU step's `(z, r, candidate)` (each `[B, U]`) from the projected
    inputs `projected = x_t @ kernel + input_bias` and `inner = h @ recurrent_kernel +
    recurrent_bias` (both `[B, 3U]`, gates z, r, h); the new state is
    `z * h + (1 - z) * candidate`.

    Both are split into their three blocks first and z and r activated apart, as Keras'
    `GRUCell` does: on TensorFlow that measured 5-8% faster per forward pass than one
    activation over the first `2U` columns followed by slices.
    """
    activation, recurrent_activation = activations
    x_z, x_r, x_h = ops.split(projected, 3, axis=-1)
    inner_z, inner_r, inner_h = ops.split(inner, 3, axis=-1)
    r = recurrent_activation(x_r + inner_r)
    return recurrent_activation(x_z + inner_z), r, activation(x_h + r * inner_h)


def gru_local_gradients(h_prev, z, r, candidate, inner_h):
    """The derivatives of one `reset_after` GRU step (sigmoid gates, tanh candidate; new state
    `z * h_prev + (1 - z) * candidate`) that do not depend on the gradient flowing back:
    `(projected_factors, inner_factors)`, both `[B, 3U]`, for `gru_gate_gradients`
    (`inner_h` is the last block of `gru_reset_after_gates`' `inner`).

    The training kernels compute them in the forward loop, where they hang off the
    recurrence and run beside it, so that each backward step is a few products only.
    """
    d_candidate = (1.0 - z) * (1.0 - candidate * candidate)
    d_z = (h_prev - candidate) * z * (1.0 - z)
    d_r = d_candidate * inner_h * r * (1.0 - r)
    return (ops.concatenate([d_z, d_r, d_candidate], axis=-1),
            ops.concatenate([d_z, d_r, d_candidate * r], axis=-1))


def gru_gate_gradients(d_h, projected_factors, inner_factors):
    """Gradients of one GRU step whose new state received `d_h`: `(d_projected, d_inner)`,
    both `[B, 3U]`, with respect to `gru_reset_after_gates`' sums `projected` and `inner`."""
    d_h = ops.concatenate([d_h, d_h, d_h], axis=-1)
    return d_h * projected_factors, d_h * inner_factors


def lstm_local_gradients(c_prev, i, f, g, o, tanh_c):
    """The derivatives of one LSTM step (sigmoid gates i, f, o, tanh cell input g; `c = f *
    c_prev + i * g`, `h = o * tanh_c`) that do not depend on the gradient flowing back:
    `(gate_factors [B, 4U], cell_factor [B, U])`, for `lstm_gate_gradients`. Computed in the
    forward loop, beside the recurrence, as `gru_local_gradients`."""
    gate_factors = ops.concatenate([g * i * (1.0 - i), c_prev * f * (1.0 - f),
                                    i * (1.0 - g * g), tanh_c * o * (1.0 - o)], axis=-1)
    return gate_factors, o * (1.0 - tanh_c * tanh_c)


def lstm_gate_gradients(d_h, d_c, gate_factors, cell_factor):
    """Gradients of one LSTM step that received `d_h` and `d_c` from later: `(d_c through the
    step, d_z [B, 4U])`, d_z being with respect to the pre-activations (i, f, c, o)."""
    d_c = d_c + d_h * cell_factor
    return d_c, ops.concatenate([d_c, d_c, d_c, d_h], axis=-1) * gate_factors
