"""How a rule is declared: one class serves detection, the fix, the docs and the tests.

A rule names the pattern (never the cure), explains itself in four sections, says how it matches
(declaratively, so the analyzers can index every rule and look each one up in O(1)), and carries
VALID and INVALID examples that the test suite runs. See DESIGN.md, "How a rule is declared".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from homeport.core.model import NON_NVIDIA, Applicability, Category, Fix, Severity, Target

DOC_SECTIONS = ("## What it does", "## Why it blocks a migration", "## Example", "## Fix safety")
_CODE = re.compile(r"^[A-Z]{3}\d{3}$")
_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_DESTINATION = re.compile(r"^(?:location|region:[a-z0-9-]+)$")


@dataclass(frozen=True)
class Example:
    """A snippet analyzed as a file called `path` (its name decides the analyzer)."""

    code: str
    path: str = "example.py"
    fixed: str | None = None  # the expected rewrite by `homeport port`, when the rule can fix it
    target: Target | None = None  # the --target that rewrite is for (default: portable)


class RuleError(Exception):
    """A rule declaration breaks the contract (raised at import, so a bad rule never ships)."""


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[Category]
    message: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING  # on targets not named in `on`
    on: ClassVar[dict[Target, Severity]] = {}
    fix_title: ClassVar[str | None] = None
    fix_applicability: ClassVar[Applicability] = Applicability.SAFE

    # How it matches. Python: qualified names (import aliases resolved; a name matches itself and
    # everything below it; the most specific name among all rules wins), methods called on any object,
    # attributes read on any object, keyword arguments, string literals (regex, `search`).
    names: ClassVar[tuple[str, ...]] = ()
    methods: ClassVar[tuple[str, ...]] = ()
    attributes: ClassVar[tuple[str, ...]] = ()
    keywords: ClassVar[tuple[str, ...]] = ()
    strings: ClassVar[str | None] = None
    # Other files: a regex searched in each line (comments removed) of the kinds listed.
    text: ClassVar[str | None] = None
    text_kinds: ClassVar[frozenset[str]] = frozenset()
    text_unless: ClassVar[str | None] = None  # a line that matches this is not a finding for this rule
    # Literals one of which every line matching `text` contains, for the prefilter (assess/prefilter.py);
    # needed only when they cannot be read off the regex itself.
    prefilter: ClassVar[tuple[str, ...]] = ()
    # Dependency declarations (requirements, pyproject, setup, conda, pip install lines): package names,
    # `*` allowed (`nvidia-*`), and a regex over the whole requirement (`\+cu\d+`).
    packages: ClassVar[tuple[str, ...]] = ()
    system_packages: ClassVar[tuple[str, ...]] = ()  # apt/yum/apk names, a namespace of their own
    requirement: ClassVar[str | None] = None
    # A check whose `if` makes the rule's names fine inside its body (and the check itself is no
    # finding): `if torch.backends.cudnn.is_available(): torch.backends.cudnn.benchmark = True`.
    guarded_by: ClassVar[str | None] = None
    # What a match of this rule is as a destination of the job's bytes, for the residency rules
    # (`assess --policy`): `region:<provider>` (`region:aws`) or `location` (an object-store URI).
    destination: ClassVar[str | None] = None
    # A residency rule: the kind of destination it judges against the policy (host, location, region,
    # telemetry; assess/destinations.py); its severity comes from the verdict, not from the target.
    judges: ClassVar[str | None] = None
    example_policy: ClassVar[dict | None] = None  # a residency rule's examples are judged against this policy

    VALID: ClassVar[list[Example]] = []
    INVALID: ClassVar[list[Example]] = []

    registry: ClassVar[dict[str, type[Rule]]] = {}

    def __init_subclass__(cls, abstract: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        _validate(cls)
        Rule.registry[cls.code] = cls

    # -- refinement hooks ------------------------------------------------------------------------
    @classmethod
    def refine_call(cls, qualname: str, call) -> str | None:
        """Given an `ast.Call` on a matched name, return the message, or None if it does not apply."""
        return cls.message

    # -- derived ---------------------------------------------------------------------------------
    @classmethod
    def severity_for(cls, target: Target) -> Severity:
        if target == Target.PORTABLE and Target.PORTABLE not in cls.on:
            return max((cls.severity_for(t) for t in NON_NVIDIA), key=lambda s: s.rank)
        return cls.on.get(target, cls.severity)

    @classmethod
    def fix(cls) -> Fix | None:
        return Fix(cls.fix_applicability, cls.fix_title) if cls.fix_title else None

    @classmethod
    def doc(cls) -> str:
        return _dedent(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """The first paragraph of "What it does"."""
        body = cls.doc().split("## What it does", 1)[-1].split("##", 1)[0].strip()
        return body.split("\n\n", 1)[0].replace("\n", " ")


def _dedent(doc: str) -> str:
    import inspect

    return inspect.cleandoc(doc)


def _validate(cls: type[Rule]) -> None:
    where = f"rule {cls.__name__}"
    for attr in ("code", "name", "category", "message"):
        if not hasattr(cls, attr):
            raise RuleError(f"{where}: missing `{attr}`")
    if not _CODE.match(cls.code):
        raise RuleError(f"{where}: code {cls.code!r} must look like ABC123")
    if cls.code in Rule.registry and Rule.registry[cls.code] is not cls:
        raise RuleError(f"{where}: code {cls.code} already used by {Rule.registry[cls.code].__name__}")
    if not _KEBAB.match(cls.name):
        raise RuleError(f"{where}: name {cls.name!r} must be kebab-case")
    doc = cls.doc()
    missing = [s for s in DOC_SECTIONS if s not in doc]
    if missing:
        raise RuleError(f"{where}: docstring lacks {', '.join(missing)}")
    if not cls.VALID or not cls.INVALID:
        raise RuleError(f"{where}: needs at least one VALID and one INVALID example")
    if cls.destination and not _DESTINATION.match(cls.destination):
        raise RuleError(f"{where}: destination {cls.destination!r} must be `location` or `region:<provider>`")
    if (cls.category is Category.RESIDENCY) != bool(cls.judges and cls.example_policy is not None):
        raise RuleError(f"{where}: a residency rule, and only one, sets `judges` and `example_policy`")
    if not (cls.names or cls.methods or cls.attributes or cls.keywords or cls.strings or cls.text
            or cls.packages or cls.system_packages or cls.requirement or cls.judges):
        raise RuleError(f"{where}: matches nothing (set names, strings, text, packages, ...)")
    if cls.text and not cls.text_kinds:
        raise RuleError(f"{where}: `text` needs `text_kinds`")
    for pattern in (cls.strings, cls.text, cls.text_unless, cls.requirement):
        if pattern:
            re.compile(pattern)


def blockers_by_target(findings) -> dict[str, dict[str, int]]:
    """For every target, how many of these findings would be blockers, warnings, infos there: the same
    line weighs differently on ROCm and on Gaudi, and a reader choosing a target wants all of them."""
    out: dict[str, dict[str, int]] = {}
    for target in Target:
        counts = {s.value: 0 for s in Severity}
        for finding in findings:
            rule = Rule.registry.get(finding.rule)
            severity = rule.severity_for(target) if rule and not rule.judges else finding.severity
            counts[severity.value] += 1
        out[target.value] = counts
    return out
