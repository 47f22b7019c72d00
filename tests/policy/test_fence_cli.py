"""`homeport fence check|validate` in-process: exit 0 allowed, 1 denied (or only audited), 2 for a bad policy,
catalog or argument, with the explanation on stdout and errors as sentences on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeport.cli.main import main
from homeport.core.errors import CatalogError

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "llm-pipeline" / "policy.yaml")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def policy(tmp_path) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text("allow:\n  countries: [EU]\ndeny:\n  parent_jurisdictions: [US]\n"
                    "audit:\n  hosts: [huggingface.co]\n", encoding="utf-8")
    return str(path)


def test_allowed_exits_0_and_explains(capsys, policy):
    code, out, _ = run(capsys, "fence", "check", "eu-central-2.storage.impossibleapi.net", "--policy", policy)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "ALLOW  eu-central-2.storage.impossibleapi.net"
    assert "identified:  impossible-cloud, region eu-central-2, country DE" in out
    assert "endpoints.csv:" in out and "<region>.storage.impossibleapi.net" in out
    assert "provider_regions.csv:" in out and "-> DE Frankfurt" in out
    assert "decided by:  allow.countries[0] (EU)" in out and f"policy:      {policy} (mode enforce)" in out


def test_denied_exits_1_and_names_the_clause(capsys, policy):
    code, out, _ = run(capsys, "fence", "check", "s3.eu-central-2.amazonaws.com", "--policy", policy)
    assert code == 1
    assert out.startswith("DENY  s3.eu-central-2.amazonaws.com")
    assert "country CH" in out and "Zurich" in out and "decided by:  deny.parent_jurisdictions[0] (US)" in out


def test_audit_exits_1(capsys, policy):
    code, out, _ = run(capsys, "fence", "check", "huggingface.co", "--policy", policy)
    assert code == 1 and out.startswith("AUDIT  huggingface.co")


def test_unknown_host_explains_what_to_do(capsys, policy):
    code, out, _ = run(capsys, "fence", "check", "tracking.example.org:8443", "--policy", policy)
    assert code == 1 and out.startswith("DENY  tracking.example.org:8443")
    assert "not in the catalog, not declared by the policy" in out and "Declare it under hosts:" in out


def test_a_location_shows_how_it_became_a_host(capsys, policy, tmp_path, monkeypatch):
    config = tmp_path / "homeport.toml"
    config.write_text('[remotes.scw]\nendpoint = "https://s3.nl-ams.scw.cloud"\n', encoding="utf-8")
    monkeypatch.setenv("HOMEPORT_CONFIG", str(config))
    code, out, _ = run(capsys, "fence", "check", "scw:shards/train", "--policy", policy)
    assert code == 0 and out.startswith("ALLOW  s3.nl-ams.scw.cloud:443")
    assert "via:         the endpoint of the remote 'scw' (https://s3.nl-ams.scw.cloud)" in out


def test_json(capsys, policy):
    code, out, _ = run(capsys, "fence", "check", "https://api.wandb.ai/graphql", "--policy", policy, "-f", "json")
    doc = json.loads(out)
    assert code == 1
    assert (doc["host"], doc["port"], doc["provider"], doc["verdict"], doc["allowed"]) == (
        "api.wandb.ai", 443, "wandb", "deny", False)
    assert doc["policy"] == policy and doc["mode"] == "enforce" and doc["target"] == "https://api.wandb.ai/graphql"


@pytest.mark.parametrize("text, messages", [
    ("allow:\n  countries: [EU, Germny]\nmode: strict\n",
     ["policy.yaml: allow.countries[1]: expected an ISO 3166 code or a group (EU, EEA, ADEQUACY), got 'Germny'",
      "policy.yaml: mode: expected one of enforce, audit, got 'strict'"]),
    ("deny:\n  parent_jurisdictions: [America]\n", ["deny.parent_jurisdictions[0]: expected"]),
    ("allow: [EU]\n", ["policy.yaml: allow: expected a mapping with the keys countries, providers, hosts, loopback"]),
])
def test_a_bad_policy_exits_2_with_each_field(capsys, tmp_path, text, messages):
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    for argv in (("fence", "check", "s3.gra.io.cloud.ovh.net", "--policy", str(path)),
                 ("fence", "validate", str(path))):
        code, out, err = run(capsys, *argv)
        flat = " ".join(err.split())  # the error console wraps long lines at the terminal's width
        assert code == 2 and out == ""
        for message in messages:
            assert message in flat
        assert "homeport fence validate POLICY" in flat


def test_a_missing_policy_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "fence", "check", "pypi.org", "--policy", str(tmp_path / "nope.yaml"))
    assert code == 2 and "the policy file does not exist" in " ".join(err.split())


@pytest.mark.parametrize("argv", [("fence", "check", "pypi.org"),  # no --policy
                                  ("fence", "check", "s3://", "--policy", EXAMPLE),  # no bucket
                                  ("fence", "check", "https://host:99999/x", "--policy", EXAMPLE),
                                  ("fence", "check", "undefined-remote:bucket", "--policy", EXAMPLE),
                                  ("fence",)])
def test_usage_errors_exit_2(capsys, argv, monkeypatch, tmp_path):
    monkeypatch.setenv("HOMEPORT_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 2 and err


def test_a_broken_catalog_exits_2(capsys, policy, monkeypatch):
    def broken(host):
        raise CatalogError("endpoints.csv, line 9, field 'host': the last two labels must be literal")

    monkeypatch.setattr("homeport.policy.engine.identify_host", broken)
    code, out, err = run(capsys, "fence", "check", "s3.gra.io.cloud.ovh.net", "--policy", policy)
    assert code == 2 and out == "" and "endpoints.csv, line 9, field 'host'" in " ".join(err.split())


def test_validate_summarizes(capsys, policy):
    code, out, _ = run(capsys, "fence", "validate", policy)
    assert code == 0
    assert out.splitlines()[0] == f"valid: {policy} (mode enforce)"
    assert "allow.countries: EU (27 countries)" in out
    assert "denies" in out and "aws" in out and "wandb" in out and "genesis-cloud" in out


def test_validate_says_when_nothing_is_allowed(capsys, tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    code, out, _ = run(capsys, "fence", "validate", str(path))
    assert code == 0 and "allows nothing: every destination but loopback is denied" in out


@pytest.mark.parametrize("target, code, rule", [
    ("s3.gra.io.cloud.ovh.net", 0, "allow.countries[0] (EU)"),
    ("files.pythonhosted.org", 0, "allow.hosts[1] (files.pythonhosted.org)"),
    ("minio.train.internal:9000", 0, "allow.countries[0] (EU)"),
    ("10.20.1.5", 0, "allow.countries[0] (EU)"),
    ("cdn-lfs.huggingface.co", 1, "audit.hosts[1] (*.huggingface.co)"),
    ("api.wandb.ai", 1, "deny.parent_jurisdictions[0] (US)"),
    ("s3.eu-west-1.amazonaws.com", 1, "deny.parent_jurisdictions[0] (US)"),
    ("sos-ch-gva-2.exo.io", 1, "allow.countries"),
    ("10.99.0.1", 1, "direct_ip: deny"),
])
def test_the_example_policy(capsys, target, code, rule):
    assert run(capsys, "fence", "validate", EXAMPLE)[0] == 0
    got, out, _ = run(capsys, "fence", "check", target, "--policy", EXAMPLE, "-f", "json")
    assert (got, json.loads(out)["rule"]) == (code, rule)
