"""The collective backend: `"nccl"` -> the default backend for the accelerator (research/portability.md s2)."""

from __future__ import annotations

import libcst as cst

from homeport.port.changes import Kind
from homeport.port.fixers.base import STRING, FixContext, Unfixable, fixer

_INIT = "torch.distributed.init_process_group"


@fixer("ACC016", STRING, min_torch=(2, 6))
def nccl_backend(node, fix: FixContext):
    """nccl on CUDA and ROCm (RCCL), hccl on Gaudi and Ascend, xccl on Intel, gloo on the CPU."""
    if not isinstance(node, cst.SimpleString):
        raise Unfixable("the backend name is built at run time")
    if fix.enclosing == _INIT:
        fix.follow_up("ACC016", bind_device, Kind.SEMANTIC, unsafe=True)
    return cst.Call(fix.ref("torch.distributed.get_default_backend_for_device"), args=[cst.Arg(fix.accelerator())])


def bind_device(call: cst.Call, fix: FixContext) -> cst.Call:
    """init_process_group(..., device_id=<this rank's device>): the process group binds its device (eager
    communicator set-up on NVIDIA, which changes when errors surface); None on a machine without an
    accelerator, where a CPU device_id is refused. The device is LOCAL_RANK's (torchrun), else the current
    one (mp.spawn workers that called set_device_index first)."""
    if any(a.keyword is not None and a.keyword.value == "device_id" for a in call.args):
        return call
    # torchrun sets LOCAL_RANK; under mp.spawn the rank's own set_device_index() call says it
    current = "current_device_index" if fix.at_least(2, 7) else "current_device_idx"
    local_rank = cst.parse_expression(f'int(os.environ.get("LOCAL_RANK", torch.accelerator.{current}()))')
    device = cst.Call(fix.ref("torch.device"), args=[cst.Arg(fix.accelerator_type()), cst.Arg(local_rank)])
    value = cst.IfExp(test=fix.available(), body=device, orelse=cst.Name("None"))
    args = list(call.args)
    if args:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    no_space = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
    return call.with_changes(args=[*args, cst.Arg(value, keyword=cst.Name("device_id"), equal=no_space)])
