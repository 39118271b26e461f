"""Variational dropout for recurrent cells: one mask per sequence, reused at every step."""

import keras
from keras import ops

# `keras.layers.RNN` creates a cell's masks before its loop (so the loop itself draws no random
# numbers, which JAX needs) only for cells deriving from Keras' private `DropoutRNNCell`;
# `textrnn._compat` imports it and fails loudly if a Keras release moves it.
from textrnn._compat import DropoutRNNCell as _KerasDropoutRNNCell


class DropoutRNNCell(_KerasDropoutRNNCell):
    """Mixin that creates and caches the dropout masks of a recurrent cell.

    A cell mixing this in has `dropout`, `recurrent_dropout` (rates in `[0, 1)`) and a
    `seed_generator` (`keras.random.SeedGenerator`); it may set `dropout_mask_count` to draw
    that many independent masks (one per gate). The layer running the cell asks for the masks
    once before its loop and resets them after, so every time step of one sequence sees the
    same mask (Gal & Ghahramani's variational dropout) and the next batch gets a fresh one.
    """

    dropout_mask_count = None

    def _create_dropout_mask(self, like, rate):
        ones = ops.ones_like(like)
        if self.dropout_mask_count is None:
            return keras.random.dropout(ones, rate=rate, seed=self.seed_generator)
        return [
            keras.random.dropout(ones, rate=rate, seed=self.seed_generator)
            for _ in range(self.dropout_mask_count)
        ]

    def get_dropout_mask(self, step_input):
        """Returns the cached input mask (`[batch, features]`, or a list), or `None`."""
        if getattr(self, "_dropout_mask", None) is None and self.dropout > 0:
            self._dropout_mask = self._create_dropout_mask(step_input, self.dropout)
        return getattr(self, "_dropout_mask", None)

    def get_recurrent_dropout_mask(self, step_state):
        """Returns the cached recurrent mask (`[batch, units]`, or a list), or `None`.

        Also draws the weight-drop mask (`get_recurrent_kernel_mask`): `keras.layers.RNN` calls
        this method before its loop, and the loop must draw no random numbers.
        """
        self.get_recurrent_kernel_mask()
        if getattr(self, "_recurrent_dropout_mask", None) is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._create_dropout_mask(
                step_state, self.recurrent_dropout
            )
        return getattr(self, "_recurrent_dropout_mask", None)

    def reset_dropout_mask(self):
        """Forgets the input mask, so the next sequence draws a new one."""
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self):
        """Forgets the recurrent masks (state and weights), so the next sequence draws new ones.

        Keras' own `RNN` layer calls this after every sequence, so the weight-drop mask is
        renewed there too.
        """
        self._recurrent_dropout_mask = None
        self._recurrent_kernel_mask = None

    def get_recurrent_kernel_mask(self):
        """The cached DropConnect mask of `recurrent_kernel` (scaled by `1 / (1 - rate)`), or
        `None` when `recurrent_weight_dropout` is 0.

        One mask per sequence (per layer call), shared by all rows of the batch and all steps:
        AWD-LSTM's weight-dropped LSTM (Merity et al. 2017).
        """
        rate = getattr(self, "recurrent_weight_dropout", 0.0)
        if getattr(self, "_recurrent_kernel_mask", None) is None and rate > 0:
            kernel = self.recurrent_kernel
            self._recurrent_kernel_mask = keras.random.dropout(
                ops.ones(kernel.shape, kernel.dtype), rate=rate, seed=self.seed_generator)
        return getattr(self, "_recurrent_kernel_mask", None)
