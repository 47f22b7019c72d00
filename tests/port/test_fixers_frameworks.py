"""TensorFlow and JAX device selection (port/fixers/frameworks.py)."""

from __future__ import annotations

import pytest

from homeport.assess.analyze import analyze_snippet
from homeport.port.changes import Status
from homeport.port.codemod import Options, port_python


def port(code: str, **options) -> tuple[str, list]:
    findings = analyze_snippet(code, "t.py").findings
    return port_python("t.py", code, findings, Options(**{"min_torch": (2, 13), **options}))


@pytest.mark.parametrize("call, fixed", [
    ("jax.devices('gpu')", "jax.devices()"),
    ("jax.devices(backend='GPU')", "jax.devices()"),
    ("jax.device_count('gpu')", "jax.device_count()"),
    ("jax.local_device_count(backend='gpu')", "jax.local_device_count()"),
    ("jax.local_devices(backend='gpu')", "jax.local_devices()"),
    ("jax.local_devices(process_index=0, backend='gpu')", "jax.local_devices(process_index=0)"),
])
def test_jax_gpu_backend_argument_is_dropped_by_default(call, fixed):
    out, changes = port(f"import jax\nx = {call}\n")  # safe: no --unsafe-fixes needed
    assert out == f"import jax\nx = {fixed}\n"
    assert [c.status for c in changes if c.rule == "ACC302"] == [Status.APPLIED]
    assert "ACC302" not in {f.rule for f in analyze_snippet(out, "t.py").findings}


def test_jax_cuda_backend_string_gets_no_torch_accelerator():
    """`"cuda"` is also a torch device string (ACC001); dropping the argument must leave no torch code."""
    out, _ = port("import jax\nn = jax.devices('cuda')\n", unsafe=True)
    assert out == "import jax\nn = jax.devices()\n"


def test_jax_other_platforms_are_not_touched():
    code = "import jax\nx = jax.devices('tpu')\n"
    assert port(code) == (code, [])


@pytest.mark.parametrize("call", [
    "tf.config.list_physical_devices('GPU')",
    "tf.config.list_physical_devices(device_type='GPU')",
    "tf.config.experimental.list_physical_devices('GPU')",
    "tf.config.list_logical_devices('GPU')",
])
def test_tensorflow_gpu_listing_enumerates_every_accelerator_type(call):
    out, changes = port(f"import tensorflow as tf\ngpus = {call}\n", unsafe=True)
    everything = call.split("(")[0] + "()"
    listing = f'[d for d in {everything} if d.device_type in ("GPU", "XPU", "HPU")]'
    assert out == f"import tensorflow as tf\ngpus = {listing}\n"
    assert [c.status for c in changes] == [Status.APPLIED]
    assert "ACC301" not in {f.rule for f in analyze_snippet(out, "t.py").findings}


def test_tensorflow_listing_fix_is_unsafe():
    code = "import tensorflow as tf\ngpus = tf.config.list_physical_devices('GPU')\n"
    out, changes = port(code)
    assert out == code
    assert [c.status for c in changes] == [Status.LEFT] and "unsafe" in changes[0].reason


@pytest.mark.parametrize("call, says", [
    ("tf.test.is_gpu_available()", 'd.device_type in ("GPU", "XPU", "HPU")'),
    ("tf.test.is_built_with_cuda()", "how TensorFlow was built"),
    ("tf.test.gpu_device_name()", "first logical device"),
    ("tf.config.set_visible_devices(gpus[:1], 'GPU')", "device type 'GPU'"),
    ("tf.config.experimental.set_memory_growth(gpu, True) or tf.config.list_physical_devices('GPU', 1)",
     "unusual argument list"),
])
def test_tensorflow_checks_without_a_rewrite_are_unsupported_with_a_route(call, says):
    code = f"import tensorflow as tf\nx = {call}\n"
    out, changes = port(code, unsafe=True)
    assert out == code
    assert [c.status for c in changes] == [Status.UNSUPPORTED] and says in changes[0].reason
