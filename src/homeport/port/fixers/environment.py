"""Environment variables named in Python code: the device mask, NCCL tuning, the CUDA allocator
(research/portability.md sections 2 and 5, "per-target profiles").

The variable's name is rewritten where it is written as a string (`os.environ["CUDA_VISIBLE_DEVICES"]`,
`os.getenv("NCCL_DEBUG")`, a key of an env dict), so setting and reading it stay consistent. The
equivalents are catalog data (catalog/data/target_stacks.csv, collective_env.csv); which name to write
depends on the target, so `--target portable` leaves them with a reason. Values are kept as they are:
their syntax can differ on the target (the change log says unsafe).
"""

from __future__ import annotations

import libcst as cst

from homeport.catalog.targets import collective_row, stack
from homeport.core.model import Target
from homeport.port.changes import Kind
from homeport.port.fixers.base import STRING, FixContext, Unfixable, fixer

# Targets whose runtime reads the CUDA names itself: ROCm honours CUDA_VISIBLE_DEVICES, RCCL reads NCCL_*.
_READS_CUDA_NAMES = (Target.CUDA, Target.ROCM)


def _name(node) -> str:
    if not isinstance(node, cst.SimpleString) or not isinstance(node.evaluated_value, str):
        raise Unfixable("the variable name is not a plain string literal")
    return node.evaluated_value


def _renamed(node: cst.SimpleString, name: str) -> cst.SimpleString:
    return node.with_changes(value=f"{node.prefix}{node.quote}{name}{node.quote}")


def _concrete(fix: FixContext, var: str) -> Target:
    if fix.target is Target.PORTABLE:
        raise Unfixable(f"choose --target: the variable that replaces {var} differs per accelerator")
    return fix.target


@fixer("ACC201", STRING, kind=Kind.SEMANTIC, unsafe=True)
def visible_devices(node, fix: FixContext):
    """CUDA_VISIBLE_DEVICES -> the target's device mask (HABANA_VISIBLE_MODULES, ZE_AFFINITY_MASK,
    ASCEND_RT_VISIBLE_DEVICES); unchanged on ROCm, which honours it."""
    var = _name(node)
    target = _concrete(fix, var)
    if target in _READS_CUDA_NAMES:
        return node
    mask = stack(target).visible_devices_env
    if not mask:
        raise Unfixable(f"the {target.value} target has no device mask: {var} does nothing there; remove it")
    return _renamed(node, mask)


@fixer("ACC202", STRING, kind=Kind.SEMANTIC, unsafe=True)
def collective_variable(node, fix: FixContext):
    """NCCL_X -> the target's collective library's variable, from catalog/data/collective_env.csv."""
    var = _name(node)
    target = _concrete(fix, var)
    row = collective_row(var, target)
    if row is None:
        raise Unfixable(f"no equivalent of {var} on {target.value} is recorded (catalog/data/collective_env.csv); "
                        "set the collective library's own variable in the target's launch profile")
    equivalent = row.equivalent_of(var)
    if equivalent is None:
        raise Unfixable(f"{var} has no equivalent on {target.value} ({row.source}); remove it or tune the "
                        "collective library by its own settings")
    return node if equivalent == var else _renamed(node, equivalent)


# PYTORCH_ALLOC_CONF is torch's device-generic allocator setting (its CUDA and HIP names are aliases).
# torch 2.9.1 still ignored it for CUDA's expandable_segments (pytorch/pytorch#183387); 2.11 reads it.
_ALLOCATOR = {"PYTORCH_CUDA_ALLOC_CONF": "PYTORCH_ALLOC_CONF"}
_OWN_ALLOCATOR = {Target.GAUDI: "Gaudi's bridge has its own memory settings (PT_HPU_*)",
                  Target.NPU: "torch-npu reads PYTORCH_NPU_ALLOC_CONF",
                  Target.CPU: "the CPU allocator takes no such configuration"}


@fixer("ACC203", STRING, kind=Kind.SEMANTIC, unsafe=True, min_torch=(2, 11))
def cuda_variable(node, fix: FixContext):
    """PYTORCH_CUDA_ALLOC_CONF -> PYTORCH_ALLOC_CONF, which CUDA, ROCm and XPU builds of torch read; the other
    CUDA toolkit variables have no recorded equivalent."""
    var = _name(node)
    if var not in _ALLOCATOR:
        raise Unfixable(f"{var} configures the CUDA toolkit; no equivalent is recorded, so give the target "
                        "its own setting in its profile")
    if fix.target in _OWN_ALLOCATOR:
        raise Unfixable(f"{var}: {_OWN_ALLOCATOR[fix.target]}")
    return _renamed(node, _ALLOCATOR[var])
