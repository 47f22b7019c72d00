"""SageMaker launchers -> a Kubernetes Indexed Job and a Slurm script per target: read statically,
valid against the batch/v1 Job schema and `bash -n`, written beside the launcher by `homeport port`,
and stable when the ported tree is ported again."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from homeport.catalog.k8s import k8s_accelerator
from homeport.catalog.slurm import slurm_accelerator
from homeport.core.model import Target
from homeport.port.engine import port
from homeport.port.launchers import kubernetes_job, read_launch, slurm_script

HERE = Path(__file__).resolve().parent
LITERAL = HERE / "fixtures" / "infra" / "launch_estimator.py"
EXAMPLE = HERE.parents[1] / "examples" / "llm-pipeline" / "launch_sagemaker.py"
JOB_SCHEMA = json.loads((HERE / "schemas" / "job-batch-v1.json").read_text(encoding="utf-8"))
TARGETS = [Target.ROCM, Target.GAUDI, Target.XPU, Target.NPU, Target.CPU]


def launch_of(path: Path):
    return read_launch(path.name, path.read_text(encoding="utf-8"))


def test_the_literal_launcher_is_read_whole():
    launch = launch_of(LITERAL)
    assert (launch.entry_point, launch.instance_type, launch.instance_count, launch.devices_per_node) == \
        ("finetune.py", "ml.p5.48xlarge", 4, 8)
    assert launch.image == "123456789012.dkr.ecr.eu-central-1.amazonaws.com/finetune:2026.11"
    assert launch.arguments == ["--epochs", "3", "--lr", "2e-05", "--run-name", "llama 8b"]
    assert launch.channels == {"train": "s3://acme-ml-euc1/data/train", "eval": "s3://acme-ml-euc1/data/eval"}
    assert launch.stores["checkpoint_s3_uri"] == "s3://acme-ml-euc1/checkpoints/llama-8b"
    assert launch.unresolved == []


def test_the_bundled_launcher_names_what_is_computed_at_launch():
    launch = launch_of(EXAMPLE)
    assert (launch.instance_count, launch.devices_per_node) == (2, 8)
    assert launch.environment["NCCL_SOCKET_IFNAME"] == "eth0"
    assert any(u.startswith("hyperparameters:") for u in launch.unresolved)
    assert any("WANDB_API_KEY" in u for u in launch.unresolved)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.value)
@pytest.mark.parametrize("source", [LITERAL, EXAMPLE], ids=["literal", "example"])
def test_job_is_valid_and_asks_for_the_target(source, target):
    launch = launch_of(source)
    service, job = yaml.safe_load_all(kubernetes_job(launch, target, "registry.example.eu/ml"))
    jsonschema.validate(job, JOB_SCHEMA)
    assert service["spec"]["clusterIP"] == "None"
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == launch.instance_count
    container = spec["template"]["spec"]["containers"][0]
    assert container["image"].startswith("registry.example.eu/ml/")
    assert container["command"][:3] == ["torchrun", f"--nnodes={launch.instance_count}", "--nproc_per_node=8"]
    resource = k8s_accelerator(target).device_resource
    assert container.get("resources", {}).get("limits", {}) == ({resource: 8} if resource else {})
    names = [e["name"] for e in container["env"]]
    assert not any(n.startswith("FI_") for n in names) and "SM_CHANNEL_TRAIN" in names


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.value)
@pytest.mark.parametrize("source", [LITERAL, EXAMPLE], ids=["literal", "example"])
def test_slurm_script_passes_bash_n(tmp_path, source, target):
    text = slurm_script(launch_of(source), target)
    script = tmp_path / "job.sbatch"
    script.write_text(text)
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    gres = slurm_accelerator(target).gres
    assert (f"#SBATCH --gres={gres}:8" in text) == bool(gres)
    assert "#SBATCH --nodes=" in text and "srun bash -c 'torchrun" in text


def test_literal_arguments_are_quoted_for_the_shell():
    text = slurm_script(launch_of(LITERAL), Target.ROCM)
    assert "--run-name '\\''llama 8b'\\''" in text  # a quoted word inside the quoted command


def test_port_writes_both_beside_the_launcher_and_is_stable(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copyfile(EXAMPLE, root / "launch_sagemaker.py")
    files = {f.path: f for f in port(root, target=Target.ROCM).files}
    assert files["launch_sagemaker.rocm.job.yaml"].changed and files["launch_sagemaker.rocm.sbatch"].changed
    change = files["launch_sagemaker.rocm.job.yaml"].changes[0]
    assert change.rule == "CLD004" and "2 x 8 amd.com/gpu" in change.reason
    for rel in ("launch_sagemaker.rocm.job.yaml", "launch_sagemaker.rocm.sbatch"):
        (root / rel).write_bytes(files[rel].after)
    again = {f.path: f for f in port(root, target=Target.ROCM).files}
    assert not again["launch_sagemaker.rocm.job.yaml"].changed and not again["launch_sagemaker.rocm.sbatch"].changed
    assert not [f for f in port(root, target=Target.PORTABLE).files if f.changed]
