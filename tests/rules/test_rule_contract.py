"""A rule that breaks the declaration contract fails at import, with a message that says why."""

from __future__ import annotations

import pytest

from homeport.assess.engine import load_rules
from homeport.core.model import Category
from homeport.core.rule import Example, Rule, RuleError

DOC = """
    ## What it does
    x
    ## Why it blocks a migration
    x
    ## Example
    x
    ## Fix safety
    x
"""


def declare(**attrs):
    load_rules()  # the real rules are registered, so a reused code is seen
    base = {"__doc__": DOC, "code": "TST901", "name": "test-pattern", "category": Category.ACCELERATOR,
            "message": "`{name}`", "strings": "^x$", "VALID": [Example("y = 1")], "INVALID": [Example("x = 'x'")]}
    base.update(attrs)
    before = dict(Rule.registry)
    try:
        return type("Probe", (Rule,), base)
    finally:  # never leave a probe among the real rules, never drop a real one
        Rule.registry.clear()
        Rule.registry.update(before)


@pytest.mark.parametrize("attrs, says", [
    ({"VALID": []}, "needs at least one VALID and one INVALID example"),
    ({"INVALID": []}, "needs at least one VALID and one INVALID example"),
    ({"__doc__": "## What it does\nx"}, "docstring lacks"),
    ({"code": "ACC1"}, "must look like ABC123"),
    ({"name": "Not_Kebab"}, "must be kebab-case"),
    ({"strings": None}, "matches nothing"),
    ({"code": "ACC001"}, "already used"),
    ({"destination": "bucket"}, "must be `location` or `region:<provider>`"),
    ({"category": Category.RESIDENCY}, "a residency rule, and only one, sets `judges`"),
    ({"judges": "host", "example_policy": {}}, "a residency rule, and only one, sets `judges`"),
])
def test_broken_declarations_fail_at_import(attrs, says):
    with pytest.raises(RuleError, match=says):
        declare(**attrs)


def test_a_sound_declaration_registers():
    rule = declare()
    assert rule.summary() == "x"


def test_declared_prefilter_literals_cover_the_examples():
    """A rule may declare the literals its lines must hold (when none can be read off its regex);
    every INVALID line its regex matches must then hold one, or the prefilter would hide it."""
    import re

    for code, rule in sorted(load_rules().items()):
        if not rule.prefilter:
            continue
        pattern = re.compile(rule.text)
        for example in rule.INVALID:
            for line in example.code.splitlines():
                if pattern.search(line):
                    assert any(w in line.lower() for w in rule.prefilter), f"{code}: {line!r}"
