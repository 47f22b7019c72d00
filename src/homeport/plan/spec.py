"""The migration file: YAML, `version: 1`, `kind: homeport-plan`. Two profiles (where the pipeline runs now,
where it goes), the storage areas that move between them, the phases in order with their gates (checks with
thresholds and the evidence each reads), who decides each phase, and the waivers people signed.

Read strictly: every problem names the field, what was expected and what was got, all at once. Relative
paths in the file are relative to the file's folder; the plan's own state (journal, active profile, sync
journals) lives in `.homeport/plan/` beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from homeport.core.errors import HomeportError
from homeport.core.model import Severity, Target

SCHEMA_VERSION = 1
KIND = "homeport-plan"
PHASES = ("assess", "port", "data", "fence", "poc", "parallel_run", "cutover", "decommission")
ROLES = ("source", "target")
TOP_KEYS = ("version", "kind", "name", "created", "pipeline", "owners", "profiles", "sync", "phases", "waivers")
PROFILE_KEYS = ("name", "provider", "region", "country", "accelerator", "target", "torch", "policy", "storage", "env")
# check kind -> (its parameters with defaults, the profile whose evidence it reads by default)
CHECKS: dict[str, tuple[dict[str, Any], str]] = {
    "no_blockers": ({"evidence": None, "max_severity": "warning"}, "target"),
    "tests_pass": ({"evidence": None}, "target"),
    "data_verified": ({"evidence": None, "areas": None}, "target"),  # evidence: a path with {area} in it
    "residency_clean": ({"evidence": None, "max_denied": 0, "max_audited": None}, "target"),
    "throughput": ({"evidence": None, "source_evidence": None, "min_ratio": 0.9}, "target"),
    "loss_parity": ({"evidence": None, "source_evidence": None, "k": 3.0, "floor": 0.002, "min_inside": 0.95},
                    "target"),
    "cost": ({"evidence": None, "max_versus_source": 0.0, "max_total": None}, "target"),
    "earlier_gates": ({}, "target"),
    "days_on_target": ({"min_days": 30}, "target"),
}


class PlanError(HomeportError):
    """A migration file that cannot be used (exit 2); `problems` holds one line per bad field."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.problems = list(problems)
        super().__init__(f"the migration file {path} cannot be used: {problems[0]}",
                         hint="fix the file (`homeport plan init` writes a valid one; its header documents each field)")

    def render(self) -> str:
        more = "".join(f"\n  {p}" for p in self.problems[1:])
        return super().render().replace("\n  what to do", more + "\n  what to do", 1)


@dataclass(frozen=True)
class Profile:
    role: str  # source | target
    name: str
    provider: str
    region: str
    country: str
    accelerator: str  # a catalog key (H100-SXM) or cpu
    target: str  # the assess/port target the code must fit here (cuda, rocm, cpu, portable, ...)
    torch: str
    policy: str | None  # residency policy file, relative to the migration file
    storage: dict[str, str]  # area -> location (local path, s3://, REMOTE:)
    env: dict[str, str]  # what the pipeline needs set on this side, besides storage


@dataclass(frozen=True)
class Check:
    kind: str
    params: dict[str, Any]
    profile: str = "target"  # whose evidence; throughput/loss_parity also read the source's

    def __getitem__(self, key: str) -> Any:
        return self.params[key]


@dataclass(frozen=True)
class Phase:
    name: str
    decides: str  # an owner key
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Waiver:
    rules: tuple[str, ...]  # rule codes or prefixes; empty: any rule
    paths: tuple[str, ...]  # globs relative to the pipeline; empty: any path
    reason: str
    decided_by: str


@dataclass
class Plan:
    path: Path
    name: str
    pipeline: Path
    profiles: dict[str, Profile]
    sync: dict[str, tuple[str, ...]]  # data | carry | back -> storage areas
    phases: tuple[Phase, ...]
    owners: dict[str, str]
    waivers: tuple[Waiver, ...] = ()
    raw: dict = field(default_factory=dict)

    @property
    def base(self) -> Path:
        return self.path.parent

    @property
    def state_dir(self) -> Path:
        return self.base / ".homeport" / "plan"

    def resolve(self, relative: str | Path) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.base / p

    def profile(self, name_or_role: str) -> Profile:
        """A profile by role (source, target) or by its name."""
        for p in self.profiles.values():
            if name_or_role in (p.role, p.name):
                return p
        known = ", ".join(f"{p.name} ({p.role})" for p in self.profiles.values())
        raise HomeportError(f"no profile {name_or_role!r} in {self.path}", expected=known,
                            hint="name a profile of the migration file, or its role: source or target")

    def phase(self, name: str) -> Phase:
        for p in self.phases:
            if p.name == name.replace("-", "_"):
                return p
        raise HomeportError(f"no phase {name!r} in {self.path}", expected=", ".join(p.name for p in self.phases),
                            hint="`homeport plan status` lists the phases and their gates")

    def before(self, name: str) -> tuple[Phase, ...]:
        """The plan's phases that come before `name` in the migration's order (whether or not it has `name`)."""
        return tuple(p for p in self.phases if PHASES.index(p.name) < PHASES.index(name))


