"""Rules indexed by what they match, so each analyzer looks a rule up instead of trying them all."""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from homeport.core.rule import Rule


@dataclass
class RuleIndex:
    names: dict[str, list[type[Rule]]] = field(default_factory=lambda: defaultdict(list))
    methods: dict[str, list[type[Rule]]] = field(default_factory=lambda: defaultdict(list))
    attributes: dict[str, list[type[Rule]]] = field(default_factory=lambda: defaultdict(list))
    keywords: dict[str, list[type[Rule]]] = field(default_factory=lambda: defaultdict(list))
    strings: list[tuple[re.Pattern, type[Rule]]] = field(default_factory=list)
    string_gate: re.Pattern | None = None  # one regex that any matching string must match
    text: dict[str, list[tuple[re.Pattern, re.Pattern | None, type[Rule]]]] = field(
        default_factory=lambda: defaultdict(list))
    text_gate: dict[str, re.Pattern] = field(default_factory=dict)
    # (is a system package, name) -> rules; globs as (is a system package, pattern, rule)
    exact_packages: dict[tuple[bool, str], list[type[Rule]]] = field(default_factory=lambda: defaultdict(list))
    glob_packages: list[tuple[bool, str, type[Rule]]] = field(default_factory=list)
    requirements: list[tuple[re.Pattern, type[Rule]]] = field(default_factory=list)

    def rules_for_name(self, qualname: str):
        """Rules for the most specific indexed prefix of `qualname` first, then the less specific ones."""
        parts = qualname.split(".")
        for end in range(len(parts), 0, -1):
            rules = self.names.get(".".join(parts[:end]))
            if rules:
                yield from rules

    def rules_for_package(self, name: str, system: bool = False):
        """Rules naming the package exactly; only if none does, rules with a matching `*` pattern.
        `system`: a distribution package (apt, yum, apk): matched against `system_packages`."""
        exact = self.exact_packages.get((system, name))
        if exact:
            yield from exact
            return
        for is_system, pattern, rule in self.glob_packages:
            if is_system == system and fnmatch.fnmatchcase(name, pattern):
                yield rule


def normalize_package(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_GLOBAL_FLAGS = re.compile(r"^\(\?([aimsx]+)\)")


def _scoped(pattern: str) -> str:
    """`(?i)abc` -> `(?i:abc)`, so patterns with global flags can be joined into one."""
    match = _GLOBAL_FLAGS.match(pattern)
    return f"(?{match.group(1)}:{pattern[match.end():]})" if match else f"(?:{pattern})"


def _gate(patterns: list[str]) -> re.Pattern | None:
    return re.compile("|".join(_scoped(p) for p in patterns)) if patterns else None


@lru_cache(maxsize=8)
def build_index(codes: frozenset[str]) -> RuleIndex:
    import homeport.rules  # noqa: F401  (registers the built-in rules, also in spawned workers)

    index = RuleIndex()
    string_patterns: list[str] = []
    text_patterns: dict[str, list[str]] = defaultdict(list)
    for code in sorted(codes):
        rule = Rule.registry[code]
        for name in rule.names:
            index.names[name].append(rule)
        for name in rule.methods:
            index.methods[name].append(rule)
        for name in rule.attributes:
            index.attributes[name].append(rule)
        for name in rule.keywords:
            index.keywords[name].append(rule)
        if rule.strings:
            index.strings.append((re.compile(rule.strings), rule))
            string_patterns.append(rule.strings)
        if rule.text:
            for kind in rule.text_kinds:
                unless = re.compile(rule.text_unless) if rule.text_unless else None
                index.text[kind].append((re.compile(rule.text), unless, rule))
                text_patterns[kind].append(rule.text)
        for system, names in ((False, rule.packages), (True, rule.system_packages)):
            for pkg in names:
                if "*" in pkg:
                    index.glob_packages.append((system, normalize_package(pkg), rule))
                else:
                    index.exact_packages[(system, normalize_package(pkg))].append(rule)
        if rule.requirement:
            index.requirements.append((re.compile(rule.requirement), rule))
    index.string_gate = _gate(string_patterns)
    index.text_gate = {kind: _gate(p) for kind, p in text_patterns.items()}
    return index
