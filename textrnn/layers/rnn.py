"""`RNNLayer`: the sequence loop shared by `SimpleRNN`, `LSTM` and `GRU`.

The cell computes one step; this layer owns the loop over time, masking, initial and stateful
states and `go_backwards`. In training it first asks the cell for its fast path (input
projection for all steps as one matmul, then only the recurrent part stepped, with a
hand-written backward pass); in inference (except on eager torch) for the backend's
forward-only loop (`textrnn.layers.backend`, TensorFlow and JAX); with `unroll=True`, or when
the cell raises `NotImplementedError`, it runs the generic loop that calls the cell once
per step. Both loops scan with
`fast_path.scan`, which packs several scanned tensors (inputs and mask) into one, as the
TensorFlow backend's scan fails on several of unknown length.
"""

import inspect
from itertools import pairwise

import keras
from keras import ops

from textrnn.layers.cell import RecurrentCell
from textrnn.layers.fast_path import scan

LAYER_ARGUMENTS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")


def replica_state_rows(layer_name, batch_size):
    """Rows of a stateful layer's carried state, and the options of its variables.

    Under a `tf.distribute` strategy of N > 1 replicas each replica runs `batch_size / N` rows
    of every global batch (replica r rows `r * batch_size / N` onwards, the same rows every
    batch), so each carries its own state of that many rows: an "on_read" variable has one
    local copy per replica. Everywhere else (one device, JAX's global-view `keras.distribution`)
    the state is one `[batch_size, units]` variable.

    Returns:
        `(rows, options)`: the state's batch dimension, and keyword arguments for
        `keras.Variable`.
    """
    if keras.backend.backend() != "tensorflow":
        return batch_size, {}
    import tensorflow as tf

    replicas = tf.distribute.get_strategy().num_replicas_in_sync if (
        tf.distribute.has_strategy()) else 1
    if replicas == 1:
        return batch_size, {}
    if batch_size % replicas:
        raise ValueError(
            f"Layer `{layer_name}` has `stateful=True` and a batch size of {batch_size}, which "
            f"does not split evenly over the {replicas} replicas of the distribution strategy. "
            f"Use a batch size that is a multiple of {replicas}."
        )
    # "only_first_replica": a read outside a replica (e.g. a checkpoint) sees replica 0's rows.
    return batch_size // replicas, {"synchronization": "on_read",
                                    "aggregation": "only_first_replica"}


