"""Verdicts: which clause decides, in which order, and what a verdict carries to the audit log."""

from __future__ import annotations

import json

import pytest

from homeport.core.errors import UsageError
from homeport.policy import parse_policy

EU_NO_US = {"allow": {"countries": ["EU"]}, "deny": {"parent_jurisdictions": ["US"]}}

# Hosts of every kind the decision sees: catalog hosts located or not, SaaS, unknown names, IPs, URLs, locations.
TARGETS = ["s3.gra.io.cloud.ovh.net", "ckpt.s3.fr-par.scw.cloud", "s3.eu-central-1.amazonaws.com",
           "object.storage.eu01.onstackit.cloud", "sos-ch-gva-2.exo.io", "acct.blob.core.windows.net",
           "s3.cubbit.eu", "api.wandb.ai", "pypi.org", "huggingface.co", "minio.internal.example", "10.0.0.5",
           "203.0.113.7", "[2001:db8::1]:443", "https://s3.waw.io.cloud.ovh.net/bucket", "s3://bucket/prefix",
           "gs://bucket/prefix", "az://container/prefix"]


def verdict(policy: dict, target: str):
    return parse_policy(policy, "policy.yaml").check(target)


def test_a_policy_that_allows_nothing_blocks_everything():
    nothing = parse_policy({"allow": {"loopback": False}}, "policy.yaml")
    for target in [*TARGETS, "localhost", "127.0.0.1"]:
        v = nothing.check(target)
        assert v.verdict == "deny" and not v.allowed, (target, v)


def test_an_empty_policy_allows_only_this_machine():
    empty = parse_policy(None, "policy.yaml")
    assert all(empty.check(t).verdict == "deny" for t in TARGETS)
    assert empty.check("localhost").verdict == empty.check("127.0.0.1").verdict == "allow"
    v = empty.check("s3.gra.io.cloud.ovh.net")
    assert v.rule == "allow" and "the policy allows nothing" in v.reason


@pytest.mark.parametrize("countries, host, expected", [
    (["EU"], "s3.gra.io.cloud.ovh.net", "allow"),
    (["EU"], "sos-ch-gva-2.exo.io", "deny"),  # Switzerland is not in the EU
    (["EU"], "norwayeast.api.azureml.ms", "deny"),
    (["EEA"], "norwayeast.api.azureml.ms", "allow"),  # Norway is in the EEA
    (["EEA"], "sos-ch-gva-2.exo.io", "deny"),
    (["ADEQUACY"], "sos-ch-gva-2.exo.io", "allow"),
    (["ADEQUACY"], "s3.uk.io.cloud.ovh.net", "allow"),
    (["ADEQUACY"], "s3.us-east-va.io.cloud.ovh.us", "deny"),  # the US is a partial member, not in the group
    (["ADEQUACY", "US"], "s3.us-east-va.io.cloud.ovh.us", "allow"),
    (["DE"], "s3.eu-central-2.amazonaws.com", "deny"),  # eu-central-2 is Zurich at AWS
    (["DE"], "eu-central-2.storage.impossibleapi.net", "allow"),  # ... Frankfurt at Impossible Cloud
    (["DE"], "s3.eu-central-2.ionoscloud.com", "allow"),  # ... Berlin at IONOS
])
def test_groups_expand(countries, host, expected):
    assert verdict({"allow": {"countries": countries}}, host).verdict == expected


def test_the_deciding_clause_is_named():
    v = verdict({"allow": {"countries": ["CH", "EU"]}}, "s3.de.io.cloud.ovh.net")
    assert v.rule == "allow.countries[1] (EU)"
    assert (v.provider, v.region, v.country, v.jurisdiction) == ("ovhcloud", "de", "DE", "FR")
    assert v.catalog_row.startswith("endpoints.csv:") and "s3.<region>.io.cloud.ovh.net" in v.catalog_row
    assert any(e.startswith("provider_regions.csv:") and "ovhcloud/de -> DE Frankfurt" in e for e in v.evidence)


def test_a_country_outside_the_list_is_named():
    v = verdict({"allow": {"countries": ["EU"]}}, "s3.bhs.io.cloud.ovh.net")
    assert v.rule == "allow.countries" and "CA is not among the allowed countries (EU)" in v.reason


