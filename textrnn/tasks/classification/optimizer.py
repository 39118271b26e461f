"""`LayerwiseAdamW`: AdamW with one learning-rate multiplier per layer (discriminative rates).

ULMFiT fine-tunes the layer groups of a pre-trained encoder with different rates: the head at
`lr`, the group below at `lr / 2.6`, the next at `lr / 2.6**2`, ... (Howard & Ruder 2018).
Scaling gradients would not do this under Adam, whose step does not depend on the gradient's
scale, so the optimizer scales the *rate* of each variable instead. It is a plain Keras
optimizer, so it goes inside `GlobalNormClipping` and saves and loads with the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras

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
class LayerwiseAdamW(keras.optimizers.AdamW):
    """AdamW whose step for a variable of layer `name` uses `learning_rate * multipliers[name]`.

    A variable belongs to the first listed layer named along its path
    (`"classifier/lstm_1/lstm_cell/kernel"`); a variable of no listed layer gets the plain
    rate. Weight decay follows the plain rate.

    Args:
        multipliers: layer name -> learning-rate multiplier (see
            `discriminative_multipliers`).
        **kwargs: `keras.optimizers.AdamW` arguments (`learning_rate`, `weight_decay`, ...).

    Example:
    >>> optimizer = LayerwiseAdamW({"embedding": 0.1, "probabilities": 1.0},
    ...                            learning_rate=1e-3, weight_decay=0.01)
    """

    def __init__(self, multipliers: Mapping[str, float] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.multipliers = {str(name): float(value)
                            for name, value in (multipliers or {}).items()}
        bad = {name: value for name, value in self.multipliers.items() if value < 0}
        if bad:
            raise ValueError(f"Received an invalid value for argument `multipliers`: {bad}; "
                             "expected non-negative multipliers of the learning rate.")

    def build(self, var_list):
        super().build(var_list)
        self._rate_scales = [self.multiplier_of(variable) for variable in var_list]

    def multiplier_of(self, variable) -> float:
        """The multiplier of the variable's layer (1.0 when its layer is not listed)."""
        # A path reads "model/layer/.../name": the first listed name along it is the layer.
        names = variable.path.split("/")
        return next((self.multipliers[name] for name in names if name in self.multipliers), 1.0)

    def update_step(self, gradient, variable, learning_rate):
        scale = self._rate_scales[self._get_variable_index(variable)]
        if scale != 1.0:
            learning_rate = keras.ops.multiply(learning_rate, scale)
        super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        return {**super().get_config(), "multipliers": dict(self.multipliers)}
