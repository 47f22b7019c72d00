"""`homeport port` for containers and requirements: the target's base image, wheel index and pins take
the place of the CUDA ones ("containerize dependencies, but ensure the base image supports the target").

Pure functions over text, no I/O: each returns the new text and the changes, one per line it touched or
left (`line` 1-based in the original). What is flagged is decided by the assess rules themselves (their
patterns, package lists and per-target severities), so a ported file re-assessed shows those findings
gone; what replaces it comes from catalog data (catalog/data/target_stacks.csv, collective_env.csv,
library_support.csv), never from this module. A new stack changes what runs: every rewrite is an
unsafe, semantic change, and its reason says what to check.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from functools import lru_cache

from homeport.assess import kinds as K
from homeport.assess.engine import load_rules
from homeport.assess.index import RuleIndex, build_index, normalize_package
from homeport.assess.text import requirements as declared_packages
from homeport.assess.text import strip_comment
from homeport.catalog.libraries import libraries
from homeport.catalog.targets import Stack, collective_row, stack
from homeport.core.model import NON_NVIDIA, Applicability, Severity, Target
from homeport.core.rule import Rule
from homeport.port.changes import Change, Kind, Status
from homeport.rules.acc.config import CudaEnvironment, CudaSystemPackage, CudaVisibleDevices, NcclEnvironment
from homeport.rules.dep.packages import CondaCudaPackage, CudaBaseImage, CudaWheel, NvidiaPackage

TORCH_FAMILY = frozenset({"torch", "torchvision", "torchaudio"})
NOTE = "# homeport:"  # marks the lines this module commented out; never `homeport: ignore` (a suppression)
CHOOSE_TARGET = ("`portable` is not a concrete stack: choose a concrete --target "
                 f"({', '.join(t.value for t in NON_NVIDIA)}) to rewrite this line")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_LOCAL = re.compile(r"\+[^\s;,'\"\]]+")  # the local version label: `+cu121`, `+${CUDA_TAG}`
_PIN = re.compile(r"===?\s*([0-9][^+\s;,'\"]*)")
_URL = re.compile(r"https?://[^\s\"'\\]+")
_FIND_LINKS = re.compile(r"(?:^|\s)(-f|--find-links)(?:=|\s+)$")  # just before a URL


# -- one requirement, one URL: shared by requirements files and `pip install` lines ---------------------

@dataclass(frozen=True)
class Decision:
    """What becomes of one requirement or URL on the target."""

    rule: str  # the assess rule that flags it
    specs: tuple[str, ...] | None  # what replaces it; None: it goes (commented out or deleted)
    reason: str
    left: bool = False  # a person decides: nothing is rewritten


def decide_requirement(spec: str, st: Stack, declared: frozenset[str] = frozenset()) -> Decision | None:
    """`torch==2.3.1+cu121` on rocm -> `torch==2.3.1+rocm7.2`; None when the target needs no change.
    `declared`: normalized names already in the file, so an extra package is never added twice."""
    match = _NAME.match(spec)
    if not match:
        return None
    name = normalize_package(match.group(0))
    rules = {rule.code: rule for rule in _index().rules_for_package(name)}
    decision = _library(name, rules, st) or _cuda_build(spec, name, rules, st, declared)
    return decision if decision and _matters(decision.rule, st.target) else None


def _library(name: str, rules: dict, st: Stack) -> Decision | None:
    lib = next((lib for lib in libraries() if lib.package_code in rules), None)
    if lib is not None:
        support = lib.support[st.target.value]
        route = (f"{lib.library} support on {st.target.value}: {support} (catalog/data/library_support.csv, "
                 f"{lib.source}); instead: {lib.alternative}")
        # partial support: only the user knows whether the parts they use are there
        return Decision(lib.package_code, None, route, left=support != "no")
    if NvidiaPackage.code in rules:
        return Decision(NvidiaPackage.code, None, f"an NVIDIA runtime library, which the {st.target.value} "
                                                  "PyTorch build does not use")
    return None


def _cuda_build(spec: str, name: str, rules: dict, st: Stack, declared: frozenset[str]) -> Decision | None:
    if not re.search(CudaWheel.requirement, spec):  # a conda-style CUDA package (`cuda-*`, `*-cuda*`)
        return Decision(CondaCudaPackage.code, None, f"a CUDA package: find its {st.target.value} counterpart",
                        left=True) if CondaCudaPackage.code in rules else None
    if name not in TORCH_FAMILY:
        return Decision(CudaWheel.code, None, f"a CUDA build of {name}: pin its {st.target.value} build", left=True)
    if st.torch_from == "image":
        return Decision(CudaWheel.code, None, f"the {st.target.value} base image brings its own {name} build "
                                              f"({st.notes}); installing this one would replace it")
    pin = _PIN.search(spec)
    version = pin.group(1) if pin else None
    extras = st.extras_for(version) if name == "torch" else ()
    extras = tuple(e for e in extras if normalize_package(_NAME.match(e).group(0)) not in declared)
    built = f"{name} {version}{st.torch_local_suffix}" if version else name
    return Decision(CudaWheel.code, (_LOCAL.sub(st.torch_local_suffix, spec, count=1), *extras),
                    f"the {st.target.value} build from {st.wheel_index}: check that {built} is published there "
                    f"({st.notes})")


def decide_url(url: str, st: Stack) -> Decision | None:
    """A CUDA wheel index -> the target's index; a CUDA wheel file is left to a person."""
    if not re.search(CudaWheel.text, url) or not _matters(CudaWheel.code, st.target):
        return None
    if url.endswith(".whl"):
        return Decision(CudaWheel.code, None, f"a CUDA wheel file: pick the {st.target.value} wheel", left=True)
    if st.torch_from == "image":
        return Decision(CudaWheel.code, None, f"the {st.target.value} base image brings torch: no wheel index")
    return Decision(CudaWheel.code, (st.wheel_index,), f"the {st.target.value} wheel index replaces the CUDA one")


