"""A linear-chain conditional random field (CRF) in `keras.ops`: layer, loss and Viterbi.

A tag sequence `y_1..y_T` of a sentence with emission scores `E [T, n]` scores

    s(y) = start[y_1] + sum_t E[t, y_t] + sum_{t>1} transitions[y_{t-1}, y_t] + end[y_T]

and has probability `exp(s(y)) / Z` with `Z` summed over all `n^T` sequences. The forward
algorithm computes `log Z` in `O(T n^2)`; Viterbi finds `argmax_y s(y)` the same way with `max`
for `logsumexp` (Lafferty et al. 2001; Lample et al. 2016 put one on a BiLSTM).

Keras losses see only `(y_true, y_pred)`, so the `CRF` layer returns its emissions and its
parameters packed into one tensor (`pack` / `unpack`): `CRFLoss` then needs nothing else and a
saved model resumes training with no custom code. Padding is marked by `y_true < 0`.
"""

from __future__ import annotations

import keras
from keras import ops

# Extra rows of the packed output after the emissions: start, end, then the n transition rows.
_PARAM_ROWS = 2


def pack(emissions, transitions, start, end):
    """`[batch, time, 3 + n, n]`: emissions, start, end and transitions at every step."""
    batch, time = ops.shape(emissions)[0], ops.shape(emissions)[1]
    params = ops.concatenate([start[None], end[None], transitions], axis=0)  # [n + 2, n]
    params = ops.broadcast_to(params[None, None], (batch, time, *params.shape))
    return ops.concatenate([emissions[:, :, None, :], ops.cast(params, emissions.dtype)],
                           axis=2)


def unpack(packed):
    """Inverse of `pack`: `(emissions [b, t, n], transitions [n, n], start [n], end [n])`."""
    params = packed[0, 0]
    return packed[:, :, 0, :], params[1 + _PARAM_ROWS:], params[1], params[2]


def _as_tensors(emissions, mask, transitions, start, end):
    """The arguments as tensors (torch cannot add its tensors to NumPy arrays), the mask as
    floats (all ones when `None`)."""
    emissions, transitions, start, end = (
        ops.convert_to_tensor(x) for x in (emissions, transitions, start, end)
    )
    mask = ops.ones(ops.shape(emissions)[:2]) if mask is None else mask
    return emissions, ops.cast(mask, emissions.dtype), transitions, start, end


def crf_sequence_score(emissions, tags, mask, transitions, start, end):
    """Score `s(y)` of the given tag sequences.

    Args:
        emissions: `[batch, time, n]` scores of each tag at each step.
        tags: `[batch, time]` int tag ids (any value where `mask` is 0).
        mask: `[batch, time]` 1 for real steps, 0 for padding (right-padded; step 0 real).
        transitions: `[n, n]` score of tag i followed by tag j.
        start, end: `[n]` scores of the first and last tag.

    Returns:
        `[batch]` scores.
    """
    emissions, mask, transitions, start, end = _as_tensors(
        emissions, mask, transitions, start, end
    )
    num_tags = emissions.shape[-1]
    tags = ops.where(mask > 0, ops.cast(tags, "int32"), 0)
    one_hot = ops.one_hot(tags, num_tags, dtype=emissions.dtype)  # [b, t, n]
    emitted = ops.sum(ops.sum(one_hot * emissions, axis=-1) * mask, axis=1)
    moves = ops.einsum("bti,ij,btj->bt", one_hot[:, :-1], transitions, one_hot[:, 1:])
    moved = ops.sum(moves * mask[:, 1:], axis=1)
    next_mask = ops.concatenate([mask[:, 1:], ops.zeros_like(mask[:, :1])], axis=1)
    last = ops.sum(one_hot * (mask - next_mask)[..., None], axis=1)  # one-hot of the last tag
    return (ops.sum(one_hot[:, 0] * start, axis=-1) + emitted + moved
            + ops.sum(last * end, axis=-1))


