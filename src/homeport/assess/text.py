"""Analyzers for everything that is not Python: configs, manifests, Dockerfiles, Terraform, shell, and
the files that declare dependencies. Lines are searched with the rules' `text` patterns (comments
removed), and each declared requirement is checked against the rules' `packages` and `requirement`.
"""

from __future__ import annotations

import re
import shlex

from homeport.assess import kinds as K
from homeport.assess.index import RuleIndex, normalize_package
from homeport.assess.facts import text_facts
from homeport.assess.python import rule_instead
from homeport.assess.reporter import Reporter
from homeport.core.inventory import Fact
from homeport.core.model import FileResult

_REQ_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_HASH_COMMENT = re.compile(r"(^|\s)#.*$")


def strip_comment(kind: str, line: str) -> str:
    """Remove a trailing comment without touching `#` inside URLs (`...#egg=x`) or strings."""
    if kind in (K.JSON,):
        return line
    if kind == K.SHELL and line.lstrip().startswith("#SBATCH"):  # a Slurm directive, not a comment
        head, _, rest = line.partition("#SBATCH")
        return head + "#SBATCH" + strip_comment(kind, rest)
    if "#" in line:
        if kind == K.DOCKERFILE:
            if line.lstrip().startswith("#"):
                return ""
        elif '"' in line or "'" in line:
            line = _strip_outside_quotes(line)
        else:
            line = _HASH_COMMENT.sub("", line)
    if kind == K.TERRAFORM and "//" in line and "://" not in line:
        line = line.split("//", 1)[0]
    return line


