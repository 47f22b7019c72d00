"""Assessments the report tests render: the bundled example, and a small tree with every awkward case
(suppressed findings with and without a reason, skipped inputs of several kinds, `|` and spaces in names)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeport import assess

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "llm-pipeline"

TRAIN = '''\
import torch

model = torch.nn.Linear(2, 2).cuda()  # homeport: ignore[ACC002] NVIDIA-only smoke test | kept on purpose
# homeport: ignore
torch.cuda.synchronize()
x = torch.zeros(2, device="cuda")
torch.cuda.empty_cache()
torch.cuda.empty_cache()
'''

NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# notes\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["import torch\n", "torch.cuda.synchronize()\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["def broken(:\n", "    pass\n"]},
    ],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
}


def write_tricky_tree(root: Path, outside: Path) -> Path:
    """A tree with findings, suppressions and skipped inputs; `outside` is a folder beside it."""
    (root / "pkg").mkdir(parents=True)
    (root / "node_modules" / "left-pad").mkdir(parents=True)
    (root / "train.py").write_text(TRAIN)
    (root / "requirements.txt").write_text("torch==2.3.1+cu121\nnvidia-nccl-cu12==2.20.5\nnumpy\n")
    (root / "with space.py").write_text("import torch\nt = torch.ones(1).cuda()\n")
    (root / "odd|name.py").write_text("import torch\ntorch.cuda.manual_seed(0)\n")
    (root / "clean.py").write_text("import torch\nprint(torch.ones(1))\n")
    (root / "pkg" / "bad.py").write_bytes(b'x = "\xff\xfe"\n')
    (root / "notes.md").write_text("nothing to analyze here\n")
    (root / "node_modules" / "left-pad" / "index.js").write_text("module.exports = 1\n")
    (root / "nb.ipynb").write_text(json.dumps(NOTEBOOK, indent=1) + "\n")
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.py").write_text("import torch\ntorch.cuda.synchronize()\n")
    (root / "linked.py").symlink_to(outside / "secret.py")
    return root


@pytest.fixture(scope="session")
def example_path() -> Path:
    return EXAMPLE


@pytest.fixture(scope="session")
def example():
    return assess(EXAMPLE)


@pytest.fixture(scope="session")
def tricky_root(tmp_path_factory):
    base = tmp_path_factory.mktemp("tricky")
    return write_tricky_tree(base / "repo", base / "elsewhere")


@pytest.fixture(scope="session")
def tricky(tricky_root):
    return assess(tricky_root)