def _time_major_steps(emissions, mask):
    """Steps 1..T-1 as one time-major tensor `[T-1, batch, n + 1]` (mask in the last column).

    `keras.ops.scan` takes a single tensor here: nested inputs and carries do not work on
    every backend.
    """
    steps = ops.concatenate([emissions, mask[..., None]], axis=-1)[:, 1:]
    return ops.transpose(steps, (1, 0, 2))


def crf_log_partition(emissions, mask, transitions, start, end):
    """`log Z` by the forward algorithm; padded steps carry the forward scores unchanged.

    Args: as `crf_sequence_score` (without `tags`).

    Returns:
        `[batch]` log partition values.
    """
    emissions, mask, transitions, start, end = _as_tensors(
        emissions, mask, transitions, start, end
    )

    def step(alpha, inputs):
        emission, step_mask = inputs[:, :-1], inputs[:, -1:]
        scores = ops.logsumexp(alpha[:, :, None] + transitions[None], axis=1) + emission
        alpha = step_mask * scores + (1.0 - step_mask) * alpha
        return alpha, alpha

    alpha = start[None] + emissions[:, 0]
    if emissions.shape[1] != 1:
        alpha, _ = ops.scan(step, alpha, _time_major_steps(emissions, mask))
    return ops.logsumexp(alpha + end[None], axis=-1)


def crf_log_likelihood(emissions, tags, mask, transitions, start, end):
    """`log p(y | x) = s(y) - log Z`, `[batch]`; arguments as `crf_sequence_score`."""
    return (crf_sequence_score(emissions, tags, mask, transitions, start, end)
            - crf_log_partition(emissions, mask, transitions, start, end))


def viterbi_decode(emissions, mask, transitions, start, end):
    """The best tag sequence of each sentence (Viterbi).

    Args: as `crf_log_partition`.

    Returns:
        `(tags [batch, time] int32, scores [batch])`; tags at padded steps repeat the last
        real tag, so read only the real steps.
    """
    emissions, mask, transitions, start, end = _as_tensors(
        emissions, mask, transitions, start, end
    )
    num_tags = emissions.shape[-1]
    identity = ops.arange(num_tags, dtype="int32")[None]

    def forward(score, inputs):
        emission, step_mask = inputs[:, :-1], inputs[:, -1:]
        candidates = score[:, :, None] + transitions[None]  # [b, from, to]
        pointers = ops.cast(ops.argmax(candidates, axis=1), "int32")
        new_score = ops.max(candidates, axis=1) + emission
        keep = ops.cast(step_mask, "int32")
        pointers = keep * pointers + (1 - keep) * identity
        # TensorFlow's scan wants outputs of the carry's dtype; small ints are exact floats.
        return (step_mask * new_score + (1.0 - step_mask) * score,
                ops.cast(pointers, score.dtype))

    score = start[None] + emissions[:, 0]
    if emissions.shape[1] == 1:
        final = score + end[None]
        return ops.cast(ops.argmax(final, axis=-1), "int32")[:, None], ops.max(final, axis=-1)
    score, pointers = ops.scan(forward, score, _time_major_steps(emissions, mask))
    final = score + end[None]
    best_last = ops.cast(ops.argmax(final, axis=-1), "int32")

    def backward(tag, step_pointers):
        previous = ops.take_along_axis(step_pointers, tag[:, None], axis=1)[:, 0]
        return previous, previous

    _, earlier = ops.scan(backward, best_last, ops.cast(pointers, "int32"), reverse=True)
    tags = ops.concatenate([earlier, best_last[None]], axis=0)  # [T, b]
    return ops.transpose(tags, (1, 0)), ops.max(final, axis=-1)


