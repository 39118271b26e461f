"""`TiedOutput` reads the embedding matrix: one variable, trained by both uses, saved once."""

import keras
import numpy as np
import pytest
from _helpers import IDS, tied_model
from keras import ops

from textrnn.layers import TiedOutput, TiedSequential


@pytest.mark.parametrize(("units", "projected"), [(6, False), (5, True)])
def test_one_embedding_variable_used_as_the_softmax(units, projected):
    model = tied_model(units)
    embeddings = model.get_layer("embedding").embeddings
    matrices = [v for v in model.weights if tuple(v.shape) == (10, 6)]
    assert len(matrices) == 1 and matrices[0] is embeddings
    output = model.layers[-1]
    assert (output.projection is not None) == projected
    x = np.random.default_rng(0).normal(size=(2, units)).astype("float32")
    expected = (x @ output.projection.numpy() if projected else x) @ embeddings.numpy().T
    np.testing.assert_allclose(
        ops.convert_to_numpy(output(x)), expected + output.bias.numpy(), atol=1e-5
    )


def test_training_updates_the_shared_matrix_through_both_uses():
    model = tied_model()
    model.compile(
        keras.optimizers.SGD(0.1), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    before = model.get_layer("embedding").embeddings.numpy().copy()
    # Token 9 never is an input, only a target: its row changes through the softmax alone.
    model.train_on_batch(IDS, np.full_like(IDS, 9))
    after = model.get_layer("embedding").embeddings.numpy()
    assert not np.allclose(before[9], after[9])
    assert len(model.trainable_variables) == 1 + 3 + 1  # embedding, LSTM, output bias


def test_unlinked_layer_and_unknown_name_are_clear_errors():
    with pytest.raises(ValueError, match="not connected"):
        TiedOutput("embedding")(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match="not an earlier layer"):
        TiedSequential(
            [
                keras.Input((None,), dtype="int32"),
                keras.layers.Embedding(5, 3, name="emb"),
                TiedOutput("nope"),
            ]
        )
