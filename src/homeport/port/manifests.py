"""Kubernetes manifests ported per target (Job, PyTorchJob, Deployment, plain Helm values): device
resources, NVIDIA node selectors, tolerations and runtime class from catalog/data/k8s_accelerators.csv;
NCCL and CUDA mask variables from the target stack; ECR images to `--registry`; what has no automatic
equivalent (EFA, IRSA, NVIDIA node affinity) in the change log with the reason.

Like the Python codemod, a node is touched only where `homeport assess` reported its rule on its line,
so detection and fix agree. PyYAML's composer gives the positions; the edits are made in the text
(port/textedits.py), so everything else in the file stays as it was.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import yaml

from homeport.catalog.k8s import K8sAccelerator, k8s_accelerator
from homeport.catalog.targets import collective_row, stack
from homeport.core.model import Applicability, Finding, Target
from homeport.port.changes import Change, Kind, Status
from homeport.port.textedits import Edit, line_span, settle

# The rules whose findings this module acts on (engine.port hands them over for YAML files).
RULES = frozenset({"ACC201", "ACC202", "ACC204", "CLD010", "CLD012", "CLD014"})
NVIDIA_RESOURCE = re.compile(r"^nvidia\.com/(?:gpu|mig-[\w.-]+)$")
NVIDIA_LABEL = re.compile(r"^nvidia\.com/")
ECR_HOST = re.compile(r"^[\w${}<>-]+\.dkr\.ecr\.[\w${}<>-]+\.amazonaws\.com(?:\.cn)?(?=/)")
SAFE, UNSAFE = Applicability.SAFE, Applicability.UNSAFE
UNSAFE_REASON = "unsafe: the target may read the value differently, or the image must be pushed first (pass --unsafe-fixes to apply)"
IRSA = ("the target has no IRSA: give the pod the target store's keys from a Secret (`envFrom: - secretRef:`) "
        "or the provider's workload identity where it has one, then delete the annotation")
EFA_ENV = ("EFA is AWS's fabric: the target's RDMA (InfiniBand or RoCE) needs its own collective settings from "
           "the provider; delete this variable there")


@dataclass
class _Walk:
    rel: str
    text: str
    target: Target
    accelerator: K8sAccelerator | None
    registry: str
    flagged: set[tuple[str, int]]  # (rule, 1-based line)
    edits: list[Edit] = field(default_factory=list)
    notes: list[Change] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)

    def hit(self, rule: str, *nodes: yaml.Node) -> bool:
        return any((rule, line) in self.flagged for n in nodes
                   for line in range(n.start_mark.line + 1, _last_line(n) + 2))

    def change(self, node: yaml.Node, rule: str, original: str, replacement: str, kind: Kind,
               applicability: Applicability, reason: str = "") -> Change:
        return Change(self.rel, node.start_mark.line + 1, rule, original, replacement, kind, applicability,
                      Status.APPLIED, reason)

    def replace(self, node: yaml.ScalarNode, new: str, rule: str, kind: Kind, applicability: Applicability,
                reason: str = "", original: str = "", shown: str = "") -> None:
        change = self.change(node, rule, original or node.value, shown or new, kind, applicability, reason)
        self.edits.append(Edit(node.start_mark.index, node.end_mark.index, _scalar(new, node.style), change))

    def delete(self, first: yaml.Node, last: yaml.Node, rule: str, original: str, kind: Kind,
               applicability: Applicability, reason: str, flow: bool) -> None:
        change = self.change(first, rule, original, "", kind, applicability, reason)
        if flow or not self._alone(first):
            self.leave(first, rule, original, "", "a flow-style or shared line: delete it by hand; " + reason)
            return
        start, end = line_span(self.text, first.start_mark.line, _last_line(last))
        self.edits.append(Edit(start, end, "", change))

    def leave(self, node: yaml.Node, rule: str, original: str, replacement: str, reason: str,
              kind: Kind = Kind.UNSUPPORTED, status: Status = Status.UNSUPPORTED) -> None:
        self.notes.append(Change(self.rel, node.start_mark.line + 1, rule, original, replacement, kind, UNSAFE,
                                 status, reason))

    def _alone(self, node: yaml.Node) -> bool:
        """Only the node's entry starts on its line (`key:` or `- key:` after the indentation)."""
        start, _ = line_span(self.text, node.start_mark.line, node.start_mark.line)
        return re.fullmatch(r"\s*(?:-\s+)?", self.text[start:node.start_mark.index]) is not None


