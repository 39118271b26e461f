"""The backend kernels (`textrnn.layers.backend`) give the `keras.ops` reference path's numbers.

On TensorFlow: outputs, final states and the gradients of all of them (with respect to the
inputs, the initial states and every weight), in training (the fast path with its hand-written
backward pass) and in inference (the forward-only loops), eagerly and inside a `tf.function`
(where the kernels' `tf.while_loop`s run). On JAX (the training recurrences and the
inference loops): the same, under `jax.jit`. On torch (PyTorch's fused operators): outputs,
final states and all those gradients, with and without a mask.
"""

import contextlib

import keras
import numpy as np
import pytest
from _helpers import FEATURES, INPUTS, MASK, STEPS, UNITS, assert_close

import textrnn.layers as textrnn_layers
from textrnn.layers import backend

BACKEND = keras.backend.backend()
if BACKEND not in ("tensorflow", "jax", "torch"):
    pytest.skip(f"the {BACKEND} backend has no kernels", allow_module_level=True)
tensorflow_only = pytest.mark.skipif(BACKEND != "tensorflow", reason="TensorFlow kernels")
torch_only = pytest.mark.skipif(BACKEND != "torch", reason="PyTorch kernels")
if BACKEND == "tensorflow":
    import tensorflow as tf
if BACKEND == "torch":
    import torch
if BACKEND == "jax":
    import jax

# (layer name, extra arguments): the cells, plus configurations that leave the hand-written
# gradients (other activations, reset_before GRU) and so train through the generic loop.
VARIANTS = [
    ("SimpleRNN", {}),
    ("SimpleRNN", {"activation": "relu"}),
    ("LSTM", {}),
    ("LSTM", {"use_bias": False, "unit_forget_bias": False}),
    ("LSTM", {"recurrent_activation": "hard_sigmoid"}),
    ("GRU", {}),
    ("GRU", {"use_bias": False}),
    ("GRU", {"reset_after": False}),
]
IDS = [name + "".join(f"-{k}={v}" for k, v in extra.items()) for name, extra in VARIANTS]


def make_layer(name, extra, **options):
    layer = getattr(textrnn_layers, name)(UNITS, return_state=True, **extra, **options)
    layer.build((None, STEPS, FEATURES))
    rng = np.random.default_rng(1)
    layer.set_weights(
        [0.5 * rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()]
    )
    return layer


def outputs_and_gradients(layer, reference, graph, training, mask=None):
    """The layer's outputs and the gradients of a weighted sum of them, on either path."""
    inputs = tf.constant(INPUTS)
    rng = np.random.default_rng(2)
    states = [
        tf.constant(rng.normal(size=(INPUTS.shape[0], size)), "float32")
        for size in layer.state_sizes
    ]
    weights = [None]  # fixed random weights per output, drawn once

    def run(inputs, states):
        with tf.GradientTape() as tape:
            tape.watch([inputs, *states])
            outputs = layer(inputs, initial_state=states, mask=mask, training=training)
            if weights[0] is None:
                weights[0] = [
                    np.random.default_rng(3).normal(size=o.shape).astype("float32") for o in outputs
                ]
            loss = sum(tf.reduce_sum(o * w) for o, w in zip(outputs, weights[0], strict=True))
        sources = [inputs, *states, *layer.trainable_variables]
        return list(outputs) + tape.gradient(loss, sources)

    function = tf.function(run) if graph else run
    with backend.reference_only() if reference else contextlib.nullcontext():
        return function(inputs, states)


def test_backend_has_kernels():
    assert backend.kernels() is not None
    with backend.reference_only():
        assert backend.kernels() is None


@pytest.mark.parametrize(("name", "extra"), VARIANTS, ids=IDS)
@pytest.mark.parametrize(
    ("options", "masked"),
    [({}, True), ({"return_sequences": True, "go_backwards": True}, True)],
    ids=["last-mask", "sequences-backwards-mask"],
)
def test_inference_loops_match_reference(name, extra, options, masked):
    """Outputs and final states (every backend with kernels; eager calls)."""
    layer = make_layer(name, extra, **options)
    states = [np.full((INPUTS.shape[0], size), 0.3, "float32") for size in layer.state_sizes]
    with backend.reference_only():
        expected = layer(INPUTS, initial_state=states, mask=MASK)
    assert_close(expected, layer(INPUTS, initial_state=states, mask=MASK))


