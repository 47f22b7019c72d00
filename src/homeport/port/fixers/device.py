"""Devices, memory, RNG, events and streams: research/portability.md section 2, rows 1-8.

Every replacement is plain PyTorch: `torch.accelerator` (2.6+), `torch.get_device_module`, `torch.Event`
and `torch.Stream`. Calls that raise without an accelerator (where the CUDA original was a no-op or
answered zero on a CPU machine) are guarded, so the ported code still runs on the CPU.
"""

from __future__ import annotations

import libcst as cst

from homeport.core.model import Target
from homeport.port.changes import Kind
from homeport.port.fixers.base import (ATTRIBUTE, CALL, COMPARISON, KEYWORD, METHOD, STRING, FixContext, Unfixable,
                                       by_keyword, code, fixer, replace_literal)

ACCELERATOR_API = (2, 6)


def _renamed(call: cst.Call, fix: FixContext, dotted: str) -> cst.Call:
    return call.with_changes(func=fix.ref(dotted))


def _on_accelerator(call: cst.Call, fix: FixContext, dotted: str) -> cst.Call:
    """`torch.cuda.X(device=d)` -> `torch.accelerator.X(d)`: torch.accelerator takes the device by position only."""
    return call.with_changes(func=fix.ref(dotted), args=by_keyword(call, ("device",), first=("device",)))


