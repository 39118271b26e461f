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


def gru_gate_gradients(d_h, h_prev, z, r, candidate, inner_h):
    """Gradients of one `reset_after` GRU step (sigmoid gates, tanh candidate) whose new state
    `z * h_prev + (1 - z) * candidate` received `d_h`: `(d_projected, d_inner)`, both
    `[B, 3U]`, of the loss with respect to the pre-activation sums `projected` and `inner` of
    `gru_reset_after_gates` (`inner_h` is `inner`'s last block)."""
    d_candidate = d_h * (1.0 - z) * (1.0 - candidate * candidate)
    d_z = d_h * (h_prev - candidate) * z * (1.0 - z)
    d_r = d_candidate * inner_h * r * (1.0 - r)
    return (ops.concatenate([d_z, d_r, d_candidate], axis=-1),
            ops.concatenate([d_z, d_r, d_candidate * r], axis=-1))


def lstm_gate_gradients(d_h, d_c, c_prev, i, f, g, o, tanh_c):
    """Gradients of one LSTM step (sigmoid gates i, f, o, tanh cell input g; `c = f * c_prev +
    i * g`, `h = o * tanh_c`) that received `d_h` and `d_c` from later: `(d_c through the
    step, d_z [B, 4U])`, d_z being with respect to the pre-activations (i, f, c, o)."""
    d_c = d_c + d_h * o * (1.0 - tanh_c * tanh_c)
    d_z = ops.concatenate([d_c * g * i * (1.0 - i), d_c * c_prev * f * (1.0 - f),
                           d_c * i * (1.0 - g * g), d_h * tanh_c * o * (1.0 - o)], axis=-1)
    return d_c, d_z
