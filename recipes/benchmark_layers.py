"""Speed of textrnn's SimpleRNN / LSTM / GRU next to the Keras built-ins, in one run.

    python recipes/benchmark_layers.py            # TF, TF + jit_compile, JAX, torch if installed
    python recipes/benchmark_layers.py --quick    # fewer repeats
    python recipes/benchmark_layers.py --setting jax --cells LSTM

Each setting runs in its own process (one Keras backend per process). Inside it, the built-in
and textrnn models get the same weights and the same batches, and are timed in alternation
(the built-in first, then textrnn first, and so on) so that load from other processes hits
both alike. The ratio of a row is the median over repeats of each repeat's paired ratio
(built-in time / textrnn time, measured back to back); the times shown are medians.
`--rounds N` runs every setting N times, each in a new process, and reports per row the
median ratio over the rounds and its range, and which rows fell below 1.0x in any round.
`--noise-floor` races each built-in against a second copy of itself: the spread of those
ratios around 1.0 is what the machine's noise alone does to a row.
Reported: tokens/s (batch * timesteps per second) for a training step (forward, backward,
Adam update) and for inference, at a language-model and a classifier shape, and the latency
of one compiled cell step at batch 1 (what generation pays per token). The torch setting
(run when PyTorch is installed) adds a row comparing textrnn's LSTM with `torch.nn.LSTM`
(PyTorch's own oneDNN kernel, what a torch user would pick instead) at the LM shape.
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

from textrnn.cli.entry import cli

# === Defaults ===
SHAPES = {  # name: (batch, timesteps, features, units, return_sequences)
    "LM": (32, 128, 128, 512, True),
    "classifier": (64, 200, 64, 128, False),
}
SETTINGS = {  # name: (KERAS_BACKEND, jit_compile)
    "tf": ("tensorflow", False),
    "tf-jit": ("tensorflow", True),
    "jax": ("jax", True),
    "torch": ("torch", False),  # eager, as Keras' torch backend trains by default
}
CELLS = ("LSTM", "GRU", "SimpleRNN")
STEP_UNITS, STEP_FEATURES = 512, 128  # single-token step latency shape


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (noisier)")
    parser.add_argument("--setting", choices=[*SETTINGS, "all"], default="all")
    parser.add_argument("--cells", nargs="+", choices=CELLS, default=list(CELLS))
    parser.add_argument("--shapes", nargs="+", choices=list(SHAPES), default=list(SHAPES))
    parser.add_argument("--rounds", type=int, default=1,
                        help="run each setting this many times (new processes) and report the "
                        "median ratio of each row and its range")
    parser.add_argument("--noise-floor", action="store_true",
                        help="race each built-in against a second copy of itself instead of "
                        "textrnn: the spread of these ratios around 1.0 is the noise")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    return args


def interleaved_times(functions, repeats, calls):
    """Seconds per call of each function, one list per function with one entry per repeat.

    The functions are timed in alternation, in reverse order every other repeat, so that
    entry i of every list saw the same load and no function always runs first.
    """
    for function in functions:
        function()  # compile / warm up
    times = [[] for _ in functions]
    for repeat in range(repeats):
        order = list(zip(functions, times, strict=True))
        for function, record in order if repeat % 2 == 0 else reversed(order):
            start = time.perf_counter()
            for _ in range(calls):
                function()
            record.append((time.perf_counter() - start) / calls)
    return times


def timed_row(functions, repeats, calls, **fields):
    """A result row timing `functions = [built-in, textrnn]`: median seconds of each and the
    median of the repeats' paired ratios (`ratio` > 1: textrnn faster)."""
    builtin, ours = interleaved_times(functions, repeats, calls)
    ratios = [reference / our for reference, our in zip(builtin, ours, strict=True)]
    return {**fields, "builtin_s": statistics.median(builtin),
            "textrnn_s": statistics.median(ours), "ratio": statistics.median(ratios)}


def contender_layers(keras, noise_floor):
    """The module whose layers race the built-ins: textrnn's, or with `noise_floor` Keras'
    own again (a second, identical built-in: how far a ratio strays from 1.0 by chance)."""
    if noise_floor:
        return keras.layers
    import textrnn.layers

    return textrnn.layers


