import json

import pytest


@pytest.fixture(scope="module")
def gradient_flow(script):
    return script("recipes/gradient_flow.py")


def test_adding_problem_targets(gradient_flow):
    import numpy as np

    x, y = gradient_flow.adding_problem(np.random.default_rng(0), 5, 8)
    assert x.shape == (5, 8, 2) and y.shape == (5, 1)
    assert (x[..., 1].sum(axis=1) == 2).all()
    np.testing.assert_allclose(y[:, 0], (x[..., 0] * x[..., 1]).sum(axis=1), rtol=1e-6)


def test_bad_flags_exit_with_a_message(gradient_flow, capsys):
    with pytest.raises(SystemExit):
        gradient_flow.parse_args(["--seq-len", "1"])
    assert "--seq-len" in capsys.readouterr().err


def test_unwritable_out_fails_before_any_training(gradient_flow, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TEXTRNN_DEBUG", raising=False)
    (tmp_path / "file").write_text("x")
    monkeypatch.setattr(gradient_flow, "compare_cells", lambda *a: pytest.fail("trained"))
    assert gradient_flow.main(["--out", str(tmp_path / "file")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


@pytest.mark.slow
def test_recipe_writes_plots_and_figures(gradient_flow, tmp_path):
    out = tmp_path / "gf"
    assert gradient_flow.main(["--out", str(out), "--seq-len", "12", "--steps", "20",
                               "--explode-steps", "30", "--units", "8",
                               "--batch-size", "16"]) == 0
    for name in ("gradient_flow_init.png", "gradient_flow_trained.png", "exploding.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    figures = json.loads((out / "figures.json").read_text())
    for cell in ("rnn", "lstm", "gru"):
        assert figures[f"{cell}_ratio_init"] > 0
        assert figures[f"{cell}_spectral_norm_init"] == pytest.approx(1.0, rel=1e-4)
    assert figures["exploding_clipped_max_grad_norm"] > 0