def url_edits(body: str, st: Stack):
    """Yield (decision, start, end) for each CUDA wheel URL in a line. A find-links page
    (`-f .../whl/cu121/torch_stable.html`) becomes `--extra-index-url` with the target's index."""
    for match in _URL.finditer(body):
        decision = decide_url(match.group(0), st)
        if decision is None:
            continue
        find_links = _FIND_LINKS.search(body, 0, match.start())
        if find_links and decision.specs is not None:
            yield Decision(decision.rule, (f"--extra-index-url {decision.specs[0]}",), decision.reason), \
                find_links.start(1), match.end()
        else:
            yield decision, match.start(), match.end()


@lru_cache(maxsize=1)
def _index() -> RuleIndex:
    return build_index(frozenset(load_rules()))


def _matters(code: str, target: Target) -> bool:
    """Port only what assess flags on this target (ROCm runs `NCCL_*` and `CUDA_VISIBLE_DEVICES` as is)."""
    return Rule.registry[code].severity_for(target) != Severity.INFO


def _change(path: str, number: int, decision: Decision, original: str, replacement: str) -> Change:
    status = Status.LEFT if decision.left else Status.APPLIED
    return Change(path, number, decision.rule, original.strip(), replacement.strip() if not decision.left else "",
                  Kind.SEMANTIC, Applicability.UNSAFE, status, decision.reason)


# -- lines, with their own line endings (CRLF stays CRLF) ----------------------------------------------