def test_deny_parent_jurisdictions_reaches_eu_regions_of_us_operators():
    for host in ("s3.eu-central-1.amazonaws.com", "s3.eusc-de-east-1.amazonaws.eu", "europe-west3-docker.pkg.dev",
                 "api.wandb.ai", "s3.us-east-va.io.cloud.ovh.us"):
        v = verdict(EU_NO_US, host)
        assert v.verdict == "deny" and v.rule == "deny.parent_jurisdictions[0] (US)", host
    eusc = verdict(EU_NO_US, "s3.eusc-de-east-1.amazonaws.eu")
    assert eusc.country == "DE" and eusc.jurisdiction == "DE" and eusc.parent_jurisdictions == ("US",)
    assert verdict(EU_NO_US, "s3.gra.io.cloud.ovh.net").verdict == "allow"


def test_deny_parent_jurisdictions_follows_the_whole_chain():
    exoscale = "sos-de-fra-1.exo.io"  # operator CH, parent AT, ultimate parent MX
    assert verdict({"allow": {"countries": ["EU"]}, "deny": {"parent_jurisdictions": ["US"]}}, exoscale).allowed
    v = verdict({"allow": {"countries": ["EU"]}, "deny": {"parent_jurisdictions": ["MX"]}}, exoscale)
    assert v.verdict == "deny" and "MX" in v.reason and "parents in AT MX" in v.reason


def test_deny_parent_jurisdictions_fails_closed_on_unverified_parents():
    policy = {**EU_NO_US, "hosts": {"gpu.genesis.example": {"country": "DE", "provider": "genesis-cloud"}}}
    v = verdict(policy, "gpu.genesis.example")
    assert v.verdict == "deny" and "has not verified who controls genesis-cloud" in v.reason
    assert v.parent_jurisdictions is None


def test_a_declaration_can_name_parents():
    policy = {**EU_NO_US, "hosts": {"minio.example": {"country": "DE", "parent_jurisdictions": ["US"]},
                                    "rack.example": {"country": "DE"}}}
    assert verdict(policy, "minio.example").rule == "deny.parent_jurisdictions[0] (US)"
    v = verdict(policy, "rack.example")
    assert v.verdict == "allow" and v.catalog_row == "policy.yaml: hosts['rack.example']"


def test_a_declaration_locates_a_catalog_host_and_keeps_its_operator():
    declared = {"hosts": {"acct.blob.core.windows.net": {"country": "NL"}}, "allow": {"countries": ["EU"]}}
    v = verdict(declared, "acct.blob.core.windows.net")
    assert v.verdict == "allow" and (v.provider, v.country, v.jurisdiction) == ("azure", "NL", "US")
    assert any("*.blob.core.windows.net" in e for e in v.evidence)
    with_parents = {**declared, "deny": {"parent_jurisdictions": ["US"]}}
    assert verdict(with_parents, "acct.blob.core.windows.net").verdict == "deny"


def test_a_host_that_names_no_location_needs_a_declaration():
    v = verdict({"allow": {"countries": ["EU"]}}, "acct.blob.core.windows.net")
    assert v.verdict == "deny" and v.rule == "unknown_hosts: deny" and v.provider == "azure" and v.country == ""
    assert "names no location" in v.reason and "Declare it under hosts:" in v.reason
    assert verdict({"allow": {"countries": ["EU"]}, "unknown_hosts": "audit"}, "s3.cubbit.eu").verdict == "audit"


def test_a_multi_country_region_needs_every_country():
    assert verdict({"allow": {"countries": ["EU"]}}, "europe-docker.pkg.dev").verdict == "allow"
    v = verdict({"allow": {"countries": ["DE", "FR"]}}, "europe-docker.pkg.dev")
    assert v.verdict == "deny" and v.country == "EU" and "and 17 more are not among" in v.reason


def test_allowed_providers_and_countries_must_both_agree():
    policy = {"allow": {"countries": ["EU"], "providers": ["ovhcloud"]}}
    ok = verdict(policy, "s3.gra.io.cloud.ovh.net")
    assert ok.verdict == "allow" and ok.rule == "allow.providers[0] (ovhcloud) + allow.countries[0] (EU)"
    assert verdict(policy, "s3.bhs.io.cloud.ovh.net").rule == "allow.countries"  # OVHcloud, but Canada
    other = verdict(policy, "s3.fr-par.scw.cloud")  # France, but Scaleway
    assert other.rule == "allow.providers" and "scaleway is not among the allowed providers (ovhcloud)" in other.reason


