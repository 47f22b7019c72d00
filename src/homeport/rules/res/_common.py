"""What the RES rules share: the category, the severity of a deny, and the policy their examples are judged
against (the one a European pipeline would start from: EU countries only, no operator under US law)."""

from __future__ import annotations

from homeport.core.model import Category, Severity
from homeport.core.rule import Rule

EXAMPLE_POLICY = {
    "allow": {"countries": ["EU"], "hosts": ["pypi.org", "files.pythonhosted.org"]},
    "deny": {"parent_jurisdictions": ["US"]},
    "audit": {"hosts": ["huggingface.co"]},
}


class ResidencyRule(Rule, abstract=True):
    category = Category.RESIDENCY
    severity = Severity.BLOCKER  # a deny; an audit is a warning, an allow no finding (assess/residency.py)
    example_policy = EXAMPLE_POLICY
