"""`homeport bench --script train.py -- ARGS`: the user's own training, timed at its optimizer steps.

The script runs in a child process (its crash is not ours) under `script_hook`, which registers a global
optimizer step hook: each `optimizer.step()` waits for the device and notes the time, so a step's
time is everything between two steps (data loading included), which is what training throughput is.
After `steps` steps the hook writes the figures and stops the script; a script that ends sooner
gives the steps it made.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from homeport.bench.workload import spread
from homeport.core.errors import HomeportError


def measure(script: str | Path, args: list[str], *, steps: int = 50, warmup: int = 5,
            tokens_per_step: int | None = None, samples_per_step: int | None = None,
            timeout_s: float | None = None) -> dict:
    script = Path(script)
    if not script.is_file():
        raise HomeportError(f"no training script at {script}", expected="a Python file that calls optimizer.step()",
                            hint="give the path of the script you train with, then `--` and its arguments")
    if not 0 <= warmup < steps:
        raise HomeportError("warmup must leave steps to measure", expected=f"0 <= warmup < steps ({steps})",
                            got=str(warmup))
    with tempfile.TemporaryDirectory(prefix="homeport-bench-") as tmp:
        out = Path(tmp) / "steps.json"
        cmd = [sys.executable, "-m", "homeport.bench.script_hook", str(out), str(steps), str(script.resolve()), *args]
        try:
            run = subprocess.run(cmd, cwd=script.resolve().parent, timeout=timeout_s,
                                 env={**os.environ, "PYTHONPATH": _pythonpath(script)})
        except subprocess.TimeoutExpired:
            raise HomeportError(f"{script} ran past {timeout_s:g} s", hint="lower --steps or raise --timeout") from None
        marks = json.loads(out.read_text()) if out.exists() else None
    if not marks or len(marks["times"]) < 2:
        raise HomeportError(f"{script} made {len(marks['times']) if marks else 0} optimizer step(s)",
                            expected="at least two optimizer.step() calls to time",
                            got=f"exit code {run.returncode}" + ("" if marks else "; no step was reached"),
                            hint="check that the script trains with a torch.optim optimizer and runs with these "
                                 "arguments on its own")
    return figures(marks, warmup, tokens_per_step, samples_per_step, script, args, run.returncode)


def figures(marks: dict, warmup: int, tokens_per_step: int | None, samples_per_step: int | None,
            script: Path, args: list[str], returncode: int) -> dict:
    times = marks["times"]
    intervals = [b - a for a, b in zip(times, times[1:])]
    measured = intervals[min(warmup, len(intervals) - 1):]
    timing = spread(measured)
    steps_per_s = 1 / timing["mean"]
    return {"script": str(script), "args": args, "steps_timed": len(measured), "warmup": warmup,
            "stopped_by": "homeport" if marks["stopped"] else f"the script (exit code {returncode})",
            "step_time_s": timing, "steps_per_s": steps_per_s,
            "tokens_per_s": steps_per_s * tokens_per_step if tokens_per_step else None,
            "samples_per_s": steps_per_s * samples_per_step if samples_per_step else None,
            "peak_memory_bytes": marks.get("peak_memory_bytes"), "device": marks.get("device")}


def _pythonpath(script: Path) -> str:
    """The script's folder first (as `python train.py` has it), then homeport's own location."""
    import homeport  # noqa: PLC0415

    parts = [str(script.resolve().parent), str(Path(homeport.__file__).resolve().parents[1]),
             os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)
