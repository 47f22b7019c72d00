"""CUDA-only libraries with a plain-PyTorch counterpart: apex's fused optimiser and norms, flash-attn's and
xformers' attention (research/portability.md sections 2 and 3).

Only the call shapes whose meaning is known are rewritten; every other argument makes the call Unfixable
with the argument's name, so the port never drops a setting silently. All of these are unsafe: the
kernels differ, so do the rounding and the random stream of dropout.
"""

from __future__ import annotations

import ast

import libcst as cst

from homeport.port.changes import Kind
from homeport.port.fixers.base import CALL, IMPORT, FixContext, Unfixable, bind, code, fixer, keyword

_UNSET = object()


def _literal(node: cst.BaseExpression):
    """The Python value of a literal argument, or _UNSET when it is computed."""
    try:
        return ast.literal_eval(code(node).strip())
    except (ValueError, SyntaxError):
        return _UNSET


def _only_defaults(bound: dict, defaults: dict, handled: set[str], what: str) -> None:
    """Every argument is either handled or one of `defaults` given its default value."""
    for name, value in bound.items():
        if name in handled:
            continue
        if name not in defaults:
            raise Unfixable(f"`{name}=` of {what} has no counterpart in the rewrite")
        if _literal(value) != defaults[name]:
            raise Unfixable(f"`{name}={code(value).strip()}` of {what} has no counterpart in the rewrite "
                            f"(only its default, {defaults[name]!r}, is)")


# -- apex ---------------------------------------------------------------------------------------------
# apex defaults that torch's optimiser behaves like only at that value (anything else: Unfixable).
_ADAM_DEFAULTS = {"bias_correction": True, "amsgrad": False, "set_grad_none": True, "capturable": False,
                  "master_weights": False}


@fixer("ACC101", CALL, names=("apex.optimizers.FusedAdam", "apex.optimizers.fused_adam.FusedAdam"),
       kind=Kind.SEMANTIC, unsafe=True)
def fused_adam(call: cst.Call, fix: FixContext):
    """FusedAdam -> torch.optim.AdamW(..., fused=True) (Adam when adam_w_mode=False). apex's update is the
    same arithmetic (decoupled decay p -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * p)); its weight_decay
    defaults to 0 where AdamW's defaults to 0.01, so the default is written out."""
    bound = bind(call, ("params", "lr"))
    if "params" not in bound:
        raise Unfixable("no parameters argument")
    decoupled = _literal(bound.get("adam_w_mode", cst.Name("True")))
    if decoupled not in (True, False):
        raise Unfixable("`adam_w_mode=` is computed: AdamW or Adam cannot be chosen before run time")
    passed = ("params", "lr", "betas", "eps", "weight_decay")
    _only_defaults(bound, _ADAM_DEFAULTS, {*passed, "adam_w_mode"}, "apex FusedAdam")
    args = [cst.Arg(bound["params"])]
    args += [keyword(name, bound[name]) for name in passed[1:] if name in bound]
    if decoupled and "weight_decay" not in bound:
        args.append(keyword("weight_decay", cst.Float("0.0")))
    args.append(keyword("fused", cst.Name("True")))
    return cst.Call(fix.ref("torch.optim.AdamW" if decoupled else "torch.optim.Adam"), args=args)


_NORMS = {"FusedLayerNorm": "torch.nn.LayerNorm", "FusedRMSNorm": "torch.nn.RMSNorm"}


@fixer("ACC101", CALL, names=tuple(f"apex.normalization{sub}.{cls}" for cls in _NORMS
                                   for sub in ("", ".fused_layer_norm")),
       kind=Kind.SEMANTIC, unsafe=True, min_torch=(2, 4))
def fused_norm(call: cst.Call, fix: FixContext):
    """FusedLayerNorm -> nn.LayerNorm, FusedRMSNorm -> nn.RMSNorm: the same parameters (weight, bias), so
    checkpoints load. apex's RMSNorm eps defaults to 1e-5 where torch's uses the dtype's epsilon, so the
    default is written out; `memory_efficient` only trades memory for recomputation and is dropped."""
    bound = bind(call, ("normalized_shape", "eps", "elementwise_affine"))
    if "normalized_shape" not in bound:
        raise Unfixable("no normalized_shape argument")
    kept = ("eps", "elementwise_affine")
    _only_defaults(bound, {}, {"normalized_shape", "memory_efficient", *kept}, f"apex {fix.leaf}")
    args = [cst.Arg(bound["normalized_shape"])] + [keyword(n, bound[n]) for n in kept if n in bound]
    if fix.leaf == "FusedRMSNorm" and "eps" not in bound:
        args.insert(1, keyword("eps", cst.Float("1e-5")))
    return cst.Call(fix.ref(_NORMS[fix.leaf]), args=args)


