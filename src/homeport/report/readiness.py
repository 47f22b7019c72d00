"""Readiness per target: what stands between this tree and each accelerator, and each provider.

An accelerator target is judged on the code findings (categories accelerator and dependency), whose weight
depends on the target; a provider on the code findings for the accelerators it offers plus the cloud and
residency findings, which tie the pipeline to the cloud it leaves whatever the chip. Findings are the JSON
objects of the assessment (report/json.py), so a fresh assessment and a saved one read the same.
"""

from __future__ import annotations

import fnmatch
import os
from collections import Counter
from dataclasses import dataclass, field

from homeport.catalog.libraries import Library, libraries
from homeport.core.model import Severity, Target
from homeport.report.effort import Effort, effort, severity_on

CODE = ("accelerator", "dependency")
PROVIDER_SIDE = ("cloud", "residency")
# The targets a report compares by default: every concrete one but the NVIDIA source stack.
TARGETS = (Target.ROCM, Target.GAUDI, Target.XPU, Target.NPU, Target.CPU)
TARGET_NAMES = {Target.ROCM: "AMD ROCm", Target.GAUDI: "Intel Gaudi", Target.XPU: "Intel XPU",
                Target.NPU: "Huawei Ascend NPU", Target.CPU: "CPU only", Target.CUDA: "NVIDIA CUDA",
                Target.PORTABLE: "any non-NVIDIA accelerator"}
# accelerators.csv names a vendor and a torch device type; the code target follows from both
# (AMD keeps the `cuda` device string, so the vendor decides).
VENDOR_TARGET = {("nvidia", "cuda"): Target.CUDA, ("amd", "cuda"): Target.ROCM, ("intel", "hpu"): Target.GAUDI,
                 ("intel", "xpu"): Target.XPU, ("huawei", "npu"): Target.NPU}


@dataclass
class PortFigures:
    """What `homeport port` migrates automatically on one target (port/engine.py `summarize`)."""

    totals: dict
    basis: str  # where the figures come from, in words
    in_memory: bool = False  # run by the report itself, rather than read from a change log


@dataclass
class TargetReadiness:
    target: Target
    counts: Counter  # severity -> code findings at that severity on this target
    effort: Effort
    port: PortFigures | None

    @property
    def blockers(self) -> int:
        return self.counts[Severity.BLOCKER.value]

    @property
    def warnings(self) -> int:
        return self.counts[Severity.WARNING.value]


def code_findings(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f["category"] in CODE]


def provider_findings(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f["category"] in PROVIDER_SIDE]


def counts_on(findings: list[dict], target: Target) -> Counter:
    out = Counter({s.value: 0 for s in Severity})
    for f in findings:
        out[severity_on(f["rule"], f["severity"], target).value] += 1
    return out


def target_readiness(findings: list[dict], targets, ports: dict[Target, PortFigures]) -> list[TargetReadiness]:
    code = code_findings(findings)
    return [TargetReadiness(t, counts_on(code, t), effort(code, t), ports.get(t)) for t in targets]


def port_in_memory(root: str | os.PathLike, targets) -> dict[Target, PortFigures]:
    """Run the port engine per target without writing anything (its diff mode) and keep its totals."""
    from homeport.port.engine import port

    out = {}
    for target in targets:
        result = port(root, target=target)
        out[target] = PortFigures(result.totals(), f"homeport port --target {target.value}, in memory", True)
    return out


def port_from_logs(logs) -> dict[Target, PortFigures]:
    """The totals of saved change logs (evidence items of kind `port`), the newest per target."""
    out = {}
    for item in logs:
        doc = item.doc
        try:
            target = Target(doc["target"])
        except ValueError:
            continue
        unsafe = " with --unsafe-fixes" if doc.get("unsafe_fixes") else " (safe fixes)"
        out[target] = PortFigures(doc["totals"], f"change log {item.path}{unsafe}")
    return out


# -- libraries -----------------------------------------------------------------------------------------

@dataclass
class LibraryUse:
    library: Library
    places: list[str] = field(default_factory=list)  # "path:line", from findings and the inventory


def _norm(name: str) -> str:
    return name.lower().replace("_", "-")


