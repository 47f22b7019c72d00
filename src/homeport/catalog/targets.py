"""Per-target software stacks (research/portability.md sections 2 and 5, "per-target profiles").

`target_stacks.csv`, one row per concrete target (every `Target` except `portable`):
- `device_type`: the torch device string (`cuda` on ROCm, which keeps it), `dist_backend`, `compile_backend`
  (empty where no backend name is recorded);
- `visible_devices_env` (empty: the target has no device mask) and `collective_env_prefix`;
- `base_image` for containers and `apptainer_bootstrap` for Apptainer definitions;
- `torch_from`: `index` (torch is installed from `wheel_index`, pinned with `torch_local_suffix`) or
  `image` (the base image brings its own torch build; no index, no suffix);
- `extra_packages`: requirements that go with torch on this target, `{version}` standing for the
  pinned torch release (`torch-npu=={version}.*`);
- `notes`: what a reviewer of a ported container must know; `source` and `as_of`.

`collective_env.csv`: NCCL variable -> its equivalent per target (`nccl_var`, `target`, `equivalent`,
`source`, `as_of`). A name ending in `*` maps a whole prefix (RCCL reads every `NCCL_*`); an empty
`equivalent` records that the target has none; a missing row means nobody has checked.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache

from homeport.catalog.libraries import read_csv
from homeport.core.model import Target

STACKS_FILE = "target_stacks.csv"
COLLECTIVE_FILE = "collective_env.csv"
TORCH_FROM = ("index", "image")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_NCCL_NAME = re.compile(r"^(?:TORCH_)?NCCL_[A-Z0-9_]*\*?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONCRETE = tuple(t for t in Target if t != Target.PORTABLE)


@dataclass(frozen=True)
class Stack:
    target: Target
    device_type: str
    dist_backend: str
    visible_devices_env: str  # "" when the target masks no devices (cpu)
    collective_env_prefix: str
    base_image: str
    torch_from: str  # "index" | "image"
    wheel_index: str  # "" when the image brings torch
    torch_local_suffix: str  # "+rocm7.2"; "" when the image brings torch
    extra_packages: tuple[str, ...]  # templates: "{version}" is the pinned torch release
    apptainer_bootstrap: str
    compile_backend: str  # "" when no backend name is recorded
    notes: str
    source: str
    as_of: str

    def extras_for(self, torch_version: str | None) -> tuple[str, ...]:
        """The extra requirements for a torch pin (`2.3.1`), or unpinned names when torch is not pinned."""
        if torch_version is None:
            return tuple(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", t).group(0) for t in self.extra_packages)
        return tuple(t.format(version=torch_version) for t in self.extra_packages)


@dataclass(frozen=True)
class CollectiveEnv:
    nccl_var: str  # a name, or a prefix ending in "*"
    target: Target
    equivalent: str  # "" when the target has no equivalent
    source: str
    as_of: str

    def matches(self, var: str) -> bool:
        return var.startswith(self.nccl_var[:-1]) if self.nccl_var.endswith("*") else var == self.nccl_var

    def equivalent_of(self, var: str) -> str | None:
        if not self.equivalent:
            return None
        if self.nccl_var.endswith("*"):  # NCCL_* -> NCCL_*: the rest of the name carries over
            return self.equivalent[:-1] + var[len(self.nccl_var) - 1:]
        return self.equivalent


class _Row:
    """One CSV row with the file and line it came from, so every error names them."""

    def __init__(self, file: str, number: int, row: dict):
        self.file, self.number, self.row = file, number, row

    def error(self, field: str, expected: str) -> ValueError:
        got = self.row.get(field)
        return ValueError(f"{self.file}, line {self.number}, field {field!r}: expected {expected}, got {got!r}")

    def get(self, field: str, required: bool = True) -> str:
        value = self.row.get(field)
        if value is None:
            raise self.error(field, "a column of that name")
        value = value.strip()
        if required and not value:
            raise self.error(field, "a value")
        return value

    def target(self) -> Target:
        value = self.get("target")
        if value not in {t.value for t in _CONCRETE}:
            raise self.error("target", f"one of {', '.join(t.value for t in _CONCRETE)}")
        return Target(value)

    def env_name(self, field: str, pattern: re.Pattern = _ENV_NAME) -> str:
        value = self.get(field, required=False)
        if value and not pattern.match(value):
            raise self.error(field, "an environment variable name (upper case, digits, _)")
        return value

    def date(self) -> str:
        value = self.get("as_of")
        if not _DATE.match(value):
            raise self.error("as_of", "a date YYYY-MM-DD")
        return value


def _rows(file: str, rows: list[dict]):
    return [_Row(file, number, row) for number, row in enumerate(rows, start=2)]  # line 1 is the header


def parse_stacks(rows: list[dict], file: str = STACKS_FILE) -> dict[Target, Stack]:
    """Validate the rows of `target_stacks.csv`: one per concrete target."""
    out: dict[Target, Stack] = {}
    for row in _rows(file, rows):
        target = row.target()
        if target in out:
            raise row.error("target", "each target once")
        out[target] = _stack(row, target)
    return every_target(file, out)


def _stack(row: _Row, target: Target) -> Stack:
    torch_from = row.get("torch_from")
    if torch_from not in TORCH_FROM:
        raise row.error("torch_from", f"one of {', '.join(TORCH_FROM)}")
    index, suffix = row.get("wheel_index", required=False), row.get("torch_local_suffix", required=False)
    if torch_from == "index":
        if not index.startswith("https://"):
            raise row.error("wheel_index", "an https:// index URL (torch_from is index)")
        if not re.fullmatch(r"\+[a-z0-9.]+", suffix):
            raise row.error("torch_local_suffix", "a local version label such as +rocm7.2 (torch_from is index)")
    elif index or suffix:
        raise row.error("wheel_index" if index else "torch_local_suffix", "nothing: the image brings torch")
    extras = tuple(row.get("extra_packages", required=False).split())
    for template in extras:
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        if fields - {"version"} or not re.match(r"[A-Za-z0-9]", template):
            raise row.error("extra_packages", "requirements whose only placeholder is {version}")
    return Stack(target, row.get("device_type"), row.get("dist_backend"), row.env_name("visible_devices_env"),
                 row.env_name("collective_env_prefix"), row.get("base_image"), torch_from, index, suffix, extras,
                 row.get("apptainer_bootstrap"), row.get("compile_backend", required=False),
                 row.get("notes", required=False), row.get("source"), row.date())


def parse_collective(rows: list[dict], file: str = COLLECTIVE_FILE) -> tuple[CollectiveEnv, ...]:
    """Validate the rows of `collective_env.csv`."""
    out: list[CollectiveEnv] = []
    seen: set[tuple[str, Target]] = set()
    for row in _rows(file, rows):
        var, target = row.env_name("nccl_var", _NCCL_NAME), row.target()
        if not var:
            raise row.error("nccl_var", "an NCCL variable name")
        if (var, target) in seen:
            raise row.error("nccl_var", f"each (variable, target) pair once; {var} for {target.value} repeats")
        seen.add((var, target))
        equivalent = row.get("equivalent", required=False)
        name = re.compile(r"^[A-Z][A-Z0-9_]*\*$" if var.endswith("*") else r"^[A-Z][A-Z0-9_]*$")
        if equivalent and not name.match(equivalent):
            raise row.error("equivalent", "a variable name, ending in * exactly when nccl_var does")
        out.append(CollectiveEnv(var, target, equivalent, row.get("source"), row.date()))
    return tuple(out)


@lru_cache(maxsize=1)
def stacks() -> dict[Target, Stack]:
    return parse_stacks(read_csv(STACKS_FILE))


@lru_cache(maxsize=1)
def collective_rows() -> tuple[CollectiveEnv, ...]:
    return parse_collective(read_csv(COLLECTIVE_FILE))


def stack(target: Target | str) -> Stack:
    """The software stack of a concrete target. `portable` has none: the caller must choose one."""
    target = Target(target)
    if target == Target.PORTABLE:
        raise ValueError("`portable` is not a concrete stack: choose a concrete --target "
                         f"({', '.join(t.value for t in _CONCRETE)})")
    return stacks()[target]


def collective_row(var: str, target: Target | str, rows: tuple[CollectiveEnv, ...] | None = None
                   ) -> CollectiveEnv | None:
    """The row that decides `var` on `target` (in the catalog, or in `rows`): an exact name before the
    longest matching prefix."""
    target = Target(target)
    candidates = [r for r in (collective_rows() if rows is None else rows) if r.target == target and r.matches(var)]
    return max(candidates, key=lambda r: (not r.nccl_var.endswith("*"), len(r.nccl_var)), default=None)


def collective_equivalent(var: str, target: Target | str) -> str | None:
    """`NCCL_SOCKET_IFNAME` on gaudi -> `HCCL_SOCKET_IFNAME`; None when there is none or nobody checked."""
    row = collective_row(var, target)
    return row.equivalent_of(var) if row else None


def every_target(file: str, rows: dict) -> dict:
    """`rows` (target -> row) when each concrete target has one; a table that skips one is refused, since
    a port for that target would have nothing to write."""
    missing = [t.value for t in _CONCRETE if t not in rows]
    if missing:
        raise ValueError(f"{file}: no row for target(s) {', '.join(missing)}")
    return rows


def row_for(table: dict, target):
    """The row of a concrete target; None for `portable`, which names no accelerator."""
    target = Target(target)
    return None if target == Target.PORTABLE else table[target]


def table_row(file: str, number: int, row: dict, seen: dict):
    """(target, cells, bad) for line `number` of a per-target table: cells stripped, the target concrete and
    named once, a source and an as_of date present; `bad(field, expected)` words any other refusal alike."""
    cells = {k: (v or "").strip() for k, v in row.items()}

    def bad(field: str, expected: str) -> ValueError:
        return ValueError(f"{file}, line {number}, field {field!r}: expected {expected}, got {cells.get(field)!r}")

    if cells.get("target") not in {t.value for t in _CONCRETE} or Target(cells["target"]) in seen:
        raise bad("target", "each concrete target once")
    if not cells.get("source") or not _DATE.match(cells.get("as_of", "")):
        raise bad("as_of", "a date YYYY-MM-DD and a source")
    return Target(cells["target"]), cells, bad
