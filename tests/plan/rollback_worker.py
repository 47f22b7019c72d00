"""A rollback in its own process, killed with SIGKILL at a chosen point (tests/plan/test_plan_rollback.py).

usage: rollback_worker.py PLAN WHEN
  WHEN `copy`: after the first object of the sync back has landed (mid-copy, the copy's journal half-done)
  WHEN an action name: as that action begins (the ones before it done and journaled)
"""

from __future__ import annotations

import os
import signal
import sys

from homeport.plan.rollback import rollback
from homeport.plan.spec import load_plan


def main() -> None:
    plan, when = load_plan(sys.argv[1]), sys.argv[2]

    def kill() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    def on_event(action: str, event: str, detail: dict) -> None:
        if event == "begin" and action == when:
            kill()

    def progress(kind: str, n: int) -> None:
        if kind == "advance" and when == "copy":
            kill()

    rollback(plan, on_event=on_event, progress=progress)


if __name__ == "__main__":
    main()