class _Lines:
    """The file as bodies and line endings; edits are spans on a body, applied right to left."""

    def __init__(self, text: str):
        parts = re.split(r"(\r\n|\n|\r)", text)
        self.bodies, self.eols = parts[0::2], parts[1::2] + [""]
        self.edits: dict[int, list[tuple[int, int, str]]] = {}
        self.after: dict[int, list[str]] = {}  # lines inserted below a line
        self.dropped: set[int] = set()
        self.newline = next((e for e in self.eols if e), "\n")

    def edit(self, index: int, start: int, end: int, new: str) -> None:
        self.edits.setdefault(index, []).append((start, end, new))

    def replace(self, index: int, new: str) -> None:
        """The whole line, in place of the line and of any edit made to it so far."""
        self.edits[index] = [(0, len(self.bodies[index]), new)]

    def body(self, index: int) -> str:
        body = self.bodies[index]
        for start, end, new in sorted(self.edits.get(index, []), reverse=True):
            body = body[:start] + new + body[end:]
        return body

    def text(self) -> str:
        out = []
        for index, eol in enumerate(self.eols):
            if index in self.dropped:
                continue
            new = [self.body(index), *self.after.get(index, [])]
            # inserted lines take this line's ending; the last line of a file may have none
            out.append((eol or self.newline).join(new) + eol)
        return "".join(out)


def _extras_apart(decision: Decision, bodies: list[str], path: str, number: int, original: str):
    """Extra packages (torch-npu) live on PyPI: where `--index-url` hides PyPI, say so instead of adding them."""
    if len(decision.specs) < 2 or not any(re.search(r"(?:^|\s)(?:--index-url|-i)(?:=|\s)", b) for b in bodies):
        return decision, []
    note = Decision(decision.rule, None, f"install {' '.join(decision.specs[1:])} from PyPI too: the --index-url "
                                         "here hides it", left=True)
    return Decision(decision.rule, decision.specs[:1], decision.reason), [_change(path, number, note, original, "")]


def _commented(body: str, reason: str) -> str:
    indent = body[: len(body) - len(body.lstrip())]
    return f"{indent}# {body.strip()}  {NOTE} {reason}"


def _on_concrete_target(port, path: str, text: str, target: Target | str):
    """`cuda` keeps the CUDA stack; `portable` changes nothing and lists, as LEFT, every line that a
    concrete target would rewrite."""
    target = Target(target)
    if target == Target.CUDA:
        return text, []
    if target != Target.PORTABLE:
        return port(path, text, stack(target))
    seen: dict[tuple[int, str], Change] = {}
    for concrete in NON_NVIDIA:
        for c in port(path, text, stack(concrete))[1]:
            seen.setdefault((c.line, c.rule), Change(c.path, c.line, c.rule, c.original, "", c.kind,
                                                     c.applicability, Status.LEFT, CHOOSE_TARGET))
    return text, sorted(seen.values(), key=lambda c: (c.line, c.rule))


# -- requirements and constraints files -----------------------------------------------------------------

def port_requirements(path: str, text: str, target: Target | str) -> tuple[str, list[Change]]:
    """Rewrite a requirements or constraints file for `target`: CUDA pins and indexes become the target's,
    NVIDIA runtime packages and CUDA-only libraries are commented out with a `# homeport:` note."""
    return _on_concrete_target(_port_requirements, path, text, target)


def _port_requirements(path: str, text: str, st: Stack) -> tuple[str, list[Change]]:
    lines = _Lines(text)
    declared = frozenset(normalize_package(_NAME.match(req).group(0)) for _, _, req, _ in
                         declared_packages(K.REQUIREMENTS, lines.bodies) if _NAME.match(req))
    changes = []
    for index, body in enumerate(lines.bodies):
        content = strip_comment(K.REQUIREMENTS, body).strip()
        if not content:
            continue
        if content.startswith("-") or "://" in content:  # an option (index, find-links) or a wheel URL
            found = next(url_edits(body, st), None)
        else:
            old = re.split(r"\s*;|\s+--", content)[0].strip()  # without markers and per-line options
            decision, start = decide_requirement(old, st, declared), body.index(old)
            found = decision and (decision, start, start + len(old))
        if not found:
            continue
        decision, start, end = found
        if decision.specs is not None and not decision.left:
            decision, extras = _extras_apart(decision, lines.bodies, path, index + 1, body)
            changes += extras
            lines.edit(index, start, end, decision.specs[0])
            lines.after[index] = [body[: len(body) - len(body.lstrip())] + extra for extra in decision.specs[1:]]
        elif not decision.left:
            lines.replace(index, _commented(body, decision.reason))
        replacement = "\n".join([lines.body(index), *lines.after.get(index, [])])
        changes.append(_change(path, index + 1, decision, body, replacement))
    return lines.text(), changes