def _strip_outside_quotes(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def analyze_lines(result: FileResult, lines: list[str], kind: str, index: RuleIndex, reporter: Reporter,
                  line_offset: int = 0) -> None:
    patterns = index.text.get(kind)
    destinations = reporter.destinations
    if patterns or destinations is not None:
        for number, raw in enumerate(lines, start=1 + line_offset):
            line = strip_comment(kind, raw)
            if not line:
                continue
            if destinations is not None:
                destinations.line(line, number)
            for match, rule in patterns.finditer(line) if patterns else ():
                found = match.group(0)
                reporter.add(rule, number, match.start(), number, match.end(),
                             rule.message.format(name=found.strip(), instead=rule_instead(rule, found)),
                             value=found.strip())
                result.facts.append(Fact("match", found.strip(), number, rule.code))
    for number, col, requirement, system in requirements(kind, lines):
        if not system:
            result.facts.append(Fact("requirement", requirement, number + line_offset))
        check_requirement(requirement, number + line_offset, col, index, reporter, system)
    result.facts.extend(text_facts(kind, lines, strip_comment, line_offset))


def check_requirement(requirement: str, number: int, col: int, index: RuleIndex, reporter: Reporter,
                      system: bool = False) -> None:
    """`system`: a distribution package (apt, yum, apk), whose names are not PyPI's."""
    match = _REQ_NAME.match(requirement)
    if not match:
        return
    name = normalize_package(match.group(0))
    end = col + len(requirement)
    done = set()
    for rule in index.rules_for_package(name, system):
        if rule.code not in done:
            done.add(rule.code)
            reporter.add(rule, number, col, number, end,
                         rule.message.format(name=requirement, instead=rule_instead(rule, name)))
    for pattern, rule in index.requirements:
        if rule.code not in done and pattern.search(requirement):
            done.add(rule.code)
            reporter.add(rule, number, col, number, end,
                         rule.message.format(name=requirement, instead=rule_instead(rule, name)))


# -- where requirements are declared, per kind ------------------------------------------------------

def requirements(kind: str, lines: list[str]):
    """Yield (line number, column, requirement text, is a system package) for every package a file
    declares or installs."""
    python = {K.REQUIREMENTS: _requirements_txt, K.CONDA: _conda, K.SETUP_CFG: _setup_cfg,
              K.PYPROJECT: _quoted_requirements}.get(kind)
    if python is not None:
        for number, col, text in python(lines):
            yield number, col, text, False
    elif kind in (K.DOCKERFILE, K.SHELL):
        yield from _install_commands(lines)


def _requirements_txt(lines):
    for number, raw in enumerate(lines, start=1):
        line = strip_comment(K.REQUIREMENTS, raw).strip()
        if not line or line.startswith("-"):
            if line.startswith(("-e ", "--editable ")) and "#egg=" in line:
                egg = line.split("#egg=", 1)[1]
                yield number, raw.index(egg), egg
            continue
        yield number, raw.index(line), line


_CONDA_ITEM = re.compile(r"^(\s*)-\s+([^\s#]+)")
_YAML_KEY = re.compile(r"^([A-Za-z_][\w-]*):")


def _conda(lines):
    section = None
    for number, raw in enumerate(lines, start=1):
        header = _YAML_KEY.match(raw)
        if header:  # a top-level key; list items may sit at column 0 too (`- pip:`)
            section = header.group(1)
            continue
        if section != "dependencies":
            continue
        match = _CONDA_ITEM.match(raw)
        if match and not match.group(2).endswith(":"):
            spec = match.group(2).split("::")[-1]  # channel::package
            yield number, raw.index(spec), spec


def _setup_cfg(lines):
    section, key = "", ""
    for number, raw in enumerate(lines, start=1):
        stripped = strip_comment(K.SETUP_CFG, raw).strip()
        if stripped.startswith("["):
            section, key = stripped.strip("[]").strip(), ""
            continue
        if section not in ("options", "options.extras_require") or not stripped:
            continue
        if not raw[0].isspace() and "=" in stripped:
            key, _, value = stripped.partition("=")
            key, stripped = key.strip(), value.strip()
            if not stripped:
                continue
        if section == "options.extras_require" or key in ("install_requires", "setup_requires"):
            yield number, raw.index(stripped), stripped


_QUOTED = re.compile(r"""["']([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*(?:[<>=!~;@+ ][^"']*)?)["']""")
_DEP_KEYS = re.compile(r"^\s*(dependencies|requires|optional-dependencies|[A-Za-z0-9_-]+)\s*=\s*\[")
_POETRY_KEY = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*=")


def _quoted_requirements(lines):
    """pyproject.toml: strings inside dependency arrays, and keys of poetry dependency tables."""
    section, depth = "", 0
    for number, raw in enumerate(lines, start=1):
        line = strip_comment(K.PYPROJECT, raw)
        stripped = line.strip()
        if depth == 0 and stripped.startswith("["):
            section = stripped.strip("[]").strip()
            continue
        deps_table = section.endswith("dependencies") or section in ("project.optional-dependencies",
                                                                     "dependency-groups")
        if depth == 0:
            opener = _DEP_KEYS.match(line)
            if not (opener and (deps_table or opener.group(1) in ("dependencies", "requires"))):
                key = _POETRY_KEY.match(line) if deps_table and "poetry" in section else None
                if key and key.group(1) != "python":
                    yield number, line.index(key.group(1)), key.group(1)
                continue
        for match in _QUOTED.finditer(line):
            yield number, match.start(1), match.group(1)
        depth = max(0, depth + line.count("[") - line.count("]"))


_INSTALL = re.compile(r"\b(?:(?:pip(?:[\d.]*|\$\{?\w+\}?)|uv\s+pip|python[\d.]*\s+-m\s+pip|conda|mamba|micromamba"
                      r"|(?P<system>apt-get|apt|yum|dnf|microdnf))\s+(?:-\S+\s+)*(?:install|remove|purge)"
                      r"|(?P<apk>apk)\s+add)\b")
_OPTS_WITH_VALUE = {"-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url",
                    "-f", "--find-links", "--target", "-t", "--prefix", "-n", "--name", "-p",
                    "--trusted-host", "--root", "--platform", "--python-version"}


_SEPARATORS = re.compile(r"&&|\|\||;|\|")


def _install_commands(lines):
    """Packages named by install commands (pip, conda, apt, ...), across `&&`/`;` chains and backslash
    continuations: `RUN apt-get update && apt-get install -y \\` then one package per line."""
    active, system = False, False
    for number, raw in enumerate(lines, start=1):
        line = strip_comment(K.SHELL, raw).rstrip()
        continued = line.endswith("\\")
        for i, segment in enumerate(_SEPARATORS.split(line.rstrip("\\"))):
            if i > 0:
                active = False  # a separator ends the command; the next one may be another install
            if not active:
                match = _INSTALL.search(segment)
                if not match:
                    continue
                active, system = True, bool(match.group("system") or match.group("apk"))
                segment = segment[match.end():]
            for token in _package_tokens(segment):
                yield number, max(raw.find(token), 0), token, system
        active = active and continued


def _package_tokens(segment: str):
    try:
        tokens = shlex.split(segment, posix=True)
    except ValueError:
        tokens = segment.split()
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
        elif token.startswith("-"):
            skip_next = token in _OPTS_WITH_VALUE
        elif "/" not in token and not token.startswith("."):  # a path or URL is not a package name
            yield token
