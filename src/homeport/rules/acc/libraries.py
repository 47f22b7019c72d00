"""ACC1xx: imports of accelerator libraries that are CUDA-only or partly supported elsewhere.

The rules are made from the support matrix (catalog/data/library_support.csv): one rule per library,
its severity per target read from the matrix, so the facts live in one place with their sources.
The matching DEP1xx rules (rules/dep/libraries.py) flag the same libraries where they are declared.
"""

from __future__ import annotations

from homeport.catalog.libraries import Library, libraries
from homeport.core.model import Category, Severity, Target
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


def library_doc(lib: Library, where: str, example: str) -> str:
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
    No automatic fix: replacing a kernel library changes numerics and performance; a person decides.
    """


def _import_rule(lib: Library) -> type[Rule]:
    module = lib.imports[0]
    return type(f"Imports_{lib.import_code}", (Rule,), {
        "__doc__": library_doc(lib, "imports and uses of", f"import {module}"),
        "__module__": __name__,
        "code": lib.import_code, "name": f"{lib.library}-import",
        "category": Category.ACCELERATOR,
        "severity": Severity.BLOCKER, "on": severities(lib),
        "message": f"`{{name}}` uses {lib.library} ({support_line(lib)}); instead: {lib.alternative}",
        "names": lib.imports,
        "VALID": [Example("import torch.nn.functional as F\ny = F.scaled_dot_product_attention(q, k, v)")],
        "INVALID": [Example(f"import {module}"), Example(f"from {module} import something\nsomething()")],
    })


IMPORT_RULES = [_import_rule(lib) for lib in libraries() if lib.import_code and not lib.portable]
