"""`Policy.decide_region(provider, region)`: a region as code and infrastructure name it, judged by the pair."""

from __future__ import annotations

import pytest

from homeport.policy import parse_policy

DE = parse_policy({"allow": {"countries": ["DE"]}}, "de.yaml")
EU_NO_US = parse_policy({"allow": {"countries": ["EU"]}, "deny": {"parent_jurisdictions": ["US"]}}, "eu.yaml")


@pytest.mark.parametrize("provider, country, city, verdict", [
    ("aws", "CH", "Zurich", "deny"),
    ("impossible-cloud", "DE", "Frankfurt", "allow"),
    ("ionos", "DE", "Berlin", "allow"),
])
def test_eu_central_2_depends_on_the_provider(provider, country, city, verdict):
    v = DE.decide_region(provider, "eu-central-2")
    assert (v.verdict, v.country, v.provider, v.region) == (verdict, country, provider, "eu-central-2")
    assert f"{provider}/eu-central-2 -> {country} {city}" in v.catalog_row  # the region row, with its source
    assert "as of " in v.catalog_row and v.evidence[0].startswith("providers.csv:")
    assert v.host == "" and v.via == f"the {provider} region eu-central-2"


def test_the_provider_clauses_apply_as_for_a_host():
    v = EU_NO_US.decide_region("aws", "eu-central-1")  # Frankfurt, but a US operator
    assert v.verdict == "deny" and v.rule == "deny.parent_jurisdictions[0] (US)"
    assert EU_NO_US.decide_region("ovhcloud", "gra").verdict == "allow"


def test_spellings_zones_and_aliases_find_the_row():
    assert DE.decide_region("AWS", "eu-central-1a").region == "eu-central-1"  # a zone is its region
    assert DE.decide_region("azure", "Germany West Central").country == "DE"
    assert DE.decide_region("ovh", "de").provider == "ovhcloud"


def test_what_the_catalog_does_not_know_follows_unknown_hosts():
    unknown_region = DE.decide_region("aws", "eu-nowhere-9")
    assert unknown_region.verdict == "deny" and unknown_region.rule == "unknown_hosts: deny"
    assert "no region 'eu-nowhere-9' for aws" in unknown_region.reason
    lenient = parse_policy({"allow": {"countries": ["DE"]}, "unknown_hosts": "audit"}, "p.yaml")
    unknown_provider = lenient.decide_region("nocloud", "x-1")
    assert unknown_provider.verdict == "audit" and "no provider 'nocloud'" in unknown_provider.reason


def test_mode_audit_and_the_cache():
    audit = parse_policy({"mode": "audit", "allow": {"countries": ["DE"]}}, "p.yaml")
    v = audit.decide_region("aws", "us-east-1")
    assert v.verdict == "audit" and v.allowed
    assert audit.decide_region("aws", "us-east-1") is v
