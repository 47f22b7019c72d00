"""A rule's INVALID example with `fixed` is the test of its fix (DESIGN.md, Fixit's model): the port
turns the example into `fixed`, porting `fixed` again changes nothing, and the detector no longer
reports the rule there. VALID examples are left alone."""

from __future__ import annotations

import pytest

from homeport.assess.analyze import analyze_snippet
from homeport.assess.engine import load_rules
from homeport.core.model import Target
from homeport.port.codemod import Options
from homeport.port.engine import NotRewritten, rewrite
from homeport.port.fixers.base import FIXERS

RULES = load_rules()
LATEST = Options(target=Target.PORTABLE, min_torch=(2, 13), unsafe=True)
FIXED = [pytest.param(rule, ex, id=f"{code}-{i}") for code, rule in sorted(RULES.items())
         for i, ex in enumerate(rule.INVALID) if ex.fixed is not None]
VALID = [pytest.param(rule, ex, id=f"{code}-{i}") for code, rule in sorted(RULES.items())
         for i, ex in enumerate(rule.VALID)]


def ported(code: str, path: str, target: Target | None = None) -> str:
    options = Options(target=target or Target.PORTABLE, min_torch=LATEST.min_torch, unsafe=True)
    result = analyze_snippet(code, path, target=options.target)
    try:
        text, _ = rewrite(path, result.kind, code, result.findings, options)
    except NotRewritten:
        return code
    return text


@pytest.mark.parametrize("rule, example", FIXED)
def test_fix_turns_the_example_into_fixed(rule, example):
    assert ported(example.code, example.path, example.target) == example.fixed


@pytest.mark.parametrize("rule, example", FIXED)
def test_fixed_example_is_clean_and_stable(rule, example):
    assert rule.code not in {f.rule for f in analyze_snippet(example.fixed, example.path).findings}
    assert ported(example.fixed, example.path, example.target) == example.fixed


@pytest.mark.parametrize("rule, example", VALID)
def test_valid_examples_are_not_touched(rule, example):
    assert ported(example.code, example.path) == example.code


@pytest.mark.parametrize("code", sorted(FIXERS))
def test_every_fixer_has_an_example(code):
    assert any(ex.fixed is not None for ex in RULES[code].INVALID), f"{code} has fixers but no INVALID example with `fixed`"


@pytest.mark.parametrize("code", sorted(c for c, r in RULES.items() if r.fix_title))
def test_fix_safety_matches_the_rule(code):
    """A rule that announces a safe fix has at least one safe fixer; the docs say what the port does."""
    fixers = FIXERS.get(code, [])
    if RULES[code].fix_applicability.value == "safe" and fixers:
        assert any(f.applicability.value == "safe" for f in fixers), f"{code} says safe; all its fixers are unsafe"
