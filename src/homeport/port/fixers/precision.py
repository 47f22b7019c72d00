"""Mixed precision and math-mode flags: `torch.cuda.amp`, cuDNN flags, TF32 (research/portability.md s2)."""

from __future__ import annotations

import libcst as cst

from homeport.port.changes import Kind
from homeport.port.fixers.base import ASSIGN, CALL, IMPORT, FixContext, Unfixable, by_keyword, fixer

_AMP = {"autocast": "torch.autocast", "GradScaler": "torch.amp.GradScaler",
        "custom_fwd": "torch.amp.custom_fwd", "custom_bwd": "torch.amp.custom_bwd"}


@fixer("ACC013", CALL, min_torch=(2, 6))
def amp(call: cst.Call, fix: FixContext):
    """torch.cuda.amp.X(...) -> torch.amp's X with the device type: the same defaults on CUDA (fp16)."""
    leaf = fix.leaf
    if leaf not in _AMP:
        raise Unfixable(f"`torch.cuda.amp.{leaf}` has no torch.amp counterpart")
    if leaf.startswith("custom_"):
        device = cst.Arg(fix.accelerator_type(), keyword=cst.Name("device_type"),
                         equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
        return call.with_changes(func=fix.ref(_AMP[leaf]), args=[*_with_comma(call.args), device])
    # torch.cuda.amp.autocast(enabled, dtype, cache_enabled) and GradScaler(init_scale, ...): by name, since
    # torch.autocast takes (device_type, dtype, enabled, ...) and GradScaler (device, init_scale, ...)
    args = call.args if leaf == "GradScaler" else by_keyword(call, ("enabled", "dtype", "cache_enabled"))
    return call.with_changes(func=fix.ref(_AMP[leaf]), args=[cst.Arg(fix.accelerator_type()), *args])


def _with_comma(args):
    args = list(args)
    if args:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return args


@fixer("ACC013", IMPORT)
def amp_import(node, fix: FixContext):
    """`from torch.cuda.amp import autocast`: dropped once every call site is rewritten."""


@fixer("ACC014", ASSIGN)
def cudnn_flag(line: cst.SimpleStatementLine, fix: FixContext):
    return _guarded_by_cudnn(line, fix)


def _guarded_by_cudnn(line: cst.SimpleStatementLine, fix: FixContext) -> cst.If:
    test = cst.Call(fix.ref("torch.backends.cudnn.is_available"))
    return cst.If(test=test, body=cst.IndentedBlock([line.with_changes(leading_lines=[])]),
                  leading_lines=line.leading_lines)


@fixer("ACC015", ASSIGN, names=("torch.backends.cudnn.allow_tf32",))
def cudnn_tf32(line: cst.SimpleStatementLine, fix: FixContext):
    return _guarded_by_cudnn(line, fix)


@fixer("ACC015", ASSIGN, names=("torch.backends.cuda.matmul.allow_tf32",), kind=Kind.SEMANTIC, unsafe=True)
def matmul_tf32(line: cst.SimpleStatementLine, fix: FixContext):
    """allow_tf32 = v -> set_float32_matmul_precision("high" if v else "highest"): the same on NVIDIA,
    but "high" lets other backends pick their own reduced-precision formats."""
    value = line.body[0].value
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        precision = cst.SimpleString('"high"' if value.value == "True" else '"highest"')
    else:
        precision = cst.IfExp(test=value, body=cst.SimpleString('"high"'), orelse=cst.SimpleString('"highest"'))
    call = cst.Call(fix.ref("torch.set_float32_matmul_precision"), args=[cst.Arg(precision)])
    return line.with_changes(body=[cst.Expr(call)])
