"""Phase 7, cut over or go back (`homeport plan`): the plan's own state when there is one, and the gates a
cutover waits for, each judged from the evidence the report read."""

from __future__ import annotations

from homeport.report.evidence import KINDS
from homeport.report.page.context import Context
from homeport.report.page.document import Cell, Missing, Para, Section, Table
from homeport.report.page.words import plural

STATE = {True: Cell("passed", "ok"), False: Cell("failed", "bad"), None: Cell("no evidence", "muted")}


def section(ctx: Context) -> Section:
    gates = _gates(ctx)
    passed = sum(g[1] is True for g in gates)
    blocks: list = []
    plan = ctx.evidence.first("plan")
    judged = None  # (passed, total) of the plan's own gates
    if plan is not None:
        ctx.use(plan, "cut over")
        more, judged = _plan(plan)
        blocks += more
    else:
        blocks.append(Missing("no migration file yet", KINDS["plan"]))
    blocks.append(Table("Cutover gates, judged from the evidence in this report", ["gate", "state", "evidence"],
                        [[name, STATE[state], why] for name, state, why in gates]))
    if judged is not None:
        lead = (f"The migration file's gates: {judged[0]} of {judged[1]} passed"
                + (": the plan allows the cutover." if judged[0] == judged[1] else "; a cutover waits for the rest."))
        status = "evidence" if judged[0] == judged[1] else "partial"
    else:
        lead = f"{passed} of {plural(len(gates), 'gate')} judged by the report passed" + (
            ": the evidence supports a cutover." if passed == len(gates) else "; a cutover waits for the rest.")
        status = "none"
    return Section("cutover", "Cut over, or go back", "cutover", status, lead, blocks, command="homeport plan")


def _gates(ctx: Context) -> list[tuple[str, bool | None, str]]:
    ev = ctx.evidence
    best = ctx.best()
    out = []
    if best is None:
        out.append(("code runs on the target", None, "no target compared"))
    else:
        out.append((f"no code blocker on {best.target.value}", best.blockers == 0,
                    f"{plural(best.blockers, 'blocker')} left (readiness)"))
    port = ev.first("port")
    out.append(("code ported, with a change log", None if port is None else port.doc["totals"]["files_changed"] > 0,
                str(port.path) if port else "no change log"))
    verify = ev.first("data-verify")
    out.append(("data copied and verified", None if verify is None else not any(verify.doc["counts"].values()),
                str(verify.path) if verify else "no verification"))
    log = ev.first("fence-log")
    out.append(("a fenced run with nothing denied", None if log is None else not log.doc.verdicts.get("deny"),
                str(log.path) if log else "no audit log"))
    parity = ev.first("bench-parity")
    out.append(("loss parity on the target", None if parity is None else parity.doc["verdict"] == "pass",
                str(parity.path) if parity else "no parity check"))
    cost = ev.first("cost")
    out.append(("cost compared per provider", None if cost is None else True,
                str(cost.path) if cost else "no cost report"))
    return out


def _plan(item) -> tuple[list, tuple[int, int] | None]:
    """The plan's own judgement: `homeport plan`'s state and gate evaluation on its migration file. A plan that
    cannot be evaluated is said so in a sentence; the gates judged by the report still follow."""
    try:
        from homeport.plan import gates, state
        from homeport.plan.journal import Journal
        from homeport.plan.spec import load_plan

        plan = load_plan(item.path)
        now = state.current(plan, Journal(plan.state_dir))
        results = gates.evaluate_all(plan, now.cutover_time)
    except Exception as exc:  # the plan's own errors are sentences; anything else must not cost the report
        why = exc.render().replace("\n  ", "; ") if hasattr(exc, "render") else f"{type(exc).__name__}: {exc}"
        return [Para(f"The migration file `{item.path}` could not be evaluated: {why}", "warn")], None
    rows = []
    for gate in results:
        failed = [c for c in gate.checks if not c.passed]
        rows.append([gate.phase, STATE[gate.passed], f"{len(gate.checks) - len(failed)} of {len(gate.checks)}",
                     "; ".join(f"{c.check}: {c.reason}" for c in failed[:3]) or "all checks passed"])
    return [Para(f"Migration file `{item.path}`: state {now.name}, active profile {now.active.name}."),
            Table("Gates of the migration file, as `homeport plan status` judges them",
                  ["phase", "gate", "checks passed", "what is missing"], rows, numeric=(2,))], \
        (sum(g.passed for g in results), len(results))
