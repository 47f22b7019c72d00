"""`assess --policy`: the residency findings of the bundled example, Terraform variables, environment files,
SDK clients with regions and endpoints, telemetry, and what must stay as it was without a policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeport.assess import engine
from homeport.assess.engine import assess
from homeport.core.errors import UsageError
from homeport.core.model import Category, Severity
from homeport.policy import parse_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llm-pipeline"
EXAMPLE_POLICY = EXAMPLE / "policy.yaml"
EU_NO_US = parse_policy({"allow": {"countries": ["EU"]}, "deny": {"parent_jurisdictions": ["US"]}}, "eu.yaml")
EU_ONLY = parse_policy({"allow": {"countries": ["EU"]}}, "eu-only.yaml")  # no rule on parents: the place decides
DE_ONLY = parse_policy({"allow": {"countries": ["DE"]}}, "de.yaml")

# Every destination of examples/llm-pipeline that its policy (EU countries, no operator under US law) does not
# allow, read line by line from the files: (path, line, rule).
EXAMPLE_RESIDENCY = {
    ("Dockerfile", 24, "RES001"),  # git clone https://github.com/NVIDIA/apex
    ("Dockerfile", 38, "RES001"),  # curl https://efa-installer.amazonaws.com/...
    ("Dockerfile", 53, "RES003"),  # ENV AWS_DEFAULT_REGION=eu-west-1
    ("configs/train.yaml", 16, "RES002"),  # train_uri: s3://acme-llm-euw1/...
    ("configs/train.yaml", 17, "RES002"),  # val_uri
    ("configs/train.yaml", 47, "RES002"),  # checkpoint s3_uri
    ("configs/train.yaml", 56, "RES003"),  # tracking region: eu-west-1
    ("data.py", 28, "RES003"),  # boto3.client("s3", region_name="eu-west-1")
    ("k8s/train-job.yaml", 37, "RES003"),  # topology.kubernetes.io/zone: eu-west-1a
    ("k8s/train-job.yaml", 58, "RES003"),  # env AWS_REGION value: eu-west-1
    ("launch_sagemaker.py", 17, "RES003"),  # REGION = "eu-west-1"
    ("launch_sagemaker.py", 69, "RES002"),  # output_path="s3://acme-llm-euw1/sagemaker-output/"
    ("scripts/launch.sh", 13, "RES003"),  # ${AWS_DEFAULT_REGION:-eu-west-1}
    ("scripts/launch.sh", 31, "RES002"),  # S3_DATA default s3://...
    ("terraform/main.tf", 14, "RES003"),  # backend "s3" region
    ("terraform/main.tf", 21, "RES003"),  # provider "aws" region = var.region (terraform.tfvars)
    ("terraform/terraform.tfvars", 1, "RES003"),
    ("terraform/variables.tf", 4, "RES003"),  # the variable's default
    ("tracking.py", 38, "RES004"),  # wandb.init(...) -> api.wandb.ai
    ("tracking.py", 53, "RES003"),  # CloudWatch client, region default "eu-west-1"
}


def residency(a, path: str | None = None):
    return [f for f in a.findings if f.category is Category.RESIDENCY and (path is None or f.location.path == path)]


def by_line(a) -> dict[tuple[str, int], object]:
    return {(f.location.path, f.location.line): f for f in residency(a)}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def example():
    return assess(EXAMPLE, policy=EXAMPLE_POLICY)


def test_the_example_residency_findings_are_where_the_files_say(example):
    assert {(f.location.path, f.location.line, f.rule) for f in residency(example)} == EXAMPLE_RESIDENCY
    assert example.policy == str(EXAMPLE_POLICY)
    for f in residency(example):
        assert f.severity is Severity.BLOCKER and f.residency.verdict == "deny"
        assert f.residency.rule == "deny.parent_jurisdictions[0] (US)"
        assert "DENY by policy.yaml deny.parent_jurisdictions[0] (US)" in f.message
        assert "as of 2026-" in f.message and "providers.csv:" in f.message  # the rows that decided, dated


def test_each_example_finding_cites_the_row_that_identified_its_destination(example):
    found = by_line(example)
    region = found[("data.py", 28)]
    assert region.residency.region == "eu-west-1" and region.residency.country == "IE"
    assert region.residency.catalog_row.startswith("regions.csv:") and "aws/eu-west-1 -> IE" in region.message
    bucket = found[("configs/train.yaml", 16)]
    assert bucket.residency.host == "acme-llm-euw1.s3.amazonaws.com"
    assert "<bucket>.s3.amazonaws.com" in bucket.residency.catalog_row
    wandb = found[("tracking.py", 38)]
    assert wandb.residency.host == "api.wandb.ai" and wandb.residency.provider == "wandb"
    assert "telemetry.csv:" in wandb.message and "WANDB_BASE_URL" in wandb.message
    tf = found[("terraform/main.tf", 21)]
    assert "var.region, set in terraform.tfvars" in tf.message


def test_allowed_hosts_of_the_example_give_no_finding(example):
    """download.pytorch.org (Dockerfile:18, requirements.txt:5) is in the policy's allow.hosts."""
    assert ("Dockerfile", 18) not in by_line(example) and ("requirements.txt", 5) not in by_line(example)
    shown = assess(EXAMPLE, policy=EXAMPLE_POLICY, select=["RES"], show_allowed=True)
    allowed = by_line(shown)
    for where in (("Dockerfile", 18), ("requirements.txt", 5)):
        assert allowed[where].severity is Severity.INFO and allowed[where].residency.verdict == "allow"
        assert allowed[where].residency.rule == "allow.hosts[2] (download.pytorch.org)"


