"""`homeport plan`: the migration as a gated, reversible sequence.

    from homeport.plan.spec import load_plan
    plan = load_plan("homeport-plan.yaml")         # spec.py: profiles, phases, gates, waivers (YAML, version 1)
    gates.evaluate(plan, "poc")                    # gates.py + evidence.py: never on missing, stale or foreign evidence
    cutover.cutover(plan)                          # cutover.py: gates again, carry state, switch the active profile
    rollback.rollback(plan)                        # rollback.py: sync back, switch back, revert the code; exit 3 if stuck
    profiles.environment(plan, plan.profile("target"))   # profiles.py: what the pipeline needs set on that side
    checkpoint.probe(dir) / checkpoint.check(path)  # checkpoint.py: does a checkpoint load on the other side?
    runbook.render(plan)                           # runbook.py: Markdown for the people in the room

State lives beside the migration file in .homeport/plan/: journal.jsonl (journal.py), active.env and active.json
(state.py), sync/ (the copy journals and manifests of cutover and rollback), data/ (the data phase's manifests).
"""
