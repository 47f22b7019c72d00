"""Containers and requirements ported per target: the bundled example pipeline and small cases, checked
against the catalog's stack and re-assessed with homeport's own detector."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from homeport.assess.analyze import analyze_snippet
from homeport.catalog.targets import stack
from homeport.core.model import Applicability, Category, Severity, Target
from homeport.port.changes import Kind, Status
from homeport.port.containers import apptainer_definition, instructions, port_dockerfile, port_requirements

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llm-pipeline"
REQUIREMENTS = (EXAMPLE / "requirements.txt").read_text(encoding="utf-8")
DOCKERFILE = (EXAMPLE / "Dockerfile").read_text(encoding="utf-8")
TORCH_PIN = re.search(r"^torch==([\d.]+)\+cu\d+", REQUIREMENTS, re.M)
CUDA_LINE = re.compile(r"\+cu\d{2,3}\b|whl/cu\d{2,3}|^nvidia-", re.M)
PORTED = [Target.ROCM, Target.CPU, Target.GAUDI, Target.XPU, Target.NPU]
BOTH_FILES = pytest.mark.parametrize("port, text, name", [(port_requirements, REQUIREMENTS, "requirements.txt"),
                                                          (port_dockerfile, DOCKERFILE, "Dockerfile")])


def flagged(text: str, path: str, target: Target) -> list[tuple[int, str]]:
    """CUDA-dependency and accelerator findings that matter on `target` (not info), as (line, rule); the
    hyperscaler SDK packages (DEP2xx) are another part of the port."""
    result = analyze_snippet(text, path, target=target)
    assert result.skipped is None
    return sorted((f.location.line, f.rule) for f in result.findings
                  if f.category in (Category.DEPENDENCY, Category.ACCELERATOR) and f.severity != Severity.INFO
                  and not f.rule.startswith("DEP2"))


def active(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#") and "homeport:" not in line]


def test_the_example_is_what_these_tests_expect():
    assert TORCH_PIN, "the example pins a CUDA build of torch"
    assert re.search(r"^nvidia-\S+", REQUIREMENTS, re.M) and re.search(r"^flash-attn", REQUIREMENTS, re.M)
    assert len(re.findall(r"^FROM nvidia/cuda", DOCKERFILE, re.M)) == 2


# -- requirements -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", PORTED)
def test_requirements_per_target(target):
    new, changes = port_requirements("requirements.txt", REQUIREMENTS, target)
    st, version = stack(target), TORCH_PIN.group(1)
    assert not [line for line in active(new) if CUDA_LINE.search(line)], "no CUDA pin, index or runtime left"
    assert comments(new) == comments(REQUIREMENTS)
    assert new.count("\n\n") == REQUIREMENTS.count("\n\n")  # blank lines kept
    assert "numpy==1.26.4" in active(new) and "boto3~=1.34.0" in active(new)  # the rest untouched
    if st.torch_from == "index":
        assert f"torch=={version}{st.torch_local_suffix}" in active(new)
        assert f"--extra-index-url {st.wheel_index}" in active(new)
    else:
        assert not [line for line in active(new) if line.startswith(("torch", "--extra-index-url"))]
        assert re.search(rf"^# torch=={version}\+cu\d+  # homeport: the gaudi base image", new, re.M)
    assert [line for line in active(new) if line.startswith("torch-npu")] == \
        ([f"torch-npu=={version}.*"] if target == Target.NPU else [])
    nvidia = re.search(r"^nvidia-\S+", REQUIREMENTS, re.M).group(0)
    assert f"# {nvidia}  # homeport: an NVIDIA runtime library" in new
    for change in changes:
        assert REQUIREMENTS.splitlines()[change.line - 1].strip() == change.original
        assert (change.kind, change.applicability) == (Kind.SEMANTIC, Applicability.UNSAFE)
    assert flagged(new, "requirements.txt", target) == []
    assert flagged(REQUIREMENTS, "requirements.txt", target)


def test_flash_attn_follows_the_support_matrix():
    rocm, _ = port_requirements("requirements.txt", REQUIREMENTS, "rocm")
    cpu, changes = port_requirements("requirements.txt", REQUIREMENTS, "cpu")
    flash = next(line for line in REQUIREMENTS.splitlines() if line.startswith("flash-attn"))
    assert flash in active(rocm)  # flash-attn supports ROCm
    assert flash not in active(cpu)
    change = next(c for c in changes if c.rule == "DEP102")
    assert change.status == Status.APPLIED and "scaled_dot_product_attention" in change.reason
    assert f"# {flash}  # homeport: flash-attn support on cpu: no" in cpu


@BOTH_FILES
@pytest.mark.parametrize("target", PORTED)
def test_porting_is_idempotent(port, text, name, target):
    once, _ = port(name, text, target)
    twice, changes = port(name, once, target)
    assert twice == once
    assert [c for c in changes if c.status == Status.APPLIED] == []


@BOTH_FILES
def test_crlf_stays_crlf(port, text, name):
    lf, lf_changes = port(name, text, "npu")
    crlf, crlf_changes = port(name, text.replace("\n", "\r\n"), "npu")
    assert crlf == lf.replace("\n", "\r\n")
    assert re.search(r"(?<!\r)\n", crlf) is None
    assert [(c.line, c.rule, c.status) for c in crlf_changes] == [(c.line, c.rule, c.status) for c in lf_changes]


def test_a_last_line_without_newline_keeps_none():
    new, _ = port_requirements("r.txt", "numpy\ntorch==2.3.1+cu121", "npu")
    assert new == "numpy\ntorch==2.3.1+cpu\ntorch-npu==2.3.1.*"


@BOTH_FILES
def test_portable_changes_nothing_and_asks_for_a_target(port, text, name):
    new, changes = port(name, text, "portable")
    assert new == text
    assert changes and all(c.status == Status.LEFT and "choose a concrete --target" in c.reason for c in changes)
    assert {c.line for c in changes} >= {line for line, rule in flagged(text, name, Target.CPU)
                                         if rule.startswith(("DEP001", "DEP002", "DEP003"))}


@BOTH_FILES
def test_cuda_keeps_its_stack(port, text, name):
    assert port(name, text, "cuda") == (text, [])


@pytest.mark.parametrize("line, target, expected", [
    ("--index-url=https://download.pytorch.org/whl/cu118", "rocm",
     "--index-url=https://download.pytorch.org/whl/rocm7.2"),
    ("-i https://download.pytorch.org/whl/nightly/cu124", "xpu", "-i https://download.pytorch.org/whl/xpu"),
    ("-f https://download.pytorch.org/whl/cu121/torch_stable.html", "cpu",
     "--extra-index-url https://download.pytorch.org/whl/cpu"),  # a find-links page becomes an index
    ('torchvision==0.18.1+cu121 ; sys_platform == "linux"  # vision', "cpu",
     'torchvision==0.18.1+cpu ; sys_platform == "linux"  # vision'),
    ("torchaudio==2.3.1+cu121", "gaudi", None),  # commented out: the Gaudi image brings it
    ("xformers==0.0.26", "rocm", "xformers==0.0.26"),  # partial on ROCm: left to a person
    ("cupy-cuda12x==13.0.0", "npu", None),
    ("torch==2.3.1", "cpu", "torch==2.3.1"),  # not a CUDA build: nothing to do
])
def test_requirement_forms(line, target, expected):
    new, changes = port_requirements("r.txt", line + "\n", target)
    if expected is None:
        assert new.startswith(f"# {line}  # homeport: ") and changes[0].status == Status.APPLIED
    else:
        assert new == expected + "\n"
    assert bool(changes) == (new != line + "\n" or "xformers" in line)


def test_a_wheel_file_is_left_to_a_person():
    url = "https://download.pytorch.org/whl/cu121/torch-2.3.1%2Bcu121-cp310-cp310-linux_x86_64.whl"
    new, changes = port_requirements("r.txt", url + "\n", "rocm")
    assert new == url + "\n"
    assert [(c.rule, c.status) for c in changes] == [("DEP001", Status.LEFT)]


def test_torch_npu_is_not_added_twice_nor_hidden_behind_an_index():
    new, _ = port_requirements("r.txt", "torch==2.3.1+cu121\ntorch-npu==2.3.1.post4\n", "npu")
    assert new == "torch==2.3.1+cpu\ntorch-npu==2.3.1.post4\n"
    new, changes = port_requirements("r.txt", "--index-url https://download.pytorch.org/whl/cu121\n"
                                              "torch==2.3.1+cu121\n", "npu")
    assert "torch-npu" not in new
    assert any(c.status == Status.LEFT and "torch-npu==2.3.1.*" in c.reason for c in changes)


# -- Dockerfiles --------------------------------------------------------------------------------------------

def shape(text: str) -> list[tuple[str, int]]:
    """Each instruction's keyword and how many physical lines it spans: continuations intact."""
    lines = re.split(r"\r\n|\n|\r", text)
    return [(i.keyword, i.last - i.first) for i in instructions(lines)]


