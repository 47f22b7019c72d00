"""What Kubernetes and Slurm ask for per target: one sourced row per concrete target, and errors that
name the file, the line and the field."""

from __future__ import annotations

import pytest

from homeport.catalog.k8s import k8s_accelerator, k8s_accelerators, parse_k8s
from homeport.catalog.libraries import read_csv
from homeport.catalog.slurm import parse_slurm, slurm_accelerator, slurm_accelerators
from homeport.core.model import Target

CONCRETE = [t for t in Target if t != Target.PORTABLE]


def test_one_sourced_row_per_concrete_target():
    for rows in (k8s_accelerators(), slurm_accelerators()):
        assert sorted(t.value for t in rows) == sorted(t.value for t in CONCRETE)
        assert all(r.source and r.as_of for r in rows.values())
    assert k8s_accelerator(Target.PORTABLE) is None and slurm_accelerator(Target.PORTABLE) is None


@pytest.mark.parametrize("target, resource", [("cuda", "nvidia.com/gpu"), ("rocm", "amd.com/gpu"),
                                              ("gaudi", "habana.ai/gaudi"), ("xpu", "gpu.intel.com/i915"),
                                              ("npu", "huawei.com/Ascend910"), ("cpu", "")])
def test_device_plugin_resources(target, resource):
    assert k8s_accelerator(target).device_resource == resource


def test_a_bad_row_names_file_line_and_field():
    rows = read_csv("k8s_accelerators.csv")
    rows[1] = {**rows[1], "node_label": "no equals sign"}
    with pytest.raises(ValueError, match=r"k8s_accelerators.csv, line 3, field 'node_label'"):
        parse_k8s(rows)
    with pytest.raises(ValueError, match="no row for target"):
        parse_k8s(read_csv("k8s_accelerators.csv")[:-1])
    rows = read_csv("slurm_accelerators.csv")
    rows[0] = {**rows[0], "gres": "gpu type"}
    with pytest.raises(ValueError, match=r"slurm_accelerators.csv, line 2, field 'gres'"):
        parse_slurm(rows)
