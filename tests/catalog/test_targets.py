"""The per-target stacks and the NCCL-variable map: loaded from the catalog, validated with errors that
name the file, the line and the field."""

from __future__ import annotations

import pytest

from homeport.catalog.libraries import read_csv
from homeport.catalog.targets import (COLLECTIVE_FILE, STACKS_FILE, collective_equivalent, collective_row,
                                      parse_collective, parse_stacks, stack, stacks)
from homeport.core.model import Target

CONCRETE = [t for t in Target if t != Target.PORTABLE]


def test_one_stack_per_concrete_target():
    assert sorted(t.value for t in stacks()) == sorted(t.value for t in CONCRETE)


@pytest.mark.parametrize("target, device_type, backend, mask, compile_backend", [
    ("rocm", "cuda", "nccl", "HIP_VISIBLE_DEVICES", "inductor"),  # ROCm keeps the cuda device string
    ("gaudi", "hpu", "hccl", "HABANA_VISIBLE_MODULES", "hpu_backend"),
    ("xpu", "xpu", "xccl", "ZE_AFFINITY_MASK", "inductor"),
    ("npu", "npu", "hccl", "ASCEND_RT_VISIBLE_DEVICES", ""),
    ("cpu", "cpu", "gloo", "", "inductor"),
    ("cuda", "cuda", "nccl", "CUDA_VISIBLE_DEVICES", "inductor"),
])
def test_stack_rows_match_the_research(target, device_type, backend, mask, compile_backend):
    st = stack(target)
    assert (st.device_type, st.dist_backend, st.visible_devices_env, st.compile_backend) == \
        (device_type, backend, mask, compile_backend)
    assert st.apptainer_bootstrap == "docker"
    assert st.as_of == "2026-11-27"


@pytest.mark.parametrize("target", CONCRETE)
def test_every_stack_is_installable_and_sourced(target):
    st = stack(target)
    assert ":" in st.base_image.rsplit("/", 1)[-1], "a base image names its tag"
    if st.torch_from == "index":
        assert st.wheel_index.startswith("https://") and st.torch_local_suffix.startswith("+")
    else:
        assert (st.wheel_index, st.torch_local_suffix) == ("", "")
    assert "research/" in st.source or "https://" in st.source
    assert st.notes


def test_torch_comes_from_the_image_only_on_gaudi():
    assert [t.value for t, st in stacks().items() if st.torch_from == "image"] == ["gaudi"]


def test_npu_pins_torch_npu_to_the_torch_release():
    assert stack("npu").extras_for("2.3.1") == ("torch-npu==2.3.1.*",)
    assert stack("npu").extras_for(None) == ("torch-npu",)
    assert stack("rocm").extras_for("2.3.1") == ()


def test_portable_has_no_stack():
    with pytest.raises(ValueError, match="choose a concrete --target"):
        stack(Target.PORTABLE)


@pytest.mark.parametrize("var, target, expected", [
    ("NCCL_SOCKET_IFNAME", "gaudi", "HCCL_SOCKET_IFNAME"),
    ("NCCL_SOCKET_IFNAME", "npu", "HCCL_SOCKET_IFNAME"),
    ("NCCL_SOCKET_IFNAME", "cpu", "GLOO_SOCKET_IFNAME"),
    ("NCCL_SOCKET_IFNAME", "rocm", "NCCL_SOCKET_IFNAME"),  # RCCL reads NCCL_* (a prefix row)
    ("NCCL_IB_HCA", "rocm", "NCCL_IB_HCA"),
    ("TORCH_NCCL_ASYNC_ERROR_HANDLING", "rocm", "TORCH_NCCL_ASYNC_ERROR_HANDLING"),
    ("NCCL_DEBUG", "xpu", "CCL_LOG_LEVEL"),
    ("NCCL_SOCKET_IFNAME", "xpu", None),  # nobody has checked: no guess
    ("NCCL_DEBUG", "gaudi", None),
    ("NCCL_IB_HCA", "npu", None),
])
def test_collective_equivalents(var, target, expected):
    assert collective_equivalent(var, target) == expected


