"""`homeport plan cutover`: make the target the profile the pipeline runs against.

Each step is journaled (journal.py), so an interrupted cutover is finished or put back, never left half-done:
1. gates: every phase before the cutover is judged again now (never on missing, stale or the other profile's
   evidence); one that fails refuses the cutover, with nothing changed (exit 1);
2. carry AREA, for each sync.carry area (the latest checkpoints): copied source -> target and verified;
3. switch: the active profile files name the target (state.py).
A failure in 2 or 3 switches back to the source profile and says so (exit 1: failed, rolled back cleanly); if
even that fails, exit 3 with what a person must do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from homeport.core.errors import HomeportError
from homeport.plan import gates as gates_mod
from homeport.plan import state as st
from homeport.plan.journal import Journal, NeedsPerson, OnEvent, one_line, run_actions
from homeport.plan.profiles import check_complete
from homeport.plan.spec import Plan
from homeport.plan.sync import Progress, sync_area


class GatesRefused(HomeportError):
    exit_code = 1


class CutoverFailed(HomeportError):
    """Failed after the gates, and put back: the source profile is active again (exit 1)."""

    exit_code = 1


@dataclass
class CutoverResult:
    op: str | None
    already: bool = False
    gates: list = field(default_factory=list)


def cutover(plan: Plan, *, on_event: OnEvent | None = None, progress: Progress | None = None) -> CutoverResult:
    check_complete(plan)
    journal = Journal(plan.state_dir)
    with journal.lock():
        state = st.current(plan, journal)
        if state.name == "rolling-back":
            raise HomeportError(f"a rollback ({state.unfinished.id}) did not finish", expected="a finished rollback first",
                                hint="run `homeport plan rollback` to complete it, then cut over again")
        if state.name == "target":
            return CutoverResult(None, already=True)
        results = [gates_mod.evaluate(plan, p.name) for p in plan.before("cutover")]
        if not results:
            raise GatesRefused("cutover refused: the migration file has no phase before the cutover, so nothing was "
                               "judged", hint="add the phases and their gates (`homeport plan init` writes them)")
        failed = [g for g in results if not g.passed]
        op = state.unfinished.id if state.unfinished else None
        if failed:
            if op:  # an interrupted cutover whose gates no longer pass: put it back rather than finish it
                _put_back(plan, journal, op, "the gates no longer pass")
            raise GatesRefused(f"cutover refused: {len(failed)} gate(s) do not pass: {', '.join(g.phase for g in failed)}",
                               got="; ".join(f"{g.phase}: {c.reason}" for g in failed for c in g.checks if not c.passed)[:2000],
                               hint="`homeport plan gate PHASE` explains each; nothing was changed")
        src, dst = plan.profile("source"), plan.profile("target")
        op = op or journal.begin("cutover", source=src.name, target=dst.name,
                                 gates={g.phase: g.verdict for g in results})
        actions = [(f"carry {area}", lambda area=area: sync_area(plan, area, src, dst, op, progress))
                   for area in plan.sync["carry"]]
        actions.append(("switch to target", lambda: st.switch(plan, dst, op)))
        try:
            run_actions(journal, op, actions, on_event)
        except (HomeportError, KeyboardInterrupt) as exc:
            what = one_line(exc) if isinstance(exc, HomeportError) else "interrupted"
            _put_back(plan, journal, op, what)
            raise CutoverFailed(f"cutover {op} failed and was put back: the source profile {src.name} is active",
                                got=what, hint=f"fix the cause and run `homeport plan cutover` again (journal: "
                                               f"{journal.path})") from None
        journal.finish(op, "done", target=dst.name)
        return CutoverResult(op, gates=results)


def _put_back(plan: Plan, journal: Journal, op: str, why: str) -> None:
    src = plan.profile("source")
    try:
        st.switch(plan, src, op)
    except HomeportError as exc:
        journal.append(op, "switch back to source", "failed", error=one_line(exc))
        raise NeedsPerson(f"cutover {op} failed ({why}) and the source profile could not be made active again",
                          got=one_line(exc), hint=f"restore {st.active_file(plan)} by hand or run `homeport plan "
                                                 f"rollback`; journal: {journal.path}") from None
    journal.finish(op, "undone", why=why[:500])
