"""A SageMaker launcher (estimator code) turned into the same run on the target: a Kubernetes Indexed
Job (plus the headless Service its pods find each other by) and a Slurm batch script, both launching
torchrun. The estimator is read statically (Python's ast), never run: what is computed at launch time
(hyperparameters from a config, input URIs from a file) is named in the output and the change log, not
guessed.

Mapping: `instance_type` x `instance_count` -> nodes x devices per node (catalog instance_types.csv,
device resource and GRES per target); `entry_point` + literal `hyperparameters` -> torchrun arguments;
`environment` -> env (NCCL names per target, EFA dropped); `fit()` input channels -> `SM_CHANNEL_<NAME>`
(the variables the ported code reads, port/fixers/sagemaker.py); `checkpoint_s3_uri`, `output_path` ->
notes to copy with `homeport data copy` and point at the target store.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from homeport.catalog.k8s import k8s_accelerator
from homeport.catalog.regions import find_instance_type
from homeport.catalog.slurm import slurm_accelerator
from homeport.core.model import Applicability, Target
from homeport.port.changes import Change, FilePort, Kind, Status
from homeport.port.manifests import ECR_HOST, collective_for

ESTIMATORS = ("PyTorch", "Estimator", "HuggingFace")
EFA = re.compile(r"^(?:FI_EFA_\w+|FI_PROVIDER)$")


@dataclass
class Launch:
    """What the estimator says, as far as it can be read without running it."""

    path: str
    line: int
    entry_point: str = "train.py"
    image: str = ""
    instance_type: str = ""
    instance_count: int = 1
    devices_per_node: int = 0  # 0: the instance type is not in the catalog
    arguments: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)  # name -> URI ("" when computed at launch)
    stores: dict[str, str] = field(default_factory=dict)  # checkpoint_s3_uri / output_path -> URI
    unresolved: list[str] = field(default_factory=list)  # "hyperparameters: hyperparameters(cfg, ...)"


def read_launch(path: str, source: str) -> Launch | None:
    """The first SageMaker estimator in `source`, or None when there is none."""
    tree = ast.parse(source)
    constants = _constants(tree)
    call = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and _name(n.func) in ESTIMATORS
                 and any(k.arg in ("entry_point", "image_uri", "instance_type") for k in n.keywords)), None)
    if call is None:
        return None
    launch = Launch(path, call.lineno)
    for keyword in call.keywords:
        if keyword.arg in ("environment", "hyperparameters") and isinstance(keyword.value, ast.Dict):
            known_part = _known_entries(keyword.arg, keyword.value, constants, launch)
            value, known = known_part, True
        else:
            value, known = _value(keyword.value, constants)
        if keyword.arg is None:
            continue
        if not known:
            if keyword.arg in ("hyperparameters", "instance_type", "instance_count", "environment", "image_uri",
                               "entry_point", "checkpoint_s3_uri", "output_path"):
                launch.unresolved.append(f"{keyword.arg}: {ast.unparse(keyword.value)}")
            continue
        if keyword.arg == "entry_point":
            launch.entry_point = str(value)
        elif keyword.arg == "image_uri":
            launch.image = str(value)
        elif keyword.arg == "instance_type":
            launch.instance_type = str(value)
        elif keyword.arg == "instance_count":
            launch.instance_count = int(value)
        elif keyword.arg == "hyperparameters" and isinstance(value, dict):
            for k, v in value.items():
                launch.arguments += [f"--{k}", str(v)]
        elif keyword.arg == "environment" and isinstance(value, dict):
            launch.environment = {str(k): str(v) for k, v in value.items()}
        elif keyword.arg in ("checkpoint_s3_uri", "output_path"):
            launch.stores[keyword.arg] = str(value)
    shape = find_instance_type("aws", launch.instance_type) if launch.instance_type else None
    launch.devices_per_node = shape.accelerator_count if shape else 0
    _channels(tree, constants, launch)
    return launch


def _known_entries(arg: str, node: ast.Dict, constants: dict, launch: Launch) -> dict:
    """The entries of a dict literal that can be read; the others go to `unresolved` one by one."""
    out = {}
    for k, v in zip(node.keys, node.values):
        (key, kk), (value, vk) = (_value(k, constants) if k is not None else (None, False)), _value(v, constants)
        if kk and vk:
            out[key] = value
        else:
            launch.unresolved.append(f"{arg} {ast.unparse(k) if k is not None else '**'}: {ast.unparse(v)}")
    return out


def _channels(tree: ast.Module, constants: dict, launch: Launch) -> None:
    fit = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and _name(n.func) == "fit"), None)
    if fit is None:
        return
    inputs = next((k.value for k in fit.keywords if k.arg == "inputs"), fit.args[0] if fit.args else None)
    if isinstance(inputs, ast.Name):  # `inputs = {...}` assigned before the call
        inputs = next((n.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                       and any(isinstance(t, ast.Name) and t.id == inputs.id for t in n.targets)), inputs)
    if not isinstance(inputs, ast.Dict):
        if inputs is not None:
            launch.unresolved.append(f"inputs: {ast.unparse(inputs)}")
        return
    for key, value in zip(inputs.keys, inputs.values):
        name, known = _value(key, constants) if key is not None else (None, False)
        if not known:
            continue
        uri = value.args[0] if isinstance(value, ast.Call) and value.args else value
        resolved, ok = _value(uri, constants)
        launch.channels[str(name)] = str(resolved) if ok else ""
        if not ok:
            launch.unresolved.append(f"input channel {name}: {ast.unparse(uri)}")


def _constants(tree: ast.Module) -> dict:
    """Module-level NAME = literal (f-strings of literals included), in order."""
    out: dict = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value, known = _value(node.value, out)
            if known:
                out[node.targets[0].id] = value
    return out


def _value(node: ast.AST, constants: dict):
    """(value, True) for a literal, a known constant or an f-string of them; (None, False) otherwise."""
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id], True
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
            elif isinstance(part, ast.FormattedValue) and not part.format_spec:
                value, known = _value(part.value, constants)
                if not known:
                    return None, False
                parts.append(str(value))
            else:
                return None, False
        return "".join(parts), True
    if isinstance(node, ast.Dict):
        out = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                return None, False
            (key, kk), (value, vk) = _value(k, constants), _value(v, constants)
            if not (kk and vk):
                return None, False
            out[key] = value
        return out, True
    try:
        return ast.literal_eval(node), True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None, False


def _name(func: ast.AST) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


# --- what the target runs ------------------------------------------------------------------------


def job_name(launch: Launch) -> str:
    stem = re.sub(r"[^a-z0-9-]+", "-", launch.path.rsplit("/", 1)[-1].removesuffix(".py").lower()).strip("-")
    return (stem or "train")[:50]


def environment(launch: Launch, target: Target) -> tuple[dict[str, str], list[str]]:
    """The job's variables on the target, and what was dropped or renamed (for the notes)."""
    env, notes = {}, []
    for name, value in launch.environment.items():
        if EFA.match(name) and (name != "FI_PROVIDER" or value == "efa"):
            notes.append(f"{name} dropped: EFA is AWS's fabric")
        elif re.match(r"^(?:TORCH_)?NCCL_", name):
            new, why = collective_for(name, target)
            if new:
                env[new] = value
                if new != name:
                    notes.append(f"{name} -> {new}")
            else:
                notes.append(f"{name} dropped: {why}")
        elif name.endswith(("_API_KEY", "_SECRET", "_TOKEN", "_PASSWORD")):
            notes.append(f"{name}: from a Secret, not the job definition")
        else:
            env[name] = value
    for channel, uri in launch.channels.items():
        env[f"SM_CHANNEL_{channel.upper()}"] = f"/data/{channel}"
        notes.append(f"channel {channel} ({uri or 'computed at launch'}) -> /data/{channel}: copy it with "
                     "`homeport data copy` to the target store and mount or stage it there")
    return env, notes