def port_manifest(rel: str, text: str, findings: list[Finding], target: Target, registry: str = "",
                  unsafe: bool = False) -> tuple[str, list[Change]]:
    """The ported YAML text and its change log. Raises ValueError for text that is not plain YAML."""
    flagged = {(f.rule, f.location.line) for f in findings if f.rule in RULES}
    if not flagged:
        return text, []
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ValueError(f"not plain YAML (a Helm template?): {str(exc).splitlines()[0]}") from None
    walk = _Walk(rel, text, target, k8s_accelerator(target), registry, flagged)
    for document in documents:
        if document is not None:
            _visit(walk, document, ())
    return settle(text, walk.edits, walk.notes, unsafe, UNSAFE_REASON)


def _visit(walk: _Walk, node: yaml.Node, path: tuple[str, ...]) -> None:
    if id(node) in walk.seen:  # an alias: the anchored node was ported where it is defined
        return
    walk.seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        if path[-1:] == ("env",):
            _env(walk, node)
        if path[-1:] == ("tolerations",):
            _tolerations(walk, node)
        for item in node.value:
            _visit(walk, item, path)
        return
    if not isinstance(node, yaml.MappingNode):
        return
    selector_done = False
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        name = key.value
        if path[-1:] in (("limits",), ("requests",)) and isinstance(value, yaml.ScalarNode):
            _resource(walk, node, key, value)
        elif path[-1:] == ("nodeSelector",) and NVIDIA_LABEL.match(name) and walk.hit("ACC204", key):
            _selector(walk, node, key, value, replace=not selector_done)
            selector_done = True
        elif name == "runtimeClassName" and isinstance(value, yaml.ScalarNode) and value.value == "nvidia":
            _runtime_class(walk, node, key, value)
        elif name == "image" and isinstance(value, yaml.ScalarNode) and walk.hit("CLD010", value):
            _image(walk, value)
        elif name == "key" and isinstance(value, yaml.ScalarNode) and NVIDIA_LABEL.match(value.value) \
                and "matchExpressions" in path and walk.hit("ACC204", value):
            label = walk.accelerator and walk.accelerator.node_label
            walk.leave(key, "ACC204", value.value, f"{label[0]}={label[1]}" if label else "",
                       "node affinity on an NVIDIA label: replace the expression with the target's node label "
                       + (f"`{label[0]}={label[1]}`" if label else "(none: drop it)") + " by hand")
        elif name == "eks.amazonaws.com/role-arn" and walk.hit("CLD012", key):
            walk.leave(key, "CLD012", f"{name}: {getattr(value, 'value', '')}", "", IRSA)
        _visit(walk, value, path + (name,))


def _concrete(walk: _Walk, node: yaml.Node, rule: str, original: str) -> bool:
    """False (and a `left` change) when `--target portable` names no accelerator to port to."""
    if walk.accelerator is not None:
        return True
    walk.leave(node, rule, original, "", "`--target portable` names no accelerator: pass a concrete --target "
               "(rocm, gaudi, xpu, npu, cpu) to rewrite it", Kind.SEMANTIC, Status.LEFT)
    return False


