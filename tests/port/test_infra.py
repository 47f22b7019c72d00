"""Kubernetes manifests and Slurm scripts ported per target: realistic fixtures and the bundled example,
before -> after for every target, comments and key order kept, the Job valid against the Kubernetes
batch/v1 schema, scripts valid for `bash -n`, idempotent, and a no-op on files already portable."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from homeport.catalog.k8s import k8s_accelerator
from homeport.catalog.slurm import slurm_accelerator
from homeport.catalog.targets import collective_equivalent, stack
from homeport.cli.main import main
from homeport.core.model import Target
from homeport.port.changes import Status
from homeport.port.engine import port

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "infra"
EXAMPLE = HERE.parents[1] / "examples" / "llm-pipeline"
JOB_SCHEMA = json.loads((HERE / "schemas" / "job-batch-v1.json").read_text(encoding="utf-8"))
TARGETS = [Target.ROCM, Target.GAUDI, Target.XPU, Target.NPU, Target.CPU]
REGISTRY = "registry.example.eu/ml"


def ported_tree(tmp_path: Path, files: dict[str, Path], target: Target, **options) -> tuple[Path, dict]:
    """Copy `files` into a tree, port it, and return the tree and {path: FilePort}."""
    root = tmp_path / f"tree-{target.value}"
    for rel, source in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / rel)
    result = port(root, target=target, **options)
    return root, {f.path: f for f in result.files}


def text_after(files: dict, rel: str) -> str:
    return files[rel].after.decode("utf-8")


def comments(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if re.match(r"^\s*#", line)]


def assert_same_key_order(before, after) -> None:
    """Every mapping keeps its keys in their order: those in both come in the same sequence, and a
    renamed key stays where the old one was."""
    if isinstance(before, dict) and isinstance(after, dict):
        common = [k for k in before if k in after]
        assert [k for k in after if k in before] == common
        if len(before) == len(after):  # a rename in place: same positions for the rest
            assert [k in after for k in before].count(False) == [k in before for k in after].count(False)
        for key in common:
            assert_same_key_order(before[key], after[key])
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for b, a in zip(before, after):
            assert_same_key_order(b, a)


def bash_n(text: str, tmp_path: Path) -> None:
    script = tmp_path / "check.sh"
    script.write_text(text, encoding="utf-8")
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def port_again(tmp_path: Path, rel: str, text: str, target: Target, **options) -> dict:
    """Port an already ported file once more (a fresh tree holding only it)."""
    again = tmp_path / "again" / target.value
    (again / rel).parent.mkdir(parents=True, exist_ok=True)
    (again / rel).write_text(text, encoding="utf-8")
    return {f.path: f for f in port(again, target=target, **options).files}


# --- Kubernetes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.value)
def test_job_before_and_after(tmp_path, target):
    _, files = ported_tree(tmp_path, {"train-job.yaml": FIXTURES / "train-job.yaml"}, target,
                           unsafe=True, registry=REGISTRY)
    before = (FIXTURES / "train-job.yaml").read_text(encoding="utf-8")
    after = text_after(files, "train-job.yaml")
    doc = yaml.safe_load(after)
    pod = doc["spec"]["template"]["spec"]
    container = pod["containers"][0]
    row = k8s_accelerator(target)
    assert "nvidia.com/" not in after and "runtimeClassName: nvidia" not in after
    limits = container["resources"]["limits"]
    if row.device_resource:
        assert limits[row.device_resource] == 8
        assert pod["nodeSelector"] == {row.node_label[0]: row.node_label[1], "kubernetes.io/os": "linux"}
        assert [t["key"] for t in pod["tolerations"]] == [row.device_resource, "dedicated"]
    else:  # cpu: no device, no NVIDIA label or toleration
        assert set(limits) == {"cpu", "memory"}
        assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
        assert [t["key"] for t in pod["tolerations"]] == ["dedicated"]
    assert pod.get("runtimeClassName") == (row.runtime_class or None)
    assert container["image"] == f"{REGISTRY}/finetune:2026.11"
    env = [e["name"] for e in container["env"]]
    expected = [collective_equivalent(v, target) or v for v in ("NCCL_DEBUG", "NCCL_SOCKET_IFNAME")]
    assert env == expected + [stack(target).visible_devices_env or "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS"]
    jsonschema.validate(doc, JOB_SCHEMA)
    # every comment kept (the runtime class's inline one goes with its line where the line goes)
    kept = [c for c in comments(before)]
    assert comments(after) == kept
    assert ("# whole node" in after) == bool(row.device_resource)  # the CPU target deletes that line
    assert_same_key_order(yaml.safe_load(before), doc)


def test_job_for_rocm_line_by_line(tmp_path):
    _, files = ported_tree(tmp_path, {"job.yaml": FIXTURES / "train-job.yaml"}, Target.ROCM, unsafe=True,
                           registry=REGISTRY)
    before = (FIXTURES / "train-job.yaml").read_text(encoding="utf-8").splitlines()
    after = text_after(files, "job.yaml").splitlines()
    removed = [line for line in before if line not in after]
    added = [line for line in after if line not in before]
    assert removed == ["      runtimeClassName: nvidia  # the GPU operator's runtime",
                       "        nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3",
                       '        nvidia.com/gpu.count: "8"',
                       "        - key: nvidia.com/gpu",
                       "          image: 123456789012.dkr.ecr.eu-central-1.amazonaws.com/finetune:2026.11",
                       "            - name: CUDA_VISIBLE_DEVICES",
                       "              nvidia.com/gpu: 8  # whole node"]
    assert added == ['        feature.node.kubernetes.io/amd-gpu: "true"',
                     "        - key: amd.com/gpu",
                     "          image: registry.example.eu/ml/finetune:2026.11",
                     "            - name: HIP_VISIBLE_DEVICES",
                     "              amd.com/gpu: 8  # whole node"]
    nccl = [c for c in files["job.yaml"].changes if c.rule == "ACC202"]
    assert len(nccl) == 2 and all(c.status is Status.LEFT and "as it is" in c.reason for c in nccl)  # RCCL


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.value)
def test_ported_manifests_are_stable(tmp_path, target):
    files = {"train-job.yaml": FIXTURES / "train-job.yaml", "values.yaml": FIXTURES / "values.yaml",
             "k8s/train-job.yaml": EXAMPLE / "k8s" / "train-job.yaml"}
    _, first = ported_tree(tmp_path, files, target, unsafe=True, registry=REGISTRY)
    for rel in files:
        text = text_after(first, rel)
        again = port_again(tmp_path, rel, text, target, unsafe=True, registry=REGISTRY)
        if rel in again:
            assert again[rel].after.decode("utf-8") == text
            assert not [c for c in again[rel].changes if c.status is Status.APPLIED]


def test_safe_fixes_apply_and_unsafe_ones_wait(tmp_path):
    _, files = ported_tree(tmp_path, {"job.yaml": FIXTURES / "train-job.yaml"}, Target.GAUDI, registry=REGISTRY)
    after = text_after(files, "job.yaml")
    assert "habana.ai/gaudi: 8" in after and "runtimeClassName" not in after  # Gaudi's runtime is the default
    assert "NCCL_SOCKET_IFNAME" in after and "dkr.ecr" in after  # env and image renames are unsafe
    left = {c.rule: c.reason for c in files["job.yaml"].changes if c.status is Status.LEFT}
    assert "--unsafe-fixes" in left["ACC202"] and "--unsafe-fixes" in left["CLD010"]


def test_portable_target_changes_nothing_and_says_why(tmp_path):
    _, files = ported_tree(tmp_path, {"job.yaml": FIXTURES / "train-job.yaml"}, Target.PORTABLE, unsafe=True)
    ported = files["job.yaml"]
    assert not ported.changed
    assert any("concrete --target" in c.reason for c in ported.changes if c.rule == "ACC204")


def test_ecr_without_registry_is_left_with_the_option_named(tmp_path):
    _, files = ported_tree(tmp_path, {"job.yaml": FIXTURES / "train-job.yaml"}, Target.ROCM, unsafe=True)
    image = [c for c in files["job.yaml"].changes if c.rule == "CLD010"]
    assert len(image) == 1 and image[0].status is Status.LEFT and "--registry" in image[0].reason
    assert "dkr.ecr" in text_after(files, "job.yaml")


def test_already_portable_manifest_is_not_touched(tmp_path):
    _, files = ported_tree(tmp_path, {"job.yaml": FIXTURES / "portable-job.yaml"}, Target.ROCM, unsafe=True)
    assert "job.yaml" not in files or not files["job.yaml"].changed


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.value)
def test_bundled_example_manifest(tmp_path, target):
    rel = "k8s/train-job.yaml"
    _, files = ported_tree(tmp_path, {rel: EXAMPLE / rel}, target, unsafe=True, registry=REGISTRY)
    before = (EXAMPLE / rel).read_text(encoding="utf-8")
    after = text_after(files, rel)
    assert comments(after) == comments(before)
    for anchor in ("&pod", "*pod", "&res", "*res"):
        assert anchor in after
    service_account, job = list(yaml.safe_load_all(after))
    pod = job["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]  # through the alias
    requests = pod["containers"][0]["resources"]["requests"]
    row = k8s_accelerator(target)
    assert "nvidia.com/gpu" not in requests and requests.get(row.device_resource or "none") == (
        8 if row.device_resource else None)
    assert "nvidia.com/gpu.product" not in pod["nodeSelector"]
    assert pod["containers"][0]["image"] == f"{REGISTRY}/llm-train:latest"
    log = {(c.rule, c.status) for c in files[rel].changes}
    assert ("CLD012", Status.UNSUPPORTED) in log and ("CLD014", Status.UNSUPPORTED) in log
    irsa = next(c for c in files[rel].changes if c.rule == "CLD012")
    assert "Secret" in irsa.reason
    assert service_account["metadata"]["annotations"]  # flagged, not removed


def test_not_plain_yaml_is_skipped_with_a_reason(tmp_path):
    root = tmp_path / "chart"
    (root / "templates").mkdir(parents=True)
    (root / "templates" / "job.yaml").write_text(
        "resources:\n  limits:\n    nvidia.com/gpu: {{ .Values.gpus }}\n  {{- toYaml .Values.extra | nindent 2 }}\n")
    ported = {f.path: f for f in port(root, target=Target.ROCM).files}["templates/job.yaml"]
    assert not ported.changed and "not plain YAML" in ported.skipped


# --- Slurm ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.value)
def test_slurm_script_before_and_after(tmp_path, target):
    _, files = ported_tree(tmp_path, {"train.sbatch": FIXTURES / "train.sbatch"}, target, unsafe=True)
    after = text_after(files, "train.sbatch")
    bash_n(after, tmp_path)
    row = slurm_accelerator(target)
    assert "a100" not in after
    assert "module load gcc/12.2" in after and "# the toolchain the wheels were built with" in after
    modules = next(c for c in files["train.sbatch"].changes if c.rule == "ACC210")
    if row.module or target == Target.CPU:
        assert "cuda/12.1" not in after and "nccl/2.18" not in after and modules.status is Status.APPLIED
    else:  # no module recorded for the target: the line stays, with the reason
        assert "cuda/12.1 nccl/2.18" in after and "slurm_accelerators.csv" in modules.reason
    if row.gres:
        assert f"#SBATCH --gres={row.gres}:8\n" in after
    else:
        assert "--gres" not in after and "srun torchrun" in after
    if row.module:
        assert f"module load gcc/12.2 {row.module}  #" in after
    assert "--nproc_per_node=8" in after and "train.py --config configs/train.yaml" in after
    assert comments(after)[:2] == comments((FIXTURES / "train.sbatch").read_text())[:2]


def test_slurm_script_for_rocm_line_by_line(tmp_path):
    _, files = ported_tree(tmp_path, {"train.sbatch": FIXTURES / "train.sbatch"}, Target.ROCM, unsafe=True)
    before = (FIXTURES / "train.sbatch").read_text().splitlines()
    after = text_after(files, "train.sbatch").splitlines()
    assert [(b, a) for b, a in zip(before, after) if a != b] == [
        ("#SBATCH --gres=gpu:a100:8", "#SBATCH --gres=gpu:8"),
        ("module load gcc/12.2 cuda/12.1 nccl/2.18  # the toolchain the wheels were built with",
         "module load gcc/12.2 rocm  # the toolchain the wheels were built with"),
        ("export CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7", "export HIP_VISIBLE_DEVICES=0,1,2,3,4,5,6,7"),
        ("srun --gpus-per-node=a100:8 torchrun \\", "srun --gpus-per-node=8 torchrun \\")]
    left = {c.line: c for c in files["train.sbatch"].changes if c.rule == "ACC202"}
    assert "reads NCCL_DEBUG as it is" in left[17].reason  # RCCL honours NCCL_*


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.value)
def test_ported_scripts_are_stable(tmp_path, target):
    files = {"train.sbatch": FIXTURES / "train.sbatch", "scripts/launch.sh": EXAMPLE / "scripts" / "launch.sh"}
    _, first = ported_tree(tmp_path, files, target, unsafe=True)
    for rel in files:
        text = text_after(first, rel)
        bash_n(text, tmp_path)
        again = port_again(tmp_path, rel, text, target, unsafe=True)
        assert again[rel].after.decode("utf-8") == text
        assert not [c for c in again[rel].changes if c.status is Status.APPLIED]


def test_bundled_launch_script_for_gaudi(tmp_path):
    rel = "scripts/launch.sh"
    _, files = ported_tree(tmp_path, {rel: EXAMPLE / rel}, Target.GAUDI, unsafe=True)
    after = text_after(files, rel)
    assert 'export HABANA_VISIBLE_MODULES="${HABANA_VISIBLE_MODULES:-0,1,2,3,4,5,6,7}"' in after
    assert 'export HCCL_SOCKET_IFNAME="${HCCL_SOCKET_IFNAME:-eth0}"' in after
    efa = [c for c in files[rel].changes if c.rule == "CLD014"]
    assert efa and all(c.status is Status.UNSUPPORTED for c in efa)


def test_sbatch_directives_are_assessed(tmp_path):
    """`#SBATCH` lines are directives, not comments: assess flags the NVIDIA board they ask for."""
    from homeport.assess.analyze import analyze_snippet
    result = analyze_snippet("#!/bin/bash\n#SBATCH --gres=gpu:h100:4  # fast ones\n# --gres=gpu:a100:8\n",
                             "job.sbatch", target=Target.ROCM)
    assert [(f.rule, f.location.line) for f in result.findings] == [("ACC209", 2)]


# --- through the command line --------------------------------------------------------------------


def test_out_and_write_then_revert(tmp_path, capsys):
    root = tmp_path / "repo"
    (root / "k8s").mkdir(parents=True)
    shutil.copyfile(FIXTURES / "train-job.yaml", root / "k8s" / "job.yaml")
    shutil.copyfile(FIXTURES / "train.sbatch", root / "train.sbatch")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    out = tmp_path / "ported"
    assert main(["port", str(root), "--target", "rocm", "--registry", REGISTRY, "--out", str(out)]) == 0
    assert "amd.com/gpu: 8" in (out / "k8s" / "job.yaml").read_text()
    assert "#SBATCH --gres=gpu:8" in (out / "train.sbatch").read_text()
    assert main(["port", str(root), "--target", "rocm", "--write", "--force"]) == 0
    assert "amd.com/gpu: 8" in (root / "k8s" / "job.yaml").read_text()
    patch = next((root / ".homeport" / "port").glob("revert-*.patch"))
    assert main(["port", "--revert", str(patch)]) == 0
    capsys.readouterr()
    assert {p: p.read_bytes() for p in before} == before


@pytest.mark.parametrize("code, path, target, expected", [
    ("#!/bin/bash\n#SBATCH --gres=gpu:a100:8  # fast ones\necho\n", "j.sbatch", Target.CPU, "#!/bin/bash\necho\n"),
    ("#!/bin/bash\n#SBATCH --gres=gpu:a100:8,nvme:1\n", "j.sbatch", Target.CPU, "#!/bin/bash\n#SBATCH --gres=nvme:1\n"),
    ("#!/bin/bash\n#SBATCH --gres=gpu:a100:8,nvme:1\n", "j.sbatch", Target.XPU,
     "#!/bin/bash\n#SBATCH --gres=gpu:8,nvme:1\n"),
    ("srun --gres=gpu:h100:8 --ntasks=2 python x.py\n", "run.sh", Target.CPU, "srun --ntasks=2 python x.py\n"),
    ("module load cudnn/8.9\n", "j.sbatch", Target.ROCM, "module load rocm\n"),
    ("resources: {limits: {nvidia.com/gpu: 8}}\n", "job.yaml", Target.ROCM, "resources: {limits: {amd.com/gpu: 8}}\n"),
    ("resources: {limits: {nvidia.com/gpu: 8}}\n", "job.yaml", Target.CPU,  # flow style: left, with the reason
     "resources: {limits: {nvidia.com/gpu: 8}}\n"),
    ("a: 1\r\nresources:\r\n  limits:\r\n    nvidia.com/gpu: 8\r\n", "job.yaml", Target.GAUDI,
     "a: 1\r\nresources:\r\n  limits:\r\n    habana.ai/gaudi: 8\r\n"),
])
def test_small_shapes(code, path, target, expected, tmp_path):
    from homeport.assess.analyze import analyze_snippet
    from homeport.port.codemod import Options
    from homeport.port.engine import rewrite

    result = analyze_snippet(code, path, target=target)
    text, changes = rewrite(path, result.kind, code, result.findings, Options(target=target, unsafe=True))
    assert text == expected
    assert changes and all(c.reason for c in changes if c.status is not Status.APPLIED)
    if path.endswith((".sh", ".sbatch")):
        bash_n(text, tmp_path)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.value)
def test_porting_the_ported_example_changes_nothing(tmp_path, capsys, target):
    """The whole bundled pipeline with every option: code, manifests, scripts, launcher files, Terraform."""
    pytest.importorskip("hcl2")
    options = ["--target", target.value, "--unsafe-fixes", "--registry", REGISTRY, "--provider", "ovhcloud"]
    out = tmp_path / "ported"
    assert main(["port", str(EXAMPLE), *options, "--out", str(out), "-q"]) == 0
    assert (out / f"launch_sagemaker.{target.value}.job.yaml").is_file()
    assert (out / "terraform" / "ovhcloud" / "main.tf").is_file()
    capsys.readouterr()
    assert main(["port", str(out), *options, "-f", "json"]) == 0
    log = json.loads(capsys.readouterr().out)
    assert log["totals"]["files_changed"] == 0
    assert not [c for c in log["changes"] if c["status"] == "applied"]


def test_a_selector_that_already_has_the_target_label_keeps_one(tmp_path):
    from homeport.assess.analyze import analyze_snippet
    from homeport.port.codemod import Options
    from homeport.port.engine import rewrite

    code = ("nodeSelector:\n  feature.node.kubernetes.io/amd-gpu: \"true\"\n"
            "  nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3\n")
    result = analyze_snippet(code, "values.yaml", target=Target.ROCM)
    text, _ = rewrite("values.yaml", result.kind, code, result.findings, Options(target=Target.ROCM))
    assert text == "nodeSelector:\n  feature.node.kubernetes.io/amd-gpu: \"true\"\n"
