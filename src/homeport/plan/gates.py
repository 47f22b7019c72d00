"""Gates: each phase's checks, judged from the evidence files (evidence.py says what makes evidence unusable).

A check passes only on usable evidence whose figures meet its threshold; its reason says what was read and,
when it fails, what to do. A gate passes when all its checks do; a gate with no check never passes (nothing
was judged).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Callable

from homeport.core.errors import HomeportError
from homeport.core.model import Severity
from homeport.plan import evidence as ev
from homeport.plan.commands import produce, rel
from homeport.plan.journal import one_line
from homeport.plan.profiles import TODO
from homeport.plan.spec import Check, Plan, Profile, Waiver


@dataclass(frozen=True)
class Context:
    phase: str
    cutover_time: datetime | None  # when the target became active, None when it is not


@dataclass
class CheckResult:
    check: str
    verdict: str  # pass | fail
    reason: str
    evidence: list[str] = field(default_factory=list)
    problem: str | None = None  # missing | unreadable | unattributed | other-profile | changed | stale
    figures: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"


@dataclass
class GateResult:
    phase: str
    decides: str
    checks: list[CheckResult]

    @property
    def verdict(self) -> str:
        return "pass" if self.checks and all(c.passed for c in self.checks) else "fail"

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def to_dict(self) -> dict:
        return {"phase": self.phase, "verdict": self.verdict, "decides": self.decides,
                "checks": [asdict(c) for c in self.checks]}


def evaluate(plan: Plan, phase_name: str, *, cutover_time: datetime | None = None) -> GateResult:
    phase = plan.phase(phase_name)
    results = []
    for check in phase.checks:
        judge = CHECKS[check.kind]
        try:
            results.append(judge(plan, check, Context(phase.name, cutover_time)))
        except ev.EvidenceProblem as problem:
            results.append(CheckResult(check.kind, "fail", problem.reason, problem=problem.kind))
        except HomeportError as exc:  # e.g. parity without a band: a sentence, not a crash
            results.append(CheckResult(check.kind, "fail", one_line(exc)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a file of the right kind, fields missing
            results.append(CheckResult(check.kind, "fail", f"the evidence of {check.kind} lacks what the check reads "
                                       f"({type(exc).__name__}: {exc}): record it again", problem="unreadable"))
    if not phase.checks:
        results.append(CheckResult("gate", "fail", f"the gate of {phase.name} has no check: nothing was judged"))
    return GateResult(phase.name, phase.decides, results)


def evaluate_all(plan: Plan, cutover_time: datetime | None = None) -> list[GateResult]:
    return [evaluate(plan, p.name, cutover_time=cutover_time) for p in plan.phases]


# -- the checks --------------------------------------------------------------------------------------------------

def _no_blockers(plan: Plan, check: Check, _) -> CheckResult:
    profile = plan.profile(check.profile)
    how = produce(plan, check)
    e = ev.load(plan.resolve(check["evidence"]), profile, produce=how)
    doc = e.doc
    if not isinstance(doc, dict) or doc.get("schema_version") != 1 or "findings" not in doc:
        raise ev.EvidenceProblem("unreadable", f"{e.path} is not an assessment (`homeport assess -f json`); "
                                               f"record it with: {how}")
    if doc.get("target") != profile.target:
        raise ev.EvidenceProblem("other-profile", f"{e.path.name} judges the code for target {doc.get('target')!r}; "
                                                  f"profile {profile.name} runs {profile.target!r}; record it with: {how}")
    if Path(str(doc.get("root"))).resolve() != plan.pipeline:
        raise ev.EvidenceProblem("other-profile", f"{e.path.name} assessed {doc.get('root')}, not the plan's pipeline "
                                                  f"{plan.pipeline}; record it with: {how}")
    ev.check_fresh(e, ev.pipeline_inputs(plan), plan.pipeline, how)
    limit = Severity(check["max_severity"]).rank
    own = _own_file(plan)  # the migration file names the source's stack on purpose: not a finding about the code
    above = [f for f in doc["findings"] if Severity(f["severity"]).rank > limit and f["path"] != own]
    left = [f for f in above if not any(_waives(w, f) for w in plan.waivers)]
    skipped = len(doc.get("skipped", []))
    figures = {"above_threshold": len(above), "waived": len(above) - len(left), "left": len(left), "skipped_inputs": skipped}
    note = f"; {skipped} input(s) the assessment skipped (listed in it)" if skipped else ""
    waived = f", {len(above) - len(left)} waived" if len(above) != len(left) else ""
    if left:
        shown = ", ".join(f"{f['rule']} {f['path']}:{f['line']}" for f in left[:5]) + (" ..." if len(left) > 5 else "")
        return CheckResult(check.kind, "fail", f"{len(left)} finding(s) above {check['max_severity']} for "
                           f"{profile.target} remain{waived}: {shown}; port or waive them, then: {how}{note}",
                           [rel(plan, e.path)], figures=figures)
    return CheckResult(check.kind, "pass", f"no finding above {check['max_severity']} for {profile.target}"
                       f"{waived} ({len(doc['findings'])} findings in all){note}", [rel(plan, e.path)], figures=figures)


def _own_file(plan: Plan) -> str | None:
    try:
        return plan.path.resolve().relative_to(plan.pipeline).as_posix()
    except ValueError:
        return None


def _waives(waiver: Waiver, finding: dict) -> bool:
    rule_ok = not waiver.rules or any(finding["rule"].startswith(r) for r in waiver.rules)
    path_ok = not waiver.paths or any(fnmatchcase(finding["path"], p) for p in waiver.paths)
    return rule_ok and path_ok


def _tests_pass(plan: Plan, check: Check, _) -> CheckResult:
    profile = plan.profile(check.profile)
    how = produce(plan, check)
    e = ev.load(plan.resolve(check["evidence"]), profile, produce=how)
    if not isinstance(e.doc, dict) or e.doc.get("kind") != "homeport-plan-run":
        raise ev.EvidenceProblem("unreadable", f"{e.path} is not a run record of `homeport plan exec --record`")
    ev.check_fresh(e, ev.pipeline_inputs(plan), plan.pipeline, how)
    cmd, code = " ".join(e.doc["command"]), e.doc["exit_code"]
    verdict = "pass" if code == 0 else "fail"
    return CheckResult(check.kind, verdict, f"`{cmd}` exited {code} under profile {profile.name} "
                       f"(started {e.doc['started']})" + ("" if code == 0 else f"; fix it, then: {how}"),
                       [rel(plan, e.path)], figures={"exit_code": code})


def _data_verified(plan: Plan, check: Check, _) -> CheckResult:
    profile = plan.profile(check.profile)
    areas = list(check["areas"] or plan.sync["data"])
    if not areas:
        return CheckResult(check.kind, "fail", "no storage area to verify: sync.data is empty")
    reasons, paths, figures, ok = [], [], {}, True
    for area in areas:
        how = produce(plan, check, area=area)
        e = ev.load(plan.resolve(check["evidence"].format(area=area)), profile, produce=how)
        doc = e.doc
        if doc.get("kind") != "homeport-plan-data-verify" or doc.get("area") != area:
            raise ev.EvidenceProblem("unreadable", f"{e.path} is not the verification of area {area}: {how}")
        if doc["destination"] != profile.storage.get(area):
            raise ev.EvidenceProblem("other-profile", f"{e.path.name} verified {doc['destination']}, profile "
                                                      f"{profile.name} keeps {area} at {profile.storage.get(area)}; {how}")
        ev.check_fresh(e, [Path(doc["manifest"])], plan.base, how, must_exist=True)
        c = doc["counts"]
        bad = c["missing"] + c["mismatched"]
        figures[area] = c
        paths.append(rel(plan, e.path))
        if not doc["checked"]:
            ok = False
            reasons.append(f"{area}: no object was verified (an empty listing proves nothing)")
        elif bad or doc["size_only"]:
            ok = False
            reasons.append(f"{area}: {c['missing']} missing, {c['mismatched']} mismatched, {doc['size_only']} checked by "
                           f"size only, of {doc['checked']}; copy again, then: {how}")
        else:
            extra = f", {c['extra']} more at the destination than in the manifest" if c["extra"] else ""
            reasons.append(f"{area}: {doc['ok']} of {doc['checked']} objects match size and SHA-256{extra}")
    return CheckResult(check.kind, "pass" if ok else "fail", "; ".join(reasons), paths, figures=figures)


def _residency_clean(plan: Plan, check: Check, _) -> CheckResult:
    profile = plan.profile(check.profile)
    how = produce(plan, check)
    if not profile.policy:
        return CheckResult(check.kind, "fail", f"profile {profile.name} names no residency policy: set "
                                               f"profiles.{profile.role}.policy")
    policy_path = plan.resolve(profile.policy)
    e = ev.load(plan.resolve(check["evidence"]), profile, jsonl=True, produce=how)
    ev.check_fresh(e, [policy_path], plan.base, how, must_exist=True)
    lines = e.doc
    if not lines:
        return CheckResult(check.kind, "fail", f"{e.path.name} records no decision: was the job run under the fence? "
                                               f"{how}", [rel(plan, e.path)])
    denied = [x for x in lines if x.get("verdict") == "deny"]
    audited = [x for x in lines if x.get("verdict") == "audit"]
    from homeport.policy import load_policy  # noqa: PLC0415  (the policy engine loads the catalog: only when judged)

    policy = load_policy(policy_path)
    storage = [(area, policy.decide_location(loc)) for area, loc in profile.storage.items()]
    refused = [f"{area} ({v.rule})" for area, v in storage if v.verdict == "deny"]
    figures = {"decisions": len(lines), "denied": len(denied), "audited": len(audited), "storage_denied": len(refused)}
    problems = []
    if len(denied) > check["max_denied"]:
        hosts = sorted({f"{x.get('host')}:{x.get('port')}" for x in denied})
        problems.append(f"{len(denied)} destination(s) denied during the run ({', '.join(hosts[:5])})")
    if check["max_audited"] is not None and len(audited) > check["max_audited"]:
        problems.append(f"{len(audited)} let through under audit, {check['max_audited']} allowed")
    if refused:
        problems.append(f"the policy denies the profile's own storage: {', '.join(refused)}")
    files = [rel(plan, e.path)]
    if problems:
        return CheckResult(check.kind, "fail", "; ".join(problems) + f"; fix the destinations or the policy, then: {how}",
                           files, figures=figures)
    return CheckResult(check.kind, "pass", f"{len(lines)} decisions, {len(denied)} denied, {len(audited)} audited "
                       f"under {rel(plan, policy_path)}; the profile's storage is allowed", files, figures=figures)


def _bench(plan: Plan, check: Check, source: bool) -> ev.Evidence:
    from homeport.bench.results import problems  # noqa: PLC0415  (imports torch)

    profile = plan.profile("source" if source else check.profile)
    how = produce(plan, check, source=source)
    e = ev.load(plan.resolve(check["source_evidence" if source else "evidence"]), profile, produce=how)
    bad = problems(e.doc)
    if bad:
        raise ev.EvidenceProblem("unreadable", f"{e.path} is not a bench result ({bad[0]}); {how}")
    device = e.doc["device"]
    want = profile.accelerator
    ran = device.get("accelerator") or device.get("type")
    if want and want != TODO and (ran or "").lower() != want.lower():
        raise ev.EvidenceProblem("other-profile", f"{e.path.name} ran on {device.get('name')} ({ran}); profile "
                                                  f"{profile.name} runs {want}; {how}")
    if e.doc.get("script"):  # a bench of the pipeline's own script judges its code
        ev.check_fresh(e, ev.pipeline_inputs(plan), plan.pipeline, how)
    return e


def _throughput(plan: Plan, check: Check, _) -> CheckResult:
    from homeport.bench.compare import compare  # noqa: PLC0415

    a, b = _bench(plan, check, True), _bench(plan, check, False)
    files = [rel(plan, a.path), rel(plan, b.path)]
    rows = [r for r in compare(a.doc, b.doc) if r.metric.endswith(" tokens/s") and r.ratio is not None]
    if rows:
        metric, ratio = rows[0].metric, rows[0].ratio
    elif a.doc.get("script") and b.doc.get("script"):
        metric, ratio = "steps/s of the script", b.doc["script"]["steps_per_s"] / a.doc["script"]["steps_per_s"]
    else:
        return CheckResult(check.kind, "fail", "the two results share no workload: run the same `homeport bench` "
                                               "options (or the same --script) on both sides", files)
    verdict = "pass" if ratio >= check["min_ratio"] else "fail"
    return CheckResult(check.kind, verdict, f"target/source {metric}: {ratio:.3f} ({'>=' if verdict == 'pass' else '<'} "
                       f"{check['min_ratio']:g} required)", files, figures={"ratio": ratio, "metric": metric})


def _loss_parity(plan: Plan, check: Check, _) -> CheckResult:
    from homeport.bench.compare import parity  # noqa: PLC0415

    a, b = _bench(plan, check, True), _bench(plan, check, False)
    result = parity(a.doc, b.doc, k=check["k"], floor=check["floor"], min_inside=check["min_inside"])
    why = "; ".join(result.reasons) or f"{result.inside_fraction:.0%} of {result.steps} steps inside the source's band"
    return CheckResult(check.kind, result.verdict, f"loss parity {result.verdict}: {why}",
                       [rel(plan, a.path), rel(plan, b.path)],
                       figures={"inside_fraction": result.inside_fraction, "steps": result.steps})


def _cost(plan: Plan, check: Check, _) -> CheckResult:
    source, target = plan.profile("source"), plan.profile(check.profile)
    how = produce(plan, check)
    e = ev.load(plan.resolve(check["evidence"]), None, produce=how)
    doc = e.doc
    if not isinstance(doc, dict) or doc.get("kind") != "homeport-cost":
        raise ev.EvidenceProblem("unreadable", f"{e.path} is not a cost report (`homeport cost -f json`): {how}")
    if doc["source"]["provider"] != source.provider:
        raise ev.EvidenceProblem("other-profile", f"{e.path.name} prices {doc['source']['provider']} as today's, the "
                                                  f"source profile is on {source.provider}; {how}")
    offers = [o for o in doc["offers"] if o["provider"] == target.provider and not o["is_source"]]
    if not offers:
        raise ev.EvidenceProblem("other-profile", f"{e.path.name} has no offer of {target.provider}; {how}")
    job = Path(doc["job"]["path"]) if doc["job"].get("path") else None
    inputs = ([job] if job else []) + [Path(m["path"]) for m in doc["job"].get("measured", [])]
    ev.check_fresh(e, [p if p.is_absolute() else plan.base / p for p in inputs], plan.base, how, must_exist=True)
    best = min(offers, key=lambda o: o["total"])
    versus, total = best["versus_source"], best["total"]
    problems = []
    if check["max_versus_source"] is not None and versus is not None and versus > check["max_versus_source"]:
        problems.append(f"{versus:+.1%} against today's, {check['max_versus_source']:+.1%} allowed")
    if check["max_total"] is not None and total > check["max_total"]:
        problems.append(f"total {total:,.0f} {doc['currency']} above the budget of {check['max_total']:,.0f}")
    if not best["complete"]:
        problems.append(f"the total misses {', '.join(best['missing'])} (a floor, not a price)")
    said = f"{target.provider} {best['offer']}: {total:,.0f} {doc['currency']}" + (
        f" ({versus:+.1%} against today's)" if versus is not None else "")
    figures = {"offer": best["offer"], "total": total, "versus_source": versus}
    if problems:
        return CheckResult(check.kind, "fail", f"{said}; " + "; ".join(problems), [rel(plan, e.path)], figures=figures)
    return CheckResult(check.kind, "pass", said, [rel(plan, e.path)], figures=figures)


def _earlier_gates(plan: Plan, check: Check, ctx: Context) -> CheckResult:
    earlier = [evaluate(plan, p.name, cutover_time=ctx.cutover_time) for p in plan.before(ctx.phase)]
    failed = [g.phase for g in earlier if not g.passed]
    if failed:
        return CheckResult(check.kind, "fail", f"gates not passed: {', '.join(failed)} (`homeport plan gate PHASE` "
                                               "says why)", figures={"failed": failed})
    return CheckResult(check.kind, "pass", f"all {len(earlier)} earlier gates pass, judged now")


def _days_on_target(plan: Plan, check: Check, ctx: Context) -> CheckResult:
    if ctx.cutover_time is None:
        return CheckResult(check.kind, "fail", "the target is not the active profile (no cutover since the last rollback)")
    days = (datetime.now(timezone.utc) - ctx.cutover_time).total_seconds() / 86400
    verdict = "pass" if days >= check["min_days"] else "fail"
    return CheckResult(check.kind, verdict, f"{days:.1f} days on the target since the cutover, {check['min_days']} "
                       "required before the source is shut down", figures={"days": days})


Judge = Callable[[Plan, Check, Context], CheckResult]
CHECKS: dict[str, Judge] = {
    "no_blockers": _no_blockers, "tests_pass": _tests_pass, "data_verified": _data_verified,
    "residency_clean": _residency_clean, "throughput": _throughput, "loss_parity": _loss_parity, "cost": _cost,
    "earlier_gates": _earlier_gates, "days_on_target": _days_on_target,
}


def data_evidence_path(plan: Plan, profile: Profile, area: str) -> Path:
    """Where `plan verify AREA` records its result: the path the data_verified check of the profile reads."""
    for phase in plan.phases:
        for check in phase.checks:
            if check.kind == "data_verified" and plan.profile(check.profile).name == profile.name:
                return plan.resolve(check["evidence"].format(area=area))
    return plan.base / ".homeport" / "evidence" / profile.name / f"data-{area}.json"

