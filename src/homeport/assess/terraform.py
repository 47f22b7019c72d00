"""Terraform: resolve `region = var.x` / `location = var.x` through variable defaults and .tfvars.

Region literals are found by the rules' text patterns like anywhere else; what only this module can
see is a provider or resource whose region comes from a variable (checkov #622, terracost #19).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from homeport.assess.index import RuleIndex
from homeport.assess.reporter import Reporter
from homeport.core.inventory import Fact
from homeport.core.model import FileResult

_VAR_REF = re.compile(r"^\s*(region|location)\s*=\s*var\.([A-Za-z0-9_-]+)")
_VAR_BLOCK = re.compile(r'variable\s+"([A-Za-z0-9_-]+)"\s*\{(.*?)\n\}', re.S)
_DEFAULT = re.compile(r'^\s*default\s*=\s*"([^"]*)"', re.M)
_ASSIGN = re.compile(r'^\s*([A-Za-z0-9_-]+)\s*=\s*"([^"]*)"', re.M)


@lru_cache(maxsize=256)
def variables(directory: Path) -> dict[str, tuple[str, str]]:
    """name -> (value, where it was set), defaults first, then *.tfvars (which win, as in terraform)."""
    values: dict[str, tuple[str, str]] = {}
    for tf in sorted(directory.glob("*.tf")):
        text = _read(tf)
        for name, body in _VAR_BLOCK.findall(text):
            default = _DEFAULT.search(body)
            if default:
                values[name] = (default.group(1), f"{tf.name} default")
    for tfvars in sorted([*directory.glob("*.tfvars"), *directory.glob("*.auto.tfvars")]):
        for name, value in _ASSIGN.findall(_read(tfvars)):
            values[name] = (value, tfvars.name)
    return values


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def analyze_terraform(result: FileResult, path: Path, lines: list[str], index: RuleIndex,
                      reporter: Reporter) -> None:
    if not path.name.endswith(".tf"):
        return
    table = None
    for number, line in enumerate(lines, start=1):
        match = _VAR_REF.match(line)
        if not match:
            continue
        table = variables(path.parent) if table is None else table
        resolved = table.get(match.group(2))
        if not resolved:
            continue
        value, where = resolved
        patterns = index.text.get("terraform")
        for pattern, _unless, rule in patterns.entries if patterns else ():
            if getattr(rule, "region_rule", False) and pattern.search(f'"{value}"'):
                reporter.add(rule, number, match.start(2) - 4, number, match.end(2),
                             rule.message.format(name=f"{value} (var.{match.group(2)}, set in {where})",
                                                 instead=""))
                result.facts.append(Fact("match", value, number, rule.code))
