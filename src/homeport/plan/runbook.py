"""The runbook (Markdown) for the people in the room: every step with its command, its gate, its rollback and
who decides, the profiles side by side, the waivers with who signed them, and where the migration stands."""

from __future__ import annotations

from datetime import datetime, timezone

from homeport import __version__
from homeport.plan.commands import phase_steps, rel
from homeport.plan.gates import GateResult
from homeport.plan.spec import Check, Plan
from homeport.plan.state import State

TITLES = {"assess": "Assess", "port": "Port the code", "data": "Move the data", "fence": "Keep it inside the border",
          "poc": "Proof of concept", "parallel_run": "Parallel run", "cutover": "Cut over",
          "decommission": "Decommission the source"}


def _undo(plan: Plan, phase: str) -> str:
    src, back = plan.profile("source"), ", ".join(plan.sync["back"]) or "no area"
    return {
        "assess": "Nothing to undo: an assessment changes nothing.",
        "port": "`homeport plan rollback` reverts the code with the port's revert patch (alone: `homeport port "
                "--revert PIPELINE/.homeport/port/revert-*.patch`). A file edited since the port stops the revert: "
                "undo the edit or restore it from version control.",
        "data": "The source is only read. If the migration is abandoned, delete the target's copy.",
        "fence": "Nothing to undo: the fence observes and blocks, it changes no data.",
        "poc": "Nothing to undo: the proof of concept runs on the target beside the source; what it wrote stays there.",
        "parallel_run": "Stop the target's jobs; the source kept running throughout.",
        "cutover": f"`homeport plan rollback`: (1) sync back {back} from the target to the source, every object "
                   f"verified; (2) make {src.name} the active profile; (3) revert the code. Exit 3 means a person must "
                   "act (the message says what); running it again completes what is left and repeats nothing done.",
        "decommission": "Irreversible once the source's data and accounts are gone: keep the source data until the "
                        "waiting period has passed and the decision is signed.",
    }[phase]


def _threshold(check: Check) -> str:
    p = check.params
    said = {  # each built only for its own kind: the parameters differ
        "no_blockers": lambda: f"no finding above {p['max_severity']} for the target, after waivers",
        "tests_pass": lambda: "the recorded test command exited 0",
        "data_verified": lambda: "every object of " + (", ".join(p["areas"]) if p["areas"] else "each sync.data area")
                                 + " matches size and SHA-256 at the target",
        "residency_clean": lambda: f"at most {p['max_denied']} denied destination(s) in the fence's log"
                                   + (f", at most {p['max_audited']} audited" if p["max_audited"] is not None else "")
                                   + "; the target's storage allowed by its policy",
        "throughput": lambda: f"target tokens/s >= {p['min_ratio']:g} x the source's",
        "loss_parity": lambda: f"the target's loss inside the source's +-{p['k']:g} sd band at >= {p['min_inside']:.0%} "
                               "of steps",
        "cost": lambda: "the target's cheapest offer" + (f" at most {p['max_versus_source']:+.0%} against today's"
                                                         if p["max_versus_source"] is not None else "")
                        + (f", at most {p['max_total']:,.0f} in all" if p["max_total"] is not None else ""),
        "earlier_gates": lambda: "every earlier gate passes, judged again at the cutover",
        "days_on_target": lambda: f"{p['min_days']} days on the target without a rollback",
    }
    return said[check.kind]()


