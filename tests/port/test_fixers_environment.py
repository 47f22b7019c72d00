"""Environment variables named in Python code (port/fixers/environment.py): the name each target gets,
read from the catalog, and the cases left with a reason."""

from __future__ import annotations

import pytest

from homeport.assess.analyze import analyze_snippet
from homeport.catalog.targets import stack
from homeport.core.model import Target
from homeport.port.changes import Status
from homeport.port.codemod import Options, port_python

CODE = ('import os\n'
        'os.environ["CUDA_VISIBLE_DEVICES"] = "0,1"\n'
        'os.environ.setdefault("NCCL_SOCKET_IFNAME", "eth0")\n'
        "debug = os.getenv('NCCL_DEBUG')\n"
        'os.environ["PYTORCH_CUDA_ALLOC_CONF"] = "expandable_segments:True"\n')


def port(code: str, target: Target, **options) -> tuple[str, list]:
    findings = analyze_snippet(code, "t.py").findings
    return port_python("t.py", code, findings,
                       Options(**{"target": target, "min_torch": (2, 13), "unsafe": True, **options}))


def line(out: str, number: int) -> str:
    return out.splitlines()[number - 1]


def statuses(changes, rule: str) -> list[Status]:
    return [c.status for c in changes if c.rule == rule]


@pytest.mark.parametrize("target, mask", [
    (Target.GAUDI, "HABANA_VISIBLE_MODULES"),
    (Target.XPU, "ZE_AFFINITY_MASK"),
    (Target.NPU, "ASCEND_RT_VISIBLE_DEVICES"),
])
def test_visible_devices_becomes_the_targets_mask(target, mask):
    out, changes = port(CODE, target)
    assert line(out, 2) == f'os.environ["{mask}"] = "0,1"'
    assert mask == stack(target).visible_devices_env  # the catalog is the source
    assert statuses(changes, "ACC201") == [Status.APPLIED]
    assert "ACC201" not in {f.rule for f in analyze_snippet(out, "t.py").findings}


@pytest.mark.parametrize("target", [Target.ROCM, Target.CUDA])
def test_rocm_and_cuda_keep_the_cuda_and_nccl_names(target):
    out, changes = port(CODE, target)
    assert out.splitlines()[1:4] == CODE.splitlines()[1:4]
    assert not statuses(changes, "ACC201") and not statuses(changes, "ACC202")


@pytest.mark.parametrize("target, ifname, debug", [
    (Target.GAUDI, "HCCL_SOCKET_IFNAME", None),
    (Target.NPU, "HCCL_SOCKET_IFNAME", None),
    (Target.CPU, "GLOO_SOCKET_IFNAME", None),
    (Target.XPU, None, "CCL_LOG_LEVEL"),
])
def test_nccl_variables_follow_the_collective_catalog(target, ifname, debug):
    out, changes = port(CODE, target)
    by_line = {c.line: c for c in changes if c.rule == "ACC202"}
    if ifname:
        assert line(out, 3) == f'os.environ.setdefault("{ifname}", "eth0")'
        assert by_line[3].status is Status.APPLIED
    else:
        assert line(out, 3) == CODE.splitlines()[2]
        assert by_line[3].status is Status.UNSUPPORTED and "NCCL_SOCKET_IFNAME" in by_line[3].reason
    if debug:
        assert line(out, 4) == f"debug = os.getenv('{debug}')"  # the quotes are kept
    else:
        assert line(out, 4) == CODE.splitlines()[3]
        assert by_line[4].status is Status.UNSUPPORTED and "no equivalent of NCCL_DEBUG" in by_line[4].reason


def test_portable_target_needs_a_concrete_one():
    out, changes = port(CODE, Target.PORTABLE)
    assert out.splitlines()[:4] == CODE.splitlines()[:4]
    left = [c for c in changes if c.rule in ("ACC201", "ACC202")]
    assert len(left) == 3 and {c.status for c in left} == {Status.UNSUPPORTED}
    assert all("choose --target" in c.reason for c in left)


def test_cpu_has_no_device_mask():
    out, changes = port(CODE, Target.CPU)
    assert line(out, 2) == CODE.splitlines()[1]
    (change,) = [c for c in changes if c.rule == "ACC201"]
    assert change.status is Status.UNSUPPORTED and "no device mask" in change.reason


@pytest.mark.parametrize("target, renamed", [
    (Target.PORTABLE, True), (Target.ROCM, True), (Target.XPU, True), (Target.CUDA, True),
    (Target.GAUDI, False), (Target.NPU, False), (Target.CPU, False),
])
def test_allocator_setting_gets_the_generic_name_where_torch_reads_it(target, renamed):
    out, changes = port(CODE, target)
    expected = "PYTORCH_ALLOC_CONF" if renamed else "PYTORCH_CUDA_ALLOC_CONF"
    assert line(out, 5) == f'os.environ["{expected}"] = "expandable_segments:True"'
    assert statuses(changes, "ACC203") == [Status.APPLIED if renamed else Status.UNSUPPORTED]


def test_allocator_rename_needs_torch_2_11():
    out, changes = port(CODE, Target.XPU, min_torch=(2, 9))
    assert line(out, 5) == CODE.splitlines()[4]
    (change,) = [c for c in changes if c.rule == "ACC203"]
    assert change.status is Status.LEFT and "needs torch >= 2.11" in change.reason


def test_other_cuda_variables_are_unsupported():
    code = 'import os\nos.environ["CUDA_LAUNCH_BLOCKING"] = "1"\n'
    out, changes = port(code, Target.XPU)
    assert out == code
    assert [c.status for c in changes] == [Status.UNSUPPORTED] and "CUDA_LAUNCH_BLOCKING" in changes[0].reason


def test_environment_fixes_are_unsafe():
    out, changes = port(CODE, Target.GAUDI, unsafe=False)
    assert out == CODE
    applied = [c for c in changes if c.status is not Status.UNSUPPORTED]
    assert applied and {c.status for c in applied} == {Status.LEFT}
    assert all("unsafe" in c.reason for c in applied)


def test_names_built_at_run_time_are_left():
    code = 'import os\nos.environ[f"CUDA_VISIBLE_DEVICES"] = "0"\n'
    out, changes = port(code, Target.GAUDI)
    assert out == code
    assert [c.status for c in changes if c.rule == "ACC201"] == [Status.UNSUPPORTED]
