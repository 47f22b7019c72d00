"""ACC1xx: imports of accelerator libraries that are CUDA-only or partly supported elsewhere.

The rules are made from the support matrix (catalog/data/library_support.csv): one rule per library,
its severity per target read from the matrix, so the facts live in one place with their sources.
The matching DEP1xx rules (rules/dep/libraries.py) flag the same libraries where they are declared.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeport.catalog.libraries import Library, libraries
from homeport.core.model import Applicability, Category, Severity, Target
from homeport.core.rule import Example, Rule

_LEVEL = {"yes": Severity.INFO, "partial": Severity.WARNING, "no": Severity.BLOCKER}
_TARGET = {"cuda": Target.CUDA, "rocm": Target.ROCM, "gaudi": Target.GAUDI, "xpu": Target.XPU, "npu": Target.NPU,
           "cpu": Target.CPU}


def severities(lib: Library) -> dict[Target, Severity]:
    return {_TARGET[column]: _LEVEL[level] for column, level in lib.support.items()}


def support_line(lib: Library) -> str:
    """"missing on gaudi, xpu; partial on rocm" (targets other than CUDA)."""
    parts = []
    for level, label in (("no", "missing on"), ("partial", "partial on")):
        targets = [t for t, v in lib.support.items() if v == level and t != "cuda"]
        if targets:
            parts.append(f"{label} {', '.join(targets)}")
    return "; ".join(parts)


NO_FIX = "No automatic fix: replacing a kernel library changes numerics and performance; a person decides."


def library_doc(lib: Library, where: str, example: str, safety: str = NO_FIX) -> str:
    return f"""
    ## What it does
    Finds {where} `{lib.library}`.

    ## Why it blocks a migration
    Support by target (from the support matrix): {", ".join(f"{t} {v}" for t, v in lib.support.items())}.
    Source: {lib.source} (read {lib.as_of}).

    ## Example
    ```
    {example}
    ```
    Use instead: {lib.alternative}.

    ## Fix safety
    {safety.replace(chr(10), chr(10) + "    ")}
    """


@dataclass(frozen=True)
class Rewrite:
    """What `homeport port` rewrites of a library (port/fixers/libraries.py): the fix's title, the rule
    page's "Fix safety" text and the INVALID examples whose `fixed` form tests the rewrite."""

    title: str
    safety: str
    examples: tuple[Example, ...]


_SDPA = "F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)"