# -- device strings and .cuda() ------------------------------------------------------------------
@fixer("ACC001", STRING, min_torch=ACCELERATOR_API)
def device_string(node, fix: FixContext):
    """"cuda" -> _accelerator.type; "cuda:1" and f"cuda:{rank}" keep their index after the type where there
    is an accelerator, and are plain "cpu" where there is none."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        if not isinstance(value, str) or node.raw_value != value:
            raise Unfixable("a bytes literal, or escape sequences in the device string")
        if value == "cuda":
            return fix.accelerator_type()
        rest = [cst.FormattedStringText(value[len("cuda"):].replace("{", "{{").replace("}", "}}"))]
        start, end = node.prefix.replace("u", "").replace("U", "") + "f" + node.quote, node.quote
    elif isinstance(node, cst.FormattedString):
        head, *tail = node.parts
        if not (isinstance(head, cst.FormattedStringText) and head.value.startswith("cuda")):
            raise Unfixable("the device type is not at the start of the f-string")
        rest = ([cst.FormattedStringText(head.value[len("cuda"):])] if head.value != "cuda" else []) + tail
        start, end = node.start, node.end
    else:
        raise Unfixable("a concatenated string")
    parts = [cst.FormattedStringExpression(fix.accelerator_type()), *rest]
    device = cst.FormattedString(parts=parts, start=start, end=end)
    # an index on the CPU fallback means nothing, and "cpu:0" breaks torch.load(map_location=...)
    return fix.guard(device, fallback=f"{end[0]}cpu{end[0]}") if rest else device  # in the string's own quotes


@fixer("ACC001", COMPARISON, min_torch=ACCELERATOR_API)
def device_comparison(comparison: cst.Comparison, fix: FixContext):
    """`x == "cuda"` asks "am I on the accelerator?": with a CPU fallback the accelerator's type is
    "cpu", so the test also asks whether there is one. On NVIDIA it is the original test."""
    target = comparison.comparisons[0]
    ported = replace_literal(comparison, lambda literal: device_string(literal, fix))
    if fix.guarded:
        return ported
    if isinstance(target.operator, (cst.Equal, cst.In)):
        test = cst.BooleanOperation(fix.available(), cst.And(), ported)
    elif isinstance(target.operator, (cst.NotEqual, cst.NotIn)):
        test = cst.BooleanOperation(cst.UnaryOperation(cst.Not(), fix.available()), cst.Or(), ported)
    else:
        raise Unfixable("a device type compared by order or identity")
    return test.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _device(index: cst.BaseExpression, fix: FixContext) -> cst.Call:
    """torch.device(_accelerator.type, index): an index alone would mean CUDA device `index`."""
    return cst.Call(fix.ref("torch.device"), args=[cst.Arg(fix.accelerator_type()), cst.Arg(index)])


def _last_name(node: cst.BaseExpression) -> str:
    """`args.gpu` -> "gpu", `self.local_rank` -> "local_rank", `rank` -> "rank"."""
    if isinstance(node, cst.Attribute):
        return node.attr.value.lower()
    return node.value.lower() if isinstance(node, cst.Name) else ""


def _names_a_device(node: cst.BaseExpression) -> bool:
    return "device" in _last_name(node) and not _names_an_index(node) or _last_name(node) in ("dev", "d")


def _names_an_index(node: cst.BaseExpression) -> bool:
    """An integer, or a name that says it holds one (rank, gpu, gpu_id, device_id, idx, index, ...)."""
    if isinstance(node, cst.Integer):
        return True
    name = _last_name(node)
    return bool(name) and (name in ("gpu", "i", "n") or name.endswith(("rank", "_id", "idx", "index", "_gpu", "gpu_id"))
                           or name.startswith(("gpu", "rank", "local_rank")))


@fixer("ACC002", METHOD, min_torch=ACCELERATOR_API)
def cuda_method(call: cst.Call, fix: FixContext):
    if "cuda" in fix.defined:
        raise Unfixable("this file defines a `cuda()` method of its own; which objects are tensors or modules "
                        "is for a person to say")
    positional = [a for a in call.args if a.keyword is None and not a.star]
    device_kw = [a for a in call.args if a.keyword is not None and a.keyword.value == "device"]
    rest = [a for a in call.args if a not in positional and a not in device_kw]
    if len(positional) + len(device_kw) > 1 or any(a.star for a in call.args):
        raise Unfixable("an unusual `.cuda()` call shape")
    index = (positional or device_kw or [None])[0]
    if index is None:
        target = fix.accelerator()
    elif _names_a_device(index.value):
        target = index.value  # `.cuda(device)` with a torch.device already: `.to(device)`
    elif _names_an_index(index.value):
        target = _device(index.value, fix)
    else:
        raise Unfixable(f"cannot tell whether `{code(index.value)}` is a device index or a device; "
                        "use `.to(torch.device(_accelerator.type, index))` or `.to(device)`")
    args = [cst.Arg(target), *rest]
    args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return call.with_changes(func=call.func.with_changes(attr=cst.Name("to")), args=args)


# -- torch.cuda runtime calls --------------------------------------------------------------------
@fixer("ACC003", CALL, min_torch=ACCELERATOR_API)
def availability(call: cst.Call, fix: FixContext):
    return _on_accelerator(call, fix, f"torch.accelerator.{fix.leaf}")


@fixer("ACC004", CALL, names=("torch.cuda.set_device", "torch.cuda.current_device"), min_torch=ACCELERATOR_API)
def device_index(call: cst.Call, fix: FixContext):
    suffix = "index" if fix.at_least(2, 7) else "idx"  # the *_idx names are 2.6's
    name = {"set_device": "set_device_", "current_device": "current_device_"}[fix.leaf] + suffix
    return fix.guard(_on_accelerator(call, fix, f"torch.accelerator.{name}"), "None" if name.startswith("set") else "0")


@fixer("ACC004", CALL, names=("torch.cuda.device",), min_torch=(2, 8))
def device_context(call: cst.Call, fix: FixContext):
    """`with torch.cuda.device(i)` -> `torch.accelerator.device_index(i)`, which takes an index only."""
    args = by_keyword(call, ("device",), first=("device",))
    if len(args) != 1 or args[0].keyword is not None or not _names_an_index(args[0].value):
        raise Unfixable("torch.accelerator.device_index() takes an index; this argument may be a device")
    return call.with_changes(func=fix.ref("torch.accelerator.device_index"), args=args)


@fixer("ACC005", CALL, min_torch=ACCELERATOR_API)
def synchronize(call: cst.Call, fix: FixContext):
    return fix.guard(_on_accelerator(call, fix, "torch.accelerator.synchronize"))


# What each CUDA memory function is called in torch.accelerator (2.9), and what it answers on a machine
# without an accelerator, where the CUDA original answered zero.
_MEMORY = {
    "empty_cache": ("empty_cache", "None"),
    "memory_allocated": ("memory_allocated", "0"),
    "max_memory_allocated": ("max_memory_allocated", "0"),
    "memory_reserved": ("memory_reserved", "0"),
    "max_memory_reserved": ("max_memory_reserved", "0"),
    "memory_cached": ("memory_reserved", "0"),  # the deprecated alias
    "max_memory_cached": ("max_memory_reserved", "0"),
    "memory_stats": ("memory_stats", "{}"),
    "reset_peak_memory_stats": ("reset_peak_memory_stats", "None"),
    "reset_max_memory_allocated": ("reset_peak_memory_stats", "None"),
    "reset_accumulated_memory_stats": ("reset_accumulated_memory_stats", "None"),
}


@fixer("ACC006", CALL, min_torch=ACCELERATOR_API)
def memory(call: cst.Call, fix: FixContext):
    leaf = fix.leaf
    if leaf not in _MEMORY:
        raise Unfixable(f"`torch.cuda.{leaf}` has no device-generic form; use the target's own memory controls")
    name, fallback = _MEMORY[leaf]
    if fix.at_least(2, 9):
        return fix.guard(_on_accelerator(call, fix, f"torch.accelerator.{name}"), fallback)
    # torch.accelerator has no memory functions before 2.9: ask the accelerator's own module
    module = cst.Call(fix.ref("torch.get_device_module"), args=[cst.Arg(fix.accelerator())])
    return fix.guard(call.with_changes(func=cst.Attribute(module, cst.Name(name))), fallback)


# -- RNG ------------------------------------------------------------------------------------------
@fixer("ACC007", CALL, names=("torch.cuda.manual_seed", "torch.cuda.manual_seed_all", "torch.cuda.seed",
                              "torch.cuda.seed_all", "torch.cuda.initial_seed"), kind=Kind.SEMANTIC, unsafe=True)
def seed(call: cst.Call, fix: FixContext):
    """torch.manual_seed seeds every device, the CPU included: the CPU stream is reseeded too."""
    name = {"manual_seed_all": "manual_seed", "seed_all": "seed"}.get(fix.leaf, fix.leaf)
    return _renamed(call, fix, f"torch.{name}")


@fixer("ACC007", CALL, names=("torch.cuda.get_rng_state", "torch.cuda.set_rng_state"), min_torch=ACCELERATOR_API)
def rng_state(call: cst.Call, fix: FixContext):
    """The accelerator's generator; on a CPU-only machine the CPU's, which is then the device's."""
    module = cst.Call(fix.ref("torch.get_device_module"), args=[cst.Arg(fix.accelerator())])
    on_device = call.with_changes(func=cst.Attribute(module, cst.Name(fix.leaf)))
    if fix.leaf == "get_rng_state" and call.args:
        raise Unfixable("a device argument to get_rng_state")
    on_cpu = call.with_changes(func=fix.ref(f"torch.{fix.leaf}"), args=[a for a in call.args if a.keyword is None][:1])
    return fix.guard(on_device, code(on_cpu))