@keras.saving.register_keras_serializable(package="textrnn")
class CRF(keras.layers.Layer):
    """Linear-chain CRF output layer: learns tag transitions on top of emission scores.

    Args:
        num_tags: number of tags `n`.
        transitions_initializer: initializer of the `[n, n]` transitions and the `[n]`
            start and end scores. Default `"zeros"`.
        transitions_regularizer: optional regularizer of the same.

    Call arguments:
        inputs: emissions `[batch, time, n]` (unnormalised tag scores, e.g. a `Dense` on a
            BiLSTM).

    Returns:
        The packed tensor `[batch, time, n + 3, n]` that `CRFLoss` trains on and
        `CRF.decode` / `viterbi_decode(*unpack(...))` decode. It carries no Keras mask: the
        loss reads padding from `y_true < 0`.

    Example:
    >>> crf = CRF(3)
    >>> packed = crf(np.zeros((2, 5, 3), "float32"))
    >>> packed.shape
    (2, 5, 6, 3)
    >>> tags, _ = CRF.decode(packed, np.ones((2, 5)))
    """

    def __init__(self, num_tags, transitions_initializer="zeros",
                 transitions_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(num_tags, bool) or not isinstance(num_tags, int) or num_tags < 1:
            raise ValueError(f"Received an invalid value for argument `num_tags`, expected a "
                             f"positive integer, got {num_tags!r}.")
        self.num_tags = num_tags
        self.transitions_initializer = keras.initializers.get(transitions_initializer)
        self.transitions_regularizer = keras.regularizers.get(transitions_regularizer)
        self.supports_masking = True

    def build(self, input_shape):
        if input_shape[-1] != self.num_tags:
            raise ValueError(f"CRF expects emissions with num_tags={self.num_tags} features in "
                             f"the last axis, got input shape {input_shape}.")
        n = self.num_tags
        for name, shape in (("transitions", (n, n)), ("start", (n,)), ("end", (n,))):
            setattr(self, name, self.add_weight(
                shape=shape, name=name, initializer=self.transitions_initializer,
                regularizer=self.transitions_regularizer))

    def call(self, inputs):
        return pack(inputs, self.transitions, self.start, self.end)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (*input_shape[:2], self.num_tags + 1 + _PARAM_ROWS, self.num_tags)

    @staticmethod
    def decode(packed, mask=None):
        """Viterbi tags `[batch, time]` (int32) and scores `[batch]` of a packed output."""
        packed = ops.convert_to_tensor(packed)
        emissions, transitions, start, end = unpack(packed)
        return viterbi_decode(emissions, mask, transitions, start, end)

    def get_config(self):
        return {**super().get_config(), "num_tags": self.num_tags,
                "transitions_initializer": keras.initializers.serialize(
                    self.transitions_initializer),
                "transitions_regularizer": keras.regularizers.serialize(
                    self.transitions_regularizer)}


@keras.saving.register_keras_serializable(package="textrnn")
class CRFLoss(keras.losses.Loss):
    """Negative log-likelihood of the gold tag sequences under a `CRF` layer's output.

    Call arguments:
        y_true: `[batch, time]` int tag ids, negative (e.g. -1) at padded steps.
        y_pred: the `CRF` layer's packed output `[batch, time, n + 3, n]`.

    Returns:
        `-log p(y | x)` per sentence `[batch]`, reduced by Keras (mean by default).

    Example:
    >>> packed = CRF(2)(np.zeros((1, 3, 2), "float32"))
    >>> float(CRFLoss()([[0, 1, -1]], packed))  # two steps, 4 equally likely sequences
    1.3862...
    """

    def __init__(self, name="crf_loss", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        emissions, transitions, start, end = unpack(y_pred)
        tags = ops.cast(y_true, "int32")
        mask = ops.cast(ops.greater_equal(tags, 0), emissions.dtype)
        log_likelihood = crf_log_likelihood(emissions, tags, mask, transitions, start, end)
        # A sentence with no real step (all padding) contributes nothing.
        return -log_likelihood * ops.cast(ops.max(mask, axis=1), log_likelihood.dtype)
