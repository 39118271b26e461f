"""Training utilities for recurrent models, each usable on its own with `model.fit`.

- `clipping`: `clip_by_global_norm`, the `GlobalNormClipping` optimizer wrapper.
- `metrics`: `Perplexity`, `BitsPerCharacter`.
- `callbacks`: `GradNormLogger`, `StopOnNonFiniteLoss`.
- `bptt`: `bptt_batches` for stateful truncated BPTT, `ResetStatesCallback`.
- `checkpoint`: `RunCheckpoint`, `load_run`, `save_model_atomic`.
- `budget`: `TimeBudget`.
- `distribute`: `get_strategy`, `replica_count`, `strategy_scope`.
- `schedules`: `OneCycle`, `SlantedTriangular`, `FitScheduleToBudget`, `constant_or_schedule`.
- `lr_finder`: `find_learning_rate` (the learning-rate range test), `LRFinderResult`.
- `precision`: `resolve_dtype_policy` (`"auto"`: bfloat16 where the CPU multiplies it fast),
  `cpu_has_bfloat16_units`.
- `gradient_flow`: `hidden_state_gradients`, `gradient_flow`, `recurrent_spectral_norm`,
  `plot_gradient_flow`.
"""

from textrnn.training.bptt import ResetStatesCallback, bptt_batches, reset_states
from textrnn.training.budget import TimeBudget
from textrnn.training.callbacks import GradNormLogger, StopOnNonFiniteLoss
from textrnn.training.checkpoint import (
    Run,
    RunCheckpoint,
    load_run,
    read_train_state,
    save_model_atomic,
)
from textrnn.training.clipping import GlobalNormClipping, clip_by_global_norm, global_norm
from textrnn.training.distribute import get_strategy, replica_count, strategy_scope
from textrnn.training.gradient_flow import (
    gradient_flow,
    hidden_state_gradients,
    plot_gradient_flow,
    recurrent_spectral_norm,
)
from textrnn.training.lr_finder import LRFinderResult, find_learning_rate
from textrnn.training.metrics import BitsPerCharacter, Perplexity
from textrnn.training.precision import (
    DTYPE_POLICIES,
    cpu_has_bfloat16_units,
    resolve_dtype_policy,
)
from textrnn.training.schedules import (
    SCHEDULES,
    FitScheduleToBudget,
    OneCycle,
    SlantedTriangular,
    constant_or_schedule,
    learning_rate_schedule,
)

__all__ = [
    "DTYPE_POLICIES",
    "SCHEDULES",
    "BitsPerCharacter",
    "FitScheduleToBudget",
    "LRFinderResult",
    "OneCycle",
    "SlantedTriangular",
    "constant_or_schedule",
    "find_learning_rate",
    "learning_rate_schedule",
    "GlobalNormClipping",
    "GradNormLogger",
    "Perplexity",
    "ResetStatesCallback",
    "Run",
    "RunCheckpoint",
    "StopOnNonFiniteLoss",
    "TimeBudget",
    "bptt_batches",
    "clip_by_global_norm",
    "cpu_has_bfloat16_units",
    "get_strategy",
    "replica_count",
    "strategy_scope",
    "global_norm",
    "gradient_flow",
    "hidden_state_gradients",
    "load_run",
    "plot_gradient_flow",
    "read_train_state",
    "recurrent_spectral_norm",
    "reset_states",
    "resolve_dtype_policy",
    "save_model_atomic",
]