# -- device properties (unsafe: a capability gate means something else on other hardware) ----------
@fixer("ACC008", CALL, names=("torch.cuda.get_device_name", "torch.cuda.get_device_properties",
                              "torch.cuda.get_device_capability", "torch.cuda.is_bf16_supported"),
       kind=Kind.SEMANTIC, unsafe=True, min_torch=ACCELERATOR_API)
def device_properties(call: cst.Call, fix: FixContext):
    module = cst.Call(fix.ref("torch.get_device_module"), args=[cst.Arg(fix.accelerator())])
    return call.with_changes(func=cst.Attribute(module, cst.Name(fix.leaf)))


# -- events and streams ---------------------------------------------------------------------------
# name -> (the generic one, its CUDA parameters in order, those the generic one takes by position)
_STREAMS = {"Event": ("torch.Event", ("enable_timing", "blocking", "interprocess"), ()),
            "Stream": ("torch.Stream", ("device", "priority"), ("device",)),
            "current_stream": ("torch.accelerator.current_stream", ("device",), ("device",)),
            "set_stream": ("torch.accelerator.set_stream", ("stream",), ("stream",))}


@fixer("ACC009", CALL, min_torch=ACCELERATOR_API)
def events_streams(call: cst.Call, fix: FixContext):
    leaf = fix.leaf
    if leaf not in _STREAMS:
        raise Unfixable(f"`torch.cuda.{leaf}` is not rewritten; with torch.Stream objects use `with stream:`, "
                        "`stream.wait_stream(other)` and `torch.accelerator.current_stream()`")
    if fix.target is Target.CPU:
        raise Unfixable("the CPU backend records no events and has no streams; time with time.perf_counter() "
                        "after torch.accelerator.synchronize()")
    dotted, parameters, positional = _STREAMS[leaf]
    return call.with_changes(func=fix.ref(dotted), args=by_keyword(call, parameters, first=positional))


# -- tensors ----------------------------------------------------------------------------------------
@fixer("ACC012", ATTRIBUTE, min_torch=ACCELERATOR_API)
def is_cuda(node: cst.Attribute, fix: FixContext):
    if node.attr.value != "is_cuda":
        raise Unfixable("not an is_cuda read")
    device_type = cst.Attribute(cst.Attribute(node.value, cst.Name("device")), cst.Name("type"))
    test = cst.Comparison(device_type, [cst.ComparisonTarget(cst.Equal(), fix.accelerator_type())])
    if not fix.guarded:  # a CPU tensor on a machine without an accelerator is no `is_cuda` tensor
        test = cst.BooleanOperation(fix.available(), cst.And(), test)
    return test.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


@fixer("ACC017", KEYWORD)
def pin_memory_device(arg: cst.Arg, fix: FixContext):
    """Pinned memory always targets the current accelerator; the argument is deprecated."""
    return None
