"""Encoder-decoder (seq2seq) translator with attention, and its step-by-step decoder.

`build_seq2seq` returns the teacher-forced training model, a `Seq2Seq`:
`[source, target_in] -> logits`. It keeps its layers as attributes (`encoder`, `bridges`,
`target_embedding`, `decoder`, `attention_layer`, `attention_hidden`, `logits`), which survive
saving and loading since the model is rebuilt from its constructor arguments.
The source is read by a bidirectional recurrent encoder; its final states, joined and
projected by one `Dense(tanh)` per state ("bridge"), start the decoder. At each target step
the decoder's output queries the encoder outputs (`BahdanauAttention` or `LuongAttention`),
and `tanh(W [decoder output; context])` feeds the softmax layer (Luong et al.'s global
attention, without input feeding, so that one decoder step depends only on the decoder's
recurrent state). With `attention="none"` the context is left out: the classic encoder-decoder
whose only link to the source is the initial state.

`Seq2SeqDecoder(model)` reuses the trained layers for decoding: `encode` runs the encoder once,
`step` advances the decoder by one token carrying its state (the prefix is never re-run), and
`translate` runs a compiled `textrnn.generation.BeamSampler` over that (beam width 1 is
greedy). Functional models saved before `Seq2Seq` existed still decode (`_legacy_parts`).
"""

from __future__ import annotations

from types import SimpleNamespace

import keras
import numpy as np
from keras import ops

from textrnn.generation import BeamSampler, compile_function
from textrnn.generation.beam_search import without_end
from textrnn.layers.attention import BahdanauAttention, LuongAttention
from textrnn.models.recurrent import recurrent_layer

ATTENTIONS = ("bahdanau", "luong", "none")
_STATES = {"rnn": 1, "gru": 1, "lstm": 2}


@keras.saving.register_keras_serializable(package="textrnn")
class Seq2Seq(keras.Model):
    """The teacher-forced encoder-decoder, holding the layers a decoder needs.

    Args: as `build_seq2seq`, without `output_bias` (a starting weight, not configuration).

    Call arguments:
        inputs: `[source [batch, Ts], target_in [batch, Tt]]` int ids, target_in starting
            with begin-of-sequence.

    Returns:
        Logits `[batch, Tt, target_vocab_size]`.
    """

    def __init__(self, source_vocab_size: int, target_vocab_size: int, cell: str = "lstm",
                 units: int = 128, embedding_dim: int = 64, attention: str = "bahdanau",
                 dropout: float = 0.0, **kwargs):
        _check_arguments(source_vocab_size, target_vocab_size, units, embedding_dim, attention)
        # === Layers ===
        self.source_embedding = keras.layers.Embedding(
            source_vocab_size, embedding_dim, mask_zero=True, name="source_embedding")
        self.encoder = keras.layers.Bidirectional(
            recurrent_layer(cell, units, return_sequences=True, return_state=True),
            name="encoder")
        self.bridges = [keras.layers.Dense(units, activation="tanh", name=f"bridge_{i}")
                        for i in range(_STATES[cell])]
        self.target_embedding = keras.layers.Embedding(
            target_vocab_size, embedding_dim, mask_zero=True, name="target_embedding")
        self.decoder = recurrent_layer(cell, units, return_sequences=True, return_state=True,
                                       name="decoder")
        self.attention_layer = {"bahdanau": lambda: BahdanauAttention(units, name="attention"),
                          "luong": lambda: LuongAttention("general", name="attention"),
                          "none": lambda: None}[attention]()
        self.attention_hidden = keras.layers.Dense(units, activation="tanh",
                                                   name="attention_hidden")
        self.logits = keras.layers.Dense(target_vocab_size, name="logits")
        # === Functional model ===
        inputs = [keras.Input((None,), dtype="int32", name=name)
                  for name in ("source", "target_in")]
        super().__init__(inputs, self._graph(*inputs, dropout),
                         **{"name": f"seq2seq_{attention}", **kwargs})
        # === Config ===
        self.source_vocab_size = source_vocab_size
        self.target_vocab_size = target_vocab_size
        self.cell = cell
        self.units = units
        self.embedding_dim = embedding_dim
        self.attention = attention
        self.dropout = dropout

    def _graph(self, source, target_in, dropout: float):
        """Wires the layers from the inputs to the logits (symbolic tensors)."""
        embedded = keras.layers.Dropout(dropout)(self.source_embedding(source))
        values, *final_states = self.encoder(embedded)
        half = len(self.bridges)
        initial_state = [
            bridge(keras.layers.Concatenate()([final_states[i], final_states[half + i]]))
            for i, bridge in enumerate(self.bridges)]
        target_embedded = keras.layers.Dropout(dropout)(self.target_embedding(target_in))
        outputs = self.decoder(target_embedded, initial_state=initial_state)[0]
        if self.attention_layer is not None:
            context, _ = self.attention_layer(outputs, values)
            outputs = keras.layers.Concatenate()([outputs, context])
        hidden = keras.layers.Dropout(dropout)(self.attention_hidden(outputs))
        return self.logits(hidden)

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable,
                "source_vocab_size": self.source_vocab_size,
                "target_vocab_size": self.target_vocab_size, "cell": self.cell,
                "units": self.units, "embedding_dim": self.embedding_dim,
                "attention": self.attention, "dropout": self.dropout}

    @classmethod
    def from_config(cls, config: dict) -> Seq2Seq:
        return cls(**config)


