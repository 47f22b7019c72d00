"""Terraform starting points for the bundled example's AWS files on two EU providers: they parse back
(python-hcl2), are aligned as `terraform fmt` writes them, sit in a region the residency policy allows,
and list what has no equivalent."""

from __future__ import annotations

from pathlib import Path

import pytest

hcl2 = pytest.importorskip("hcl2")

from homeport.policy.engine import load_policy, parse_policy  # noqa: E402
from homeport.port.terraform import PROVIDERS, _format, choose_region, starting_point, tf_resources  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llm-pipeline"
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in (EXAMPLE / "terraform").glob("*.tf")}
POLICY = load_policy(EXAMPLE / "policy.yaml")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_starting_point_parses_back_with_the_catalog_resources(provider):
    region = choose_region(provider, POLICY)
    assert POLICY.decide_region(provider, region).verdict == "allow"
    point = starting_point(TEXTS, provider, region)
    parsed = hcl2.loads(point.text)
    generated = {rtype.strip('"') for block in parsed["resource"] for rtype in block}
    expected = {r.resource_type for r in tf_resources() if r.provider == provider and r.role in
                ("bucket", "registry", "identity")}
    assert generated == expected
    assert ("aws_s3_bucket.llm", next(a for _, a in point.mapped if ".bucket" in a)) in point.mapped
    assert any(aws == "aws_ecr_repository.train" for aws, _ in point.mapped)
    assert [m.split(" ")[0] for m in point.no_equivalent] == ["aws_secretsmanager_secret.wandb"]
    assert "# no equivalent: aws_secretsmanager_secret.wandb" in point.text
    assert f'"{region}"' in point.text or f'"{region.upper()}"' in point.text
    declared = {name.strip('"') for block in parsed.get("variable", []) for name in block}
    assert declared == set(__import__("re").findall(r"\bvar\.(\w+)", point.text))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_starting_point_is_formatted(provider):
    text = starting_point(TEXTS, provider, choose_region(provider)).text
    assert _format(text) == text
    block = [line for line in text.splitlines() if line.startswith("  ") and " = " in line and "{" not in line]
    resource = text.split('resource "')[2].split("}\n")[0].splitlines()[1:]
    assert len({line.index("=") for line in resource if " = " in line}) == 1, resource
    assert block


def test_a_policy_can_rule_a_provider_out():
    german = parse_policy({"version": 1, "mode": "enforce", "allow": {"countries": ["DE"]}})
    assert choose_region("ovhcloud", german) == "de"
    with pytest.raises(ValueError, match="allows no region of scaleway"):
        choose_region("scaleway", german)
    with pytest.raises(ValueError, match="expected one of"):
        starting_point(TEXTS, "aws", "eu-west-1")


def test_port_writes_the_starting_point_beside_the_aws_files_and_is_stable(tmp_path, capsys):
    import shutil

    from homeport.cli.main import main

    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE / "terraform", root / "terraform")
    out = tmp_path / "ported"
    assert main(["port", str(root), "--target", "rocm", "--provider", "scaleway", "--policy",
                 str(EXAMPLE / "policy.yaml"), "--out", str(out)]) == 0
    text = (out / "terraform" / "scaleway" / "main.tf").read_text()
    assert hcl2.loads(text)["resource"] and 'region = "fr-par"' in text
    capsys.readouterr()
    assert main(["port", str(out), "--target", "rocm", "--provider", "scaleway", "-f", "json"]) == 0
    log = __import__("json").loads(capsys.readouterr().out)
    assert log["totals"]["files_changed"] == 0