def test_an_exact_row_wins_over_a_prefix_row():
    rows = parse_collective([
        {"nccl_var": "NCCL_*", "target": "rocm", "equivalent": "NCCL_*", "source": "s", "as_of": "2026-11-27"},
        {"nccl_var": "NCCL_DEBUG", "target": "rocm", "equivalent": "RCCL_LOG_LEVEL", "source": "s",
         "as_of": "2026-11-27"},
    ])
    assert collective_row("NCCL_DEBUG", "rocm", rows).equivalent_of("NCCL_DEBUG") == "RCCL_LOG_LEVEL"
    assert collective_row("NCCL_ALGO", "rocm", rows).equivalent_of("NCCL_ALGO") == "NCCL_ALGO"
    assert collective_row("NCCL_DEBUG", "gaudi", rows) is None
    assert collective_row("NCCL_DEBUG", "rocm").nccl_var == "NCCL_*"  # the shipped data has only the prefix


# -- a bad file says where ----------------------------------------------------------------------------------

def _stack_rows(**change) -> list[dict]:
    rows = [dict(row) for row in read_csv(STACKS_FILE)]
    target = change.pop("row", "gaudi")
    for row in rows:
        if row["target"] == target:
            row.update(change)
    return rows


@pytest.mark.parametrize("change, field", [
    ({"torch_from": "vendor"}, "torch_from"),
    ({"wheel_index": "https://download.pytorch.org/whl/cpu"}, "wheel_index"),  # gaudi takes torch from its image
    ({"row": "rocm", "wheel_index": "download.pytorch.org/whl/rocm7.2"}, "wheel_index"),
    ({"row": "rocm", "torch_local_suffix": "rocm7.2"}, "torch_local_suffix"),
    ({"row": "npu", "extra_packages": "torch-npu=={torch}"}, "extra_packages"),
    ({"base_image": ""}, "base_image"),
    ({"visible_devices_env": "habana visible"}, "visible_devices_env"),
    ({"as_of": "27.11.2026"}, "as_of"),
    ({"source": " "}, "source"),
    ({"target": "tpu"}, "target"),
])
def test_a_bad_stack_row_names_file_line_and_field(change, field):
    rows = _stack_rows(**change)
    line = 2 + next(i for i, row in enumerate(rows) if row["target"] == change.get("target", change.get("row",
                                                                                                        "gaudi")))
    with pytest.raises(ValueError) as error:
        parse_stacks(rows)
    assert f"{STACKS_FILE}, line {line}, field {field!r}" in str(error.value)


def test_a_missing_or_repeated_target_is_named():
    rows = [row for row in read_csv(STACKS_FILE) if row["target"] != "xpu"]
    with pytest.raises(ValueError, match=r"target_stacks.csv: no row for target\(s\) xpu"):
        parse_stacks(rows)
    rows = read_csv(STACKS_FILE)
    with pytest.raises(ValueError, match=r"line 8, field 'target': expected each target once"):
        parse_stacks(rows + [dict(rows[0])])


def test_a_missing_column_is_named():
    rows = [{k: v for k, v in row.items() if k != "dist_backend"} for row in read_csv(STACKS_FILE)]
    with pytest.raises(ValueError, match="line 2, field 'dist_backend': expected a column of that name"):
        parse_stacks(rows)


@pytest.mark.parametrize("row, field", [
    ({"nccl_var": "HCCL_DEBUG"}, "nccl_var"),
    ({"equivalent": "HCCL_*"}, "equivalent"),  # a prefix maps only from a prefix
    ({"target": "portable"}, "target"),
    ({"as_of": ""}, "as_of"),
])
def test_a_bad_collective_row_names_file_line_and_field(row, field):
    good = {"nccl_var": "NCCL_DEBUG", "target": "gaudi", "equivalent": "", "source": "s", "as_of": "2026-11-27"}
    with pytest.raises(ValueError) as error:
        parse_collective([good, {**good, "target": "npu", **row}])
    assert f"{COLLECTIVE_FILE}, line 3, field {field!r}" in str(error.value)


def test_a_repeated_collective_pair_is_named():
    row = {"nccl_var": "NCCL_DEBUG", "target": "gaudi", "equivalent": "", "source": "s", "as_of": "2026-11-27"}
    with pytest.raises(ValueError, match="line 3, field 'nccl_var'.*repeats"):
        parse_collective([row, dict(row)])