# What to use instead of the apex parts that are not rewritten (the change log says it).
_APEX_ROUTES = {
    "apex.amp": "apex.amp has no one-call rewrite: use torch.autocast + torch.amp.GradScaler (O1/O2 opt levels "
                "and amp.scale_loss become a `with torch.autocast(device_type, dtype=...)` block and "
                "scaler.scale(loss).backward())",
    "apex.parallel.DistributedDataParallel": "use torch.nn.parallel.DistributedDataParallel",
    "apex.parallel.SyncBatchNorm": "use torch.nn.SyncBatchNorm",
    "apex.parallel.convert_syncbn_model": "use torch.nn.SyncBatchNorm.convert_sync_batchnorm",
    "apex.optimizers.FusedSGD": "use torch.optim.SGD(..., fused=True); check momentum and wd_after_momentum",
    "apex.normalization.MixedFusedLayerNorm": "keeps its output in the parameters' dtype; use torch.nn.LayerNorm "
                                              "under torch.autocast",
    "apex.normalization.MixedFusedRMSNorm": "keeps its output in the parameters' dtype; use torch.nn.RMSNorm "
                                            "under torch.autocast",
}


@fixer("ACC101", CALL, kind=Kind.SEMANTIC, unsafe=True)
def apex_other(call: cst.Call, fix: FixContext):
    """Every other apex call: no rewrite, but the route to take."""
    name = fix.qualname or "apex"
    prefix = next((p for p in sorted(_APEX_ROUTES, key=len, reverse=True)
                   if name == p or name.startswith(p + ".")), None)
    _no_rewrite(name, _APEX_ROUTES.get(prefix), "use torch.amp, torch.optim (fused=True) or torch.nn.LayerNorm / RMSNorm")


def _no_rewrite(name: str, route: str | None, fallback: str):
    """Log the call as unsupported, with its route when one is known."""
    raise Unfixable(f"`{name}`: {route}" if route else f"`{name}` has no plain-PyTorch rewrite; {fallback}")


@fixer("ACC101", IMPORT, names=("apex.optimizers.FusedAdam", "apex.normalization.FusedLayerNorm",
                                "apex.normalization.FusedRMSNorm"), kind=Kind.SEMANTIC, unsafe=True)
def apex_import(node, fix: FixContext):
    """`from apex.optimizers import FusedAdam`: dropped once no call site uses it."""


