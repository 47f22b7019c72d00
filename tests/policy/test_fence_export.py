"""`homeport fence export`: default-deny egress rules from the same policy, DNS open, each rule saying where it
came from, and what the format cannot express said in its header."""

from __future__ import annotations

import json

import pytest
import yaml

from homeport.cli.main import main

POLICY = """\
allow:
  countries: [EU]
  hosts: [pypi.org, "*.pythonhosted.org", "10.0.0.0/8"]
deny:
  hosts: ["10.66.0.0/16"]
  parent_jurisdictions: [US]
audit:
  hosts: [huggingface.co]
hosts:
  "minio.train.internal": {country: DE}
  "192.168.5.0/24": {country: DE}
  "203.0.113.0/24": {country: US}
resolve:
  minio.train.internal: 10.20.0.9
  pypi.org: [151.101.0.223, "2a04:4e42::223"]
"""


def export(capsys, tmp_path, fmt, *extra) -> tuple[str, str]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    code = main(["fence", "export", "--policy", str(policy), "--format", fmt, "--no-resolve", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


def test_kubernetes_networkpolicy(capsys, tmp_path):
    out, err = export(capsys, tmp_path, "k8s-networkpolicy", "--namespace", "training", "--pod-selector", "app=train",
                      "--host", "s3.gra.io.cloud.ovh.net", "--host", "api.wandb.ai", "--host", "10.1.2.3")
    doc = yaml.safe_load(out)
    assert (doc["kind"], doc["metadata"], doc["spec"]["policyTypes"]) == (
        "NetworkPolicy", {"name": "homeport-fence", "namespace": "training"}, ["Egress"])
    assert doc["spec"]["podSelector"] == {"matchLabels": {"app": "train"}}
    dns, *opened = doc["spec"]["egress"]
    assert {p["port"] for p in dns["ports"]} == {53} and dns["to"][0]["podSelector"]["matchLabels"] == {
        "k8s-app": "kube-dns"}
    blocks = [to["ipBlock"] for rule in opened for to in rule["to"]]
    assert {"cidr": "10.0.0.0/8", "except": ["10.66.0.0/16"]} in blocks  # deny.hosts carved out
    cidrs = {b["cidr"] for b in blocks}
    assert cidrs == {"151.101.0.223/32", "2a04:4e42::223/128", "10.0.0.0/8", "10.20.0.9/32", "192.168.5.0/24",
                     "10.1.2.3/32"}  # the US-declared network is not opened
    assert "# allow: allow.hosts[0] (pypi.org): the policy's resolve: 151.101.0.223, 2a04:4e42::223" in out
    header = out.split("apiVersion")[0]
    assert "--host api.wandb.ai: denied by deny.parent_jurisdictions[0] (US)" in header
    assert "allow.hosts[1] (*.pythonhosted.org): a wildcard name; a NetworkPolicy matches addresses only" in header
    assert "--host s3.gra.io.cloud.ovh.net: not resolved (--no-resolve); left out" in header
    assert "allow.countries[0] (EU): a country or a provider is not a list of addresses" in header
    assert "cannot express" in err


def test_cilium_keeps_names_and_wildcards(capsys, tmp_path):
    out, _ = export(capsys, tmp_path, "cilium", "--host", "s3.gra.io.cloud.ovh.net")
    doc = yaml.safe_load(out)
    assert doc["apiVersion"] == "cilium.io/v2" and doc["kind"] == "CiliumNetworkPolicy"
    dns, *opened = doc["spec"]["egress"]
    assert dns["toPorts"][0]["rules"] == {"dns": [{"matchPattern": "*"}]}
    fqdns = [f for rule in opened for f in rule.get("toFQDNs", [])]
    assert {"matchPattern": "**.pythonhosted.org"} in fqdns
    assert {"matchName": "s3.gra.io.cloud.ovh.net"} in fqdns and {"matchName": "huggingface.co"} in fqdns
    assert ["10.0.0.0/8"] in [rule.get("toCIDR") for rule in opened]


def test_nftables(capsys, tmp_path):
    out, _ = export(capsys, tmp_path, "nftables", "--dns-server", "10.0.0.2")
    body = out[out.index("table inet homeport_fence {"):]
    assert "type filter hook output priority filter; policy drop;" in body
    assert 'ip daddr { 10.0.0.2 } meta l4proto { tcp, udp } th dport 53 accept' in body
    assert body.index("ip daddr 10.66.0.0/16 drop") < body.index("ip daddr 10.0.0.0/8 accept")
    assert 'ip6 daddr 2a04:4e42::223/128 accept comment "allow: allow.hosts[0] (pypi.org)' in body
    assert 'log prefix "homeport-fence audit: " accept' not in body  # huggingface.co did not resolve
    assert 'oifname "lo" accept' in body and '"' not in "".join(
        line.split('comment "', 1)[1][:-1] for line in body.splitlines() if 'comment "' in line)


def test_iptables(capsys, tmp_path):
    out, _ = export(capsys, tmp_path, "iptables")
    lines = out.splitlines()
    assert lines[lines.index("*filter") + 1] == ":HOMEPORT-FENCE - [0:0]" and lines[-1] == "COMMIT"
    assert "-A HOMEPORT-FENCE -p udp --dport 53 -j ACCEPT" in out
    assert lines[-2].startswith("-A HOMEPORT-FENCE -j DROP")
    assert "2a04:4e42::223/128; iptables covers IPv4" in out


def test_hosts_from_an_audit_log(capsys, tmp_path):
    log = tmp_path / "fence.jsonl"
    log.write_text("\n".join(json.dumps(x) for x in (
        {"host": "minio.train.internal", "verdict": "allow", "asked": "dns"},
        {"host": "10.3.3.3", "verdict": "allow", "asked": "connect"},
        {"host": "api.wandb.ai", "verdict": "audit", "asked": "dns"},
        {"host": "s3.eu-west-1.amazonaws.com", "verdict": "deny", "asked": "dns"})) + "\nnot json\n")
    out, _ = export(capsys, tmp_path, "nftables", "--from-log", str(log))
    assert f'ip daddr 10.3.3.3/32 accept comment "allow: audit log {log}' in out
    assert f"audit log {log}: denied by deny.parent_jurisdictions[0] (US)" in out  # audited then, denied now
    assert "s3.eu-west-1.amazonaws.com" not in out


@pytest.mark.parametrize("extra, message", [
    (["--pod-selector", "app"], "--pod-selector 'app'"),
    (["--dns-server", "dns.example"], "is not an IP address"),
    (["--from-log", "/nonexistent/log.jsonl"], "cannot read the audit log"),
])
def test_bad_arguments_exit_2(capsys, tmp_path, extra, message):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    code = main(["fence", "export", "--policy", str(policy), "--format", "nftables", *extra])
    assert code == 2 and message in " ".join(capsys.readouterr().err.split())
