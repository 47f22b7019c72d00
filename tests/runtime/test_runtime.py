"""homeport.runtime on the CPU build of torch: the CPU fallbacks, and it never patches torch.cuda."""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from homeport.catalog.targets import stacks
from homeport.core.model import Target


def _torch_surface() -> dict:
    """Identity of everything a shim would patch: torch.cuda's attributes and the distributed entry points."""
    surface = {f"torch.cuda.{name}": id(value) for name, value in vars(torch.cuda).items()}
    surface.update({"torch.version.cuda": torch.version.cuda, "torch.device": id(torch.device),
                    "init_process_group": id(dist.init_process_group), "get_backend": id(dist.get_backend),
                    "is_available": id(torch.cuda.is_available)})
    return surface


def _runtime():
    module = sys.modules.get("homeport.runtime")
    return importlib.reload(module) if module else importlib.import_module("homeport.runtime")


def test_importing_and_using_it_leaves_torch_cuda_alone(monkeypatch):
    before = _torch_surface()
    runtime = _runtime()
    runtime.device(), runtime.device(0), runtime.dist_backend(), runtime.visible_devices_env("cuda")
    monkeypatch.setenv("PT_HPU_LAZY_MODE", "1")
    runtime.mark_step()
    assert _torch_surface() == before


def test_device_falls_back_to_cpu():
    runtime = _runtime()
    assert torch.accelerator.current_accelerator() is None  # the premise: a CPU-only build
    assert runtime.device() == torch.device("cpu")
    assert runtime.device(3) == torch.device("cpu")  # never a bare index, never a CUDA device


def test_dist_backend():
    runtime = _runtime()
    assert runtime.dist_backend() == "gloo"
    assert runtime.dist_backend("cpu") == "gloo"
    assert runtime.dist_backend(torch.device("cuda", 1)) == "nccl"
    assert runtime.dist_backend("xpu") == "xccl"  # torch 2.13: XCCL is upstream


def test_the_fallback_table_for_old_torch():
    runtime = _runtime()
    assert runtime._older_than("2.7.1+xpu", (2, 8)) and not runtime._older_than("2.13.0", (2, 8))
    assert runtime._older_than("1.13.1", (2, 6)) and not runtime._older_than("nightly", (2, 8))
    assert runtime._BACKENDS["hpu"] == runtime._BACKENDS["npu"] == "hccl"


@pytest.mark.parametrize("device_type, expected", [
    ("cuda", "CUDA_VISIBLE_DEVICES"), ("hpu", "HABANA_VISIBLE_MODULES"), ("xpu", "ZE_AFFINITY_MASK"),
    ("npu", "ASCEND_RT_VISIBLE_DEVICES"), ("cpu", None), (torch.device("xpu", 0), "ZE_AFFINITY_MASK"),
])
def test_visible_devices_env(device_type, expected):
    assert _runtime().visible_devices_env(device_type) == expected


def test_visible_devices_env_rejects_an_unknown_type():
    with pytest.raises(ValueError, match="unknown device type 'tpu'"):
        _runtime().visible_devices_env("tpu")


@pytest.mark.parametrize("lazy", [None, "0", "1"])
def test_mark_step_is_a_no_op_off_gaudi(monkeypatch, lazy):
    if lazy is None:
        monkeypatch.delenv("PT_HPU_LAZY_MODE", raising=False)
    else:
        monkeypatch.setenv("PT_HPU_LAZY_MODE", lazy)
    assert _runtime().mark_step() is None
    assert "habana_frameworks" not in sys.modules


def test_its_tables_agree_with_the_catalog():
    """The runtime is vendored without homeport, so it keeps its own copy of two columns."""
    runtime = _runtime()
    for target, st in stacks().items():
        if target == Target.ROCM:  # ROCm answers for the cuda device type; its mask depends on the build
            assert st.visible_devices_env == "HIP_VISIBLE_DEVICES" and st.device_type == "cuda"
            continue
        assert runtime._BACKENDS[st.device_type] == st.dist_backend
        assert (runtime.visible_devices_env(st.device_type) or "") == st.visible_devices_env


def test_it_imports_nothing_from_homeport():
    source = Path(_runtime().__file__).read_text(encoding="utf-8")
    imported = [alias.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import)
                for alias in node.names]
    imported += [node.module or "" for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)]
    assert imported and not [name for name in imported if name.startswith("homeport")]