def libraries_found(findings: list[dict], inventory: dict) -> list[LibraryUse]:
    """Every library of the support matrix the tree imports or declares, with where."""
    out = []
    for lib in libraries():
        places = [f"{f['path']}:{f['line']}" for f in findings if f["rule"] in (lib.import_code, lib.package_code)]
        for comp in inventory.get("components", []):
            if _is_library(comp, lib):
                places += comp.get("evidence", [])
        if places:
            out.append(LibraryUse(lib, sorted(set(places), key=_place_order)))
    return out


def _is_library(comp: dict, lib: Library) -> bool:
    name = _norm(comp.get("name", ""))
    if comp.get("kind") == "accelerator-library":
        return name == _norm(lib.library)
    if comp.get("kind") != "package":
        return False
    patterns = [_norm(p) for p in lib.packages] + [_norm(m.split(".")[0]) for m in lib.imports if "." not in m]
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _place_order(place: str):
    path, _, line = place.rpartition(":")
    return (path, int(line) if line.isdigit() else 0)


# -- providers ---------------------------------------------------------------------------------------

@dataclass
class ProviderReadiness:
    key: str
    name: str
    jurisdiction: str  # "FR", "CH (parent AT MX)"
    cloud_act: str  # yes | no | unverified
    accelerators: tuple[str, ...]  # catalog keys of the accelerators it offers
    target: Target | None  # the code target of its best-fitting accelerator; None: no chip recorded
    code: Counter
    provider_side: Counter
    points: int
    cheapest: tuple[float, str, str] | None  # (price per GPU-hour, currency, offer), on demand where listed
    refs: tuple[tuple[str, str, str], ...]  # catalog rows read: (row, source, as of)


def provider_readiness(findings: list[dict], *, leaving: str | None = None) -> list[ProviderReadiness]:
    """Every provider with a GPU row in the catalog except the hyperscalers (the ones being left)."""
    from homeport.catalog import accelerators, offers, providers

    catalog = providers.providers()
    code, side = code_findings(findings), provider_findings(findings)
    side_counts = Counter(f["severity"] for f in side)
    side_points = effort(side, Target.PORTABLE).points  # cloud findings do not depend on the chip
    code_points = {t: effort(code, t).points for t in set(VENDOR_TARGET.values())}  # once per target, not per provider
    out = []
    for key in offers.providers():
        prov = catalog.get(key)
        if key == leaving or (prov is not None and prov.kind == "hyperscaler"):
            continue
        rows = [o for o in offers.offers() if o.provider == key]
        chips = tuple(dict.fromkeys(o.accelerator for o in rows if o.accelerator))
        targets = {VENDOR_TARGET.get((a.vendor, a.device_type)) for a in map(accelerators.find, chips) if a}
        targets.discard(None)
        best = min(targets, key=lambda t: (code_points[t], t.value)) if targets else None
        priced = [o for o in rows if o.priced and o.purchase == "on-demand"] or [o for o in rows if o.priced]
        cheapest = None
        if priced:
            o = min(priced, key=lambda o: (o.currency, o.price_per_gpu_hour))
            cheapest = (o.price_per_gpu_hour, o.currency, o.offer)
        out.append(ProviderReadiness(
            key, prov.name if prov else key, _jurisdiction(prov), prov.cloud_act_exposure if prov else "unverified",
            chips, best, counts_on(code, best) if best else Counter(), side_counts,
            (code_points[best] if best else 0) + side_points, cheapest,
            tuple(([(prov.ref, prov.source, prov.as_of)] if prov else [])
                  + [(f"gpu_offers.csv line {o.line}", o.source, o.as_of) for o in rows])))
    reach = {"no": 0, "unverified": 1, "yes": 2}  # out of US law's reach first
    return sorted(out, key=lambda p: (p.target is None, p.points, reach.get(p.cloud_act, 1), p.key))


def _jurisdiction(prov) -> str:
    """`FR`, `CH (parent AT MX)`, `DE (parent not verified)`: the operator's country and its parents'."""
    if prov is None:
        return "not in the catalog"
    if prov.parent_jurisdictions is None:
        return f"{prov.operator_jurisdiction} (parent not verified)"
    if not prov.parent_jurisdictions:
        return prov.operator_jurisdiction
    return f"{prov.operator_jurisdiction} (parent {' '.join(prov.parent_jurisdictions)})"
