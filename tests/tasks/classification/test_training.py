import numpy as np

from textrnn.models.classifier import build_bow_classifier
from textrnn.tasks.classification.training import BestWeights, stopped_early


def test_stopped_early_follows_patience():
    history = [{"val_loss": v} for v in (5.0, 4.0, 4.5, 4.6)]
    assert not stopped_early(history, patience=3)
    assert stopped_early(history + [{"val_loss": 4.7}], patience=3)
    assert not stopped_early(history + [{"val_loss": 3.9}], patience=3)


def test_best_weights_saves_only_improvements(tmp_path):
    model = build_bow_classifier(3, 2)
    callback = BestWeights(tmp_path / "best.weights.h5", best=1.0)
    callback.set_model(model)
    callback.on_epoch_end(0, {"val_loss": 2.0})
    assert not (tmp_path / "best.weights.h5").exists()
    callback.on_epoch_end(1, {"val_loss": 0.5})
    saved = [w.copy() for w in model.get_weights()]
    model.set_weights([w + 1 for w in saved])
    callback.on_epoch_end(2, {"val_loss": 0.7})
    model.load_weights(tmp_path / "best.weights.h5")
    np.testing.assert_allclose(model.get_weights()[0], saved[0])
    assert [p.name for p in tmp_path.iterdir()] == ["best.weights.h5"]