@pytest.mark.parametrize("target", [Target.ROCM, Target.CPU, Target.GAUDI])
def test_dockerfile_per_target(target):
    new, changes = port_dockerfile("Dockerfile", DOCKERFILE, target)
    st, version = stack(target), TORCH_PIN.group(1)
    assert re.findall(r"^FROM (\S+)(.*)$", new, re.M) == [(st.base_image, " AS builder"), (st.base_image, "")]
    assert comments(new) == comments(DOCKERFILE)
    assert shape(new) == shape(DOCKERFILE)
    env = {"rocm": "NCCL_SOCKET_IFNAME=eth0", "cpu": "GLOO_SOCKET_IFNAME=eth0", "gaudi": "HCCL_SOCKET_IFNAME=eth0"}
    assert f"    {env[target.value]} \\" in new.splitlines()
    assert new.count('TORCH_CUDA_ARCH_LIST="8.0;9.0"') == 2  # no equivalent: left, with a reason
    left = [c for c in changes if c.rule == "ACC203"]
    assert len(left) == 2 and all(c.status == Status.LEFT and c.reason for c in left)
    if st.torch_from == "index":
        assert f"&& pip install torch=={version}{st.torch_local_suffix} --index-url {st.wheel_index}" in new
    else:
        torch_line = next(c for c in changes if "pip install torch" in c.original)
        assert torch_line.status == Status.LEFT and "base image brings" in torch_line.reason
    before, after = flagged(DOCKERFILE, "Dockerfile", target), flagged(new, "Dockerfile", target)
    assert len(after) < len(before)
    assert not [f for f in after if f[1] == "DEP003"], "no CUDA base image left"
    applied = [c for c in changes if c.status == Status.APPLIED]
    assert applied and all((c.kind, c.applicability) == (Kind.SEMANTIC, Applicability.UNSAFE) for c in applied)
    assert [c.line for c in changes] == sorted(c.line for c in changes)


