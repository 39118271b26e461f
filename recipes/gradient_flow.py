"""Vanishing and exploding gradients, made visible on the adding problem.

    python recipes/gradient_flow.py                      # a few minutes on 2 CPU cores
    python recipes/gradient_flow.py --seq-len 100 --steps 600 --out runs/gf100

The adding problem: each step carries a random number and a marker; two steps are marked (one
in each half of the sequence) and the target is the sum of their numbers, so the loss at the
last step depends on inputs up to `seq-len` steps back. For SimpleRNN, LSTM and GRU from
`textrnn.layers`, the recipe measures the norm of the total derivative ||dL/dh_t|| at every
step before and after training, and the ratio ||dL/dh_0|| / ||dL/dh_T||. Then it trains a
SimpleRNN with a too-large recurrent initialisation twice from the same weights and batches,
without and with global-norm clipping, to show what exploding gradients do to the loss.

Writes to --out: gradient_flow_init.png, gradient_flow_trained.png, exploding.png and
figures.json (ratios, spectral norms, losses; flat numbers per cell).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import textrnn  # noqa: F401  (before keras: it quiets TensorFlow's start-up lines)

# isort: split
import keras
import numpy as np

from textrnn.io import atomic_write, write_json
from textrnn.layers import GRU, LSTM, SimpleRNN
from textrnn.runs import check_writable, cli
from textrnn.training import (
    GlobalNormClipping,
    gradient_flow,
    plot_gradient_flow,
    recurrent_spectral_norm,
)

# === Defaults (about 2-3 minutes on a 2-core CPU) ===
DEFAULTS = dict(
    seq_len=60,          # distance the gradient must travel; longer separates the cells more
    units=32,
    batch_size=64,
    steps=1500,          # training steps per cell; fewer leave LSTM short of solving it
    lr=3e-3,
    clip=1.0,            # global-norm threshold used for the cell comparison and the demo
    explode_gain=1.5,    # orthogonal recurrent init x gain: spectral norm 1.5 > 1 explodes
    explode_lr=0.1,      # plain SGD, large enough for the unclipped run to blow up
    explode_steps=300,
    seed=0,
    out="runs/gradient_flow",
)
CELLS = {"rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}
PROBE_BATCH = 256        # examples the gradient norms are averaged over


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in DEFAULTS.items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(default), default=default)
    args = parser.parse_args(argv)
    for name in ("seq_len", "units", "batch_size", "steps", "explode_steps"):
        if getattr(args, name) < (2 if name == "seq_len" else 1):
            parser.error(f"--{name.replace('_', '-')} must be a positive integer "
                         f"(seq-len at least 2), got {getattr(args, name)}")
    for name in ("lr", "clip", "explode_gain", "explode_lr"):
        if not getattr(args, name) > 0:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    return args


def adding_problem(rng: np.random.Generator, count: int, seq_len: int):
    """x `[count, seq_len, 2]` (value, marker), y `[count, 1]` the sum of the marked values."""
    values = rng.uniform(size=(count, seq_len))
    markers = np.zeros((count, seq_len))
    half = seq_len // 2
    rows = np.arange(count)
    markers[rows, rng.integers(0, half, count)] = 1.0
    markers[rows, rng.integers(half, seq_len, count)] = 1.0
    x = np.stack([values, markers], axis=-1).astype("float32")
    y = (values * markers).sum(axis=1, keepdims=True).astype("float32")
    return x, y


def build(cell: str, args, optimizer, recurrent_initializer="orthogonal") -> keras.Model:
    model = keras.Sequential([
        keras.Input((args.seq_len, 2)),
        CELLS[cell](args.units, recurrent_initializer=recurrent_initializer),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def train(model: keras.Model, rng: np.random.Generator, steps: int, args) -> list[float]:
    """One fresh batch per step; returns each step's loss (before its update)."""
    losses = []
    for _ in range(steps):
        x, y = adding_problem(rng, args.batch_size, args.seq_len)
        losses.append(float(model.train_on_batch(x, y)))
    return losses