OPTION_SETS = {  # (layer options, masked)
    "last": ({}, False),
    "last-mask": ({}, True),
    "sequences": ({"return_sequences": True}, False),
    "sequences-backwards-mask": ({"return_sequences": True, "go_backwards": True}, True),
}
# Every option set for the three cells as they are; the two masked sets for the variants.
KERNEL_CASES = [
    pytest.param(name, extra, *OPTION_SETS[key], id=f"{case_id}-{key}")
    for (name, extra), case_id in zip(VARIANTS, IDS, strict=True)
    for key in (OPTION_SETS if not extra else ("last-mask", "sequences-backwards-mask"))
]


@pytest.mark.parametrize(("name", "extra", "options", "masked"), KERNEL_CASES)
@pytest.mark.parametrize("training", [True, False], ids=["train", "infer"])
def test_kernels_match_reference(name, extra, training, options, masked):
    """In a `tf.function` on TensorFlow, under `jax.jit` on JAX, eagerly (Keras' way there)
    on torch."""
    if BACKEND == "jax" and (not training or {"activation", "recurrent_activation",
                                               "reset_after"} & set(extra)):
        pytest.skip("JAX: the inference loops' outputs are test_inference_loops_match_reference"
                    "'s; other activations and reset_after=False run jax.lax.scan both ways")
    layer = make_layer(name, extra, **options)
    mask = MASK if masked else None
    if BACKEND == "torch":
        mask = None if mask is None else torch.tensor(mask)
        expected, actual = (torch_outputs_and_gradients(layer, reference, training, mask)
                            for reference in (True, False))
    elif BACKEND == "jax":
        expected, actual = (jax_outputs_and_gradients(layer, reference, training, mask)
                            for reference in (True, False))
    else:
        mask = None if mask is None else tf.constant(mask)
        expected, actual = (outputs_and_gradients(layer, reference, True, training, mask)
                            for reference in (True, False))
    assert_close(expected, actual)


@tensorflow_only
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "infer"])
def test_kernels_match_reference_eagerly(name, training):
    """Eagerly the kernels' loops are Python loops (as in `tf.while_loop`)."""
    layer = make_layer(name, {}, return_sequences=True)
    mask = tf.constant(MASK)
    expected = outputs_and_gradients(layer, True, False, training, mask)
    assert_close(expected, outputs_and_gradients(layer, False, False, training, mask))


@tensorflow_only
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_recurrent_dropout_matches_reference(name):
    """Recurrent dropout trains through the generic loop, which runs the backend's `scan`."""
    results = []
    for reference in (True, False):
        layer = make_layer(name, {"recurrent_dropout": 0.3, "dropout": 0.2, "seed": 4})
        results.append(outputs_and_gradients(layer, reference, True, True, tf.constant(MASK)))
    assert_close(*results)


@tensorflow_only
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("graph", [True, False], ids=["graph", "eager"])
def test_scan_matches_keras_scan(reverse, graph):
    """Nested carries and outputs of another shape than the carry, in either direction."""
    xs = (tf.constant(INPUTS.transpose(1, 0, 2)), tf.constant(MASK.T[..., None], "float32"))
    init = (tf.zeros((3, FEATURES)), tf.ones((3, 1)))

    def step(carry, x_t):
        total, count = carry
        x, m = x_t
        return (total + x * m, count + m), (total * 2.0, count)

    def run():
        return backend.kernels().scan(step, init, xs, reverse=reverse)

    def run_keras():  # the same scan, its output packed into a carry-shaped structure
        def packed(carry, x_t):
            new, _ = step(carry, x_t)
            return new, carry

        final, previous = keras.ops.scan(packed, init, xs, reverse=reverse)
        return final, (previous[0] * 2.0, previous[1])

    actual = tf.function(run)() if graph else run()
    expected = run_keras()
    assert_close(keras.tree.flatten(expected), keras.tree.flatten(actual))


def graph_op_types(function, *args):
    """The op types of a traced `tf.function`, its loop bodies and gradients included."""
    graph = function.get_concrete_function(*args).graph.as_graph_def()
    nodes = [*graph.node, *(node for f in graph.library.function for node in f.node_def)]
    return {node.op for node in nodes}


@tensorflow_only
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_no_bias_add_in_the_loops(name):
    """Biases go in with `AddV2`: a `BiasAdd` after a `MatMul` is fused into oneDNN's fused
    matmul, measured ~35% slower per step inside a loop of small steps (`inference.py`)."""
    layer = make_layer(name, {})
    cell = getattr(textrnn_layers, name + "Cell")(UNITS)
    cell.build((None, FEATURES))
    inputs = tf.constant(INPUTS)

    def train_step(inputs):
        with tf.GradientTape() as tape:
            total = tf.reduce_sum(layer(inputs, training=True)[0])
        return tape.gradient(total, layer.trainable_variables)

    for function in (tf.function(train_step), tf.function(lambda x: layer(x)[0])):
        assert "BiasAdd" not in graph_op_types(function, inputs)
    step = tf.function(lambda x, states: cell(x, states)[0])
    assert "BiasAdd" not in graph_op_types(step, inputs[:, 0], cell.get_initial_state(3))