def test_allowed_providers_alone_cover_hosts_without_location():
    assert verdict({"allow": {"providers": ["cubbit"]}}, "s3.cubbit.eu").rule == "allow.providers[0] (cubbit)"
    assert verdict({"allow": {"providers": ["cubbit"]}}, "s3.gra.io.cloud.ovh.net").verdict == "deny"


def test_denied_providers_and_countries():
    assert verdict({"allow": {"countries": ["EU"]}, "deny": {"providers": ["ovh"]}},
                   "s3.gra.io.cloud.ovh.net").rule == "deny.providers[0] (ovh)"
    assert verdict({"allow": {"countries": ["EEA"]}, "deny": {"countries": ["PL"]}},
                   "s3.waw.io.cloud.ovh.net").rule == "deny.countries[0] (PL)"


def test_host_lists_come_first_deny_then_audit_then_allow():
    policy = {"allow": {"countries": ["EU"], "hosts": ["*.io.cloud.ovh.net", "pypi.org", "10.0.0.0/8"]},
              "deny": {"hosts": ["s3.gra.io.cloud.ovh.net"], "parent_jurisdictions": ["US"]},
              "audit": {"hosts": ["s3.sbg.io.cloud.ovh.net", "huggingface.co"]}}
    assert verdict(policy, "s3.gra.io.cloud.ovh.net").rule == "deny.hosts[0] (s3.gra.io.cloud.ovh.net)"
    assert verdict(policy, "s3.sbg.io.cloud.ovh.net").verdict == "audit"
    assert verdict(policy, "s3.bhs.io.cloud.ovh.net").rule == "allow.hosts[0] (*.io.cloud.ovh.net)"  # Canada
    pypi = verdict(policy, "pypi.org")  # a US operator the allow-list lets in on purpose
    assert pypi.verdict == "allow" and pypi.provider == "pypi"
    hf = verdict(policy, "huggingface.co")
    assert hf.verdict == "audit" and hf.allowed
    assert verdict(policy, "10.1.2.3").rule == "allow.hosts[2] (10.0.0.0/8)"


def test_direct_ips():
    assert verdict({}, "203.0.113.7").rule == "direct_ip: deny"
    assert verdict({"direct_ip": "allow"}, "203.0.113.7").verdict == "allow"
    assert verdict({"direct_ip": "audit"}, "2001:db8::1").verdict == "audit"
    assert verdict({}, "2001:db8::1").rule == "direct_ip: deny"  # an IPv6 address, not a REMOTE:path
    declared = {"allow": {"countries": ["DE"]}, "hosts": {"10.20.0.0/16": {"country": "DE"}}}
    assert verdict(declared, "10.20.3.4").verdict == "allow"
    assert verdict(declared, "10.21.3.4").rule == "direct_ip: deny"


def test_unknown_hosts_setting():
    assert verdict({}, "tracking.example.org").rule == "unknown_hosts: deny"
    assert verdict({"unknown_hosts": "allow"}, "tracking.example.org").verdict == "allow"
    assert verdict({"unknown_hosts": "audit"}, "tracking.example.org").verdict == "audit"


def test_mode_audit_lets_a_deny_through_and_says_so():
    v = verdict({"mode": "audit", **EU_NO_US}, "s3.eu-central-1.amazonaws.com")
    assert v.verdict == "audit" and v.allowed and v.rule == "deny.parent_jurisdictions[0] (US)"
    assert v.reason.endswith("Mode audit: logged, not blocked.")
    assert verdict({"mode": "audit", **EU_NO_US}, "s3.gra.io.cloud.ovh.net").verdict == "allow"


def test_loopback_is_a_setting():
    assert verdict({}, "localhost").rule == "allow.loopback: true"
    assert verdict({}, "::1").verdict == "allow"
    assert verdict({"allow": {"loopback": False}}, "127.0.0.2").rule == "allow.loopback: false"


