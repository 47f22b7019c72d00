"""Bench results made once per session by really training the tiny GPT on this CPU (seconds each)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from homeport.bench import results, runner
from homeport.bench.workload import WorkloadConfig

TINY = WorkloadConfig(size="tiny", seq_len=64, batch_size=8, steps=30, warmup=2, lr=1e-3)


@pytest.fixture(scope="session")
def source_doc():
    """Three seeds: parity's run-to-run band."""
    return runner.bench(TINY, seeds=3, probe_names=("matmul", "memory"), precisions=("fp32",), probe_seconds=0.05)


@pytest.fixture(scope="session")
def repeat_doc():
    return runner.bench(TINY, seeds=3)


@pytest.fixture(scope="session")
def perturbed_doc():
    """The same workload with noise of 20% of each weight's spread added after every step: a device
    whose arithmetic is wrong in a way the loss shows."""
    return runner.bench(replace(TINY, perturb=0.2), seeds=3)


@pytest.fixture
def write(tmp_path):
    def _write(doc, name):
        return str(results.save(doc, tmp_path / name))
    return _write
