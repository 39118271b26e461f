"""Forward-only loops for inference, in `keras.ops`, run on a backend's own `scan`.

Each takes the backend's `scan(step, init, xs, reverse=False, outputs=True)` (`jax.lax.scan`
semantics: nested carry, outputs of any shape, `outputs=False` to keep none), then the
sequence and weights: `inputs [timesteps, batch, features]` (time-major, in processing
order), `kernel`, `bias` (or `None`), `recurrent_kernel`, the activations, the initial
states, `mask` (`None` or float `[timesteps, batch, 1]`) and `sequences` (whether the
outputs of all steps are wanted). Unlike the layers' generic loop, which calls the cell once
per step, the carry is a tuple of states (no packing into one tensor), and without
`sequences` nothing is written per step: the output is the last state, `[1, batch, units]`.
The input projection stays inside the loop: projecting all steps first measured slower for a
forward-only pass on CPU (more memory traffic than it saves).

Biases are added with `+`, not `ops.add`: on TensorFlow `ops.add(matmul, vector)` becomes a
`BiasAdd`, which grappler fuses with the `MatMul` into oneDNN's fused matmul, and inside a loop
of small steps that measured about 35% slower (a SimpleRNN step at batch 64, 128 units: 12.6-13.5
ms against 8.9-9.9 ms for 200 steps, the bias fused into the input projection's matmul,
which is off the recurrence's path; 8% at batch 1, nothing at the LM shape). Keras' own
`SimpleRNNCell` and `GRUCell` add their input bias that way.
"""

from keras import ops

from textrnn.layers.backend import equations


def keep(mask_t, new, old):
    """The new state where the step counts, the old one where it is masked."""
    return new if mask_t is None else ops.where(mask_t > 0, new, old)


def simple_rnn(scan, inputs, kernel, bias, recurrent_kernel, activation, h0, mask, sequences):
    """Forward-only SimpleRNN: `(outputs [T or 1, B, U], final h)`."""

    def step(h, step_inputs):
        x_t, mask_t = step_inputs
        pre = ops.matmul(x_t, kernel) + ops.matmul(h, recurrent_kernel)
        h_new = keep(mask_t, activation(pre if bias is None else pre + bias), h)
        return h_new, h_new if sequences else None

    return _inference_loop(scan, step, h0, inputs, mask, sequences, lambda h: h)


def lstm(scan, inputs, kernel, bias, recurrent_kernel, activations, h0, c0, mask, sequences):
    """Forward-only LSTM: `(outputs [T or 1, B, U], (final h, final c))`."""
    activation, recurrent_activation = activations

    def step(carry, step_inputs):
        h, c = carry
        x_t, mask_t = step_inputs
        z = ops.matmul(x_t, kernel) + ops.matmul(h, recurrent_kernel)
        z = z if bias is None else z + bias
        z_i, z_f, z_g, z_o = ops.split(z, 4, axis=-1)
        i, f, o = recurrent_activation(z_i), recurrent_activation(z_f), recurrent_activation(z_o)
        g = activation(z_g)
        c_new = keep(mask_t, f * c + i * g, c)
        h_new = keep(mask_t, o * activation(c_new), h)
        return (h_new, c_new), h_new if sequences else None

    return _inference_loop(scan, step, (h0, c0), inputs, mask, sequences, lambda carry: carry[0])


def gru(
    scan, inputs, kernel, bias, recurrent_kernel, activations, reset_after, h0, mask, sequences
):
    """Forward-only GRU: `(outputs [T or 1, B, U], final h)`.

    `bias` is `None`, `[2, 3U]` (input and recurrent, `reset_after`) or `[3U]`.
    """
    activation, recurrent_activation = activations
    units = h0.shape[-1]
    input_bias, recurrent_bias = bias, None
    if bias is not None and reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]

    def step(h, step_inputs):
        x_t, mask_t = step_inputs
        x = ops.matmul(x_t, kernel)
        x = x if input_bias is None else x + input_bias
        if reset_after:
            inner = ops.matmul(h, recurrent_kernel)
            inner = inner if recurrent_bias is None else inner + recurrent_bias
            z, _, candidate = equations.gru_reset_after_gates(x, inner, activations)
        else:
            inner = ops.matmul(h, recurrent_kernel[:, : 2 * units])
            gates = recurrent_activation(x[:, : 2 * units] + inner)
            z, r = gates[:, :units], gates[:, units:]
            recurrent_h = ops.matmul(r * h, recurrent_kernel[:, 2 * units :])
            candidate = activation(x[:, 2 * units :] + recurrent_h)
        h_new = keep(mask_t, z * h + (1.0 - z) * candidate, h)
        return h_new, h_new if sequences else None

    return _inference_loop(scan, step, h0, inputs, mask, sequences, lambda h: h)


def _inference_loop(scan, step, init, inputs, mask, sequences, last_output):
    """Runs a forward-only `step`; without `sequences` only the last output is returned."""
    final, outputs = scan(step, init, (inputs, mask), outputs=sequences)
    if not sequences:
        outputs = last_output(final)[None]
    return outputs, final