def _check_arguments(source_vocab_size, target_vocab_size, units, embedding_dim, attention):
    if attention not in ATTENTIONS:
        raise ValueError(f"Received an invalid value for argument `attention`: {attention!r}; "
                         f"expected one of {ATTENTIONS}.")
    for name, value in (("source_vocab_size", source_vocab_size), ("units", units),
                        ("target_vocab_size", target_vocab_size),
                        ("embedding_dim", embedding_dim)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"Received an invalid value for argument `{name}`, expected a "
                             f"positive integer, got {value!r}.")


def build_seq2seq(
    source_vocab_size: int,
    target_vocab_size: int,
    cell: str = "lstm",
    units: int = 128,
    embedding_dim: int = 64,
    attention: str = "bahdanau",
    dropout: float = 0.0,
    output_bias: np.ndarray | None = None,
) -> Seq2Seq:
    """Builds the teacher-forced encoder-decoder, a `Seq2Seq`.

    Args:
        source_vocab_size: number of source token ids (0 is padding and masked).
        target_vocab_size: number of target token ids (0 is padding and masked).
        cell: `"rnn"`, `"lstm"` or `"gru"` (textrnn's layers), for encoder and decoder.
        units: decoder width; each encoder direction has this width too.
        embedding_dim: width of the source and target embeddings.
        attention: `"bahdanau"` (additive), `"luong"` (multiplicative, general) or `"none"`.
        dropout: dropout on the embeddings and on the attentional hidden layer.
        output_bias: `[target_vocab_size]` initial bias of the output layer, e.g. the log
            unigram frequencies of the training targets (`tasks.translation.log_prior`).
            Recommended: with a zero bias the model tends to saturate its `tanh` layers to
            learn the unigram distribution and then sits on the unigram loss.

    Returns:
        A model mapping `[source [batch, Ts], target_in [batch, Tt]]` (int ids, target_in
        starting with begin-of-sequence) to logits `[batch, Tt, target_vocab_size]`.

    Example:
    >>> model = build_seq2seq(100, 120, units=16, embedding_dim=8)
    >>> model.output_shape
    (None, None, 120)
    """
    if cell not in _STATES:
        recurrent_layer(cell, units)  # raises the error naming the valid cells
    model = Seq2Seq(source_vocab_size, target_vocab_size, cell=cell, units=units,
                    embedding_dim=embedding_dim, attention=attention, dropout=dropout)
    if output_bias is not None:
        if np.shape(output_bias) != (target_vocab_size,):
            raise ValueError(f"Received an invalid value for argument `output_bias`, expected "
                             f"shape ({target_vocab_size},), got {np.shape(output_bias)}.")
        # Assigned after building, not as a Constant initializer, so the array does not end
        # up in the saved model's config.
        model.logits.bias.assign(np.asarray(output_bias, dtype="float32"))
    return model