class RNNLayer(keras.layers.Layer):
    """Base class of the sequence layers; subclasses set `cell_class` and `cell_name`.

    The constructor takes the cell's arguments (`units`, activations, initializers, ...) and:

    Args:
        return_sequences: Return the output of every step, `[batch, timesteps, units]`,
            instead of the last one, `[batch, units]`. Default `False`.
        return_state: Also return the final states (each `[batch, units]`). Default `False`.
        go_backwards: Process the sequence from its end; returned sequences are then in
            processing order (reversed), as in Keras. Default `False`.
        stateful: Start each batch from the final states of the previous one (sample `i`
            continues sample `i`); needs a fixed batch size. `reset_state()` zeroes them.
        unroll: Run the per-step cell loop as a Python loop over the timesteps instead of a
            symbolic loop (as in Keras: can be faster for short sequences, costs memory and
            compile time, needs a known number of timesteps). The training fast path is not
            used then. Default `False`.
        zero_output_for_mask: Output zeros at masked steps instead of carrying the previous
            output (`keras.layers.Bidirectional` turns it on when returning sequences).
        use_fast_path: In training (on torch, which runs eagerly, also in inference), try the
            projected-input fast path first, and in inference the backend's forward-only
            loop. Default `True`; `False` forces the generic per-step loop (same numbers,
            slower).
        activity_regularizer: Optional regularizer applied to the output.

    Call arguments:
        sequences: `[batch, timesteps, features]` tensor.
        initial_state: Optional list of `[batch, units]` tensors (one per state).
        mask: Optional `[batch, timesteps]` boolean tensor; `False` steps are skipped: they
            carry the previous state and output, so pre- and post-padding both work.
        training: Whether dropout is active.
    """

    cell_class = RecurrentCell
    cell_name = "cell"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls.cell_arguments():
            if not hasattr(cls, name):
                setattr(cls, name, property(lambda self, name=name: getattr(self.cell, name)))

    @classmethod
    def cell_arguments(cls):
        """Names of the cell's constructor arguments, which the layer also accepts."""
        names = []
        for klass in cls.cell_class.__mro__:
            if klass is keras.layers.Layer:
                break
            for name, parameter in inspect.signature(klass.__init__).parameters.items():
                if parameter.kind is parameter.POSITIONAL_OR_KEYWORD and name != "self":
                    names.append(name)
        return list(dict.fromkeys(names))

    def __init__(
        self,
        units,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        use_fast_path=True,
        **kwargs,
    ):
        cell_kwargs = {name: kwargs.pop(name) for name in self.cell_arguments() if name in kwargs}
        super().__init__(**kwargs)
        self.cell = self.cell_class(
            units,
            name=self.cell_name,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            **cell_kwargs,
        )
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.use_fast_path = use_fast_path
        self.supports_masking = True
        self.state_sizes = (
            list(self.cell.state_size)
            if isinstance(self.cell.state_size, list)
            else [self.cell.state_size]
        )
        # Kept out of Keras' weight tracking, so `get_weights()` lists exactly the built-in
        # layer's weights and saved models do not store batch state; `variables` lists them.
        object.__setattr__(self, "states", None)

    @property
    def variables(self):
        """All layer state: the weights, seed state and, when stateful, the carried states.

        The carried states are state but not weights (like a seed generator's): listing them
        here puts them in `non_trainable_variables`, which JAX's compiled `fit`, `evaluate` and
        `predict` thread from one batch to the next (untracked, their updates were dropped).
        """
        return super().variables + list(self.states or [])

    # === Shapes and validation ===

    def _check_sequences_shape(self, shape):
        if len(shape) != 3:
            raise ValueError(
                f"Layer `{self.name}` expects argument `sequences` of rank 3 "
                f"[batch, timesteps, features], got shape {tuple(shape)}. Add a time axis "
                "(or an Embedding layer for token ids) before it."
            )
        if self.unroll and shape[1] is None:
            raise ValueError(
                f"Layer `{self.name}` has `unroll=True`, which needs a known number of "
                f"timesteps, but argument `sequences` has shape {tuple(shape)}. Pass the "
                "time dimension to `keras.Input` (e.g. `keras.Input((20, 8))`), or use "
                "`unroll=False`."
            )
        if self.cell.built and shape[-1] is not None and shape[-1] != self.cell.kernel.shape[0]:
            raise ValueError(
                f"Layer `{self.name}` was built for {self.cell.kernel.shape[0]} input features "
                f"but argument `sequences` has shape {tuple(shape)}."
            )

    def build(self, sequences_shape, initial_state_shape=None):
        self._check_sequences_shape(sequences_shape)
        if self.stateful and sequences_shape[0] is None:
            raise ValueError(
                f"Layer `{self.name}` has `stateful=True`, which needs a fixed batch size, but "
                f"argument `sequences` has shape {tuple(sequences_shape)}. Pass "
                "`batch_size=...` to `keras.Input` (or `batch_shape=...`)."
            )
        if not self.cell.built:
            self.cell.build((sequences_shape[0], sequences_shape[-1]))
        if self.stateful:
            rows, options = replica_state_rows(self.name, sequences_shape[0])
            states = [
                keras.Variable(state, trainable=False, name="rnn_state", **options)
                for state in self.cell.get_initial_state(rows)
            ]
            object.__setattr__(self, "states", states)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        units = self.cell.output_size
        output = (batch, steps, units) if self.return_sequences else (batch, units)
        if self.return_state:
            return (output, *[(batch, size) for size in self.state_sizes])
        return output

    def compute_mask(self, sequences, mask=None):
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_sizes)
        return output_mask

    def _initial_states(self, sequences, initial_state):
        if initial_state is None:
            if self.stateful:
                return [ops.copy(state) for state in self.states]
            return self.cell.get_initial_state(ops.shape(sequences)[0])
        if not isinstance(initial_state, (list, tuple)):
            initial_state = [initial_state]
        states = [ops.convert_to_tensor(state) for state in initial_state]
        expected = [(sequences.shape[0], size) for size in self.state_sizes]
        shapes = [tuple(state.shape) for state in states]
        mismatch = len(states) != len(expected) or any(
            len(shape) != 2
            or shape[1] != want[1]
            or None not in (shape[0], want[0])
            and shape[0] != want[0]
            for shape, want in zip(shapes, expected, strict=False)
        )
        if mismatch:
            raise ValueError(
                f"Layer `{self.name}` expects argument `initial_state` to be "
                f"{len(expected)} tensor(s) of shape {expected} ([batch, units]), got shapes "
                f"{shapes}."
            )
        return [ops.cast(state, self.cell.compute_dtype) for state in states]

    # === The loop ===

    def call(self, sequences, initial_state=None, mask=None, training=False):
        self._check_sequences_shape(sequences.shape)
        states = self._initial_states(sequences, initial_state)
        inputs = ops.transpose(sequences, (1, 0, 2))
        if mask is not None:
            mask = ops.expand_dims(ops.transpose(ops.cast(mask, inputs.dtype)), -1)
        if self.go_backwards:
            inputs = ops.flip(inputs, 0)
            mask = None if mask is None else ops.flip(mask, 0)
        if training:
            # Drawn before the loop, so the loop itself draws no random numbers (JAX needs
            # that) and every step of a sequence shares one mask.
            self.cell.get_dropout_mask(sequences[:, 0, :])
            self.cell.get_recurrent_dropout_mask(states[0])  # and the weight-drop mask
        try:
            outputs, states = self._run(inputs, states, mask, training)
        finally:
            self.cell.reset_dropout_mask()
            self.cell.reset_recurrent_dropout_mask()
        if self.stateful:
            for variable, state in zip(self.states, states, strict=True):
                variable.assign(state)
        if mask is not None and self.zero_output_for_mask:
            outputs = outputs * mask
        output = ops.transpose(outputs, (1, 0, 2)) if self.return_sequences else outputs[-1]
        return (output, *states) if self.return_state else output

    def _run(self, inputs, states, mask, training):
        # The fast path pays off where gradients are taken. A compiled forward-only pass gains
        # nothing from projecting all steps up front (it measured 0.4-1x the cell loop on CPU:
        # the [timesteps, batch, gates * units] tensor costs more memory traffic than it
        # saves), but torch runs eagerly, where one cell call per step costs more (the fast
        # path measured 1.6x faster for inference there).
        # Otherwise a backend's forward-only kernel may run (`textrnn.layers.backend`). Without
        # `return_sequences` a backend's kernels may return the last output alone, [1, batch,
        # units] (`outputs * mask` in `call` then still zeroes it where the last step is masked).
        eager = keras.backend.backend() == "torch"
        sequences = self.return_sequences
        if self.use_fast_path and not self.unroll:
            try:
                if training or eager:
                    return self.cell.fast_sequence(inputs, states, mask, training, sequences)
                return self.cell.inference_sequence(inputs, states, mask, sequences)
            except NotImplementedError:
                pass
        return self._generic_loop(inputs, states, mask, training)

    def _generic_loop(self, inputs, states, mask, training):
        """Calls the cell once per step. The carry packs all states (the output is state 0)."""
        edges = [0]
        for size in self.state_sizes:
            edges.append(edges[-1] + size)

        def step(carry, step_inputs):
            x_t, mask_t = step_inputs if mask is not None else (step_inputs, None)
            previous = [carry[:, start:end] for start, end in pairwise(edges)]
            _, new_states = self.cell(x_t, previous, training=training)
            new_states = new_states if isinstance(new_states, (list, tuple)) else [new_states]
            new_carry = ops.concatenate(list(new_states), axis=-1)
            if mask_t is not None:
                new_carry = ops.where(mask_t > 0, new_carry, carry)
            return new_carry, new_carry

        step_inputs = inputs if mask is None else (inputs, mask)
        init = ops.concatenate(states, axis=-1)
        final, carries = scan(step, init, step_inputs, unroll=True if self.unroll else 1)
        final_states = [final[:, start:end] for start, end in pairwise(edges)]
        return carries[..., : self.cell.output_size], final_states

    # === State ===

    def reset_state(self):
        """Sets the states of a stateful layer back to zeros."""
        for variable in self.states or []:
            variable.assign(ops.zeros(variable.shape, variable.dtype))

    def reset_states(self):
        """Alias of `reset_state` (older Keras name)."""
        self.reset_state()

    # === Config ===

    def get_config(self):
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config = {name: getattr(self, name) for name in LAYER_ARGUMENTS}
        config["zero_output_for_mask"] = self.zero_output_for_mask
        config["use_fast_path"] = self.use_fast_path
        config["activity_regularizer"] = keras.saving.serialize_keras_object(
            self.activity_regularizer
        )
        return {**super().get_config(), **cell_config, **config}


class GatedRNNLayer(RNNLayer):
    """`RNNLayer` plus Keras' `use_cudnn` argument, which `LSTM` and `GRU` take.

    Args:
        use_cudnn: `"auto"`, `True` or `False`, accepted (and serialised) so that code and
            saved configs written for `keras.layers.LSTM` / `GRU` run unchanged, and so that
            `keras.layers.Bidirectional`, which copies it, works. textrnn has no cuDNN kernel:
            the value changes nothing. Default `"auto"`.
    """

    def __init__(self, units, use_cudnn="auto", **kwargs):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                "Received an invalid value for argument `use_cudnn`, expected one of "
                f'"auto", True, False, got {use_cudnn!r}.'
            )
        super().__init__(units, **kwargs)
        self.use_cudnn = use_cudnn

    def get_config(self):
        return {**super().get_config(), "use_cudnn": self.use_cudnn}
