"""The collective backend: `"nccl"` -> the default backend for the accelerator (research/portability.md s2)."""

from __future__ import annotations

import libcst as cst

from homeport.port.fixers.base import STRING, FixContext, Unfixable, fixer


@fixer("ACC016", STRING, min_torch=(2, 6))
def nccl_backend(node, fix: FixContext):
    """nccl on CUDA and ROCm (RCCL), hccl on Gaudi and Ascend, xccl on Intel, gloo on the CPU."""
    if not isinstance(node, cst.SimpleString):
        raise Unfixable("the backend name is built at run time")
    return cst.Call(fix.ref("torch.distributed.get_default_backend_for_device"), args=[cst.Arg(fix.accelerator())])