# -- attention ----------------------------------------------------------------------------------------
def _heads_second(tensor: cst.BaseExpression) -> cst.Call:
    """`x.transpose(1, 2)`: (batch, seq, heads, dim) <-> (batch, heads, seq, dim), the layout SDPA wants."""
    if not isinstance(tensor, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not tensor.lpar:
        tensor = tensor.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Call(cst.Attribute(tensor, cst.Name("transpose")),
                    args=[cst.Arg(cst.Integer("1")), cst.Arg(cst.Integer("2"))])


def _sdpa(fix: FixContext, q, k, v, keywords: list[cst.Arg]) -> cst.Call:
    """SDPA on (batch, seq, heads, dim) tensors, its output brought back to that layout."""
    inner = cst.Call(fix.ref("torch.nn.functional.scaled_dot_product_attention"),
                     args=[cst.Arg(_heads_second(q)), cst.Arg(_heads_second(k)), cst.Arg(_heads_second(v)),
                           *keywords])
    return cst.Call(cst.Attribute(inner, cst.Name("transpose")),
                    args=[cst.Arg(cst.Integer("1")), cst.Arg(cst.Integer("2"))])


# flash_attn_func's parameters after (q, k, v) and the value at which each means "off".
_FLASH_POSITIONAL = ("q", "k", "v", "dropout_p", "softmax_scale", "causal")  # stable since flash-attn 2.0
_FLASH_DEFAULTS = {"window_size": (-1, -1), "softcap": 0.0, "alibi_slopes": None, "deterministic": False,
                   "return_attn_probs": False}


@fixer("ACC102", CALL, names=("flash_attn.flash_attn_func", "flash_attn.flash_attn_interface.flash_attn_func"),
       kind=Kind.SEMANTIC, unsafe=True, min_torch=(2, 1))
def flash_attn_func(call: cst.Call, fix: FixContext):
    """flash_attn_func(q, k, v, dropout_p, softmax_scale, causal) on (batch, seqlen, heads, headdim) ->
    SDPA on the transposed tensors. Both apply dropout_p as given (also in eval mode) and default the scale
    to 1/sqrt(headdim). The causal masks agree when query and key lengths are equal; flash-attn aligns a
    shorter query to the bottom-right of the matrix, SDPA's is_causal to the top-left."""
    bound = bind(call, _FLASH_POSITIONAL)
    missing = [n for n in ("q", "k", "v") if n not in bound]
    if missing:
        raise Unfixable(f"no `{missing[0]}` argument")
    renamed = {"dropout_p": "dropout_p", "softmax_scale": "scale", "causal": "is_causal"}
    _only_defaults(bound, _FLASH_DEFAULTS, {"q", "k", "v", *renamed}, "flash_attn_func")
    keywords = [keyword(new, bound[old]) for old, new in renamed.items() if old in bound]
    return _sdpa(fix, bound["q"], bound["k"], bound["v"], keywords)


_FLASH_ROUTES = {  # by a word of the entry point's name, first match wins (varlen_qkvpacked is varlen)
    "varlen": "variable-length batches (cu_seqlens) have no SDPA form; use nested jagged tensors "
              "(torch.nested, layout=torch.jagged) with SDPA, or FlexAttention with a document mask",
    "kvcache": "the KV-cache update has no SDPA form; keep the cache in your own tensors and call SDPA "
               "(mind that flash-attn aligns the causal mask bottom-right, SDPA's is_causal top-left)",
    "qkvpacked": "packed QKV of shape (batch, seqlen, 3, heads, dim): unpack it with `q, k, v = qkv.unbind(2)` "
                 "and call F.scaled_dot_product_attention on the (1, 2)-transposed tensors",
    "kvpacked": "packed KV of shape (batch, seqlen, 2, heads, dim): unpack it with `k, v = kv.unbind(2)` "
                "and call F.scaled_dot_product_attention on the (1, 2)-transposed tensors",
}


@fixer("ACC102", CALL, kind=Kind.SEMANTIC, unsafe=True)
def flash_attn_other(call: cst.Call, fix: FixContext):
    """The packed, variable-length and KV-cache entry points, FlashAttention-3 and the layers: a route only."""
    name = fix.qualname or "flash_attn"
    if name.startswith("flash_attn_interface."):
        raise Unfixable(f"`{name}` is FlashAttention-3 (Hopper), whose signature and return value differ "
                        "between releases; port it by hand to F.scaled_dot_product_attention")
    route = next((r for word, r in _FLASH_ROUTES.items() if word in fix.leaf), None)
    _no_rewrite(name, route, "use F.scaled_dot_product_attention (HF: attn_implementation='sdpa')")


@fixer("ACC102", IMPORT, names=("flash_attn.flash_attn_func", "flash_attn.flash_attn_interface.flash_attn_func"),
       kind=Kind.SEMANTIC, unsafe=True)
def flash_attn_import(node, fix: FixContext):
    """`from flash_attn import flash_attn_func`: dropped once no call site uses it."""


_XFORMERS_ATTENTION = ("xformers.ops.memory_efficient_attention", "xformers.ops.fmha.memory_efficient_attention")
_XFORMERS_POSITIONAL = ("query", "key", "value", "attn_bias", "p", "scale")
_XFORMERS_DEFAULTS = {"op": None, "output_dtype": None}


def _qualified(expr: cst.BaseExpression, fix: FixContext) -> str | None:
    """`xops.LowerTriangularMask` -> `xformers.ops.LowerTriangularMask`, through the file's imports."""
    dotted = code(expr).strip()
    head, _, rest = dotted.partition(".")
    for qualified, local in fix.aliases.items():
        if local == head:
            return f"{qualified}.{rest}" if rest else qualified
    return None


def _causal_bias(bias: cst.BaseExpression, fix: FixContext) -> bool:
    """True for `LowerTriangularMask()` (top-left aligned, like SDPA's is_causal); False for None."""
    if isinstance(bias, cst.Name) and bias.value == "None":
        return False
    if isinstance(bias, cst.Call) and not bias.args:
        name = _qualified(bias.func, fix) or ""
        if name.startswith("xformers.") and name.endswith(".LowerTriangularMask"):
            return True
    raise Unfixable(f"`attn_bias={code(bias).strip()}`: only None and LowerTriangularMask() have an SDPA form "
                    "here; build the mask as a tensor and pass it as attn_mask (mind the layout)")


@fixer("ACC103", CALL, names=_XFORMERS_ATTENTION, kind=Kind.SEMANTIC, unsafe=True, min_torch=(2, 1))
def memory_efficient_attention(call: cst.Call, fix: FixContext):
    """memory_efficient_attention(query, key, value, attn_bias, p, scale) on (batch, seq, heads, dim) ->
    SDPA on the transposed tensors; LowerTriangularMask() -> is_causal=True (both top-left aligned).
    The 5-D grouped form (batch, seq, groups, heads, dim) is not recognisable here and must not be ported."""
    bound = bind(call, _XFORMERS_POSITIONAL)
    missing = [n for n in ("query", "key", "value") if n not in bound]
    if missing:
        raise Unfixable(f"no `{missing[0]}` argument")
    _only_defaults(bound, _XFORMERS_DEFAULTS, {*_XFORMERS_POSITIONAL}, "memory_efficient_attention")
    keywords = [keyword("dropout_p", bound["p"])] if "p" in bound else []
    if "scale" in bound:
        keywords.append(keyword("scale", bound["scale"]))
    if "attn_bias" in bound and _causal_bias(bound["attn_bias"], fix):
        keywords.append(keyword("is_causal", cst.Name("True")))
    return _sdpa(fix, bound["query"], bound["key"], bound["value"], keywords)


@fixer("ACC103", IMPORT, names=(*_XFORMERS_ATTENTION, "xformers.ops.LowerTriangularMask",
                                "xformers.ops.fmha.attn_bias.LowerTriangularMask"),
       kind=Kind.SEMANTIC, unsafe=True)
def xformers_import(node, fix: FixContext):
    """`from xformers.ops import memory_efficient_attention`: dropped once no call site uses it."""