def render(plan: Plan, gates: list[GateResult] | None = None, state: State | None = None) -> str:
    src, dst = plan.profile("source"), plan.profile("target")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"# Runbook: {plan.name}", "",
           f"Written by homeport {__version__} from `{plan.path.name}` on {now}. Pipeline: `{rel(plan, plan.pipeline)}`. "
           "Run the commands from the folder of the migration file.", "", "## Profiles", "",
           f"| | source: {src.name} | target: {dst.name} |", "|---|---|---|"]
    for label, get in (("provider, region (country)", lambda p: f"{p.provider} {p.region} ({p.country or 'unknown'})"),
                       ("accelerator; code target", lambda p: f"{p.accelerator}; {p.target}"),
                       ("torch", lambda p: p.torch), ("residency policy", lambda p: f"`{p.policy}`" if p.policy else "none")):
        out.append(f"| {label} | {get(src)} | {get(dst)} |")
    for area in sorted(set(src.storage) | set(dst.storage)):
        out.append(f"| storage: {area} | `{src.storage.get(area, '-')}` | `{dst.storage.get(area, '-')}` |")
    out += ["", f"Moved in the data phase: {', '.join(plan.sync['data']) or 'nothing'}; carried to the target at the "
            f"cutover: {', '.join(plan.sync['carry']) or 'nothing'}; brought back at a rollback: "
            f"{', '.join(plan.sync['back']) or 'nothing'}.", "", "## Who decides", "", "| role | person |", "|---|---|"]
    out += [f"| {role} | {who} |" for role, who in plan.owners.items()] or ["| - | nobody named: fill in owners |"]
    if state is not None or gates:
        out += ["", "## Where it stands", ""]
        if state is not None:
            out.append(f"State: **{state.name}**; active profile: **{state.active.name}**"
                       + (f" since {state.since}" if state.since else "")
                       + (f"; unfinished: {state.unfinished.id} (run it again to complete)" if state.unfinished else "") + ".")
            out.append("")
        for g in gates or []:
            out.append(f"- {g.phase}: **{g.verdict}**" + "".join(f"\n  - {c.check}: {c.verdict}: {c.reason}" for c in g.checks))
    out += ["", "## Steps"]
    for n, phase in enumerate(plan.phases, 1):
        who = plan.owners.get(phase.decides, phase.decides or "nobody named")
        out += ["", f"### {n}. {TITLES[phase.name]} (`{phase.name}`)", "",
                f"Decides: **{phase.decides or '-'}** ({who}): go when the gate passes, no-go otherwise.", "",
                "Commands:", "", "```sh", *phase_steps(plan, phase), "```", "",
                f"Gate (`homeport plan gate {phase.name}`):", ""]
        for check in phase.checks:
            where = ", ".join(f"`{rel(plan, check.params[k])}`" for k in ("source_evidence", "evidence")
                              if check.params.get(k))
            out.append(f"- `{check.kind}`: {_threshold(check)}" + (f"; evidence {where}" if where else ""))
        if not phase.checks:
            out.append("- no check: this gate never passes; add checks to the migration file")
        out += ["", f"Rollback: {_undo(plan, phase.name)}"]
    out += ["", "## Waivers", ""]
    if plan.waivers:
        out += ["| rules | paths | reason | decided by |", "|---|---|---|---|"]
        out += [f"| {', '.join(w.rules) or 'any'} | {', '.join(w.paths) or 'any'} | {w.reason} | {w.decided_by} |"
                for w in plan.waivers]
    else:
        out.append("None: every finding above a gate's threshold blocks it.")
    out += ["", "## Checkpoints across the border", "",
            f"Before the cutover, prove that a checkpoint written on one side loads on the other (torch {src.torch} at "
            f"the source, {dst.torch} at the target):", "", "```sh",
            f"homeport plan exec --profile {src.name} -- homeport plan checkpoint probe probe-{src.name}",
            f"homeport plan exec --profile {dst.name} -- homeport plan checkpoint check probe-{src.name}",
            f"homeport plan exec --profile {dst.name} -- homeport plan checkpoint probe probe-{dst.name}",
            f"homeport plan exec --profile {src.name} -- homeport plan checkpoint check probe-{dst.name}", "```", "",
            "Traps: torch.load defaults to weights_only=True since torch 2.6 (a checkpoint holding other types than "
            "tensors and plain containers stops loading); tensors saved on a GPU need map_location elsewhere; "
            "torch.distributed.checkpoint promises nothing across torch versions.", "",
            "## Exit codes", "",
            "0 done; 1 a gate failed, or a step failed and was put back cleanly; 2 a usage or configuration error; "
            "3 a step failed and could not be completed or undone: a person must act, the message says what, and the "
            "plan's journal (`.homeport/plan/journal.jsonl`) shows every step.", ""]
    return "\n".join(out)