def _resource(walk: _Walk, parent: yaml.MappingNode, key: yaml.ScalarNode, value: yaml.ScalarNode) -> None:
    entry = f"{key.value}: {value.value}"
    if key.value == "vpc.amazonaws.com/efa" and walk.hit("CLD014", key):
        rdma = walk.accelerator.rdma_resource if walk.accelerator else ""
        walk.leave(key, "CLD014", entry, rdma, "EFA is AWS's network device: ask for the target cluster's RDMA "
                   "resource instead" + (f" (`{rdma}` with the RDMA shared device plugin; the cluster's "
                                         "configuration names it)" if rdma else "") +
                   ", or drop it for a single-node job")
        return
    if not NVIDIA_RESOURCE.match(key.value) or not walk.hit("ACC204", key) \
            or not _concrete(walk, key, "ACC204", entry):
        return
    resource = walk.accelerator.device_resource
    if key.value.startswith("nvidia.com/mig-"):
        walk.leave(key, "ACC204", entry, resource, "a MIG slice has no equivalent on the target: ask for whole "
                   f"devices (`{resource}`) or share them by the target's own means" if resource else
                   "a MIG slice: the CPU target asks for no device; delete it")
    elif resource:
        walk.replace(key, resource, "ACC204", Kind.SEMANTIC, SAFE,
                     f"the count is kept: {value.value} target devices; check the model still fits their memory",
                     original=entry, shown=f"{resource}: {value.value}")
    else:
        walk.delete(key, value, "ACC204", entry, Kind.SEMANTIC, SAFE, "the CPU target asks for no device",
                    parent.flow_style)


def _selector(walk: _Walk, parent: yaml.MappingNode, key: yaml.ScalarNode, value: yaml.Node, replace: bool) -> None:
    entry = f"{key.value}: {getattr(value, 'value', '')}"
    if not _concrete(walk, key, "ACC204", entry):
        return
    label = walk.accelerator.node_label
    present = label and any(getattr(k, "value", None) == label[0] for k, _ in parent.value)
    if replace and label and not present and isinstance(value, yaml.ScalarNode):
        walk.replace(key, label[0], "ACC204", Kind.SEMANTIC, SAFE,
                     "nodes with the target's accelerator; a board chosen by name needs the target's own "
                     "product label", original=entry, shown=f"{label[0]}: {label[1]}")
        walk.edits.append(Edit(value.start_mark.index, value.end_mark.index, _scalar(label[1], value.style),
                               walk.edits[-1].change))
        return
    walk.delete(key, value, "ACC204", entry, Kind.SEMANTIC, SAFE,
                "an NVIDIA node label" + (f"; `{label[0]}={label[1]}` selects the target's nodes" if label else
                                          ": the CPU target needs none"), parent.flow_style)