def test_without_a_policy_nothing_changes(example):
    plain = assess(EXAMPLE)
    assert not residency(plain) and plain.policy is None
    assert not any(code.startswith("RES") for code in plain.rules)
    others = [f.to_dict() for f in example.findings if f.category is not Category.RESIDENCY]
    assert [f.to_dict() for f in plain.findings] == others
    assert all("residency" not in f.to_dict() for f in plain.findings)


def test_selecting_res_runs_the_cloud_rules_it_reads_but_reports_only_res(example):
    only = assess(EXAMPLE, policy=EXAMPLE_POLICY, select=["RES"])
    assert {f.rule[:3] for f in only.findings} == {"RES"}
    assert only.rules == ["RES001", "RES002", "RES003", "RES004"]
    assert [f.to_dict() for f in only.findings] == [f.to_dict() for f in residency(example)]


def test_selecting_res_without_a_policy_is_a_usage_error():
    with pytest.raises(UsageError, match="residency policy"):
        assess(EXAMPLE, select=["RES"])


def test_worker_processes_judge_as_this_one_does(monkeypatch, example):
    monkeypatch.setattr(engine, "_PARALLEL_BYTES", 0)  # the pool, even for a small tree
    pooled = assess(EXAMPLE, policy=EXAMPLE_POLICY, jobs=2)
    assert [f.to_dict() for f in residency(pooled)] == [f.to_dict() for f in residency(example)]


def test_terraform_variables_resolve_through_tfvars_auto_tfvars_and_locals(tmp_path):
    tree = write(tmp_path, {
        "main.tf": 'provider "aws" {\n  region = var.region\n}\n'
                   'provider "aws" {\n  alias  = "dr"\n  region = local.dr_region\n}\n'
                   'locals {\n  dr_region = "us-west-2"\n}\n',
        "variables.tf": 'variable "region" {\n  default = "eu-central-1"\n}\n',
    })
    alone = by_line(assess(tree, policy=EU_ONLY))
    assert ("main.tf", 2) not in alone  # the default, eu-central-1 (Frankfurt), is allowed
    assert "local.dr_region, set in main.tf locals" in alone[("main.tf", 6)].message
    assert alone[("main.tf", 6)].residency.country == "US"

    (tree / "terraform.tfvars").write_text('region = "us-east-1"\n')
    overridden = by_line(assess(tree, policy=EU_ONLY))
    assert overridden[("main.tf", 2)].residency.region == "us-east-1"
    assert "var.region, set in terraform.tfvars" in overridden[("main.tf", 2)].message
    assert overridden[("terraform.tfvars", 1)].residency.country == "US"

    (tree / "prod.auto.tfvars").write_text('region = "eu-west-3"\n')  # *.auto.tfvars win over terraform.tfvars
    assert ("main.tf", 2) not in by_line(assess(tree, policy=EU_ONLY))


