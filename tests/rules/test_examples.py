"""Every rule's examples are its tests (DESIGN.md): INVALID examples must raise the rule,
VALID ones must not. All rules run together, so "the most specific rule wins" is tested too."""

from __future__ import annotations

import pytest

from homeport.assess.analyze import analyze_snippet
from homeport.assess.engine import load_rules
from homeport.core.rule import DOC_SECTIONS

RULES = load_rules()
CASES = [pytest.param(rule, example, valid, id=f"{code}-{'valid' if valid else 'invalid'}-{i}")
         for code, rule in sorted(RULES.items())
         for valid, examples in ((True, rule.VALID), (False, rule.INVALID))
         for i, example in enumerate(examples)]


def codes_found(example, policy=None):
    """A residency rule's examples are judged against its example policy; the others run without one."""
    result = analyze_snippet(example.code, example.path, policy=policy)
    assert result.skipped is None, f"example not analyzed: {result.skipped}"
    return {f.rule for f in result.findings}


@pytest.mark.parametrize("rule, example, valid", CASES)
def test_rule_example(rule, example, valid):
    found = codes_found(example, rule.example_policy)
    if valid:
        assert rule.code not in found, f"{rule.code} fired on its VALID example:\n{example.code}"
    else:
        assert rule.code in found, f"{rule.code} missed its INVALID example (found {sorted(found)}):\n{example.code}"


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_documents_itself(code):
    rule = RULES[code]
    doc = rule.doc()
    for section in DOC_SECTIONS:
        body = doc.split(section, 1)[1].split("\n## ", 1)[0].strip()
        assert body, f"{code}: section {section!r} is empty"
    assert rule.summary()
    assert "{name}" in rule.message or "`" in rule.message