def _tolerations(walk: _Walk, sequence: yaml.SequenceNode) -> None:
    for item in sequence.value:
        if not isinstance(item, yaml.MappingNode):
            continue
        fields = {k.value: v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
        key = fields.get("key")
        if not isinstance(key, yaml.ScalarNode) or not NVIDIA_LABEL.match(key.value) \
                or not walk.hit("ACC204", key) or not _concrete(walk, key, "ACC204", f"key: {key.value}"):
            continue
        resource = walk.accelerator.device_resource
        if resource:
            walk.replace(key, resource, "ACC204", Kind.SEMANTIC, SAFE,
                         "assumes the target's GPU nodes are tainted with their resource name, as NVIDIA's are: "
                         "check the taints of the target's node pool", original=f"key: {key.value}")
        else:
            walk.delete(item, item, "ACC204", f"key: {key.value}", Kind.SEMANTIC, SAFE,
                        "the CPU target's nodes carry no GPU taint", sequence.flow_style or item.flow_style)


def _runtime_class(walk: _Walk, parent: yaml.MappingNode, key: yaml.ScalarNode, value: yaml.ScalarNode) -> None:
    entry = "runtimeClassName: nvidia"
    if not walk.hit("ACC204", key, value) or not _concrete(walk, key, "ACC204", entry):
        return
    runtime = walk.accelerator.runtime_class
    if runtime:
        walk.replace(value, runtime, "ACC204", Kind.EXACT, SAFE, original=entry)
    else:
        walk.delete(key, value, "ACC204", entry, Kind.EXACT, SAFE,
                    "the target's device plugin needs no runtime class", parent.flow_style)


def _image(walk: _Walk, value: yaml.ScalarNode) -> None:
    host = ECR_HOST.match(value.value)
    if not host:
        walk.leave(value, "CLD010", value.value, "", "an ECR reference this port cannot parse: point it at the "
                   "target's registry by hand")
    elif not walk.registry:
        walk.leave(value, "CLD010", value.value, "REGISTRY" + value.value[host.end():], "pass --registry HOST[/PREFIX] (the target's registry) to "
                   "rewrite it; push the image there first", Kind.SEMANTIC, Status.LEFT)
    else:
        new = walk.registry.rstrip("/") + value.value[host.end():]
        walk.replace(value, new, "CLD010", Kind.EXACT, UNSAFE, "push the image there before the job runs")


def _env(walk: _Walk, sequence: yaml.SequenceNode) -> None:
    names = {_field(item, "name").value for item in sequence.value if _field(item, "name") is not None}
    for item in sequence.value:
        name = _field(item, "name")
        if name is None:
            continue
        var = name.value
        if re.match(r"^(?:TORCH_)?NCCL_", var) and walk.hit("ACC202", name):
            _rename(walk, name, "ACC202", collective_for(var, walk.target), names)
        elif var == "CUDA_VISIBLE_DEVICES" and walk.hit("ACC201", name):
            mask = stack(walk.target).visible_devices_env if walk.accelerator else ""
            _rename(walk, name, "ACC201", (mask, "" if mask else "the CPU target has no device mask: delete it"),
                    names)
        elif walk.hit("CLD014", item):
            flagged = [n for n in (name, _field(item, "value")) if n is not None and walk.hit("CLD014", n)]
            walk.leave(flagged[0] if flagged else name, "CLD014", var, "", EFA_ENV)


def collective_for(var: str, target: Target) -> tuple[str, str]:
    """The target's variable for an NCCL one, or "" and the reason there is none."""
    if target == Target.PORTABLE:
        return "", "`--target portable` names no collective library: pass a concrete --target"
    row = collective_row(var, target)
    if row is None:
        return "", f"no equivalent of {var} for {target.value} is recorded in catalog/data/collective_env.csv"
    if not row.equivalent:
        return "", f"{target.value}'s collective library has no equivalent of {var} ({row.source})"
    return row.equivalent_of(var), ""


def _rename(walk: _Walk, name: yaml.ScalarNode, rule: str, mapped: tuple[str, str], names: set[str]) -> None:
    new, why = mapped
    if not new:
        walk.leave(name, rule, name.value, "", why, Kind.UNSUPPORTED)
    elif new == name.value:
        walk.leave(name, rule, name.value, new, f"{walk.target.value} reads {new} as it is: nothing to change",
                   Kind.EXACT, Status.LEFT)
    elif new in names:
        walk.leave(name, rule, name.value, new, f"{new} is already set in this env list: delete {name.value} by hand",
                   Kind.SEMANTIC, Status.LEFT)
    else:
        walk.replace(name, new, rule, Kind.SEMANTIC, UNSAFE, "the value is kept; its meaning may differ")


def _field(node: yaml.Node, name: str) -> yaml.ScalarNode | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == name and isinstance(value, yaml.ScalarNode):
                return value
    return None


def _last_line(node: yaml.Node) -> int:
    """The 0-based last line of a node's own text. A collection's end mark sits at the next token (the
    next item's `-` or key), so it ends where its last child does."""
    if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
        return _last_line(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
        return _last_line(node.value[-1])
    end = node.end_mark  # a block scalar (`|`) ends at the start of the line after it
    return end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line


def _scalar(value: str, style: str | None) -> str:
    """`value` spelled as a YAML string: plain where that reads back as the same string, else quoted in the
    original's style."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style is None and yaml.safe_load(f"k: {value}") == {"k": value}:
        return value
    return json.dumps(value)