def _header(launch: Launch, target: Target, resource: str, notes: list[str]) -> list[str]:
    shape = (f"{launch.instance_type} ({launch.devices_per_node} devices)" if launch.devices_per_node
             else f"{launch.instance_type or 'an unknown instance type'} (not in the catalog: 1 device assumed)")
    lines = [f"Generated by `homeport port --target {target.value}` from {launch.path}:{launch.line} "
             "(a SageMaker estimator); review before use.",
             f"nodes: instance_count {launch.instance_count} x {shape} -> {launch.instance_count} x "
             f"{_devices(launch)} {resource or 'CPU only'}"]
    lines += [f"{store}: {uri} -> copy with `homeport data copy`, then point the job at the target store"
              for store, uri in launch.stores.items()]
    lines += [f"not read (computed at launch): {u}" for u in launch.unresolved]
    return lines + notes


def _devices(launch: Launch) -> int:
    return launch.devices_per_node or 1


def _torchrun(launch: Launch, rank: str, master: str) -> list[str]:
    return ["torchrun", f"--nnodes={launch.instance_count}", f"--nproc_per_node={_devices(launch)}",
            f"--node_rank={rank}", f"--master_addr={master}", "--master_port=29500", launch.entry_point,
            *launch.arguments]


def kubernetes_job(launch: Launch, target: Target, registry: str = "") -> str:
    """A headless Service and an Indexed Job: pod i is node rank i, pod 0 the rendezvous host."""
    acc = k8s_accelerator(target)
    name = job_name(launch)
    env, notes = environment(launch, target)
    image = launch.image or "IMAGE"
    host = ECR_HOST.match(image)
    if host:
        image = (registry.rstrip("/") if registry else "REGISTRY") + image[host.end():]
        if not registry:
            notes.append("image: pass --registry (the target's registry) and push the image there")
    resources = {acc.device_resource: _devices(launch)} if acc and acc.device_resource else {}
    container = {"name": "trainer", "image": image,
                 "command": _torchrun(launch, "$(NODE_RANK)", f"{name}-0.{name}"),
                 "env": [{"name": "NODE_RANK", "valueFrom": {"fieldRef": {
                     "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}]
                 + [{"name": k, "value": v} for k, v in env.items()]}
    if resources:
        container["resources"] = {"limits": resources}
    pod = {"subdomain": name, "restartPolicy": "Never", "containers": [container]}
    if acc and acc.node_label:
        pod["nodeSelector"] = {acc.node_label[0]: acc.node_label[1]}
    if acc and acc.runtime_class:
        pod["runtimeClassName"] = acc.runtime_class
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
               "spec": {"clusterIP": "None", "selector": {"batch.kubernetes.io/job-name": name}}}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
           "spec": {"completionMode": "Indexed", "completions": launch.instance_count,
                    "parallelism": launch.instance_count, "backoffLimit": 0, "template": {"spec": pod}}}
    header = "".join(f"# {line}\n" for line in _header(launch, target, acc.device_resource if acc else "", notes))
    return header + _yaml(service) + "---\n" + _yaml(job)


def slurm_script(launch: Launch, target: Target) -> str:
    """One task per node; srun starts torchrun on each, the first node is the rendezvous host."""
    slurm = slurm_accelerator(target)
    env, notes = environment(launch, target)
    lines = ["#!/bin/bash", *(f"# {line}" for line in _header(launch, target, slurm.gres if slurm else "", notes)),
             f"#SBATCH --job-name={job_name(launch)}", f"#SBATCH --nodes={launch.instance_count}",
             "#SBATCH --ntasks-per-node=1"]
    if slurm and slurm.gres:
        lines.append(f"#SBATCH --gres={slurm.gres}:{_devices(launch)}")
    lines += ["set -euo pipefail", ""]
    if slurm and slurm.module:
        lines.append(f"module load {slurm.module}")
    lines += [f"export {k}={_shell(v)}" for k, v in env.items()]
    lines += ['MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)', "export MASTER_ADDR", ""]
    command = _torchrun(launch, "$SLURM_NODEID", "$MASTER_ADDR")
    lines.append("srun bash -c " + _shell(" ".join(_shell(a) if not a.startswith("--node_rank=") and
                                                   not a.startswith("--master_addr=") else a for a in command)))
    return "\n".join(lines) + "\n"


def _shell(value: str) -> str:
    return value if re.fullmatch(r"[\w./:=,@%+-]+", value) else "'" + value.replace("'", "'\\''") + "'"


def _yaml(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=120)


def launcher_files(root, rel: str, target: Target, registry: str = "", source: str | None = None) -> list[FilePort]:
    """The Job and the Slurm script beside a SageMaker launcher, as new files of the port (none for
    `portable`, or when the file holds no estimator that can be read). `source` is the launcher as
    ported, when the port rewrote it: reading that keeps a second port of the ported tree a no-op."""
    if target == Target.PORTABLE:
        return []
    try:
        launch = read_launch(rel, source if source is not None else (Path(root) / rel).read_text(encoding="utf-8"))
    except (OSError, UnicodeError, SyntaxError, ValueError):
        return []
    if launch is None:
        return []
    stem = str(Path(rel).with_suffix(""))
    out = []
    for suffix, text in ((".job.yaml", kubernetes_job(launch, target, registry)),
                         (".sbatch", slurm_script(launch, target))):
        new = f"{stem}.{target.value}{suffix}"
        existing = (Path(root) / new).read_bytes() if (Path(root) / new).is_file() else b""
        summary = "; ".join(line for line in text.splitlines()[:12] if line.startswith("# nodes:"))
        change = Change(new, 1, "CLD004", f"(from {rel}:{launch.line})", f"torchrun launch for {target.value}",
                        Kind.SEMANTIC, Applicability.SAFE, Status.APPLIED,
                        f"a new file; {summary.removeprefix('# ')}; what could not be read is listed at its top")
        data = text.encode("utf-8")
        out.append(FilePort(new, existing, data, changes=[change] if existing != data else []))
    return out
