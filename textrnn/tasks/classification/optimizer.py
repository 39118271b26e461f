"""`LayerwiseAdamW`: AdamW with one learning-rate multiplier per layer, and layers frozen by name.

ULMFiT fine-tunes the layer groups of a pre-trained encoder with different rates: the head at
`lr`, the group below at `lr / 2.6`, the next at `lr / 2.6**2`, ... (Howard & Ruder 2018), and
unfreezes the groups one by one. Scaling gradients would not do the first under Adam, whose step
does not depend on the gradient's scale, so the optimizer scales the *rate* of each variable.
Freezing is a rate of zero held in an optimizer variable, not `layer.trainable = False`: the
list of trainable variables stays the same, which JAX's stateless training step requires, and
no train function has to be rebuilt. It is a plain Keras optimizer, so it goes inside
`GlobalNormClipping` and saves and loads with the model.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import keras
import numpy as np

DECAY = 2.6  # ULMFiT's ratio between the rates of neighbouring layer groups


def discriminative_multipliers(groups: Sequence[Sequence[str]],
                               decay: float = DECAY) -> dict[str, float]:
    """`{layer name: decay ** -depth}` where the last group (the head) has depth 0.

    Args:
        groups: layer names in groups from the input up (`textrnn.models.layer_groups`).
        decay: ratio between the rates of neighbouring groups (1.0: one rate everywhere).
    """
    if decay < 1.0:
        raise ValueError(f"Received an invalid value for argument `decay`, expected a ratio "
                         f">= 1.0 (lower groups learn more slowly), got {decay}.")
    depth = len(groups) - 1
    return {name: float(decay ** -(depth - index))
            for index, group in enumerate(groups) for name in group}


@keras.saving.register_keras_serializable(package="textrnn")
class LayerwiseAdamW(keras.optimizers.Adam):
    """Adam whose step for a variable of layer `name` uses `learning_rate * multipliers[name]`,
    with decoupled weight decay at that same rate, and layers that can be frozen (`freeze`).

    A variable belongs to the first named layer along its path
    (`"classifier/lstm_1/lstm_cell/kernel"`); a variable of no listed layer gets the plain
    rate. A frozen variable's rate is 0, so neither its step nor its decay moves it (Adam's
    moments still see its gradients).

    Args:
        multipliers: layer name -> learning-rate multiplier (see
            `discriminative_multipliers`).
        decoupled_decay: AdamW's weight decay, scaled like the rate (0: plain Adam).
        **kwargs: `keras.optimizers.Adam` arguments (`learning_rate`, `epsilon`, ...).

    Example:
    >>> optimizer = LayerwiseAdamW({"embedding": 0.1, "probabilities": 1.0},
    ...                            learning_rate=1e-3, decoupled_decay=0.01)
    """

    def __init__(self, multipliers: Mapping[str, float] | None = None,
                 decoupled_decay: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.multipliers = {str(name): float(value)
                            for name, value in (multipliers or {}).items()}
        bad = {name: value for name, value in self.multipliers.items() if value < 0}
        if bad:
            raise ValueError(f"Received an invalid value for argument `multipliers`: {bad}; "
                             "expected non-negative multipliers of the learning rate.")
        if decoupled_decay < 0:
            raise ValueError(f"Received an invalid value for argument `decoupled_decay`, "
                             f"expected a non-negative rate, got {decoupled_decay}.")
        self.decoupled_decay = float(decoupled_decay)

    def build(self, var_list):
        super().build(var_list)
        self._paths = [variable.path for variable in var_list]
        self._rate_scales = [_layer_value(path, self.multipliers) for path in self._paths]
        self.gates = self.add_variable((len(var_list),), initializer="ones",
                                       name="rate_gates")  # 0: frozen

    def freeze(self, layer_names: Collection[str]) -> None:
        """Freezes the variables of the named layers and unfreezes all others."""
        frozen = dict.fromkeys(layer_names, 0.0)
        self.gates.assign(np.array([_layer_value(path, frozen) for path in self._paths],
                                   "float32"))

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        learning_rate = keras.ops.multiply(keras.ops.cast(learning_rate, variable.dtype),
                                           self._rate_scales[index] * self.gates[index])
        if self.decoupled_decay:
            self.assign(variable, variable - variable * self.decoupled_decay * learning_rate)
        super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        return {**super().get_config(), "multipliers": dict(self.multipliers),
                "decoupled_decay": self.decoupled_decay}


def _layer_value(path: str, values: Mapping[str, float]) -> float:
    """The value of a variable's layer: of the first name along its path ("model/layer/.../
    name") that `values` has, else 1.0."""
    return next((values[name] for name in path.split("/") if name in values), 1.0)
