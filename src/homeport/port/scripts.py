"""Slurm batch and launch scripts ported per target, line by line where assess flagged them: NVIDIA
GRES requests (ACC209) and `module load cuda` (ACC210) from catalog/data/slurm_accelerators.csv,
`--gpus` requests on the CPU target (ACC204), CUDA mask and NCCL variables (ACC201, ACC202) from the
target stack, EFA settings (CLD014) reported. Launch lines (`srun`, `torchrun`) keep their form:
torchrun is already the portable launcher; only their GPU options change. The result is plain
shell; the tests check it with `bash -n`."""

from __future__ import annotations

import re

from homeport.catalog.slurm import slurm_accelerator
from homeport.catalog.targets import stack
from homeport.core.model import Applicability, Finding, Target
from homeport.port.changes import Change, Kind, Status
from homeport.port.manifests import EFA_ENV, UNSAFE_REASON, collective_for
from homeport.port.textedits import Edit, line_span, settle

RULES = frozenset({"ACC201", "ACC202", "ACC204", "ACC209", "ACC210", "CLD014"})
SAFE, UNSAFE = Applicability.SAFE, Applicability.UNSAFE
# `--gres=gpu:a100:8` (type and count optional), `--gpus=h100:8`, `--gpus-per-node=4`
GPU_OPTION = re.compile(r"(?P<opt>--(?:gres|gpus(?:-per-(?:node|task|socket))?))(?P<sep>[= ])"
                        r"(?P<gres>gpu)?(?::?(?P<type>[A-Za-z][\w.-]*))?(?::?(?P<count>\d+))?(?=[\s,]|$)")
CUDA_MODULE = re.compile(r"(?<![\w/.-])(?:cuda|cudnn|nccl|nvhpc|cudatoolkit|cuda-toolkit)(?:[/-][\w.-]*)?(?![\w.-])")
MODULE_LINE = re.compile(r"^(?P<head>\s*(?:module|ml)\s+(?:load|add|try-load)\s+)(?P<mods>[^#\n;&|]*?)(?P<tail>\s*(?:[#;&|].*)?)$")
ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Z_][A-Z0-9_]*)=")


def port_script(rel: str, text: str, findings: list[Finding], target: Target, unsafe: bool = False
                ) -> tuple[str, list[Change]]:
    """The ported script and its change log: safe edits applied, unsafe ones with `unsafe`."""
    by_line: dict[int, set[str]] = {}
    for f in findings:
        if f.rule in RULES:
            by_line.setdefault(f.location.line, set()).add(f.rule)
    edits: list[Edit] = []
    notes: list[Change] = []
    slurm = slurm_accelerator(target)
    lines = text.splitlines(keepends=True)
    for number, rules in sorted(by_line.items()):
        if number > len(lines):
            continue
        line = lines[number - 1].rstrip("\n")
        start, end = line_span(text, number - 1, number - 1)
        end = start + len(line)

        def change(rule, original, new, kind, applicability, reason="", status=Status.APPLIED):
            return Change(rel, number, rule, original, new, kind, applicability, status, reason)

        def edit(rule, new, kind, applicability, reason=""):
            whole = new is None  # delete the line, its end included
            stop = line_span(text, number - 1, number - 1)[1] if whole else end
            edits.append(Edit(start, stop, "" if whole else new,
                              change(rule, line.strip(), "" if whole else new.strip(), kind, applicability, reason)))

        def leave(rule, reason, kind=Kind.UNSUPPORTED, status=Status.UNSUPPORTED):
            notes.append(change(rule, line.strip(), "", kind, UNSAFE, reason, status))

        if slurm is None:
            for rule in sorted(rules & {"ACC204", "ACC209", "ACC210"}):
                leave(rule, "`--target portable` names no accelerator: pass a concrete --target to rewrite it",
                      Kind.SEMANTIC, Status.LEFT)
        else:
            if rules & {"ACC209"} or ("ACC204" in rules and target == Target.CPU):
                _gpu_request(line, slurm.gres, [r for r in ("ACC209", "ACC204") if r in rules][0], edit, leave)
            if "ACC210" in rules:
                _module(line, slurm.module, target, edit, leave)
        for rule in sorted(rules & {"ACC201", "ACC202"}):
            _variable(line, rule, target, edit, leave)
        if "CLD014" in rules:
            leave("CLD014", EFA_ENV)
    return settle(text, edits, notes, unsafe, UNSAFE_REASON)