def model_pair(keras, cell, shape, jit_compile, contender):
    """Built-in and contender models (`Input -> layer`) with identical weights, compiled."""
    batch, steps, features, units, return_sequences = shape
    models = []
    for module in (keras.layers, contender):
        sequences = keras.Input((steps, features), batch_size=batch)
        output = getattr(module, cell)(units, return_sequences=return_sequences)(sequences)
        model = keras.Model(sequences, output)
        model.compile(keras.optimizers.Adam(1e-3), "mse", jit_compile=jit_compile)
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    return models


def batch_for(shape):
    """Random `(x, y)` for a shape: inputs and regression targets."""
    import numpy as np

    batch, steps, features, units, return_sequences = shape
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, steps, features)).astype("float32")
    y_shape = (batch, steps, units) if return_sequences else (batch, units)
    return x, rng.normal(size=y_shape).astype("float32")


def model_modes(model, x, y):
    """`{"train": one training step, "infer": one forward pass}` of a compiled Keras model."""
    return {
        "train": lambda: model.train_on_batch(x, y),
        "infer": lambda: model.predict_on_batch(x),
    }


def torch_lstm_modes(shape, x, y):
    """The same two modes for `torch.nn.LSTM` (MSE, Adam), PyTorch's own kernel."""
    import torch

    _, _, features, units, _ = shape
    lstm = torch.nn.LSTM(features, units, batch_first=True)
    optimizer = torch.optim.Adam(lstm.parameters(), 1e-3)
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)

    def train():
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(lstm(inputs)[0], targets).backward()
        optimizer.step()

    def infer():
        with torch.no_grad():
            return lstm(inputs)[0].numpy()

    return {"train": train, "infer": infer}


def time_modes(cell, shape_name, reference, ours, repeats):
    """Rows timing `reference` (first) against `ours`, both `model_modes`-like dicts."""
    batch, steps = SHAPES[shape_name][:2]
    rows = []
    for mode in ("train", "infer"):
        rows.append(timed_row([reference[mode], ours[mode]], repeats, calls=2, cell=cell,
                              shape=shape_name, mode=mode, tokens=batch * steps))
    return rows


def time_layers(keras, cell, shape_name, jit_compile, repeats, contender):
    shape = SHAPES[shape_name]
    x, y = batch_for(shape)
    builtin, ours = model_pair(keras, cell, shape, jit_compile, contender)
    rows = time_modes(
        cell, shape_name, model_modes(builtin, x, y), model_modes(ours, x, y), repeats
    )
    torch_row = keras.backend.backend() == "torch" and cell == "LSTM" and shape_name == "LM"
    if torch_row and contender is not keras.layers:
        reference = torch_lstm_modes(shape, x, y)
        rows += time_modes(
            "LSTM vs torch.nn.LSTM", shape_name, reference, model_modes(ours, x, y), repeats
        )
    return rows