def test_decide_is_cached_and_normalizes_the_host():
    policy = parse_policy(EU_NO_US, "policy.yaml")
    first = policy.decide("s3.gra.io.cloud.ovh.net", 443)
    assert policy.decide("s3.gra.io.cloud.ovh.net", 443) is first
    shouted = policy.decide("S3.GRA.IO.CLOUD.OVH.NET.", 443)
    assert shouted.host == "s3.gra.io.cloud.ovh.net" and shouted.verdict == "allow" and shouted.port == 443
    with pytest.raises(UsageError):
        policy.decide("")


def test_to_json_is_one_audit_line():
    v = parse_policy(EU_NO_US, "policy.yaml").decide("api.wandb.ai", 443)
    line = v.to_json(time="2026-11-27T12:00:00+00:00")
    assert "\n" not in line
    record = json.loads(line)
    assert record == {"time": "2026-11-27T12:00:00+00:00", "host": "api.wandb.ai", "port": 443, "provider": "wandb",
                      "region": "us", "country": "US", "verdict": "deny",
                      "rule": "deny.parent_jurisdictions[0] (US)", "reason": v.reason, "catalog_row": v.catalog_row}
    assert json.loads(v.to_json())["time"].endswith("+00:00")


# -- targets: URLs and storage locations ------------------------------------------------------------------

def test_urls_and_host_ports():
    policy = parse_policy(EU_NO_US, "policy.yaml")
    v = policy.check("https://s3.waw.io.cloud.ovh.net:8443/bucket/key")
    assert (v.host, v.port, v.country, v.verdict) == ("s3.waw.io.cloud.ovh.net", 8443, "PL", "allow")
    assert policy.decide_url("http://api.wandb.ai/graphql").port == 80
    assert policy.check("s3.waw.io.cloud.ovh.net:9000").port == 9000
    assert policy.check("pypi.org/simple/torch").host == "pypi.org"


def test_remote_locations_use_the_endpoint(tmp_path):
    config = {"remotes": {"ovh": {"endpoint": "https://s3.gra.io.cloud.ovh.net"},
                          "vhost": {"endpoint": "s3.de.io.cloud.ovh.net", "path_style": False},
                          "eusc": {"endpoint": "https://s3.eusc-de-east-1.amazonaws.eu"}}}
    policy = parse_policy(EU_NO_US, "policy.yaml")
    v = policy.decide_location("ovh:shards/train", config)
    assert (v.host, v.verdict) == ("s3.gra.io.cloud.ovh.net", "allow") and "remote 'ovh'" in v.via
    virtual = policy.decide_location("vhost:ckpt", config)
    assert virtual.host == "ckpt.s3.de.io.cloud.ovh.net" and virtual.country == "DE"
    assert policy.decide_location("eusc:data", config).verdict == "deny"


def test_s3_locations_follow_the_aws_configuration(monkeypatch):
    policy = parse_policy({"allow": {"countries": ["EU"]}}, "policy.yaml")
    for var in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var, raising=False)
    unlocated = policy.decide_location("s3://shards/train")
    assert unlocated.host == "shards.s3.amazonaws.com" and unlocated.rule == "unknown_hosts: deny"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    v = policy.decide_location("s3://shards/train")
    assert (v.host, v.country, v.verdict) == ("shards.s3.eu-west-1.amazonaws.com", "IE", "allow")
    assert "AWS_DEFAULT_REGION" in v.via
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.bhs.io.cloud.ovh.net")
    retargeted = policy.decide_location("s3://shards/train")
    assert (retargeted.host, retargeted.country) == ("s3.bhs.io.cloud.ovh.net", "CA")
    assert "AWS_ENDPOINT_URL_S3" in retargeted.via


def test_other_locations(monkeypatch):
    policy = parse_policy({"allow": {"countries": ["EU"]}}, "policy.yaml")
    assert policy.decide_location("gs://bucket/x").host == "storage.googleapis.com"
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "Acct")
    assert policy.decide_location("az://container/x").host == "acct.blob.core.windows.net"
    named = policy.decide_location("abfss://container@other.dfs.core.windows.net/x")
    assert named.host == "other.blob.core.windows.net" and named.provider == "azure"
    local = policy.decide_location("./data/shards")
    assert (local.verdict, local.rule, local.host) == ("allow", "local", "")
