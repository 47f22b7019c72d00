"""Rollback and cutover on local stores: the journal's idempotence (a rollback killed with SIGKILL mid-copy or
between steps completes when run again, repeating nothing done), the exit 3 paths (a checkpoint that differs on
both sides, a ported file edited since), and the cutover that refuses or puts itself back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from plan_helpers import cut_over, local_plan, port_in_place

from homeport.cli.main import main
from homeport.plan import state
from homeport.plan.journal import Journal
from homeport.plan.spec import dump_plan, load_plan

WORKER = Path(__file__).with_name("rollback_worker.py")
ORIGINAL = "import torch\n\nmodel = torch.nn.Linear(2, 2).cuda()\n"


@pytest.fixture
def on_target(tmp_path, monkeypatch):
    """Ported in place, cut over, and the target wrote 6 checkpoints since."""
    monkeypatch.delenv("HOMEPORT_CONFIG", raising=False)
    plan = local_plan(tmp_path)
    port_in_place(plan.pipeline)
    cut_over(plan)
    ckpt = Path(plan.profile("target").storage["checkpoints"])
    for step in range(1, 7):
        (ckpt / f"step_{step:08d}.pt").write_bytes(os.urandom(50_000 + step))
    return plan


def _ops(plan):
    return {o.id: o for o in Journal(plan.state_dir).operations()}


def _rollback(plan) -> int:
    return main(["plan", "rollback", "--plan", str(plan.path)])


def _objects(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))  # LocalStore keeps metadata aside


def _back_on_source(plan) -> None:
    src, dst = (Path(plan.profile(r).storage["checkpoints"]) for r in ("source", "target"))
    assert _objects(src) == _objects(dst) and len(_objects(src)) == 6
    assert all((src / name).read_bytes() == (dst / name).read_bytes() for name in _objects(dst))
    assert state.active(plan)[0].name == "global"
    assert (plan.pipeline / "train.py").read_text() == ORIGINAL


def test_rollback_brings_back_the_checkpoints_switches_and_reverts(on_target):
    assert _rollback(on_target) == 0
    _back_on_source(on_target)
    rollback = _ops(on_target)["rollback-1"]
    assert rollback.status == "done" and rollback.done_lines == {"sync back checkpoints": 1, "switch to source": 1,
                                                                 "revert code": 1}
    assert rollback.actions["sync back checkpoints"]["verified"] == 6
    assert _rollback(on_target) == 0  # again: nothing left to do, nothing journaled
    assert list(_ops(on_target)) == ["cutover-1", "rollback-1"]


@pytest.mark.parametrize("when", ["copy", "revert code"])
def test_a_rollback_killed_mid_way_completes_when_run_again(on_target, when):
    run = subprocess.run([sys.executable, str(WORKER), str(on_target.path), when], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == -9, run.stderr[-2000:]
    rollback = _ops(on_target)["rollback-1"]
    assert rollback.open
    if when == "copy":  # killed inside the copy: the sync back began and did not finish
        assert rollback.actions["sync back checkpoints"]["event"] == "begin" and not rollback.done_lines
        assert state.active(on_target)[0].name == "sovereign"
    else:  # killed between steps: the two before it are done
        assert set(rollback.done_lines) == {"sync back checkpoints", "switch to source"}
        assert state.active(on_target)[0].name == "global" and "torch.accelerator" in (on_target.pipeline / "train.py").read_text()
    assert _rollback(on_target) == 0
    _back_on_source(on_target)
    rollback = _ops(on_target)["rollback-1"]
    assert rollback.status == "done" and set(rollback.done_lines.values()) == {1}
    assert rollback.actions["sync back checkpoints"]["verified"] == 6  # what landed before the kill is checked too


def test_a_checkpoint_that_differs_on_both_sides_stops_the_rollback_with_exit_3(on_target, capsys):
    source = Path(on_target.profile("source").storage["checkpoints"])
    (source / "step_00000003.pt").write_bytes(b"the source's own step 3" * 100)
    assert _rollback(on_target) == 3
    said = capsys.readouterr().err
    assert "sync back checkpoints" in said and "step_00000003.pt" in said and "a person must act" in said
    assert "journal.jsonl" in said and "nothing was copied" in said
    assert _objects(source) == ["step_00000003.pt"]  # nothing overwritten, nothing added
    assert state.active(on_target)[0].name == "sovereign"
    (source / "step_00000003.pt").unlink()  # the person decided: the target's step 3 wins
    assert _rollback(on_target) == 0
    _back_on_source(on_target)
    assert _ops(on_target)["rollback-1"].actions["sync back checkpoints"]["event"] == "done"


def test_a_ported_file_edited_since_the_port_stops_the_revert_with_exit_3(on_target, capsys):
    train = on_target.pipeline / "train.py"
    ported = train.read_text()
    train.write_text(ported + "print('a hotfix made on the target')\n")
    assert _rollback(on_target) == 3
    said = capsys.readouterr().err
    assert "stopped at `revert code`" in said and "changed since the port" in said and "git diff" in said
    rollback = _ops(on_target)["rollback-1"]
    assert set(rollback.done_lines) == {"sync back checkpoints", "switch to source"}
    train.write_text(ported)  # the hotfix undone (or kept elsewhere), as the message says
    assert _rollback(on_target) == 0
    _back_on_source(on_target)
    assert all(n == 1 for n in _ops(on_target)["rollback-1"].done_lines.values())


def test_cutover_is_refused_while_gates_fail_and_nothing_changes(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("HOMEPORT_CONFIG", raising=False)
    plan = local_plan(tmp_path)
    assert main(["plan", "cutover", "--plan", str(plan.path)]) == 1
    assert "cutover refused" in capsys.readouterr().err
    assert not state.active_file(plan).exists() and _ops(plan) == {}


def test_a_cutover_that_fails_after_its_gates_is_put_back(tmp_path, monkeypatch, capsys):
    """Only a data gate, which passes; carrying the checkpoints fails (the target's area is a file): the source
    profile stays active and the journal says the cutover was undone."""
    monkeypatch.delenv("HOMEPORT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    plan = local_plan(tmp_path)
    doc = plan.raw
    doc["phases"] = [p for p in doc["phases"] if p["phase"] in ("data", "cutover")]
    plan.path.write_text(dump_plan(doc))
    src, dst = plan.profile("source").storage["data"], plan.profile("target").storage["data"]
    Path(src, "shard_000000.bin").write_bytes(b"tokens" * 1000)
    Path(plan.profile("source").storage["checkpoints"], "step_00000001.pt").write_bytes(b"state" * 1000)
    assert main(["data", "copy", src, dst, "--manifest", str(tmp_path / ".homeport/plan/data/data.manifest.jsonl")]) == 0
    assert main(["plan", "verify", "--plan", str(plan.path)]) == 0
    target_ckpt = Path(plan.profile("target").storage["checkpoints"])
    target_ckpt.rmdir()
    target_ckpt.write_text("not a folder")
    assert main(["plan", "cutover", "--plan", str(plan.path)]) == 1
    said = capsys.readouterr().err
    assert "failed and was put back" in said and "global is active" in said
    assert state.active(load_plan(plan.path))[0].name == "global"
    cutover = _ops(plan)["cutover-1"]
    assert cutover.status == "undone" and cutover.actions["carry checkpoints"]["event"] == "failed"
    target_ckpt.unlink()
    target_ckpt.mkdir()
    assert main(["plan", "cutover", "--plan", str(plan.path)]) == 0  # fixed: a new cutover goes through
    assert state.active(plan)[0].name == "sovereign" and (target_ckpt / "step_00000001.pt").read_bytes() == b"state" * 1000
    assert _ops(plan)["cutover-2"].status == "done"


def test_a_journal_line_cut_short_by_a_kill_is_skipped_and_the_rollback_goes_on(on_target):
    journal = Journal(on_target.state_dir)
    with open(journal.path, "ab") as fh:
        fh.write(b'{"time": "2026-11-27T00:00:00+00:00", "op": "rollback-1", "act')  # a write cut by SIGKILL
    assert _rollback(on_target) == 0
    _back_on_source(on_target)
    assert journal.records() and journal.torn == 1
    assert _ops(on_target)["rollback-1"].status == "done"
