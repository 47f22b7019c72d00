"""How `homeport fence run` fences every Python process a command starts.

The command runs with `site/` first on PYTHONPATH: Python imports `sitecustomize` from there at start-up, and
that module activates the fence from these variables before any user code runs:

    HOMEPORT_FENCE_POLICY       the policy file (absolute)
    HOMEPORT_FENCE_MODE         enforce | audit (the mode of the run, which may override the policy's)
    HOMEPORT_FENCE_AUDIT_LOG    the JSONL log that every process appends to (absolute)
    HOMEPORT_FENCE_IMPORT_PATH  where homeport is installed, for a Python whose own path lacks it

The variables and PYTHONPATH are inherited, so children and grandchildren (DataLoader workers started with
spawn or forkserver, torchrun's ranks, a subprocess.run of another script) are fenced too; forked workers keep
the fence of their parent. A Python started with -I, -E or -S, or with an environment that drops these
variables, is not fenced. A process that cannot load the policy or import homeport exits with code 2 instead
of running unfenced, unless the mode is audit. A sitecustomize module that the generated one hides (a
distribution's, a virtual environment's) still runs, after the fence.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

from homeport.core.errors import HomeportError

SITE_DIR = str(Path(__file__).resolve().parent / "site")
POLICY, MODE, AUDIT_LOG, IMPORT_PATH = ("HOMEPORT_FENCE_POLICY", "HOMEPORT_FENCE_MODE", "HOMEPORT_FENCE_AUDIT_LOG",
                                        "HOMEPORT_FENCE_IMPORT_PATH")


def child_environment(policy_path: str, mode: str, audit_log: str, base=None) -> dict[str, str]:
    """The environment of a fenced command: `base` (default os.environ) plus the variables above."""
    env = dict(os.environ if base is None else base)
    python_path = env.get("PYTHONPATH", "")
    env.update({
        POLICY: os.path.abspath(policy_path),
        MODE: mode,
        AUDIT_LOG: os.path.abspath(audit_log),
        IMPORT_PATH: str(Path(__file__).resolve().parents[2]),
        "PYTHONPATH": SITE_DIR + (os.pathsep + python_path if python_path else ""),
    })
    return env


def fence_this_process(site_dir: str) -> None:
    """What the generated sitecustomize runs: activate from the environment, then the hidden sitecustomize."""
    from homeport.policy.guard import activate

    try:
        activate(os.environ[POLICY], mode=os.environ.get(MODE) or None, audit_log=os.environ.get(AUDIT_LOG) or None)
    except HomeportError as exc:
        sys.stderr.write(f"homeport fence: cannot fence {sys.executable} (pid {os.getpid()}):\n{exc.render()}\n")
        if os.environ.get(MODE) != "audit":
            sys.stderr.write("homeport fence: refusing to run it unfenced (mode enforce)\n")
            os._exit(2)
    _run_hidden_sitecustomize(site_dir)


def _run_hidden_sitecustomize(site_dir: str) -> None:
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != os.path.abspath(site_dir)]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # as site.py does for its own sitecustomize: say it, go on
        sys.stderr.write(f"Error in sitecustomize ({spec.origin}); set PYTHONVERBOSE for traceback:\n"
                         f"{type(exc).__name__}: {exc}\n")