# -- Dockerfiles -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction over physical lines `first`..`last` (0-based, inclusive)."""

    keyword: str  # upper case
    first: int
    last: int


def instructions(bodies: list[str]) -> list[Instruction]:
    """Split a Dockerfile into instructions: backslash (or `# escape=`) continuations, comment lines
    inside them, and heredocs (`RUN <<EOF ... EOF`) belong to the instruction they sit in."""
    escape = _escape_char(bodies)
    out, index = [], 0
    while index < len(bodies):
        line = bodies[index].strip()
        if not line or line.startswith("#"):
            index += 1
            continue
        first = index
        heredoc = re.search(r"<<-?\s*[\"']?(\w+)[\"']?", line)
        while index + 1 < len(bodies):
            here = bodies[index].strip()
            inside = index > first and (not here or here.startswith("#"))  # a comment within a continuation
            if not (inside or here.endswith(escape)):
                break
            index += 1
        if heredoc:
            while index + 1 < len(bodies) and bodies[index].strip() != heredoc.group(1):
                index += 1
        out.append(Instruction(line.split(None, 1)[0].upper(), first, index))
        index += 1
    return out


def _escape_char(bodies: list[str]) -> str:
    for body in bodies:  # parser directives come first, before any other comment or instruction
        directive = re.match(r"^\s*#\s*(\w+)\s*=\s*(\S+)", body)
        if not directive:
            break
        if directive.group(1).lower() == "escape":
            return directive.group(2)
    return "\\"


def port_dockerfile(path: str, text: str, target: Target | str) -> tuple[str, list[Change]]:
    """Rewrite a Dockerfile for `target`: CUDA base images (every stage), CUDA and NCCL environment
    variables, CUDA wheel indexes and `+cu` pins in install lines; the rest is left with a reason."""
    return _on_concrete_target(_port_dockerfile, path, text, target)


def _port_dockerfile(path: str, text: str, st: Stack) -> tuple[str, list[Change]]:
    lines = _Lines(text)
    changes: list[Change] = []
    for ins in instructions(lines.bodies):
        if ins.keyword in ("FROM", "ARG"):
            changes += _port_image(path, lines, ins.first, st, _FROM_IMAGE if ins.keyword == "FROM" else _ARG_IMAGE)
        elif ins.keyword == "ENV":
            changes += _port_env(path, lines, ins, st)
        if ins.keyword in ("RUN", "ENV", "ARG"):
            changes += _port_urls(path, lines, ins, st)
    changes += _port_installs(path, lines, st)
    return lines.text(), sorted(changes, key=lambda c: c.line)


def _instruction_at(bodies: list[str], index: int) -> list[str]:
    ins = next(i for i in instructions(bodies) if i.first <= index <= i.last)
    return bodies[ins.first: ins.last + 1]


def _image_decision(image: str, st: Stack) -> Decision:
    if "$" in image:
        return Decision(CudaBaseImage.code, None, f"the image comes from a build argument: set it to "
                                                  f"{st.base_image}", left=True)
    extra = f"; torch is not in it: install it from {st.wheel_index}" if st.torch_from == "index" else ""
    return Decision(CudaBaseImage.code, (st.base_image,), f"the {st.target.value} base image ({st.notes}{extra}); "
                                                          "it has its own OS and Python: check what this stage "
                                                          "installs")


