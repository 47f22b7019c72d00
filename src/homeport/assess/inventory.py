"""Build the inventory from what the analyzers saw (facts) and found (findings).

Components: entry points and modules (Python files), packages with their versions, the accelerator
and accelerator libraries, data locations (read/write where visible), cloud services, container
images, compute (instance types mapped to GPUs), the distributed stack, experiment tracking, and job
manifests. Links: file -imports-> file, file -uses-> component, file -reads/writes-> data,
image -runs-> script, manifest -deploys-> image, script -launches-> script,
infrastructure -provisions-> cloud service.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath

from homeport.assess import kinds as K
from homeport.assess.index import normalize_package
from homeport.catalog.libraries import libraries
from homeport.catalog.regions import find_instance_type
from homeport.catalog.services import service_for_boto3, service_for_import, service_for_terraform
from homeport.core.inventory import Fact, Inventory
from homeport.core.model import Category, FileResult, Finding

_WRITES = re.compile(r"upload|put_object|save|write|output|checkpoint|dump|export|model_dir|artifact", re.I)
_READS = re.compile(r"download|get_object|read|load|open|input|train|valid|eval|data|channel|list|shard", re.I)
_REQ = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(.*)$")
_STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}
_LIB_BY_CODE = {lib.import_code: lib.library for lib in libraries() if lib.import_code}


def build_inventory(root, results: list[FileResult], findings: list[Finding]) -> Inventory:
    inv = Inventory()
    analyzed = [r for r in results if r.skipped is None]
    nodes = {r.path: _file_node(inv, r) for r in analyzed}
    scripts = {r.path: nodes[r.path] for r in analyzed if r.kind in (K.PYTHON, K.SHELL)}
    by_name = defaultdict(list)
    for path, node in scripts.items():
        by_name[PurePosixPath(path).name].append(node)
    ctx = _Context(_module_table({r.path: nodes[r.path] for r in analyzed if r.kind == K.PYTHON}), scripts, by_name)
    for result in analyzed:
        node = nodes[result.path]
        for fact in result.facts:
            _FACT_HANDLERS.get(fact.kind, _ignore)(inv, node, result, fact, ctx)
    _accelerator(inv, findings, nodes)
    return inv


def _file_node(inv: Inventory, result: FileResult) -> str | None:
    """Python files are modules (or entry points); manifests, Dockerfiles and scripts are nodes too."""
    path = result.path
    if result.kind == K.PYTHON:
        entry = any(f.kind == "entry" for f in result.facts)
        return inv.add("entry-point" if entry else "module", path, f"{path}:1").id
    if result.kind == K.SHELL:
        return inv.add("entry-point", path, f"{path}:1", language="shell").id
    if result.kind == K.DOCKERFILE:
        return inv.add("container-image", f"built from {path}", f"{path}:1", dockerfile=path).id
    if result.kind == K.TERRAFORM:
        return inv.add("infrastructure", path, f"{path}:1").id
    manifest = next((f for f in result.facts if f.kind == "manifest"), None)
    if manifest is not None:
        return inv.add("job-manifest", path, f"{path}:{manifest.line}", manifest_kind=manifest.value).id
    if result.kind in (K.YAML, K.JSON, K.DOTENV) and any(f.kind in ("uri", "match", "image") for f in result.facts):
        return inv.add("config", path, f"{path}:1").id
    return None


@dataclass(frozen=True)
class _Context:
    modules: dict[str, str]  # dotted module name (every suffix) or "path:<file>" -> node id
    scripts: dict[str, str]  # path of a Python or shell file -> node id
    scripts_by_name: dict[str, list[str]]  # file name -> node ids


def _ignore(*_):
    return None


def _where(result: FileResult, fact: Fact) -> str:
    return f"{result.path}:{fact.line}"


def _service(inv, node, service, where: str, relation: str) -> None:
    if service is not None and node is not None:
        comp = inv.add(service.component, service.name, where, provider=service.provider, source=service.source)
        inv.link(node, comp.id, relation)


def _on_import(inv, node, result, fact, ctx):
    here = PurePosixPath(result.path).parent.as_posix()
    local = fact.value.replace(".", "/") if here == "." else f"{here}/{fact.value.replace('.', '/')}"
    target = (ctx.modules.get(f"path:{local}.py") or ctx.modules.get(f"path:{local}/__init__.py")
              or ctx.modules.get(fact.value))  # the module next to the importer first, as Python finds it
    if target is not None:
        inv.link(node, target, "imports")
        return
    top = fact.value.split(".")[0]
    if top in _STDLIB or node is None:
        return
    _service(inv, node, service_for_import(fact.value), _where(result, fact), "uses")
    pkg = inv.add("package", normalize_package(top), _where(result, fact))
    pkg.details["imported"] = True
    inv.link(node, pkg.id, "imports")


def _on_relimport(inv, node, result, fact, ctx):
    base = PurePosixPath(result.path).parent
    dots = len(fact.value) - len(fact.value.lstrip("."))
    for _ in range(dots - 1):
        base = base.parent
    rest = fact.value.lstrip(".")
    names = [f"{rest}.{n}" if rest else n for n in fact.detail.split(",")] if fact.detail else [rest]
    for name in names + ([rest] if rest else []):
        candidate = str(base / name.replace(".", "/")) if str(base) != "." else name.replace(".", "/")
        for path in (candidate + ".py", candidate + "/__init__.py"):
            target = ctx.modules.get("path:" + path)
            if target:
                inv.link(node, target, "imports")


def _on_call(inv, node, result, fact, ctx):
    if fact.value.startswith("boto3") and fact.value.rsplit(".", 1)[-1] in ("client", "resource"):
        _service(inv, node, service_for_boto3(fact.detail), _where(result, fact), "uses")


def _on_uri(inv, node, result, fact, ctx):
    uri = fact.value.rstrip("/.")
    scheme, _, rest = uri.partition("://")
    if scheme in ("http", "https") or not rest or rest[0] in "{$" or any(ch.isspace() for ch in uri):
        return  # prose ("s3:// prefix or local dir"), a bare scheme, or a template with no bucket
    direction = "write" if _WRITES.search(fact.detail) else "read" if _READS.search(fact.detail) else "unknown"
    comp = inv.add("data-location", uri, _where(result, fact), scheme=scheme)
    directions = comp.details.setdefault("directions", [])
    if direction not in directions:
        directions.append(direction)
    if node:
        inv.link(node, comp.id, {"write": "writes", "read": "reads"}.get(direction, "uses"))


def _on_image(inv, node, result, fact, ctx):
    comp = inv.add("container-image", fact.value, _where(result, fact))
    if node:
        inv.link(node, comp.id, "based-on" if fact.detail == "base" else "deploys")


def _on_script(inv, node, result, fact, ctx):
    """`torchrun train.py`, `ENTRYPOINT ["scripts/launch.sh"]`, `entry_point="train.py"`."""
    if node is None:
        return
    name = fact.value.lstrip("./")
    here = PurePosixPath(result.path).parent
    nearby = str(here / name) if str(here) != "." else name
    target = ctx.scripts.get(nearby) or ctx.scripts.get(name)
    if target is None:  # run from another working directory: accept a unique match by file name
        matches = ctx.scripts_by_name.get(PurePosixPath(name).name, [])
        target = matches[0] if len(matches) == 1 and matches[0].endswith("/" + name) else None
    if target is not None:
        inv.link(node, target, "runs" if node.startswith(("container-image", "job-manifest")) else "launches")


def _on_resource(inv, node, result, fact, ctx):
    _service(inv, node, service_for_terraform(fact.value), _where(result, fact), "provisions")


def _on_requirement(inv, node, result, fact, ctx):
    match = _REQ.match(fact.value.strip())
    if not match:
        return
    comp = inv.add("package", normalize_package(match.group(1)), _where(result, fact))
    if match.group(2):
        comp.details.setdefault("version", match.group(2).strip())
    comp.details.setdefault("declared_in", result.path)


def _on_match(inv, node, result, fact, ctx):
    """Instance types, found by the cloud rules in any file, become compute components."""
    known = find_instance_type(None, fact.value.strip("\"'"))
    if known:
        comp = inv.add("compute", known.instance_type, _where(result, fact), provider=known.provider,
                       accelerator=known.accelerator, accelerator_count=known.accelerator_count)
        if node:
            inv.link(node, comp.id, "uses")
    elif fact.value == "nccl" and node:
        comp = inv.add("distributed", "NCCL backend", _where(result, fact), provider="nvidia")
        inv.link(node, comp.id, "uses")


def _on_use(inv, node, result, fact, ctx):
    library = _LIB_BY_CODE.get(fact.detail)
    if library and node:
        comp = inv.add("accelerator-library", library, _where(result, fact))
        inv.link(node, comp.id, "uses")


_FACT_HANDLERS = {"import": _on_import, "relimport": _on_relimport, "call": _on_call, "uri": _on_uri,
                  "image": _on_image, "script": _on_script, "resource": _on_resource, "requirement": _on_requirement, "match": _on_match,
                  "use": _on_use}


def _accelerator(inv: Inventory, findings: list[Finding], nodes: dict[str, str | None]) -> None:
    """One accelerator component, NVIDIA CUDA, with every file that ties the code to it."""
    by_file = defaultdict(int)
    for f in findings:
        if f.category == Category.ACCELERATOR:
            by_file[f.location.path] += 1
    if not by_file:
        return
    comp = inv.add("accelerator", "NVIDIA CUDA", None, references=sum(by_file.values()), files=len(by_file))
    for path in sorted(by_file):
        comp.evidence.append(path)
        node = nodes.get(path)
        if node:
            inv.link(node, comp.id, "uses")


def _module_table(nodes: dict[str, str]) -> dict[str, str]:
    """Dotted module names -> node id; every suffix of the path, so `pkg.mod` and `mod` both resolve,
    and "path:<file>" for relative imports."""
    table: dict[str, str] = {}
    for path, node in nodes.items():
        parts = PurePosixPath(path).with_suffix("").as_posix().split("/") if path.endswith((".py", ".pyi")) \
            else path.split("/")  # a script found by its shebang: no suffix to drop
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for start in range(len(parts)):
            table.setdefault(".".join(parts[start:]), node)
        table["path:" + path] = node
    return table