REWRITES = {
    "apex": Rewrite(
        "Use torch.optim.AdamW(fused=True), nn.LayerNorm and nn.RMSNorm",
        """Unsafe (the kernels differ, so does the rounding). `homeport port --unsafe-fixes` rewrites
`FusedAdam(params, lr=..., betas=..., eps=..., weight_decay=...)` to `torch.optim.AdamW(..., fused=True)`
(`torch.optim.Adam` with `adam_w_mode=False`): the same update, with apex's `weight_decay=0.0` default
written out because AdamW's is 0.01; optimizer checkpoints written by apex do not load into it.
`FusedLayerNorm` becomes `torch.nn.LayerNorm` and `FusedRMSNorm` `torch.nn.RMSNorm` with apex's
`eps=1e-5` written out (torch 2.4+); their parameters keep their names, so model checkpoints load.
Their `from apex... import` lines go once unused. Other arguments (`bias_correction=False`,
`master_weights`, ...), `apex.amp` (use `torch.autocast` + `torch.amp.GradScaler`) and
`apex.parallel` are left with the route in the change log.""",
        (Example("import torch\nfrom apex.normalization import FusedLayerNorm, FusedRMSNorm\n"
                 "from apex.optimizers import FusedAdam\n\nnorm = FusedLayerNorm(512, eps=1e-6)\n"
                 "rms = FusedRMSNorm(512)\nopt = FusedAdam(model.parameters(), lr=1e-3)\n",
                 fixed="import torch\n\nnorm = torch.nn.LayerNorm(512, eps=1e-6)\n"
                       "rms = torch.nn.RMSNorm(512, eps=1e-5)\n"
                       "opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0, fused=True)\n"),
         Example("import torch\nfrom apex.optimizers import FusedAdam\n\n"
                 "opt = FusedAdam(params, 1e-4, adam_w_mode=False, weight_decay=0.01)\n",
                 fixed="import torch\n\nopt = torch.optim.Adam(params, lr=1e-4, weight_decay=0.01, fused=True)\n")),
    ),
    "flash-attn": Rewrite(
        "Use F.scaled_dot_product_attention",
        """Unsafe (the kernels differ, so do the rounding and dropout's random stream).
`homeport port --unsafe-fixes` rewrites `flash_attn_func(q, k, v, dropout_p, softmax_scale, causal)` on
(batch, seqlen, heads, headdim) tensors to `F.scaled_dot_product_attention` on the `transpose(1, 2)`
views, transposing the result back: both apply `dropout_p` as given and default the scale to
1/sqrt(headdim). The causal masks agree when query and key lengths are equal (training); with a
shorter query flash-attn aligns the mask to the bottom-right, SDPA's `is_causal` to the top-left.
K/V with fewer heads (GQA) need `enable_gqa=True` added. Any other argument (`window_size`, `softcap`,
`alibi_slopes`, `deterministic`, `return_attn_probs`) unless at its default, the packed, varlen and
KV-cache entry points and FlashAttention-3 are left with the route in the change log.""",
        (Example("import torch.nn.functional as F\nfrom flash_attn import flash_attn_func\n\n\n"
                 "def attention(q, k, v):\n    return flash_attn_func(q, k, v, dropout_p=0.1, causal=True)\n",
                 fixed="import torch.nn.functional as F\n\n\ndef attention(q, k, v):\n"
                       f"    return {_SDPA}, dropout_p=0.1, is_causal=True).transpose(1, 2)\n"),),
    ),
    "xformers": Rewrite(
        "Use F.scaled_dot_product_attention",
        """Unsafe (the kernels differ, so do the rounding and dropout's random stream).
`homeport port --unsafe-fixes` rewrites `memory_efficient_attention(q, k, v, attn_bias, p, scale)` on
(batch, seq, heads, dim) tensors to `F.scaled_dot_product_attention` on the `transpose(1, 2)` views,
transposing the result back; `attn_bias=LowerTriangularMask()` becomes `is_causal=True` (both
top-left aligned). Other biases, `op=` and `output_dtype=` are left with the route in the change log.
The 5-D grouped form (batch, seq, groups, heads, dim) cannot be told apart in the source: do not apply
the fix to such calls.""",
        (Example("import torch.nn.functional as F\nfrom xformers.ops import LowerTriangularMask, "
                 "memory_efficient_attention\n\n"
                 "y = memory_efficient_attention(q, k, v, attn_bias=LowerTriangularMask(), p=0.1)\n",
                 fixed="import torch.nn.functional as F\n\n"
                       f"y = {_SDPA}, dropout_p=0.1, is_causal=True).transpose(1, 2)\n"),),
    ),
}


def _import_rule(lib: Library) -> type[Rule]:
    module = lib.imports[0]
    rewrite = REWRITES.get(lib.library)
    return type(f"Imports_{lib.import_code}", (Rule,), {
        "__doc__": library_doc(lib, "imports and uses of", f"import {module}",
                               rewrite.safety if rewrite else NO_FIX),
        "__module__": __name__,
        "code": lib.import_code, "name": f"{lib.library}-import",
        "category": Category.ACCELERATOR,
        "severity": Severity.BLOCKER, "on": severities(lib),
        "message": f"`{{name}}` uses {lib.library} ({support_line(lib)}); instead: {lib.alternative}",
        "names": lib.imports,
        "fix_title": rewrite.title if rewrite else None,
        "fix_applicability": Applicability.UNSAFE,
        "VALID": [Example("import torch.nn.functional as F\ny = F.scaled_dot_product_attention(q, k, v)")],
        "INVALID": [Example(f"import {module}"), Example(f"from {module} import something\nsomething()"),
                    *(rewrite.examples if rewrite else ())],
    })


IMPORT_RULES = [_import_rule(lib) for lib in libraries() if lib.import_code and not lib.portable]
