"""The inventory of the bundled example: components by kind and the links the issue asks for
(entry point -> modules -> components, image -> entry point, job manifest -> image)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeport import assess

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llm-pipeline"


@pytest.fixture(scope="module")
def inventory():
    return assess(EXAMPLE).inventory


def names(inv, kind):
    return {c.name for c in inv.of_kind(kind)}


def linked(inv, source, relation, target):
    return any(l.source == source and l.relation == relation and l.target == target for l in inv.links)


def test_components_by_kind(inventory):
    assert {"train.py", "scripts/launch.sh", "launch_sagemaker.py"} <= names(inventory, "entry-point")
    assert {"data.py", "model.py", "tracking.py"} <= names(inventory, "module")
    assert {"apex", "flash-attn"} <= names(inventory, "accelerator-library")
    assert {"AWS S3", "AWS SageMaker", "AWS CloudWatch"} <= names(inventory, "cloud-service")
    assert "Weights & Biases" in names(inventory, "experiment-tracking")
    assert "NCCL backend" in names(inventory, "distributed")
    assert any(n.startswith("nvidia/cuda:") for n in names(inventory, "container-image"))
    (compute,) = inventory.of_kind("compute")  # ml.p4d.24xlarge in the SageMaker launcher, p4d in k8s
    assert (compute.name, compute.details["accelerator_count"]) == ("p4d.24xlarge", 8)
    assert "A100" in compute.details["accelerator"]


def test_packages_carry_versions(inventory):
    torch = inventory.components["package:torch"]
    assert torch.details["version"].startswith("==2.7.1+cu126")
    assert "package:flash_attn" not in inventory.components  # import and dist names are normalized


def test_data_locations_have_directions(inventory):
    dirs = {c.name: c.details["directions"] for c in inventory.of_kind("data-location")}
    assert any("checkpoints" in n and "write" in d for n, d in dirs.items())
    assert any("train" in n and "read" in d for n, d in dirs.items())
    assert all("://" in n and " " not in n for n in dirs)


def test_links(inventory):
    assert linked(inventory, "entry-point:train.py", "imports", "module:data.py")
    assert linked(inventory, "module:data.py", "uses", "cloud-service:AWS S3")
    assert linked(inventory, "module:model.py", "uses", "accelerator-library:flash-attn")
    assert linked(inventory, "container-image:built from Dockerfile", "runs", "entry-point:scripts/launch.sh")
    assert linked(inventory, "entry-point:scripts/launch.sh", "launches", "entry-point:train.py")
    assert any(l.source == "job-manifest:k8s/train-job.yaml" and l.relation == "deploys"
               and ".dkr.ecr." in l.target for l in inventory.links)
    assert linked(inventory, "infrastructure:terraform/main.tf", "provisions", "cloud-service:AWS S3")


def test_every_link_points_at_a_component(inventory):
    ids = set(inventory.components)
    dangling = [l for l in inventory.links if l.source not in ids or l.target not in ids]
    assert dangling == []


def test_inventory_is_the_same_at_any_parallelism_and_imports_find_their_siblings(tmp_path):
    import json

    for i in range(12):
        pkg = tmp_path / f"pkg{i}"
        pkg.mkdir()
        (pkg / "utils.py").write_text("def f():\n    return 1\n" + "# pad\n" * 40_000)
        (pkg / "train.py").write_text("import utils\nif __name__ == '__main__':\n    utils.f()\n")
        (pkg / "requirements.txt").write_text(f"torch==2.{i}.0\n")
    runs = [json.dumps(assess(tmp_path, jobs=jobs).inventory.to_dict(), sort_keys=True) for jobs in (1, 2, 3)]
    assert runs[0] == runs[1] == runs[2]
    inv = assess(tmp_path, jobs=2).inventory
    assert linked(inv, "entry-point:pkg5/train.py", "imports", "module:pkg5/utils.py")