def test_an_environment_file_is_judged_setting_by_setting(tmp_path):
    tree = write(tmp_path, {"job.env": "AWS_REGION=eu-central-2\n"
                                       "MLFLOW_TRACKING_URI=https://mlflow.acme.example\n"
                                       "WANDB_BASE_URL=https://api.wandb.ai\n"
                                       "HF_ENDPOINT=https://hf-mirror.s3.gra.io.cloud.ovh.net\n"})
    found = by_line(assess(tree, policy=EU_NO_US))
    assert set(found) == {("job.env", 1), ("job.env", 2), ("job.env", 3)}  # the OVH mirror is allowed
    assert found[("job.env", 1)].rule == "RES003" and found[("job.env", 1)].residency.country == "CH"
    assert found[("job.env", 2)].rule == "RES001" and found[("job.env", 2)].residency.rule == "unknown_hosts: deny"
    assert "set as MLFLOW_TRACKING_URI" in found[("job.env", 2)].message
    assert found[("job.env", 3)].residency.provider == "wandb"


def test_an_aws_endpoint_in_a_settings_file_makes_its_region_a_signing_region(tmp_path):
    """AWS_REGION next to AWS_ENDPOINT_URL_S3 names the endpoint's region label, not AWS's Zurich."""
    tree = write(tmp_path, {".env": "AWS_REGION=eu-central-2\n"
                                    "AWS_ENDPOINT_URL_S3=https://s3.eu-central-2.ionoscloud.com\n"})
    assert not residency(assess(tree, policy=DE_ONLY))
    shown = by_line(assess(tree, policy=DE_ONLY, show_allowed=True))
    assert set(shown) == {(".env", 2)}
    assert shown[(".env", 2)].residency.provider == "ionos" and shown[(".env", 2)].residency.country == "DE"


def test_a_boto3_client_is_judged_by_its_region(tmp_path):
    tree = write(tmp_path, {"io.py": 'import boto3\ns3 = boto3.client("s3", region_name="us-east-1")\n'})
    [finding] = residency(assess(tree, policy=EU_ONLY))
    assert (finding.rule, finding.location.line, finding.location.column) == ("RES003", 2, 37)  # the string literal
    assert finding.residency.country == "US" and finding.residency.rule == "allow.countries"
    assert "US is not among the allowed countries (EU)" in finding.message


@pytest.mark.parametrize("endpoint, provider, country", [
    ("https://eu-central-2.storage.impossibleapi.net", "impossible-cloud", "DE"),  # Frankfurt
    ("https://s3.eu-central-2.ionoscloud.com", "ionos", "DE"),  # Berlin
])
def test_eu_central_2_is_zurich_only_at_aws(tmp_path, endpoint, provider, country):
    """The same region name, three providers: the provider, never the bare name, decides the place."""
    tree = write(tmp_path, {
        "aws.py": 'import boto3\ns3 = boto3.client("s3", region_name="eu-central-2")\n',
        "other.py": f'import boto3\ns3 = boto3.client("s3", region_name="eu-central-2", endpoint_url="{endpoint}")\n',
        "main.tf": 'provider "aws" {\n  region = "eu-central-2"\n}\n',
    })
    found = by_line(assess(tree, policy=DE_ONLY))
    assert set(found) == {("aws.py", 2), ("main.tf", 2)}
    for where in found:
        assert found[where].residency.country == "CH" and "aws/eu-central-2 -> CH Zurich" in found[where].message
    allowed = by_line(assess(tree, policy=DE_ONLY, show_allowed=True))[("other.py", 2)]
    assert (allowed.rule, allowed.severity) == ("RES001", Severity.INFO)
    assert (allowed.residency.provider, allowed.residency.country) == (provider, country)


