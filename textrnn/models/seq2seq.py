"""Encoder-decoder (seq2seq) translator with attention, and its step-by-step decoder.

`build_seq2seq` returns the teacher-forced training model: `[source, target_in] -> logits`.
The source is read by a bidirectional recurrent encoder; its final states, joined and
projected by one `Dense(tanh)` per state ("bridge"), start the decoder. At each target step
the decoder's output queries the encoder outputs (`BahdanauAttention` or `LuongAttention`),
and `tanh(W [decoder output; context])` feeds the softmax layer (Luong et al.'s global
attention, without input feeding, so that one decoder step depends only on the decoder's
recurrent state). With `attention="none"` the context is left out: the classic encoder-decoder
whose only link to the source is the initial state.

`Seq2SeqDecoder(model)` reuses the trained layers for decoding: `encode` runs the encoder once,
`step` advances the decoder by one token carrying its state (the prefix is never re-run), and
`translate` runs `textrnn.generation.beam_search` over that (beam width 1 is greedy).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from textrnn.generation import beam_search
from textrnn.layers.attention import BahdanauAttention, LuongAttention
from textrnn.models.recurrent import recurrent_layer

ATTENTIONS = ("bahdanau", "luong", "none")
_STATES = {"rnn": 1, "gru": 1, "lstm": 2}


def build_seq2seq(
    source_vocab_size: int,
    target_vocab_size: int,
    cell: str = "lstm",
    units: int = 128,
    embedding_dim: int = 64,
    attention: str = "bahdanau",
    dropout: float = 0.0,
    output_bias: np.ndarray | None = None,
) -> keras.Model:
    """Builds the teacher-forced encoder-decoder.

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
    if attention not in ATTENTIONS:
        raise ValueError(f"Received an invalid value for argument `attention`: {attention!r}; "
                         f"expected one of {ATTENTIONS}.")
    for name, value in (("source_vocab_size", source_vocab_size), ("units", units),
                        ("target_vocab_size", target_vocab_size),
                        ("embedding_dim", embedding_dim)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"Received an invalid value for argument `{name}`, expected a "
                             f"positive integer, got {value!r}.")
    # === Encoder ===
    source = keras.Input((None,), dtype="int32", name="source")
    embedded = keras.layers.Embedding(source_vocab_size, embedding_dim, mask_zero=True,
                                      name="source_embedding")(source)
    embedded = keras.layers.Dropout(dropout)(embedded)
    encoder = keras.layers.Bidirectional(
        recurrent_layer(cell, units, return_sequences=True, return_state=True), name="encoder")
    values, *final_states = encoder(embedded)
    num_states = _STATES[cell]
    initial_state = [
        keras.layers.Dense(units, activation="tanh", name=f"bridge_{i}")(
            keras.layers.Concatenate()([final_states[i], final_states[num_states + i]]))
        for i in range(num_states)
    ]
    # === Decoder ===
    target_in = keras.Input((None,), dtype="int32", name="target_in")
    target_embedded = keras.layers.Embedding(target_vocab_size, embedding_dim, mask_zero=True,
                                             name="target_embedding")(target_in)
    target_embedded = keras.layers.Dropout(dropout)(target_embedded)
    decoder = recurrent_layer(cell, units, return_sequences=True, return_state=True,
                              name="decoder")
    outputs = decoder(target_embedded, initial_state=initial_state)[0]
    if attention != "none":
        scorer = (BahdanauAttention(units, name="attention") if attention == "bahdanau"
                  else LuongAttention("general", name="attention"))
        context, _ = scorer(outputs, values)
        outputs = keras.layers.Concatenate()([outputs, context])
    hidden = keras.layers.Dense(units, activation="tanh", name="attention_hidden")(outputs)
    hidden = keras.layers.Dropout(dropout)(hidden)
    logits = keras.layers.Dense(target_vocab_size, name="logits")(hidden)
    model = keras.Model([source, target_in], logits, name=f"seq2seq_{attention}")
    if output_bias is not None:
        if np.shape(output_bias) != (target_vocab_size,):
            raise ValueError(f"Received an invalid value for argument `output_bias`, expected "
                             f"shape ({target_vocab_size},), got {np.shape(output_bias)}.")
        # Assigned after building, not as a Constant initializer, so the array does not end
        # up in the saved model's config.
        model.get_layer("logits").bias.assign(np.asarray(output_bias, dtype="float32"))
    return model


class Seq2SeqDecoder:
    """Step-by-step decoding with the layers of a model made by `build_seq2seq`.

    Args:
        model: the (trained or loaded) teacher-forced model.

    Example:
    >>> model = build_seq2seq(20, 20, units=8, embedding_dim=4)
    >>> decoder = Seq2SeqDecoder(model)
    >>> len(decoder.translate(np.array([[5, 6, 7]]), bos_id=2, eos_id=3, max_length=4)[0]) <= 4
    True
    """

    def __init__(self, model: keras.Model):
        names = {layer.name for layer in model.layers}
        required = {"encoder", "target_embedding", "decoder", "attention_hidden", "logits"}
        if not required <= names:
            raise ValueError(f"Argument `model` is not a model from `build_seq2seq`: it lacks "
                             f"the layer(s) {sorted(required - names)}.")
        self.model = model
        self.attention = model.get_layer("attention") if "attention" in names else None
        bridges = sorted(name for name in names if name.startswith("bridge_"))
        self._encoder = keras.Model(
            model.inputs[0],
            [model.get_layer("encoder").output[0],
             *(model.get_layer(name).output for name in bridges)])
        self._layers = {name: model.get_layer(name) for name in required}

    def encode(self, source_ids: np.ndarray) -> dict:
        """Runs the encoder once.

        Args:
            source_ids: `[batch, Ts]` int ids, 0-padded.

        Returns:
            The decoding state: `{"states": [decoder states, each [batch, units]],
            "values": encoder outputs [batch, Ts, 2 * units], "mask": [batch, Ts] float}`.
        """
        source_ids = np.asarray(source_ids, dtype="int32")
        values, *states = self._encoder(source_ids, training=False)
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
        layers = self._layers
        embedded = layers["target_embedding"](ops.expand_dims(token_ids, 1))
        outputs, *states = layers["decoder"](embedded, initial_state=state["states"],
                                             training=False)
        outputs = outputs[:, 0]
        if self.attention is not None:
            context, _ = self.attention(outputs, state["values"], values_mask=state["mask"])
            outputs = ops.concatenate([outputs, context], axis=-1)
        logits = layers["logits"](layers["attention_hidden"](outputs))
        return ops.log_softmax(logits, axis=-1), {**state, "states": states}

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
        state = self.encode(source_ids)
        start = np.full(len(source_ids), bos_id, dtype="int32")
        return beam_search(self.step, state, start, eos_id, beam_width=beam_width,
                           max_length=max_length, length_penalty=length_penalty)

    def attention_weights(self, source_ids: np.ndarray, target_in: np.ndarray) -> np.ndarray:
        """Attention weights `[batch, Tt, Ts]` of the teacher-forced model (None: no attention)."""
        if self.attention is None:
            return None
        probe = keras.Model(self.model.inputs, self.attention.output[1])
        return np.asarray(probe([np.asarray(source_ids, "int32"),
                                 np.asarray(target_in, "int32")], training=False))