class Seq2SeqDecoder:
    """Step-by-step decoding with the layers of a model made by `build_seq2seq`.

    Args:
        model: the (trained or loaded) teacher-forced model: a `Seq2Seq`, or a functional
            model saved by earlier versions of `build_seq2seq`.

    Example:
    >>> model = build_seq2seq(20, 20, units=8, embedding_dim=4)
    >>> decoder = Seq2SeqDecoder(model)
    >>> len(decoder.translate(np.array([[5, 6, 7]]), bos_id=2, eos_id=3, max_length=4)[0]) <= 4
    True
    """

    def __init__(self, model: keras.Model):
        self.model = model
        self.parts = model if isinstance(model, Seq2Seq) else _legacy_parts(model)
        self.attention = self.parts.attention_layer
        self._encoder = keras.Model(
            model.inputs[0],
            [self.parts.encoder.output[0], *(bridge.output for bridge in self.parts.bridges)])
        self._run_encoder = compile_function(lambda ids: self._encoder(ids, training=False))
        self._samplers: dict = {}

    def encode(self, source_ids: np.ndarray) -> dict:
        """Runs the encoder once.

        Args:
            source_ids: `[batch, Ts]` int ids, 0-padded.

        Returns:
            The decoding state: `{"states": [decoder states, each [batch, units]],
            "values": encoder outputs [batch, Ts, 2 * units], "mask": [batch, Ts] float}`.
        """
        source_ids = np.asarray(source_ids, dtype="int32")
        values, *states = self._run_encoder(source_ids)
        return {"states": list(states), "values": values,
                "mask": ops.convert_to_tensor((source_ids != 0).astype("float32"))}

    def step(self, token_ids, state: dict):
        """Advances the decoder by one token.

        Args:
            token_ids: `[n]` int ids (the previous target tokens).
            state: the state from `encode` or the previous `step`.

        Returns:
            `(log_probs [n, target_vocab], new_state)`.
        """
        logits, state = self.step_logits(token_ids, state)
        return ops.log_softmax(logits, axis=-1), state

    def step_logits(self, token_ids, state: dict):
        """As `step`, with unnormalised logits `[n, target_vocab]` (what samplers take)."""
        parts = self.parts
        token_ids = ops.convert_to_tensor(token_ids, "int32")
        previous = state["states"]
        embedded = ops.take(parts.target_embedding.embeddings, token_ids, axis=0)
        _, states = parts.decoder.cell(embedded, previous, training=False)
        # As the decoder layer masks padding: a 0 id (never fed in practice) keeps the state.
        real = ops.expand_dims(token_ids != 0, -1)
        states = [ops.where(real, new, old) for new, old in zip(states, previous, strict=True)]
        outputs = states[0]
        if self.attention is not None:
            context, _ = self.attention(outputs, state["values"], values_mask=state["mask"])
            outputs = ops.concatenate([outputs, context], axis=-1)
        logits = parts.logits(parts.attention_hidden(outputs))
        return logits, {**state, "states": states}

    def translate(
        self,
        source_ids: np.ndarray,
        bos_id: int,
        eos_id: int,
        beam_width: int = 1,
        max_length: int = 50,
        length_penalty: float = 0.6,
    ) -> list[list[int]]:
        """Decodes a batch with beam search (`beam_width=1`: greedy).

        Args:
            source_ids: `[batch, Ts]` int ids, 0-padded.
            bos_id, eos_id: the target vocabulary's begin / end-of-sequence ids.
            beam_width: hypotheses kept per sentence.
            max_length: most target tokens per sentence (end token included).
            length_penalty: GNMT alpha used to rank finished hypotheses.

        Returns:
            For each sentence, the target ids without begin and end tokens.
        """
        key = (beam_width, length_penalty)
        if key not in self._samplers:  # one sampler, so one compilation, per setting
            self._samplers[key] = BeamSampler(beam_width, length_penalty)
        source_ids = np.asarray(source_ids, dtype="int32")
        # Padded to a multiple of 8 columns (masked, so the results do not change), so that
        # few source lengths need their own compilation.
        source_ids = np.pad(source_ids, ((0, 0), (0, -source_ids.shape[1] % 8)))
        state = self.encode(source_ids)
        start = np.full(len(source_ids), bos_id, dtype="int32")
        ids = self._samplers[key](self.step_logits, state, start, max_length, eos_id)
        return without_end(ids, eos_id)

    def attention_weights(self, source_ids: np.ndarray, target_in: np.ndarray) -> np.ndarray:
        """Attention weights `[batch, Tt, Ts]` of the teacher-forced model (None: no attention)."""
        if self.attention is None:
            return None
        probe = keras.Model(self.model.inputs, self.attention.output[1])
        return np.asarray(probe([np.asarray(source_ids, "int32"),
                                 np.asarray(target_in, "int32")], training=False))


_LEGACY_LAYERS = ("encoder", "target_embedding", "decoder", "attention_hidden", "logits")


def _legacy_parts(model: keras.Model) -> SimpleNamespace:
    """The layers of a functional model saved before `Seq2Seq`, found by their fixed names."""
    names = {layer.name for layer in model.layers}
    if not set(_LEGACY_LAYERS) <= names:
        raise ValueError(f"Argument `model` is not a model from `build_seq2seq`: it is a "
                         f"{type(model).__name__} that lacks the layer(s) "
                         f"{sorted(set(_LEGACY_LAYERS) - names)}.")
    return SimpleNamespace(
        **{name: model.get_layer(name) for name in _LEGACY_LAYERS},
        bridges=[model.get_layer(name) for name in sorted(names) if name.startswith("bridge_")],
        attention_layer=model.get_layer("attention") if "attention" in names else None)