def step_function(keras, cell_layer, jit_compile):
    """One compiled cell step at batch 1 (eager on torch): `(inputs, states) -> new states`."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        weights = [v.value for v in cell_layer.trainable_variables]
        others = [v.value for v in cell_layer.non_trainable_variables]

        @jax.jit
        def step(weights, x, states):
            (_, new_states), _ = cell_layer.stateless_call(weights, others, x, states)
            return new_states

        return lambda x, states: step(weights, x, states)
    if backend == "torch":
        import torch

        def step(x, states):
            with torch.no_grad():
                return cell_layer(x, states)[1]

        return step
    import tensorflow as tf

    return tf.function(lambda x, states: cell_layer(x, states)[1], jit_compile=jit_compile)


def time_steps(keras, cell, jit_compile, repeats, contender):
    import numpy as np

    x = np.ones((1, STEP_FEATURES), "float32")
    functions = []
    for module in (keras.layers, contender):
        layer = getattr(module, cell + "Cell")(STEP_UNITS)
        layer.build((1, STEP_FEATURES))
        states = layer.get_initial_state(1)
        step = step_function(keras, layer, jit_compile)
        functions.append(
            lambda step=step, states=states: keras.tree.map_structure(
                keras.ops.convert_to_numpy, step(x, states)
            )
        )
    return timed_row(functions, repeats, calls=200, cell=cell, shape="step b=1", mode="step",
                     tokens=1)


def run_setting(setting, args):
    """Runs in the child process whose KERAS_BACKEND matches `setting`."""
    import keras

    _, jit_compile = SETTINGS[setting]
    repeats = 3 if args.quick else 7
    contender = contender_layers(keras, args.noise_floor)
    rows = []
    for cell in args.cells:
        for shape_name in args.shapes:
            rows += time_layers(keras, cell, shape_name, jit_compile, repeats, contender)
        rows.append(time_steps(keras, cell, jit_compile, repeats, contender))
    for row in rows:
        row["setting"] = setting
        print("RESULT " + json.dumps(row), flush=True)


def launch(setting, args):
    backend, _ = SETTINGS[setting]
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "BENCHMARK_LAYERS_CHILD": setting,
    }
    command = [sys.executable, __file__, *sys.argv[1:]]
    print(f"# {setting}: running ...", file=sys.stderr, flush=True)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"setting {setting} failed (exit {result.returncode})")
    return [
        json.loads(line[7:]) for line in result.stdout.splitlines() if line.startswith("RESULT ")
    ]


def row_key(row):
    return row["setting"], row["cell"], row["shape"], row["mode"]


def combine_rounds(rounds):
    """One row per benchmark row from several rounds' results (lists of rows in the same
    order): median times and ratio over the rounds, plus `ratio_min` and `ratio_max`."""
    combined = []
    for rows in zip(*rounds, strict=True):
        if len({row_key(row) for row in rows}) != 1:
            raise ValueError(f"rounds disagree on their rows: {[row_key(r) for r in rows]}")
        ratios = [row["ratio"] for row in rows]
        combined.append({
            **rows[0],
            "builtin_s": statistics.median(row["builtin_s"] for row in rows),
            "textrnn_s": statistics.median(row["textrnn_s"] for row in rows),
            "ratio": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "rounds": len(rows),
        })
    return combined


def markdown(rows):
    ranges = "rounds" in rows[0]
    header = "| setting | cell | shape | mode | Keras tok/s | textrnn tok/s | textrnn / Keras |"
    lines = [header + (" range |" if ranges else ""), "|---|---|---|---|---:|---:|---:|"
             + ("---:|" if ranges else "")]
    for row in rows:
        if row["mode"] == "step":
            keras_cell = f"{row['builtin_s'] * 1e6:,.0f} µs"
            ours_cell = f"{row['textrnn_s'] * 1e6:,.0f} µs"
        else:
            keras_cell = f"{row['tokens'] / row['builtin_s']:,.0f}"
            ours_cell = f"{row['tokens'] / row['textrnn_s']:,.0f}"
        line = (f"| {row['setting']} | {row['cell']} | {row['shape']} | {row['mode']} | "
                f"{keras_cell} | {ours_cell} | {row['ratio']:.2f}x |")
        if ranges:
            line += f" {row['ratio_min']:.2f}–{row['ratio_max']:.2f}x |"
        lines.append(line)
    return "\n".join(lines)


def summary(rows):
    """How many rows stayed at or above 1.0x, and which fell below (lowest reading)."""
    lowest = [(row.get("ratio_min", row["ratio"]), row) for row in rows]
    below = [(low, row) for low, row in lowest if low < 1.0]
    lines = [f"{len(rows) - len(below)} of {len(rows)} rows at or above 1.0x"
             + (f" in all {rows[0]['rounds']} rounds" if "rounds" in rows[0] else "")]
    if "rounds" in rows[0]:
        low_median = sum(row["ratio"] < 1.0 for row in rows)
        lines.append(f"{low_median} of {len(rows)} rows with their median below 1.0x")
    for low, row in below:
        setting, cell, shape, mode = row_key(row)
        lines.append(f"  below 1.0x: {setting} {cell} {shape} {mode}: median {row['ratio']:.2f}x,"
                     f" lowest {low:.2f}x")
    return "\n".join(lines)


@cli
def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    child = os.environ.get("BENCHMARK_LAYERS_CHILD")
    if child:
        run_setting(child, args)
        return
    settings = list(SETTINGS) if args.setting == "all" else [args.setting]
    if args.setting == "all" and importlib.util.find_spec("torch") is None:
        settings.remove("torch")
        print("# torch: not installed, skipped (pip install -e '.[torch]')", file=sys.stderr)
    rounds = [[row for setting in settings for row in launch(setting, args)]
              for _ in range(args.rounds)]
    rows = combine_rounds(rounds) if args.rounds > 1 else rounds[0]
    if args.noise_floor:
        print("noise floor: the 'textrnn' columns are a second, identical Keras built-in")
    print(markdown(rows))
    print("\nratio > 1: textrnn faster (for `step`: built-in latency / textrnn latency).")
    print(summary(rows))
    if args.json:
        from textrnn.io import write_json

        write_json(args.json, rows)


if __name__ == "__main__":
    sys.exit(main())
