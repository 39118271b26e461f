import pytest
import tensorflow as tf

from textrnn.training.precision import cpu_has_bfloat16_units, resolve_dtype_policy

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
flags\t\t: fpu vme sse2 avx2 {extra}
bugs\t\t: spectre_v1

processor\t: 1
flags\t\t: fpu vme sse2 avx2 {extra}
"""


@pytest.mark.parametrize(("extra", "expected"), [
    ("avx512f amx_tile amx_bf16", True), ("avx512_bf16", True), ("avx512f avx512_vnni", False),
    ("", False)])
def test_bfloat16_units_are_read_from_the_cpu_flags(tmp_path, monkeypatch, extra, expected):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(CPUINFO.format(extra=extra))
    assert cpu_has_bfloat16_units(cpuinfo) is expected
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    assert resolve_dtype_policy("auto", cpuinfo) == (
        "mixed_bfloat16" if expected else "float32")


def test_auto_keeps_float32_where_there_is_a_gpu(tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(CPUINFO.format(extra="amx_bf16"))
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: ["GPU:0"] if kind == "GPU" else [])
    assert resolve_dtype_policy("auto", cpuinfo) == "float32"


def test_a_missing_cpuinfo_means_float32(tmp_path):
    assert not cpu_has_bfloat16_units(tmp_path / "absent")
    assert resolve_dtype_policy("auto", tmp_path / "absent") == "float32"


def test_explicit_policies_are_kept_and_others_refused(tmp_path):
    assert resolve_dtype_policy("float32") == "float32"
    assert resolve_dtype_policy("mixed_bfloat16", tmp_path / "absent") == "mixed_bfloat16"
    with pytest.raises(ValueError, match="argument `policy`"):
        resolve_dtype_policy("float16")
