"""Rules indexed by what they match, so each analyzer looks a rule up instead of trying them all."""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from homeport.assess.prefilter import PatternSet
from homeport.core.rule import Rule


@dataclass
class RuleIndex:
    names: dict[str, list[type[Rule]]] = field(default_factory=lambda: defaultdict(list))
    methods: dict[str, list[type[Rule]]] = field(default_factory=lambda: defaultdict(list))
    attributes: dict[str, list[type[Rule]]] = field(default_factory=lambda: defaultdict(list))
    keywords: dict[str, list[type[Rule]]] = field(default_factory=lambda: defaultdict(list))
    strings: PatternSet = field(default_factory=lambda: PatternSet([]))  # Python string literals
    text: dict[str, PatternSet] = field(default_factory=dict)  # file kind -> line patterns
    # (is a system package, name) -> rules; globs as (is a system package, pattern, rule)
    exact_packages: dict[tuple[bool, str], list[type[Rule]]] = field(default_factory=lambda: defaultdict(list))
    glob_packages: list[tuple[bool, str, type[Rule]]] = field(default_factory=list)
    requirements: list[tuple[re.Pattern, type[Rule]]] = field(default_factory=list)
    guards: frozenset[str] = frozenset()  # the rules' `guarded_by` checks
    judges: dict[str, type[Rule]] = field(default_factory=dict)  # destination kind -> the residency rule
    _by_qualname: dict[str, tuple] = field(default_factory=dict)

    def rules_for_name(self, qualname: str) -> tuple:
        """Rules for the most specific indexed prefix of `qualname` first, then the less specific ones."""
        found = self._by_qualname.get(qualname)
        if found is None:
            parts = qualname.split(".")
            found = tuple(rule for end in range(len(parts), 0, -1)
                          for rule in self.names.get(".".join(parts[:end]), ()))
            if len(self._by_qualname) < 100_000:  # a cache, bounded
                self._by_qualname[qualname] = found
        return found

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


@lru_cache(maxsize=8)
def build_index(codes: frozenset[str]) -> RuleIndex:
    import homeport.rules  # noqa: F401  (registers the built-in rules, also in spawned workers)

    index = RuleIndex()
    string_items: list = []
    text_items: dict[str, list] = defaultdict(list)
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
            string_items.append((rule.strings, None, rule, ()))
        if rule.text:
            for kind in rule.text_kinds:
                text_items[kind].append((rule.text, rule.text_unless, rule, rule.prefilter))
        for system, names in ((False, rule.packages), (True, rule.system_packages)):
            for pkg in names:
                if "*" in pkg:
                    index.glob_packages.append((system, normalize_package(pkg), rule))
                else:
                    index.exact_packages[(system, normalize_package(pkg))].append(rule)
        if rule.requirement:
            index.requirements.append((re.compile(rule.requirement), rule))
        if rule.judges:
            index.judges[rule.judges] = rule
    index.guards = frozenset(Rule.registry[code].guarded_by for code in codes if Rule.registry[code].guarded_by)
    index.strings = PatternSet(string_items)
    index.text = {kind: PatternSet(items) for kind, items in text_items.items()}
    return index
