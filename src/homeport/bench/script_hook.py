"""Child side of `homeport bench --script`: `python -m homeport.bench.script_hook OUT STEPS SCRIPT ARGS...`.

Runs SCRIPT as `__main__` with a global optimizer step hook that times each step (after waiting for
the device) and stops the script after STEPS steps. What was timed is written to OUT at the end,
whatever way the script ends.
"""

from __future__ import annotations

import json
import runpy
import sys
import time


class _Enough(BaseException):  # BaseException: a script's `except Exception` must not swallow the stop
    pass


def main() -> int:
    out, steps, script, args = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    import torch
    from torch.optim.optimizer import register_optimizer_step_post_hook

    accelerated = torch.accelerator.is_available()
    marks = {"times": [], "stopped": False,
             "device": torch.accelerator.current_accelerator().type if accelerated else "cpu"}

    def hook(_optimizer, _args, _kwargs):
        if accelerated:
            torch.accelerator.synchronize()
        marks["times"].append(time.perf_counter())
        if len(marks["times"]) >= steps + 1:  # steps intervals need steps + 1 marks
            marks["stopped"] = True
            raise _Enough

    register_optimizer_step_post_hook(hook)
    sys.argv = [script, *args]
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except _Enough:
        pass
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        if accelerated:
            try:
                marks["peak_memory_bytes"] = int(torch.accelerator.max_memory_allocated())
            except (RuntimeError, AttributeError):
                pass
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(marks, fh)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
