"""Build the inventory from what the analyzers saw (facts) and found (findings)."""

from __future__ import annotations

from pathlib import Path

from homeport.core.inventory import Inventory
from homeport.core.model import FileResult, Finding


def build_inventory(root: Path, results: list[FileResult], findings: list[Finding]) -> Inventory:
    inv = Inventory()
    for result in results:
        for fact in result.facts:
            if fact[0] == "entry":
                inv.add("entry-point", result.path, f"{result.path}:{fact[2]}")
    return inv
