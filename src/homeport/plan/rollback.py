"""`homeport plan rollback`: back to the source, journaled, and complete when run again after an interruption.

Steps, in this order so that a stop at any point leaves a state that still runs (the target keeps running
until the source has everything it produced):
1. sync back AREA, for each sync.back area (checkpoints, logs), when the target has been active since the last
   rollback: what it produced, copied to the source and verified object by object (sync.py); an object the
   source holds with other bytes under the same key stops here, for a person to decide;
2. switch to source: the active profile files name the source again;
3. revert code: the port's revert patches (PIPELINE/.homeport/port/revert-*.patch, newest first) put every
   ported file back byte for byte; a file edited since the port stops here.
A step that cannot complete ends the command with exit 3: the step, why, what a person must do, and the
journal; the steps done stay done and are not repeated by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from homeport.core.errors import HomeportError
from homeport.plan import state as st
from homeport.plan.journal import Journal, NeedsPerson, OnEvent, done_actions, one_line, run_actions
from homeport.plan.spec import Plan
from homeport.plan.sync import Progress, sync_area


@dataclass
class RollbackResult:
    op: str | None  # None: nothing to roll back
    resumed: bool = False


def rollback(plan: Plan, *, on_event: OnEvent | None = None, progress: Progress | None = None) -> RollbackResult:
    journal = Journal(plan.state_dir)
    with journal.lock():
        state = st.current(plan, journal)
        src, dst = plan.profile("source"), plan.profile("target")
        resumed = state.name == "rolling-back"
        if state.name == "cutting-over":  # an interrupted cutover is closed first: this rollback takes over
            journal.finish(state.unfinished.id, "undone", why="rolled back")
        reverted, on_target = _reverted_before(journal), _ever_on_target(journal)
        pending = [p for p in revert_patches(plan) if p.name not in reverted]
        if state.name == "source" and not on_target and not pending:
            return RollbackResult(None)
        op = state.unfinished.id if resumed else journal.begin("rollback", source=src.name, target=dst.name,
                                                                 was=state.name)
        actions = []
        if on_target:  # a rollback begun just now is open, not done: the answer is the same as above
            actions += [(f"sync back {area}", lambda area=area: sync_area(plan, area, dst, src, op, progress))
                        for area in plan.sync["back"]]
        actions.append(("switch to source", lambda: st.switch(plan, src, op)))
        actions.append(("revert code", lambda: revert_code(plan)))
        try:
            run_actions(journal, op, actions, on_event)
        except HomeportError as exc:
            done = done_actions(journal, op)
            left = [a for a, _ in actions if a not in done]
            failed = left[0] if left else "?"
            raise NeedsPerson(f"rollback {op} stopped at `{failed}`: it is incomplete, a person must act",
                              got=one_line(exc),
                              hint=f"{exc.hint or 'fix the cause'}; then run `homeport plan rollback` again: it "
                                   f"completes what is left ({', '.join(left)}) and repeats nothing done. The active "
                                   f"profile is still {st.active(plan)[0].name}. Journal: {journal.path}") from None
        journal.finish(op, "done", source=src.name)
        return RollbackResult(op, resumed)


def revert_patches(plan: Plan) -> list[Path]:
    """The port's revert patches for the pipeline, newest first (their names sort by time)."""
    return sorted((plan.pipeline / ".homeport" / "port").glob("revert-*.patch"), reverse=True)


def revert_code(plan: Plan) -> dict:
    from homeport.port.apply import revert  # noqa: PLC0415

    restored, already, patches = [], set(), revert_patches(plan)
    for patch in patches:
        try:
            done = revert(patch, plan.pipeline)
        except HomeportError as exc:
            raise HomeportError(f"the revert patch {patch.name} cannot be applied", got=one_line(exc),
                                hint="undo the edits made since the port (`git diff` shows them) or restore those "
                                     "files from version control") from None
        restored += done.restored
        already.update(done.already)
    return {"patches": [p.name for p in patches], "restored": restored,
            "already_original": sorted(already - set(restored))}


def _ever_on_target(journal: Journal) -> bool:
    """Whether a cutover began switching to the target since the last finished rollback: then the target may
    hold training state that belongs to the pipeline."""
    ops = journal.operations()
    last_rollback = max((i for i, op in enumerate(ops) if op.kind == "rollback" and op.status == "done"), default=-1)
    return any(op.kind == "cutover" and "switch to target" in op.actions for op in ops[last_rollback + 1:])


def _reverted_before(journal: Journal) -> set[str]:
    """The revert patches finished rollbacks applied (journal detail of their `revert code` step)."""
    return {name for op in journal.operations() if op.kind == "rollback" and op.status == "done"
            for name in op.actions.get("revert code", {}).get("patches", [])}