# -- reading ---------------------------------------------------------------------------------------------

def load_plan(path: str | Path) -> Plan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HomeportError(f"no migration file at {path}", expected="the YAML file `homeport plan init` writes",
                            hint="run `homeport plan init --from SOURCE --to TARGET`, or pass --plan PATH") from None
    except (OSError, UnicodeError) as exc:
        raise HomeportError(f"cannot read the migration file {path}", got=str(exc)) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlanError(path, [f"not valid YAML ({str(exc).splitlines()[0]})"]) from None
    return parse_plan(doc, path.resolve())


def parse_plan(doc: Any, path: Path) -> Plan:
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise PlanError(path, [f"expected a mapping at the top, got {type(doc).__name__}"])
    if doc.get("version") != SCHEMA_VERSION or doc.get("kind") != KIND:
        problems.append(f"version/kind: expected {SCHEMA_VERSION}/{KIND}, got {doc.get('version')}/{doc.get('kind')}")
    if set(doc) - set(TOP_KEYS):
        problems.append(f"unknown keys {', '.join(sorted(map(str, set(doc) - set(TOP_KEYS))))} (expected {', '.join(TOP_KEYS)})")
    profiles = {role: _profile(doc.get("profiles", {}).get(role) if isinstance(doc.get("profiles"), dict) else None,
                               role, problems) for role in ROLES}
    if profiles["source"].name == profiles["target"].name:
        problems.append(f"profiles: source and target must have different names, both are {profiles['source'].name!r}")
    owners = _str_map(doc.get("owners", {}), "owners", problems)
    sync = _sync(doc.get("sync", {}), profiles, problems)
    phases = tuple(_phase(p, i, owners, problems) for i, p in enumerate(_list(doc.get("phases"), "phases", problems)))
    names = [p.name for p in phases]
    if names != sorted(names, key=lambda n: PHASES.index(n) if n in PHASES else 99) or len(set(names)) != len(names):
        problems.append(f"phases: expected each at most once, in the order {', '.join(PHASES)}, got {', '.join(names)}")
    waivers = tuple(_waiver(w, i, problems) for i, w in enumerate(_list(doc.get("waivers", []), "waivers", problems)))
    if problems:
        raise PlanError(path, problems)
    return Plan(path, str(doc.get("name") or path.stem), (path.parent / str(doc.get("pipeline", "."))).resolve(),
                profiles, sync, phases, owners, waivers, doc)


def _profile(doc: Any, role: str, problems: list[str]) -> Profile:
    where = f"profiles.{role}"
    if not isinstance(doc, dict):
        problems.append(f"{where}: expected a mapping with {', '.join(PROFILE_KEYS)}, got {type(doc).__name__}")
        doc = {}
    unknown = set(doc) - set(PROFILE_KEYS)
    if unknown:
        problems.append(f"{where}: unknown keys {', '.join(sorted(unknown))} (expected {', '.join(PROFILE_KEYS)})")
    for key in ("name", "provider"):
        if not isinstance(doc.get(key), str) or not doc.get(key):
            problems.append(f"{where}.{key}: expected a non-empty string, got {doc.get(key)!r}")
    target = str(doc.get("target") or "portable")
    if target not in {t.value for t in Target}:
        problems.append(f"{where}.target: expected one of {', '.join(t.value for t in Target)}, got {target!r}")
    storage = _str_map(doc.get("storage", {}), f"{where}.storage", problems)
    return Profile(role, str(doc.get("name") or role), str(doc.get("provider") or ""), str(doc.get("region") or ""),
                   str(doc.get("country") or ""), str(doc.get("accelerator") or ""), target,
                   str(doc.get("torch") or ""), str(doc["policy"]) if doc.get("policy") else None, storage,
                   _str_map(doc.get("env", {}), f"{where}.env", problems))


def _sync(doc: Any, profiles: dict[str, Profile], problems: list[str]) -> dict[str, tuple[str, ...]]:
    out = {}
    doc = doc if isinstance(doc, dict) else {}
    for key in ("data", "carry", "back"):
        areas = tuple(str(a) for a in _list(doc.get(key, []), f"sync.{key}", problems))
        for area in areas:
            for p in profiles.values():
                if area not in p.storage:
                    problems.append(f"sync.{key}: the storage area {area!r} has no location in profile {p.name} "
                                    f"(its areas: {', '.join(p.storage) or 'none'})")
        out[key] = areas
    return out


