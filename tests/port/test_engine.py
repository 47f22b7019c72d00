"""The port of a whole tree: where the torch floor comes from, what the text change log shows, and
inputs that must not stop the run."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from homeport.core.model import Target
from homeport.port.changelog import render_text
from homeport.port.engine import port


@pytest.mark.parametrize("files, floor, said", [
    ({"requirements.txt": "torch>=2.4,<3\n"}, (2, 4), "torch>=2.4,<3 in requirements.txt:1"),
    ({"requirements.txt": "torch==2.8.0\n", "Dockerfile": "FROM python:3.11\nRUN pip install torch>=2.6\n"},
     (2, 8), "torch==2.8.0"),
    ({"environment.yml": "name: t\ndependencies:\n  - pytorch=2.7.1\n"}, (2, 7), "pytorch=2.7.1"),
    ({"requirements.txt": "torch<2.5\n"}, (0, 0), "rules out 2.6"),
    ({"requirements.txt": "numpy\n"}, (2, 6), "assuming 2.6"),
])
def test_the_torch_floor_is_the_lowest_version_every_declaration_allows(tmp_path, files, floor, said):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "train.py").write_text("import torch\ntorch.cuda.synchronize()\n")
    result = port(tmp_path)
    assert result.options.min_torch == floor and said in result.torch_floor
    changed = {f.path for f in result.changed}
    assert ("train.py" in changed) is (floor >= (2, 6))


def test_a_dockerfile_fragment_without_from_does_not_stop_the_port(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM nvidia/cuda:12.6.3-runtime-ubuntu22.04\nRUN echo hi\n")
    (tmp_path / "Dockerfile.part").write_text("ENV NCCL_DEBUG=INFO\nRUN pip install torch==2.7.1+cu126\n")
    (tmp_path / "train.py").write_text("import torch\nx = torch.ones(1).cuda()\n")
    result = port(tmp_path, target=Target.ROCM, unsafe=True)
    assert "Apptainer.rocm.def" in {f.path for f in result.files}
    assert any("Dockerfile.part" in s.reason for s in result.skipped)
    assert "train.py" in {f.path for f in result.changed}


def test_the_text_change_log_shows_the_class_of_each_change(tmp_path):
    (tmp_path / "train.py").write_text("import torch\nx = torch.ones(1).cuda()\ntorch.cuda.manual_seed(0)\n")
    buffer = io.StringIO()
    render_text(port(tmp_path), Console(file=buffer, width=200, color_system=None))
    text = buffer.getvalue()
    assert "train.py:2 applied [exact] ACC002" in text
    assert "train.py:3 left [semantic-change] ACC007" in text


def test_homeports_own_state_is_not_ported(tmp_path):
    (tmp_path / ".homeport" / "port").mkdir(parents=True)
    (tmp_path / ".homeport" / "port" / "revert.json").write_text('{"device": "cuda"}\n')
    (tmp_path / "train.py").write_text("import torch\nx = torch.ones(1).cuda()\n")
    assert {f.path for f in port(tmp_path).files} == {"train.py"}
