"""Which Keras dtype policy a model should compute in on this machine.

A recurrent language model's training step is mostly matrix products. On a CPU with bfloat16
matrix units (Intel AMX, AVX512-BF16), oneDNN multiplies bfloat16 operands about twice as fast
as float32, so Keras' `"mixed_bfloat16"` policy (bfloat16 compute, float32 weights) trains more
steps in a fixed budget; on a CPU without them bfloat16 is emulated and slower. `"auto"` picks
the policy accordingly.

>>> resolve_dtype_policy("float32")
'float32'
"""

from __future__ import annotations

from pathlib import Path

DTYPE_POLICIES = ("auto", "float32", "mixed_bfloat16")
BFLOAT16_FLAGS = ("amx_bf16", "avx512_bf16")  # /proc/cpuinfo flags of bfloat16 matrix units
CPUINFO = Path("/proc/cpuinfo")


def cpu_has_bfloat16_units(cpuinfo: Path = CPUINFO) -> bool:
    """True when the CPU advertises bfloat16 matrix instructions (`BFLOAT16_FLAGS` among the
    `flags` of Linux's `/proc/cpuinfo`); False where that file is missing or unreadable."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags = {flag for line in text.splitlines() if line.startswith("flags")
             for flag in line.partition(":")[2].split()}
    return any(flag in flags for flag in BFLOAT16_FLAGS)


def resolve_dtype_policy(policy: str, cpuinfo: Path = CPUINFO) -> str:
    """`policy`, with `"auto"` resolved: `"mixed_bfloat16"` on a machine with no GPU whose CPU
    has bfloat16 matrix units (`cpu_has_bfloat16_units`), else `"float32"`.

    Raises:
        ValueError: `policy` is not one of `DTYPE_POLICIES`.
    """
    if policy not in DTYPE_POLICIES:
        raise ValueError(f"Received an invalid value for argument `policy`: {policy!r}; "
                         f"expected one of {DTYPE_POLICIES}.")
    if policy != "auto":
        return policy
    import tensorflow as tf  # here: the float32 / bfloat16 choices above need no TensorFlow

    if tf.config.list_physical_devices("GPU") or not cpu_has_bfloat16_units(cpuinfo):
        return "float32"
    return "mixed_bfloat16"