@pytest.mark.parametrize("image", ["nvcr.io/nvidia/pytorch:24.05-py3", "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
                                   "--platform=linux/amd64 nvidia/cuda:12.1.1-runtime-ubuntu22.04"])
def test_cuda_images_of_every_kind(image):
    new, changes = port_dockerfile("Dockerfile", f"FROM {image} AS train\nRUN echo ok\n", "xpu")
    platform = "--platform=linux/amd64 " if image.startswith("--") else ""
    assert new == f"FROM {platform}python:3.11-slim AS train\nRUN echo ok\n"
    assert [(c.rule, c.status) for c in changes] == [("DEP003", Status.APPLIED)]


def test_an_image_from_a_build_argument_is_left_and_its_default_rewritten():
    text = "ARG CUDA_IMAGE=nvidia/cuda:12.1.1-runtime-ubuntu22.04\nFROM ${CUDA_IMAGE} AS train\n"
    new, changes = port_dockerfile("Dockerfile", text, "rocm")
    assert new == "ARG CUDA_IMAGE=rocm/dev-ubuntu-24.04:7.2\nFROM ${CUDA_IMAGE} AS train\n"
    assert [(c.line, c.status) for c in changes] == [(1, Status.APPLIED), (2, Status.LEFT)]
    assert "build argument" in changes[1].reason


@pytest.mark.parametrize("target, expected, status", [
    ("gaudi", "ENV HABANA_VISIBLE_MODULES=0,1 NCCL_DEBUG=INFO", [Status.APPLIED, Status.LEFT]),
    ("rocm", "ENV CUDA_VISIBLE_DEVICES=0,1 NCCL_DEBUG=INFO", []),  # ROCm honours both
    ("cpu", "ENV CUDA_VISIBLE_DEVICES=0,1 NCCL_DEBUG=INFO", [Status.LEFT, Status.LEFT]),
    ("xpu", "ENV ZE_AFFINITY_MASK=0,1 CCL_LOG_LEVEL=INFO", [Status.APPLIED, Status.APPLIED]),
])
def test_env_variables(target, expected, status):
    new, changes = port_dockerfile("Dockerfile", "FROM python:3.11\nENV CUDA_VISIBLE_DEVICES=0,1 NCCL_DEBUG=INFO\n",
                                   target)
    assert new.splitlines()[1] == expected
    assert [c.status for c in changes] == status


def test_legacy_env_form():
    new, _ = port_dockerfile("Dockerfile", "FROM python:3.11\nENV NCCL_SOCKET_IFNAME eth0\n", "npu")
    assert new == "FROM python:3.11\nENV HCCL_SOCKET_IFNAME eth0\n"


APT = ("FROM ubuntu:22.04\n"
       "RUN apt-get update && apt-get install -y --no-install-recommends \\\n"
       "        git libnccl2 \\\n"
       "        libnccl-dev\n"
       "COPY . /app\n")


def test_nvidia_system_packages_go_on_cpu():
    new, changes = port_dockerfile("Dockerfile", APT, "cpu")
    assert new == ("FROM ubuntu:22.04\n"
                   "RUN apt-get update && apt-get install -y --no-install-recommends \\\n"
                   "        git\n"
                   "COPY . /app\n")
    assert [(c.line, c.rule, c.status) for c in changes] == [(3, "ACC208", Status.APPLIED),
                                                            (4, "ACC208", Status.APPLIED)]
    assert shape(new) == [("FROM", 0), ("RUN", 1), ("COPY", 0)]
    assert not [f for f in flagged(new, "Dockerfile", Target.CPU) if f[1] == "ACC208"]


