"""`RecurrentCell`: what the SimpleRNN, LSTM and GRU cells share (weights, options, config)."""

import keras
from keras import ops

from textrnn.layers import fast_path as fp
from textrnn.layers.dropout import DropoutRNNCell


def get_activation(identifier, argument):
    """`keras.activations.get`, with an error that names the argument."""
    try:
        return keras.activations.get(identifier)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"Received an invalid value for argument `{argument}`, expected the name of a "
            f"Keras activation (e.g. 'tanh', 'sigmoid') or a callable, got {identifier!r}."
        ) from error


def check_implementation(implementation):
    """Returns Keras' legacy `implementation` argument after checking it is 0, 1 or 2."""
    if implementation not in (0, 1, 2) or isinstance(implementation, bool):
        raise ValueError(
            "Received an invalid value for argument `implementation`, expected 1 or 2 (0, a "
            f"legacy value, is read as 2), got {implementation!r}."
        )
    return implementation


def check_rate(rate, argument):
    """Returns `rate` as a float after checking it lies in `[0, 1)`."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
        raise ValueError(
            f"Received an invalid value for argument `{argument}`, expected a float in "
            f"[0, 1), got {rate!r}."
        )
    return float(rate)


class RecurrentCell(keras.layers.Layer, DropoutRNNCell):
    """Base class of the cells: one time step, `call(inputs, states) -> (output, new_states)`.

    Subclasses set `gates` (how many `units`-wide blocks the kernels hold, in Keras' order)
    and implement `call`. Weights have the shapes of the Keras built-in cell of the same name:
    `kernel [features, gates * units]`, `recurrent_kernel [units, gates * units]`, `bias`.

    Args:
        units: Positive integer, size of the state and of the output.
        activation: Activation of the candidate state. Default `"tanh"`.
        use_bias: Whether the cell has a bias vector. Default `True`.
        kernel_initializer: Initializer of `kernel`. Default `"glorot_uniform"`.
        recurrent_initializer: Initializer of `recurrent_kernel`. Default `"orthogonal"`.
        bias_initializer: Initializer of `bias`. Default `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Optional regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: Optional constraints.
        dropout: Fraction of the inputs to drop, one mask per sequence. Default 0.
        recurrent_dropout: Fraction of the recurrent state to drop, one mask per sequence.
        recurrent_weight_dropout: Fraction of the entries of `recurrent_kernel` to drop
            (DropConnect, AWD-LSTM's weight drop): one mask per sequence, drawn before the
            loop and applied to the kernel, so every step and every row of the batch sees the
            same dropped matrix and the fast training path still runs. Off at inference.
            Default 0.
        seed: Seed of the dropout masks.
    """

    gates = 1

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        recurrent_weight_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(
                "Received an invalid value for argument `units`, expected a positive "
                f"integer, got {units!r}."
            )
        super().__init__(**kwargs)
        self.units = units
        self.activation = get_activation(activation, "activation")
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(recurrent_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.dropout = check_rate(dropout, "dropout")
        self.recurrent_dropout = check_rate(recurrent_dropout, "recurrent_dropout")
        self.recurrent_weight_dropout = check_rate(
            recurrent_weight_dropout, "recurrent_weight_dropout"
        )
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.bias_shape(),
                name="bias",
                initializer=self.bias_weight_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def bias_shape(self):
        """Shape of `bias`; the GRU with `reset_after` overrides it."""
        return (self.gates * self.units,)

    def bias_weight_initializer(self):
        """Initializer used for `bias`; the LSTM overrides it for `unit_forget_bias`."""
        return self.bias_initializer

    def get_initial_state(self, batch_size=None):
        """Zero states: a list of `[batch_size, size]` tensors, one per entry of `state_size`."""
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in sizes]

    def fast_sequence(self, inputs, states, mask, training=False, sequences=True):
        """Runs the whole sequence with the input projection done as one matmul.

        Args:
            inputs: `[timesteps, batch, features]`, time-major, in processing order.
            states: list of `[batch, size]` initial states.
            mask: `None` or a float `[timesteps, batch, 1]` tensor, 1 where a step counts.
            training: whether dropout is active.
            sequences: whether the outputs of all steps are wanted; if not, a backend's
                kernel may return only the last one, `[1, batch, units]`.

        Returns:
            `(outputs [timesteps or 1, batch, units], final_states)`.

        Raises:
            NotImplementedError: when the configuration needs the generic per-step loop.
        """
        raise NotImplementedError

    def inference_sequence(self, inputs, states, mask, sequences):
        """Runs the whole sequence forward only (no dropout), with the backend's kernel.

        Args: `inputs`, `states`, `mask` and `sequences` as for `fast_sequence`.

        Returns:
            `(outputs [timesteps or 1, batch, units], final_states)`.

        Raises:
            NotImplementedError: the backend has no kernel (`textrnn.layers.backend`); the
                layer runs its generic per-step loop.
        """
        raise NotImplementedError

    def inference_operands(self, inputs):
        """`(inputs, kernel, bias, recurrent_kernel)`: tensors of one dtype, for a backend's
        inference kernel (which, unlike `keras.ops`, does not promote e.g. integer inputs)."""
        kernel = ops.convert_to_tensor(self.kernel)
        bias = None if self.bias is None else ops.convert_to_tensor(self.bias)
        recurrent_kernel = ops.convert_to_tensor(self.recurrent_kernel)
        return ops.cast(inputs, kernel.dtype), kernel, bias, recurrent_kernel

    def uses_default_activations(self, recurrent_activation="sigmoid"):
        """Whether the activations are those the hand-written gradients assume."""
        wanted = getattr(keras.activations, recurrent_activation)
        return self.activation is keras.activations.tanh and (
            getattr(self, "recurrent_activation", wanted) is wanted
        )

    def fast_path_operands(self, inputs, mask, training):
        """`(projected inputs, recurrent kernel, mask arguments)` for a cell's fast path.

        Raises:
            NotImplementedError: the hand-written gradients do not apply (activations other
                than tanh/sigmoid, or recurrent dropout in training); the generic loop runs.
        """
        dropped, kernel, mask_arguments = self.fast_path_inputs(inputs, mask, training)
        projected = ops.matmul(dropped, self.kernel)
        bias = self.input_bias()
        return (projected if bias is None else projected + bias), kernel, mask_arguments

    def fast_path_inputs(self, inputs, mask, training):
        """`(inputs after input dropout, recurrent kernel, mask arguments)`: the operands of a
        fast path that projects each step's inputs itself; raises as `fast_path_operands`."""
        if not self.uses_default_activations() or (training and self.recurrent_dropout):
            raise NotImplementedError
        dropped = self.dropped_inputs(inputs, training)  # first: both masks share one seed
        kernel = self.recurrent_kernel_for(training)
        if kernel is self.recurrent_kernel:  # the custom gradients take tensors, not variables
            kernel = ops.copy(kernel)
        return dropped, kernel, fp.mask_arguments(mask, inputs)

    def input_recurrence_operands(self, inputs, mask, training):
        """`((inputs after input dropout, kernel, input bias [gates * units], recurrent
        kernel), mask arguments)`: the leading operands of a backend's `*_input_recurrence`
        kernel, which projects each step's inputs itself; raises as `fast_path_operands`."""
        dropped, kernel, mask_arguments = self.fast_path_inputs(inputs, mask, training)
        input_bias = self.bias_operand(self.input_bias(), inputs.dtype)
        return (dropped, ops.copy(self.kernel), input_bias, kernel), mask_arguments

    def recurrent_kernel_for(self, training):
        """`recurrent_kernel`, weight-dropped in training when `recurrent_weight_dropout` > 0.

        The layer draws the mask before its loop (`get_recurrent_kernel_mask`), so all steps
        of a sequence use one dropped matrix; the fast paths receive it in place of the kernel.
        """
        mask = self.get_recurrent_kernel_mask() if training else None
        return self.recurrent_kernel if mask is None else self.recurrent_kernel * mask

    def bias_operand(self, bias, dtype):
        """A `[gates * units]` bias as a tensor for the custom gradients (zeros for none)."""
        return ops.zeros((self.gates * self.units,), dtype) if bias is None else ops.copy(bias)

    def dropped_inputs(self, inputs, training):
        """The inputs of all steps after input dropout (one mask for the whole sequence)."""
        mask = self.get_dropout_mask(inputs[0]) if training else None
        if mask is None:
            return inputs
        if isinstance(mask, list):
            raise NotImplementedError  # per-gate masks: the generic loop applies them
        return inputs * mask

    def input_bias(self):
        """The part of `bias` added to the input projection (`None` without bias)."""
        return self.bias

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize(self.kernel_initializer),
            "recurrent_initializer": serialize(self.recurrent_initializer),
            "bias_initializer": serialize(self.bias_initializer),
            "kernel_regularizer": serialize(self.kernel_regularizer),
            "recurrent_regularizer": serialize(self.recurrent_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
            "kernel_constraint": serialize(self.kernel_constraint),
            "recurrent_constraint": serialize(self.recurrent_constraint),
            "bias_constraint": serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "recurrent_weight_dropout": self.recurrent_weight_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}
