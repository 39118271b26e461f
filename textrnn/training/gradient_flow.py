"""Gradient-flow diagnostics: how much of the loss's gradient reaches each time step.

For a recurrent layer, `hidden_state_gradients` unrolls the layer's cell one step at a time,
adds a zero perturbation `e_t` to every hidden state `h_t` and differentiates the loss with
respect to the perturbations: `dL/de_t` is the *total* derivative `dL/dh_t`, including every
path through later steps. Its norm shrinking geometrically with the distance from the loss is
the vanishing gradient; growing is the exploding one. The only backend-specific code is
`_gradient` (TensorFlow and JAX autodiff).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
from keras import ops

from textrnn.io import atomic_write


def hidden_state_gradients(layer, inputs, loss_fn: Callable, initial_state=None) -> np.ndarray:
    """Norm of the total derivative `dL/dh_t` for every time step `t`.

    Args:
        layer: a Keras recurrent layer (anything with a `.cell`, e.g. `LSTM`) or a cell whose
            output is its first state (true of SimpleRNN, LSTM and GRU cells).
        inputs: `[batch, time, features]` inputs of the layer.
        loss_fn: maps the layer's output sequence `[batch, time, units]` to a scalar loss.
        initial_state: optional list of initial state tensors; zeros by default.

    Returns:
        float array `[time]`: the L2 norm (over batch and units) of `dL/dh_t`, in processing
        order.
    """
    cell = getattr(layer, "cell", layer)
    inputs = ops.convert_to_tensor(inputs, "float32")
    if len(inputs.shape) != 3:
        raise ValueError(f"Argument `inputs` must be [batch, time, features]; got shape "
                         f"{inputs.shape}.")
    batch, steps = inputs.shape[0], inputs.shape[1]
    if not cell.built:
        cell.build(inputs.shape[:1] + inputs.shape[2:])
    states = initial_state if initial_state is not None else _zero_state(cell, batch)
    units = ops.shape(states[0])[-1]

    def loss_of_perturbation(perturbation):
        state = list(states)
        outputs = []
        for t in range(steps):
            output, state = cell(inputs[:, t], state, training=False)
            state = list(state) if isinstance(state, (list, tuple)) else [state]
            if output.shape != state[0].shape:
                raise ValueError(f"{type(cell).__name__}'s output is not its first state; "
                                 "hidden_state_gradients needs cells where it is.")
            state[0] = state[0] + perturbation[t]
            outputs.append(state[0])
        return loss_fn(ops.stack(outputs, axis=1))

    grads = _gradient(loss_of_perturbation, ops.zeros((steps, batch, units), "float32"))
    grads = ops.convert_to_numpy(grads)
    return np.sqrt(np.sum(np.square(grads), axis=(1, 2)))


def gradient_flow(model: keras.Sequential, x, y, loss=None) -> np.ndarray:
    """`hidden_state_gradients` for the first recurrent layer of a `Sequential` model.

    Layers before it map `x` to its inputs; layers after it (fed the last output when the
    layer has `return_sequences=False`) and `loss` (default: the compiled loss) give `L`.
    Masks and dropout are not applied.

    Args:
        model: a built `keras.Sequential` with a recurrent layer.
        x: a model input batch.
        y: the matching targets.
        loss: a loss function or name; defaults to `model.loss`.

    Returns:
        float array `[time]`, the norm of `dL/dh_t` in processing order.
    """
    if not isinstance(model, keras.Sequential):
        raise ValueError("gradient_flow needs a `keras.Sequential` model; for other models call "
                         "`hidden_state_gradients(layer, inputs, loss_fn)` directly.")
    index = next((i for i, layer in enumerate(model.layers) if hasattr(layer, "cell")), None)
    if index is None:
        raise ValueError("The model has no recurrent layer (a layer with a `.cell`).")
    layer = model.layers[index]
    loss_fn = keras.losses.get(loss if loss is not None else model.loss)
    if loss_fn is None:
        raise ValueError("No loss: compile the model or pass `loss=`.")
    inputs = _apply(model.layers[:index], ops.convert_to_tensor(x))
    if getattr(layer, "go_backwards", False):
        inputs = ops.flip(inputs, axis=1)

    def head_loss(outputs):
        if not getattr(layer, "return_sequences", True):
            outputs = outputs[:, -1]
        return ops.mean(loss_fn(ops.convert_to_tensor(y), _apply(model.layers[index + 1:],
                                                                   outputs)))

    return hidden_state_gradients(layer, inputs, head_loss)


def recurrent_spectral_norm(layer) -> float:
    """Largest singular value of the recurrent kernel `[units, gates * units]` of a layer or
    cell (for SimpleRNN, below 1 with tanh means vanishing gradients)."""
    cell = getattr(layer, "cell", layer)
    if not hasattr(cell, "recurrent_kernel"):
        raise ValueError(f"{type(cell).__name__} has no `recurrent_kernel`.")
    return float(np.linalg.norm(ops.convert_to_numpy(cell.recurrent_kernel), ord=2))


def plot_gradient_flow(norms: dict[str, np.ndarray], path: str | Path,
                       title: str = "Gradient norm vs distance from the loss") -> Path:
    """Plot `||dL/dh_t||` against the distance `T - 1 - t` from the loss, log scale.

    Args:
        norms: label -> array `[time]` (as returned by `hidden_state_gradients`).
        path: PNG file to write.
        title: figure title.

    Returns:
        The PNG path.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.2))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for label, values in norms.items():
        values = np.asarray(values)
        axes.semilogy(np.arange(len(values))[::-1], np.maximum(values, 1e-30), label=label)
    axes.set_xlabel("distance from the loss (time steps)")
    axes.set_ylabel("||dL/dh_t||")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110, bbox_inches="tight")
    return Path(path)


def _apply(layers, x):
    for layer in layers:
        x = layer(x, training=False)
    return x


def _zero_state(cell, batch: int) -> list:
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    return [ops.zeros((batch, size), "float32") for size in sizes]


def _gradient(fn: Callable, x):
    """Gradient of the scalar `fn(x)` with respect to `x`, with the backend's autodiff."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            value = fn(x)
        return tape.gradient(value, x)
    if backend == "jax":
        import jax

        return jax.grad(fn)(x)
    raise ValueError(f"Gradient-flow diagnostics need the tensorflow or jax backend; "
                     f"got {backend}.")
