"""Terraform: resolve `region = var.x` / `location = local.x` through variable defaults, .tfvars and locals.

Region literals are found by the rules' text patterns like anywhere else; what only this module can
see is a provider or resource whose region comes from a variable (checkov #622, terracost #19). The resolved
value is reported as the region rule's match, and so becomes a destination for `assess --policy`.
"""

from __future__ import annotations

import re
from pathlib import Path

from homeport.assess.discovery import read_bytes
from homeport.assess.index import RuleIndex
from homeport.assess.reporter import Reporter
from homeport.core.inventory import Fact
from homeport.core.model import FileResult

# `region = var.region`, `location = local.location`, and the older `region = "${var.region}"`
_VAR_REF = re.compile(r'^\s*(region|location)\s*=\s*"?(?:\$\{)?(var|local)\.([A-Za-z0-9_-]+)')
_VAR_BLOCK = re.compile(r'variable\s+"([A-Za-z0-9_-]+)"\s*\{(.*?)\n\}', re.S)
_LOCALS_BLOCK = re.compile(r"^\s*locals\s*\{(.*?)\n\s*\}", re.S | re.M)
_DEFAULT = re.compile(r'^\s*default\s*=\s*"([^"]*)"', re.M)
_ASSIGN = re.compile(r'^\s*([A-Za-z0-9_-]+)\s*=\s*"([^"]*)"', re.M)


def variables(directory: Path) -> dict[str, tuple[str, str]]:
    """name -> (value, where it was set): defaults, then .tfvars files in Terraform's order of
    precedence (other *.tfvars, terraform.tfvars, then *.auto.tfvars, each later one winning)."""
    values: dict[str, tuple[str, str]] = {}
    for tf in sorted(directory.glob("*.tf")):
        for name, body in _VAR_BLOCK.findall(_read(tf)):
            default = _DEFAULT.search(body)
            if default:
                values[name] = (default.group(1), f"{tf.name} default")
    tfvars = sorted(directory.glob("*.tfvars"), key=lambda p: (p.name.endswith(".auto.tfvars"),
                                                                 p.name == "terraform.tfvars", p.name))
    for path in tfvars:
        for name, value in _ASSIGN.findall(_read(path)):
            values[name] = (value, path.name)
    return values


def local_values(directory: Path) -> dict[str, tuple[str, str]]:
    """name -> (value, where it was set) for locals that are a plain string (`region = "eu-west-1"`); a local
    computed from other values is not evaluated."""
    values: dict[str, tuple[str, str]] = {}
    for tf in sorted(directory.glob("*.tf")):
        for body in _LOCALS_BLOCK.findall(_read(tf)):
            for name, value in _ASSIGN.findall(body):
                values[name] = (value, f"{tf.name} locals")
    return values


def _read(path: Path) -> str:
    """Like discovery: regular files only, never through a link, never blocking on a FIFO."""
    try:
        return read_bytes(path).decode("utf-8", errors="replace")
    except OSError:
        return ""


def analyze_terraform(result: FileResult, path: Path, lines: list[str], index: RuleIndex,
                      reporter: Reporter) -> None:
    if not path.name.endswith(".tf"):
        return
    tables: dict[str, dict] = {}
    readers = {"var": variables, "local": local_values}
    for number, line in enumerate(lines, start=1):
        match = _VAR_REF.match(line)
        if not match:
            continue
        scope, name = match.group(2), match.group(3)
        if scope not in tables:
            tables[scope] = readers[scope](path.parent)
        resolved = tables[scope].get(name)
        if not resolved:
            continue
        value, where = resolved
        note = f"{scope}.{name}, set in {where}"
        patterns = index.text.get("terraform")
        for pattern, _unless, rule in patterns.entries if patterns else ():
            if (rule.destination or "").startswith("region:") and pattern.search(f'"{value}"'):
                reporter.add(rule, number, match.start(2), number, match.end(3),
                             rule.message.format(name=f"{value} ({note})", instead=""), value=value, note=note)
                result.facts.append(Fact("match", value, number, rule.code))