def test_nvidia_system_packages_are_left_elsewhere():
    new, changes = port_dockerfile("Dockerfile", APT, "gaudi")
    assert new == APT
    assert [(c.rule, c.status) for c in changes] == [("ACC208", Status.LEFT)] * 2


def test_pip_installs_in_a_dockerfile():
    text = ("FROM python:3.11\n"
            "RUN pip install numpy \"torch==2.3.1+cu121\" nvidia-nccl-cu12==2.20.5 && \\\n"
            "    pip install -f https://download.pytorch.org/whl/cu121/torch_stable.html torchvision==0.18.1+cu121\n")
    new, changes = port_dockerfile("Dockerfile", text, "npu")
    assert new.splitlines()[1:] == [
        "RUN pip install numpy \"torch==2.3.1+cpu\" 'torch-npu==2.3.1.*' nvidia-nccl-cu12==2.20.5 && \\",
        "    pip install --extra-index-url https://download.pytorch.org/whl/cpu torchvision==0.18.1+cpu"]
    left = [c for c in changes if c.status == Status.LEFT]
    assert [c.rule for c in left] == ["DEP002"] and "delete `nvidia-nccl-cu12==2.20.5`" in left[0].reason


# -- Apptainer ----------------------------------------------------------------------------------------------

def sections(definition: str) -> list[str]:
    return [line for line in definition.splitlines() if line.startswith(("%", "Bootstrap:", "From:", "Stage:"))]


def test_apptainer_from_the_ported_example():
    ported, _ = port_dockerfile("Dockerfile", DOCKERFILE, "rocm")
    definition = apptainer_definition(ported, "rocm")
    base = stack("rocm").base_image
    assert sections(definition) == [
        "Bootstrap: docker", f"From: {base}", "Stage: builder", "%files", "%environment", "%post",
        "Bootstrap: docker", f"From: {base}", "Stage: stage1", "%files from builder", "%files", "%environment",
        "%post", "%runscript"]
    lines = definition.splitlines()
    assert "    requirements.txt /tmp/requirements.txt" in lines
    assert "    /opt/venv /opt/venv" in lines
    assert "    *.py /opt/ml/code/" in lines and "    configs/ /opt/ml/code/configs/" in lines
    assert "    export NCCL_SOCKET_IFNAME=eth0" in lines  # in %environment and, for the build, in %post
    assert lines.index("    export PATH=/opt/venv/bin:$PATH") < next(
        i for i, line in enumerate(lines) if "pip install --upgrade pip" in line)  # ENV before the RUN after it
    assert '    export APEX_REF="${APEX_REF:-master}"' in lines
    assert definition.endswith('%runscript\n    cd /opt/ml/code\n    exec bash scripts/launch.sh "$@"\n')
    assert "+rocm7.2 --index-url https://download.pytorch.org/whl/rocm7.2" in definition


def test_apptainer_single_stage_with_cmd():
    text = ("FROM nvidia/cuda:12.1.1-runtime-ubuntu22.04\nENV PYTHONUNBUFFERED 1\nLABEL team=ml\n"
            "USER trainer\nCMD [\"python\", \"train.py\"]\n")
    definition = apptainer_definition(text, "cpu")
    assert "Stage:" not in definition
    assert "From: python:3.11-slim" in definition  # a CUDA image left in the input gets the target's
    assert "# not carried over: USER trainer" in definition
    assert "%labels\n    team ml" in definition
    assert "export PYTHONUNBUFFERED=1" in definition
    assert definition.rstrip().endswith('if [ "$#" -eq 0 ]; then set -- python train.py; fi\n    exec "$@"')


def test_apptainer_needs_a_concrete_target_and_a_dockerfile():
    with pytest.raises(ValueError, match="choose a concrete --target"):
        apptainer_definition(DOCKERFILE, "portable")
    with pytest.raises(ValueError, match="no FROM instruction"):
        apptainer_definition("# just a comment\n", "cpu")


def test_instructions_know_heredocs_escapes_and_comments_inside_continuations():
    text = ("# escape=`\n"
            "FROM nvidia/cuda:12.1.1-runtime-ubuntu22.04\n"
            "RUN <<EOF\n"
            "pip install torch==2.3.1+cu121\n"
            "EOF\n"
            "RUN apt-get update `\n"
            "# a comment inside the command\n"
            "    && apt-get install -y git\n"
            "ENV NCCL_DEBUG=INFO\n")
    assert shape(text) == [("FROM", 0), ("RUN", 2), ("RUN", 2), ("ENV", 0)]
    new, _ = port_dockerfile("Dockerfile", text, "cpu")
    assert "pip install torch==2.3.1+cpu\n" in new and shape(new) == shape(text)