def _gpu_request(line: str, gres: str, rule: str, edit, leave) -> None:
    options = [m for m in GPU_OPTION.finditer(line) if m["opt"] != "--gres" or m["gres"]]
    if not options:
        leave(rule, "a GPU request this port cannot parse: ask for the target's resource by hand")
        return
    if not gres:  # the CPU target asks for no device
        alone = (len(options) == 1 and re.fullmatch(r"\s*#SBATCH\s+", line[:options[0].start()])
                 and re.fullmatch(r"\s*(?:#.*)?", line[options[0].end():]))
        if alone:  # the directive holds nothing else: the line goes (a bare `#SBATCH` is an error)
            edit(rule, None, Kind.SEMANTIC, SAFE, "the CPU target asks for no device")
        else:
            edit(rule, _sub(line, options, lambda m: ""), Kind.SEMANTIC, SAFE, "the CPU target asks for no device")
        return

    def spelled(m: re.Match) -> str:
        count = f":{m['count']}" if m["count"] else ""
        if m["opt"] == "--gres" or gres != "gpu":  # --gpus only exists for the gpu GRES
            return f"--gres{m['sep']}{gres}{count}"
        return f"{m['opt']}{m['sep']}{m['count'] or 1}"

    edit(rule, _sub(line, options, spelled), Kind.SEMANTIC, SAFE,
         f"the count is kept; `{gres}` is the site's usual GRES name: check it with `sinfo -o %G`")


def _sub(line: str, matches: list[re.Match], spell) -> str:
    out, cursor = [], 0
    for m in matches:
        new, end = spell(m), m.end()
        head = line[cursor:m.start()]
        if not new and line[end:end + 1] == ",":  # `--gres=gpu:8,nvme:1`: the other resources stay
            new, end = m["opt"] + m["sep"], end + 1
        elif not new:
            head = head.rstrip(" ")  # the option and the space before it
        out += [head, new]
        cursor = end
    return "".join(out) + line[cursor:]


def _module(line: str, module: str, target: Target, edit, leave) -> None:
    m = MODULE_LINE.match(line)
    if not m:
        leave("ACC210", "a module command this port cannot parse: load the target's module by hand")
        return
    if not module and target != Target.CPU:
        leave("ACC210", f"no environment module is recorded for {target.value} in "
                        "catalog/data/slurm_accelerators.csv: load the site's module, or none if the container "
                        "brings the stack")
        return
    kept, placed = [], False
    for name in m["mods"].split():
        if CUDA_MODULE.fullmatch(name):
            if module and not placed and re.match(r"cuda", name) and not re.match(r"cudnn", name):
                kept.append(module)
                placed = True
        else:
            kept.append(name)
    if module and not placed:  # only cuDNN or NCCL was loaded: the target's stack replaces them
        kept.append(module)
    if not kept:
        edit("ACC210", None, Kind.EXACT, SAFE, "the CPU target needs no accelerator module")
        return
    edit("ACC210", m["head"] + " ".join(dict.fromkeys(kept)) + m["tail"], Kind.EXACT, SAFE,
         "" if target == Target.CPU else "the site's module name may differ: check `module avail`")


def _variable(line: str, rule: str, target: Target, edit, leave) -> None:
    m = ASSIGNMENT.match(line)
    names = re.findall(r"(?<![\w])(?:TORCH_)?NCCL_[A-Z0-9_]+" if rule == "ACC202" else r"\bCUDA_VISIBLE_DEVICES\b",
                       line)
    var = m["name"] if m and m["name"] in names else (names[0] if names else "")
    if not m or m["name"] != var:
        leave(rule, "the variable is read, not set, here: rename it by hand with the line that sets it")
        return
    if rule == "ACC202":
        new, why = collective_for(var, target)
    elif target == Target.PORTABLE:
        new, why = "", "`--target portable` names no device mask: pass a concrete --target"
    else:
        new = stack(target).visible_devices_env
        why = "" if new else "the CPU target has no device mask: delete it"
    if not new:
        leave(rule, why)
    elif new == var:
        leave(rule, f"{target.value} reads {var} as it is: nothing to change", Kind.EXACT, Status.LEFT)
    else:
        edit(rule, re.sub(rf"(?<![\w]){re.escape(var)}(?![\w])", new, line), Kind.SEMANTIC, UNSAFE,
             "the value is kept; its meaning may differ")
