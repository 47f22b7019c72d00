"""The all-reduce probe under two real processes (gloo on loopback) whose clocks disagree on when time is up:
every rank must still call the collective the same number of times, or NCCL hangs and gloo aborts. Here
rank 0 is given 0.02 s and rank 1 0.3 s; without agreeing, rank 0 would leave rank 1 waiting in an
all-reduce no one else calls."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

RANK = r"""
import os, sys
import torch.distributed as dist
from homeport.bench import probes
from homeport.bench.device import detect

dist.init_process_group("gloo")
rank = dist.get_rank()
calls = [0]
all_reduce = dist.all_reduce
def counted(tensor, *args, **kwargs):
    calls[0] += tensor.numel() > 1  # the probe's payload, not the flag the ranks agree with
    return all_reduce(tensor, *args, **kwargs)
dist.all_reduce = counted
found = probes.allreduce(detect(), nbytes=1 << 16, seconds=0.02 if rank == 0 else 0.3)
print(f"rank {rank} calls {calls[0]} world {found['world_size']}", flush=True)
dist.destroy_process_group()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ranks_with_different_clocks_call_the_all_reduce_equally_often():
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(_free_port()), "WORLD_SIZE": "2",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    procs = [subprocess.Popen([sys.executable, "-c", RANK], env={**env, "RANK": str(r)}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for r in (0, 1)]
    outs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err[-4000:]
            outs.append(out.split())
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    (_, r0, _, calls0, _, world0), (_, r1, _, calls1, _, world1) = outs
    assert (r0, r1, world0, world1) == ("0", "1", "2", "2")
    assert int(calls0) == int(calls1) > 1