def compare_cells(args, probe) -> tuple[dict, dict, dict]:
    init_norms, trained_norms, figures = {}, {}, {}
    for cell in CELLS:
        keras.utils.set_random_seed(args.seed)
        optimizer = GlobalNormClipping(keras.optimizers.Adam(args.lr), args.clip)
        model = build(cell, args, optimizer)
        init_norms[cell] = gradient_flow(model, *probe)
        spectral_init = recurrent_spectral_norm(model.layers[0])
        losses = train(model, np.random.default_rng(args.seed), args.steps, args)
        trained_norms[cell] = gradient_flow(model, *probe)
        figures[cell] = {
            "ratio_init": _ratio(init_norms[cell]),
            "ratio_trained": _ratio(trained_norms[cell]),
            "spectral_norm_init": spectral_init,
            "spectral_norm_trained": recurrent_spectral_norm(model.layers[0]),
            "probe_mse": float(model.evaluate(*probe, verbose=0)),
            "train_mse_last_50": float(np.mean(losses[-50:])),
        }
        print(f"{cell:5s} ||dL/dh_0|| / ||dL/dh_T||: init {figures[cell]['ratio_init']:.3g}, "
              f"trained {figures[cell]['ratio_trained']:.3g}; "
              f"probe MSE {figures[cell]['probe_mse']:.4f}", flush=True)
    return init_norms, trained_norms, figures


def exploding_demo(args) -> tuple[dict, dict]:
    """SimpleRNN with recurrent kernel = orthogonal x gain, trained unclipped and clipped."""
    curves, figures = {}, {}
    initializer = keras.initializers.Orthogonal(gain=args.explode_gain, seed=args.seed)
    for label, max_norm in (("unclipped", math.inf), (f"clipped at {args.clip:g}", args.clip)):
        keras.utils.set_random_seed(args.seed)
        # max_norm=inf measures the norm but never limits it.
        optimizer = GlobalNormClipping(keras.optimizers.SGD(args.explode_lr), max_norm)
        model = build("rnn", args, optimizer, recurrent_initializer=initializer)
        rng = np.random.default_rng(args.seed + 1)
        losses, norms = [], []
        for _ in range(args.explode_steps):
            x, y = adding_problem(rng, args.batch_size, args.seq_len)
            losses.append(float(model.train_on_batch(x, y)))
            norms.append(float(optimizer.last_grad_norm.numpy()))
        curves[label] = (losses, norms)
        key = "unclipped" if max_norm == math.inf else "clipped"
        finite = [loss for loss in losses if math.isfinite(loss)]
        last = float(np.mean(losses[-20:]))
        figures[key] = {
            "max_grad_norm": max(n for n in norms if math.isfinite(n)),
            "max_loss": max(finite),
            "loss_last_20": last if math.isfinite(last) else None,  # null: diverged to NaN
            "skipped_steps": int(optimizer.skipped_steps.numpy()),
        }
        print(f"exploding demo, {label}: max ||g|| {figures[key]['max_grad_norm']:.3g}, "
              f"max loss {figures[key]['max_loss']:.3g}, loss (last 20 steps) {last:.4g}, "
              f"skipped non-finite steps {figures[key]['skipped_steps']}", flush=True)
    return curves, figures


def plot_exploding(curves: dict, path: Path, args) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4))
    FigureCanvasAgg(figure)
    loss_axes, norm_axes = figure.subplots(1, 2)
    for label, (losses, norms) in curves.items():
        loss_axes.semilogy(losses, label=label)
        norm_axes.semilogy(norms, label=label)
    loss_axes.set(xlabel="step", ylabel="training loss (MSE)",
                  title=f"SimpleRNN, recurrent init x{args.explode_gain:g}, SGD")
    norm_axes.set(xlabel="step", ylabel="pre-clip global gradient norm")
    norm_axes.axhline(args.clip, color="gray", linestyle=":")
    for axes in (loss_axes, norm_axes):
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110, bbox_inches="tight")


def _ratio(norms: np.ndarray) -> float:
    return float(norms[0] / norms[-1])


@cli
def main(argv=None) -> int:
    args = parse_args(argv)
    out = check_writable(args.out)  # before minutes of training, not after
    probe = adding_problem(np.random.default_rng(args.seed + 100), PROBE_BATCH, args.seq_len)
    init_norms, trained_norms, cells = compare_cells(args, probe)
    plot_gradient_flow(init_norms, out / "gradient_flow_init.png",
                       f"Adding problem, T={args.seq_len}: at initialisation")
    plot_gradient_flow(trained_norms, out / "gradient_flow_trained.png",
                       f"Adding problem, T={args.seq_len}: after {args.steps} steps")
    curves, exploding = exploding_demo(args)
    plot_exploding(curves, out / "exploding.png", args)
    write_json(out / "figures.json", {
        "config": vars(args),
        "baseline_mse": float(np.var(probe[1])),
        **{f"{cell}_{key}": value for cell, row in cells.items() for key, value in row.items()},
        **{f"exploding_{run}_{key}": value for run, row in exploding.items()
           for key, value in row.items()},
    })
    print(f"wrote {out}/gradient_flow_init.png, gradient_flow_trained.png, exploding.png, "
          "figures.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