def jax_outputs_and_gradients(layer, reference, training, mask=None):
    """`outputs_and_gradients` on JAX: `jax.vjp` of the layer's `stateless_call`, jitted."""
    rng = np.random.default_rng(2)
    states = [rng.normal(size=(INPUTS.shape[0], size)).astype("float32")
              for size in layer.state_sizes]
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def run(inputs, states, trainable):
        outputs, _ = layer.stateless_call(trainable, non_trainable, inputs,
                                          initial_state=states, mask=mask, training=training)
        return outputs

    def outputs_and_vjp(inputs, states, trainable):
        outputs, pullback = jax.vjp(run, inputs, states, trainable)
        weights = tuple(np.random.default_rng(3).normal(size=o.shape).astype("float32")
                        for o in outputs)
        return outputs, pullback(weights)

    with backend.reference_only() if reference else contextlib.nullcontext():
        outputs, (d_inputs, d_states, d_trainable) = jax.jit(outputs_and_vjp)(
            INPUTS, states, trainable)
    return [*outputs, d_inputs, *d_states, *d_trainable]


def torch_outputs_and_gradients(layer, reference, training, mask=None):
    """`outputs_and_gradients` on torch: autograd through the kernels or the reference."""
    inputs = torch.tensor(INPUTS, requires_grad=True)
    rng = np.random.default_rng(2)
    states = [torch.tensor(rng.normal(size=(INPUTS.shape[0], size)).astype("float32"),
                           requires_grad=True) for size in layer.state_sizes]
    for variable in layer.trainable_variables:
        variable.value.grad = None
    with backend.reference_only() if reference else contextlib.nullcontext():
        outputs = layer(inputs, initial_state=states, mask=mask, training=training)
    weights = [np.random.default_rng(3).normal(size=o.shape).astype("float32") for o in outputs]
    sum(torch.sum(o * torch.tensor(w)) for o, w in zip(outputs, weights, strict=True)).backward()
    gradients = [inputs.grad, *(s.grad for s in states),
                 *(v.value.grad for v in layer.trainable_variables)]
    return [o.detach() for o in outputs] + [g.detach() for g in gradients]


# A row unmasked on two separate runs of steps, and an empty row: no packed sequence fits.
GAPPED_MASK = np.array([[1, 0, 1, 1, 0], [1, 1, 1, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)


@torch_only
@pytest.mark.parametrize(("name", "extra", "options", "masked"), KERNEL_CASES)
def test_torch_inference_without_autograd_matches_reference(name, extra, options, masked):
    """Without autograd a masked batch whose rows are each unmasked on one run of steps
    (right-, left- or not padded) runs as packed sequences, also under `go_backwards`."""
    layer = make_layer(name, extra, **options)
    mask = torch.tensor(MASK) if masked else None
    states = [torch.full((INPUTS.shape[0], size), 0.3) for size in layer.state_sizes]
    with torch.no_grad():
        with backend.reference_only():
            expected = layer(INPUTS, initial_state=states, mask=mask)
        assert_close(expected, layer(INPUTS, initial_state=states, mask=mask))


@torch_only
@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_torch_kernels_match_reference_with_a_gapped_mask(name):
    layer = make_layer(name, {}, return_sequences=True)
    mask = torch.tensor(GAPPED_MASK)
    expected = torch_outputs_and_gradients(layer, True, True, mask)
    assert_close(expected, torch_outputs_and_gradients(layer, False, True, mask))


@torch_only
@pytest.mark.parametrize(("name", "operator"),
                         [("SimpleRNN", "rnn_tanh"), ("LSTM", "lstm"), ("GRU", "gru")])
def test_torch_runs_pytorchs_operator_unless_masked_with_gaps_or_training(name, operator,
                                                                          monkeypatch):
    calls = []
    original = getattr(torch, operator)
    monkeypatch.setattr(torch, operator, lambda *args: calls.append(1) or original(*args))
    layer = make_layer(name, {})
    with torch.no_grad():  # as in `predict`
        layer(INPUTS)
        layer(INPUTS, mask=MASK)
        assert len(calls) == 2
        layer(INPUTS, mask=GAPPED_MASK)
    layer(INPUTS, mask=MASK)  # autograd records: the reference, faster to differentiate
    assert len(calls) == 2