def _phase(doc: Any, index: int, owners: dict, problems: list[str]) -> Phase:
    where = f"phases[{index}]"
    if not isinstance(doc, dict) or doc.get("phase") not in PHASES:
        problems.append(f"{where}.phase: expected one of {', '.join(PHASES)}, got "
                        f"{doc.get('phase') if isinstance(doc, dict) else doc!r}")
        return Phase(str(doc.get("phase") if isinstance(doc, dict) else index), "", ())
    decides = str(doc.get("decides") or "")
    if owners and decides not in owners:
        problems.append(f"{where}.decides: expected an owner ({', '.join(owners)}), got {decides!r}")
    checks = tuple(_check(c, f"{where}.gate[{i}]", problems)
                   for i, c in enumerate(_list(doc.get("gate", []), f"{where}.gate", problems)))
    return Phase(doc["phase"], decides, checks)


def _check(doc: Any, where: str, problems: list[str]) -> Check:
    if not isinstance(doc, dict) or doc.get("check") not in CHECKS:
        problems.append(f"{where}.check: expected one of {', '.join(CHECKS)}, got "
                        f"{doc.get('check') if isinstance(doc, dict) else doc!r}")
        return Check("invalid", {})
    kind = doc["check"]
    defaults, profile = CHECKS[kind]
    unknown = set(doc) - set(defaults) - {"check", "profile"}
    if unknown:
        problems.append(f"{where}: unknown keys {', '.join(sorted(unknown))} for {kind} "
                        f"(expected {', '.join(defaults) or 'none'})")
    params = {**defaults, **{k: v for k, v in doc.items() if k in defaults}}
    for key, value in params.items():
        if key in ("evidence", "source_evidence"):
            if not isinstance(value, str) or not value or (kind == "data_verified" and "{area}" not in value):
                problems.append(f"{where}.{key}: expected the path of an evidence file"
                                f"{' with {area} in it' if kind == 'data_verified' else ''}, got {value!r}")
        elif key == "max_severity" and value not in [s.value for s in Severity]:
            problems.append(f"{where}.max_severity: expected info, warning or blocker, got {value!r}")
        elif key in ("min_ratio", "k", "floor", "min_inside", "max_versus_source", "max_total", "min_days",
                     "max_denied", "max_audited") and value is not None and (
                         not isinstance(value, (int, float)) or isinstance(value, bool)):
            problems.append(f"{where}.{key}: expected a number, got {value!r}")
    return Check(kind, params, str(doc.get("profile") or profile))


def _waiver(doc: Any, index: int, problems: list[str]) -> Waiver:
    where = f"waivers[{index}]"
    if not isinstance(doc, dict):
        problems.append(f"{where}: expected a mapping with rules, paths, reason, decided_by")
        return Waiver((), (), "", "")
    for key in ("reason", "decided_by"):
        if not isinstance(doc.get(key), str) or not doc[key].strip():
            problems.append(f"{where}.{key}: a waiver needs it in words (who accepted which risk, and why)")
    rules = tuple(str(r) for r in _list(doc.get("rules", []), f"{where}.rules", problems))
    paths = tuple(str(p) for p in _list(doc.get("paths", []), f"{where}.paths", problems))
    if not rules and not paths:
        problems.append(f"{where}: names no rule and no path: it would waive every finding")
    return Waiver(rules, paths, str(doc.get("reason") or ""), str(doc.get("decided_by") or ""))


def _list(value: Any, where: str, problems: list[str]) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"{where}: expected a list, got {type(value).__name__}")
        return []
    return value


def _str_map(value: Any, where: str, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{where}: expected a mapping, got {type(value).__name__}")
        return {}
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


# -- writing ---------------------------------------------------------------------------------------------

HEADER = """\
# homeport migration plan (`homeport plan init` wrote it; edit the thresholds, owners and waivers).
# version/kind: the schema of this file. pipeline: the code tree, relative to this file.
# profiles.source / profiles.target: where the pipeline runs now and where it goes. provider/region/country come
#   from the catalog; accelerator is a catalog key or cpu; target is what `homeport assess/port --target` checks
#   the code against there; torch is the version installed there; policy the residency policy (homeport fence);
#   storage maps an area name to a location (local path, s3://bucket/prefix, REMOTE:bucket/prefix); env is what
#   the pipeline needs set there (`homeport plan exec --profile P -- CMD` sets it; `cutover` writes it to
#   .homeport/plan/active.env).
# sync.data: areas copied in the data phase; sync.carry: areas copied source -> target at cutover (the latest
#   training state); sync.back: areas copied target -> source at rollback (checkpoints, logs).
# phases: in order, each with who decides (an owner key) and its gate: checks that read evidence files. A check
#   never passes on evidence that is missing, older than what it judges, or recorded under the other profile:
#   produce it with `homeport plan exec --profile P --stamp FILE -- COMMAND` (see `homeport plan runbook`).
# waivers: findings a person accepted (rules and/or path globs), each with the reason and who decided.
"""


def dump_plan(doc: dict) -> str:
    return HEADER + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110)