_FROM_IMAGE = re.compile(r"(?i)^\s*FROM\s+(?:--\S+\s+)*(\S+)")
_ARG_IMAGE = re.compile(r"(?i)^\s*ARG\s+\w+=[\"']?([^\s\"']+)")  # the default a `FROM ${BASE_IMAGE}` uses


def _port_image(path: str, lines: _Lines, index: int, st: Stack, image: re.Pattern) -> list[Change]:
    """A CUDA image in `FROM` or in the default of an `ARG` (group 1 of `image`) becomes the target's."""
    body = lines.bodies[index]
    match = image.match(body)
    if not match or not re.search(CudaBaseImage.text, body) or not _matters(CudaBaseImage.code, st.target):
        return []
    decision = _image_decision(match.group(1), st)
    if not decision.left:
        lines.edit(index, match.start(1), match.end(1), st.base_image)
    return [_change(path, index + 1, decision, body, lines.body(index))]


_ENV_PAIR = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)(=(?:\"(?:\\.|[^\"\\])*\"|'[^']*'|(?:\\.|[^\s\\])*))?")


def env_pairs(lines: _Lines | list[str], ins: Instruction):
    """Yield (line index, start, end, name, raw value or None) for the variables an ENV instruction sets.
    `None`: the legacy `ENV NAME value` form, whose value is the rest of the instruction."""
    bodies = lines.bodies if isinstance(lines, _Lines) else lines
    for index in range(ins.first, ins.last + 1):
        body = bodies[index]
        if body.lstrip().startswith("#"):
            continue
        pos = re.match(r"(?i)^\s*ENV\b", body).end() if index == ins.first else 0
        while True:
            match = _ENV_PAIR.match(body, pos)
            if not match or match.end() == pos:
                break
            value = match.group(2)
            yield index, match.start(1), match.end(1), match.group(1), None if value is None else value[1:]
            if match.group(2) is None:  # legacy form: one variable, the rest is its value
                return
            pos = match.end()


def _port_env(path: str, lines: _Lines, ins: Instruction, st: Stack) -> list[Change]:
    changes = []
    for index, start, end, name, _ in list(env_pairs(lines, ins)):
        decision = _env_decision(name, st)
        if decision is None or not _matters(decision.rule, st.target):
            continue
        original = lines.bodies[index]
        if not decision.left:
            lines.edit(index, start, end, decision.specs[0])
        changes.append(_change(path, index + 1, decision, original, lines.body(index)))
    return changes


def _env_decision(name: str, st: Stack) -> Decision | None:
    target = st.target.value
    if re.search(CudaVisibleDevices.strings, name):
        if not st.visible_devices_env:
            return Decision(CudaVisibleDevices.code, None, f"{target} has no device mask: remove it", left=True)
        return Decision(CudaVisibleDevices.code, (st.visible_devices_env,),
                        f"the {target} device mask; check the value: it numbers that vendor's devices")
    if re.search(NcclEnvironment.strings, name):
        row = collective_row(name, st.target)
        equivalent = row.equivalent_of(name) if row else None
        if equivalent == name:
            return None
        if equivalent is None:
            why = f"none for {target} ({row.source})" if row else f"no {target} equivalent recorded"
            return Decision(NcclEnvironment.code, None, f"{why} in catalog/data/collective_env.csv: remove it or "
                                                        f"set the {st.collective_env_prefix}* variable that does "
                                                        "the same", left=True)
        return Decision(NcclEnvironment.code, (equivalent,), f"the {target} collective library's variable "
                                                             f"({row.source}); check the value's syntax")
    if re.search(CudaEnvironment.strings, name):
        return Decision(CudaEnvironment.code, None, f"configures the CUDA toolkit; no {target} equivalent is "
                                                    "recorded: give the target its own setting or remove it",
                        left=True)
    return None


def _port_urls(path: str, lines: _Lines, ins: Instruction, st: Stack) -> list[Change]:
    changes = []
    for index in range(ins.first, ins.last + 1):
        body = lines.bodies[index]
        if body.lstrip().startswith("#"):
            continue
        for decision, start, end in url_edits(body, st):
            if decision.specs is not None:
                lines.edit(index, start, end, decision.specs[0])
            else:  # an install option cannot be commented out inside a command
                decision = Decision(decision.rule, None, f"{decision.reason}: delete it from this command",
                                    left=True)
            changes.append(_change(path, index + 1, decision, body, lines.body(index)))
    return changes


def _port_installs(path: str, lines: _Lines, st: Stack) -> list[Change]:
    """Packages named by `pip install` and `apt-get install` (found as assess finds them)."""
    bodies = lines.bodies
    declared = frozenset(normalize_package(m.group(0)) for _, _, token, system in declared_packages(K.DOCKERFILE,
                         bodies) if not system and (m := _NAME.match(token)))
    changes = []
    for number, col, token, system in declared_packages(K.DOCKERFILE, bodies):
        index, original = number - 1, lines.bodies[number - 1]
        decision = _system_package(token, st) if system else decide_requirement(token, st, declared)
        if decision is None:
            continue
        if decision.specs is None and not decision.left:
            if not system:  # deleting the last package would leave a bare `pip install`, which fails
                decision = Decision(decision.rule, None, f"{decision.reason}: delete `{token}` from this "
                                                         "install", left=True)
            else:
                _drop_token(lines, index, col, token)
        elif decision.specs is not None:
            decision, extras = _extras_apart(decision, _instruction_at(bodies, index), path, number, original)
            changes += extras
            _replace_token(lines, index, col, token, decision.specs)
        changes.append(_change(path, number, decision, original, lines.body(index)))
    _fix_continuations(lines)
    return changes


def _system_package(token: str, st: Stack) -> Decision | None:
    name = normalize_package(token.split("=", 1)[0])
    if not any(r.code == CudaSystemPackage.code for r in _index().rules_for_package(name, system=True)) \
            or not _matters(CudaSystemPackage.code, st.target):
        return None
    if st.target == Target.CPU:  # nothing on a CPU image can use NVIDIA's libraries
        return Decision(CudaSystemPackage.code, None, "an NVIDIA system package: nothing on a CPU image uses it")
    return Decision(CudaSystemPackage.code, None, f"an NVIDIA system package: the {st.target.value} base image "
                                                  "brings its own runtime; remove it, or install its counterpart "
                                                  "from the vendor's repository", left=True)


def _replace_token(lines: _Lines, index: int, col: int, token: str, specs: tuple[str, ...]) -> None:
    body, end = lines.bodies[index], col + len(token)
    lines.edit(index, col, end, specs[0])
    if len(specs) > 1:  # after the closing quote when the package was quoted
        quoted = col > 0 and end < len(body) and body[col - 1] in "\"'" and body[end] == body[col - 1]
        at = end + 1 if quoted else end
        lines.edit(index, at, at, "".join(" " + shlex.quote(spec) for spec in specs[1:]))


def _drop_token(lines: _Lines, index: int, col: int, token: str) -> None:
    body = lines.bodies[index]
    start = len(body[:col].rstrip())  # with the blank before it
    lines.edit(index, start, col + len(token), "")


def _fix_continuations(lines: _Lines) -> None:
    """A line emptied by deletions goes; if it ended its instruction, so does the previous line's `\\`."""
    escape = _escape_char(lines.bodies)
    for index in sorted(lines.edits):
        rest = lines.body(index).strip()
        if rest not in ("", escape) or not lines.bodies[index].strip():
            continue
        lines.dropped.add(index)
        if rest == "":
            previous = max((i for i in range(index) if i not in lines.dropped and lines.bodies[i].strip()
                            and not lines.bodies[i].lstrip().startswith("#")), default=None)
            if previous is not None:
                kept = lines.body(previous).rstrip()
                if kept.endswith(escape):
                    lines.replace(previous, kept[: -len(escape)].rstrip())


# -- Apptainer ---------------------------------------------------------------------------------------------

def apptainer_definition(dockerfile_text: str, target: Target | str) -> str:
    """An Apptainer/Singularity definition equivalent to a (ported) Dockerfile: one stage per Docker stage,
    `%files` from COPY, `%post` from RUN (with the ENV and ARG values that Docker gives RUN), `%environment`
    from ENV, `%runscript` from ENTRYPOINT/CMD. A stage still on a CUDA image gets the target's base image.
    Written by the caller as `Apptainer.<target>.def` next to the Dockerfile."""
    st = stack(target)  # `portable` raises: a definition needs a concrete image
    bodies = _Lines(dockerfile_text).bodies
    stages: list[_Stage] = []
    global_args: dict[str, str] = {}  # ARGs before the first FROM: what `FROM ${IMAGE}` reads
    for ins in instructions(bodies):
        text = _joined(bodies, ins)
        if ins.keyword == "FROM":
            stages.append(_Stage.start(text, st, stages, global_args))
        elif stages:
            stages[-1].add(ins.keyword, text, bodies, ins)
        elif ins.keyword == "ARG":
            name, _, default = text.strip().partition("=")
            global_args[name] = default.strip("\"'")
    if not stages:
        raise ValueError("no FROM instruction: not a Dockerfile")
    out = [f"# Apptainer definition for target {st.target.value}, derived by homeport from a Dockerfile.",
           "# Review it: what Docker alone understands is listed as a comment in its stage.", ""]
    for stage in stages:
        out += stage.render(st, staged=len(stages) > 1)
    return "\n".join(out)


def _joined(bodies: list[str], ins: Instruction) -> str:
    """The instruction's text without its keyword, continuation lines kept, comment lines dropped."""
    kept = [b for b in bodies[ins.first: ins.last + 1] if not b.lstrip().startswith("#")]
    kept[0] = kept[0].lstrip()[len(ins.keyword):].lstrip()
    return "\n".join(kept)


def _exec_form(text: str) -> str:
    """`["bash", "x.sh"]` -> `bash x.sh`; the shell form as it is."""
    if text.lstrip().startswith("["):
        try:
            return shlex.join(json.loads(text))
        except (ValueError, TypeError):
            pass
    return text.strip()


@dataclass
class _Stage:
    name: str
    image: str
    notes: list[str]  # what could not be carried over, as comments
    files: dict[str, list[str]] = field(default_factory=dict)  # source stage ("": build context) -> "src dest"
    post: list[str] = field(default_factory=list)
    environment: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    workdir: str = ""
    entrypoint: str = ""
    cmd: str = ""

    @classmethod
    def start(cls, text: str, st: Stack, before: list[_Stage], args: dict[str, str]) -> _Stage:
        words = [w for w in text.split() if not w.startswith("--")] or [""]
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), words[0])
        name = words[2] if len(words) > 2 and words[1].upper() == "AS" else f"stage{len(before)}"
        notes = []
        parent = next((s for s in before if s.name == image), None)
        if parent is not None:  # Apptainer bootstraps from images only
            notes.append(f"FROM {image}: starts from that stage's image; its %post is not repeated here")
            image = parent.image
        elif re.search(CudaBaseImage.text, f"FROM {image}"):
            image = st.base_image
        if "$" in image:
            notes.append(f"the image comes from a build argument: set it ({st.base_image} for {st.target.value})")
        return cls(name, image, notes)

    def add(self, keyword: str, text: str, bodies: list[str], ins: Instruction) -> None:
        if keyword == "RUN":
            self.post.append(_exec_form(text))
        elif keyword == "ENV":  # Docker gives ENV to later RUNs too; Apptainer's %environment only at run time
            exports = [f"export {name}={shlex.quote(_legacy_value(text)) if value is None else value}"
                       for _, _, _, name, value in env_pairs(bodies, ins)]
            self.post += exports
            self.environment += exports
        elif keyword == "ARG":
            name, _, default = text.strip().partition("=")
            self.post.append(f'export {name}="${{{name}:-{default.strip(chr(34) + chr(39))}}}"' if default
                             else f"# ARG {name}: pass it in the environment of the build")
        elif keyword == "WORKDIR":
            self.workdir = self._path(text.strip())
            self.post.append(f"mkdir -p {self.workdir} && cd {self.workdir}")
        elif keyword in ("COPY", "ADD") and self._copy(text):
            pass
        elif keyword == "LABEL":
            self.labels += [f"{k} {v.strip(chr(34))}" for k, v in re.findall(r"(\S+?)=(\"[^\"]*\"|\S+)", text)]
        elif keyword in ("ENTRYPOINT", "CMD"):
            setattr(self, keyword.lower(), text.strip())
        else:
            self.notes.append(f"{keyword} {text.strip()}")

    def _path(self, path: str) -> str:
        """Relative to WORKDIR, as Docker resolves it (`./` in /opt/ml/code -> /opt/ml/code/)."""
        full = posixpath.normpath(posixpath.join(self.workdir or "/", path))
        return full + "/" if path.endswith("/") and full != "/" else full

    def _copy(self, text: str) -> bool:
        """COPY and ADD of local files; False for what %files cannot do (URLs, archives to unpack)."""
        source = re.search(r"--from=(\S+)", text)
        words = json.loads(text) if text.lstrip().startswith("[") else \
            [w for w in shlex.split(text, posix=True) if not w.startswith("--")]
        if len(words) < 2 or any("://" in w or w.endswith((".tar", ".tar.gz", ".tgz")) for w in words[:-1]):
            return False
        dest = self._path(words[-1])
        self.files.setdefault(source.group(1) if source else "", []).extend(f"{w} {dest}" for w in words[:-1])
        return True

    def render(self, st: Stack, staged: bool) -> list[str]:
        out = [f"Bootstrap: {st.apptainer_bootstrap}", f"From: {self.image}"]
        out += [f"Stage: {self.name}"] if staged else []
        out += [f"# not carried over: {note}" for note in self.notes]
        for source, files in self.files.items():
            out += ["", f"%files from {source}" if source else "%files"] + [f"    {f}" for f in files]
        for section, body in (("%environment", self.environment), ("%post", self.post),
                              ("%labels", self.labels), ("%runscript", self._runscript())):
            if body:
                out += ["", section] + [_indent(part) for part in body]
        return out + [""]

    def _runscript(self) -> list[str]:
        if not (self.entrypoint or self.cmd):
            return []
        out = [f"cd {self.workdir}"] if self.workdir else []
        entry, cmd = _exec_form(self.entrypoint), _exec_form(self.cmd)
        if self.entrypoint and not self.entrypoint.lstrip().startswith("["):  # shell form ignores CMD and args
            return out + [f"exec /bin/sh -c {shlex.quote(entry)}"]
        if cmd:
            default = cmd if self.cmd.lstrip().startswith("[") else f"/bin/sh -c {shlex.quote(cmd)}"
            out.append(f'if [ "$#" -eq 0 ]; then set -- {default}; fi')
        return out + [f'exec {entry} "$@"' if entry else 'exec "$@"']


def _legacy_value(text: str) -> str:
    """`ENV NAME the value` -> `the value`."""
    parts = text.strip().split(None, 1)
    return parts[1] if len(parts) > 1 else ""


def _indent(text: str) -> str:
    return "\n".join("    " + line if line.strip() else line for line in text.split("\n"))
