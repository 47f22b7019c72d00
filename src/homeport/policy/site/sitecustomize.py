# Put first on PYTHONPATH by `homeport fence run`: fences this Python process with the policy named in
# HOMEPORT_FENCE_POLICY, then runs the sitecustomize module this one hides, if there is one.
# A Python that cannot import homeport refuses to run unfenced, unless the mode is audit.
import os
import sys


def _fence():
    try:
        from homeport.policy.inherit import fence_this_process
    except ImportError:
        sys.path.append(os.environ.get("HOMEPORT_FENCE_IMPORT_PATH", ""))  # another interpreter: homeport's folder
        try:
            from homeport.policy.inherit import fence_this_process
        except ImportError as exc:
            sys.stderr.write(f"homeport fence: {sys.executable} cannot import homeport ({exc}), so it cannot be "
                             "fenced\n")
            if os.environ.get("HOMEPORT_FENCE_MODE") != "audit":
                sys.stderr.write("homeport fence: refusing to run it unfenced (mode enforce)\n")
                os._exit(2)
            return
    fence_this_process(os.path.dirname(os.path.abspath(__file__)))


if os.environ.get("HOMEPORT_FENCE_POLICY"):
    _fence()