def test_an_allowed_eu_endpoint_gives_no_finding_where_a_us_one_does(tmp_path):
    tree = write(tmp_path, {
        "eu.py": 'import boto3\ns3 = boto3.client("s3", endpoint_url="https://s3.gra.io.cloud.ovh.net")\n',
        "us.py": 'import boto3\ns3 = boto3.client("s3", endpoint_url="https://s3.us-east-va.io.cloud.ovh.us")\n',
        "job.yaml": "storage:\n  endpoint: s3.gra.io.cloud.ovh.net\n  backup: s3.us-east-1.amazonaws.com\n",
    })
    found = by_line(assess(tree, policy=EU_NO_US))
    assert set(found) == {("us.py", 2), ("job.yaml", 3)}
    assert found[("us.py", 2)].residency.provider == "ovhcloud-us"
    assert found[("job.yaml", 3)].residency.host == "s3.us-east-1.amazonaws.com"


def test_telemetry_and_audited_hosts(tmp_path):
    tree = write(tmp_path, {"track.py": "import wandb\nfrom transformers import AutoModel\n"
                                        "run = wandb.init(project='llm')\n"
                                        "model = AutoModel.from_pretrained('gpt2')\n"
                                        "local = AutoModel.from_pretrained('./checkpoints/last')\n"})
    found = by_line(assess(tree, policy=EXAMPLE_POLICY))
    assert set(found) == {("track.py", 3), ("track.py", 4)}
    assert found[("track.py", 3)].severity is Severity.BLOCKER
    hub = found[("track.py", 4)]
    assert (hub.rule, hub.severity, hub.residency.verdict) == ("RES004", Severity.WARNING, "audit")
    assert "HF_ENDPOINT" in hub.message


def test_mode_audit_turns_every_deny_into_a_warning(tmp_path):
    tree = write(tmp_path, {"io.py": 'import boto3\ns3 = boto3.client("s3", region_name="us-east-1")\n'})
    audit = parse_policy({"mode": "audit", "allow": {"countries": ["EU"]}}, "audit.yaml")
    [finding] = residency(assess(tree, policy=audit))
    assert finding.severity is Severity.WARNING and finding.residency.verdict == "audit"


def test_a_suppression_silences_the_residency_rule_it_names(tmp_path):
    code = ("import boto3\n"
            "a = boto3.client('s3', region_name='us-east-1')  # homeport: ignore[RES003] legacy\n"
            "b = boto3.client('s3', region_name='us-west-2')  # homeport: ignore[CLD008]\n")
    tree = write(tmp_path, {"io.py": code})
    a = assess(tree, policy=EU_ONLY)
    assert [f.location.line for f in residency(a)] == [3]
    assert [(s.finding.rule, s.reason) for s in a.suppressed if s.finding.rule == "RES003"] == [("RES003", "legacy")]


def test_the_policy_file_in_the_tree_is_not_judged(tmp_path):
    """Its host lists are decisions; a URL in a note there is no destination."""
    policy = tmp_path / "policy.yaml"
    policy.write_text('allow:\n  countries: [EU]\n'
                      'hosts:\n  "minio.internal": {country: DE, note: "https://a.example"}\n')
    write(tmp_path, {"other.yaml": 'mirror: {note: "https://a.example"}\n'})
    assert [f.location.path for f in residency(assess(tmp_path, policy=policy))] == ["other.yaml"]


def test_a_notebook_cell_is_judged_on_its_own_lines(tmp_path):
    import json

    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": ["import wandb\n", "wandb.init()\n"]},
             {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": "import boto3\nc = boto3.client('s3', region_name='us-east-1')\n"}]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)
    (tmp_path / "nb.ipynb").write_text(text)
    lines = text.splitlines()
    wandb = next(i for i, line in enumerate(lines, 1) if '"wandb.init()' in line)  # a cell line, mapped
    boto = next(i for i, line in enumerate(lines, 1) if '"source": "import boto3' in line)  # one string: pinned
    found = {(f.location.line, f.rule) for f in residency(assess(tmp_path, policy=EU_NO_US))}
    assert found == {(wandb, "RES004"), (boto, "RES003")}
