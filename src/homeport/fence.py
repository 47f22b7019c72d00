"""`homeport.fence`: keep a training job's bytes inside the border the residency policy draws.

    import homeport.fence
    fence = homeport.fence.activate("policy.yaml")            # or a Policy; mode="audit", audit_log="x.jsonl"
    ...                                                       # a denied destination raises FenceViolation
    fence.counts, fence.log_path, fence.violations
    fence.deactivate()                                        # or: with homeport.fence.activate(...):

`homeport fence run --policy P -- python train.py` does the same for every Python process the command starts.
What the fence sees and what it cannot see (native sockets: gRPC core, aws-crt, NCCL/Gloo, libcurl inside
extensions; DNS in C extensions; what non-Python children do) is written out in homeport.policy.guard.
"""

from homeport.policy.guard import Fence, FenceViolation, activate, active, deactivate

__all__ = ["Fence", "FenceViolation", "activate", "active", "deactivate"]
