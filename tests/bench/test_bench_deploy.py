"""The Slurm and Kubernetes launch templates of deploy/bench/ run commands this homeport accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from homeport.cli.main import build_parser

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "bench"


def _bench_args(argv: list[str]) -> list[str]:
    """What follows `-m homeport` in a torchrun command line."""
    return argv[argv.index("homeport") + 1:]


def test_the_pytorchjob_runs_a_bench_command_homeport_parses():
    job = yaml.safe_load((DEPLOY / "k8s-pytorchjob.yaml").read_text())
    pods = job["spec"]["pytorchReplicaSpecs"]
    assert pods["Master"]["replicas"] + pods["Worker"]["replicas"] == 2
    command = pods["Master"]["template"]["spec"]["containers"][0]["command"]
    assert command[command.index("--nnodes") + 1] == "2" and command[:1] == ["torchrun"]
    args = build_parser().parse_args(_bench_args(command))
    assert args.command == "bench" and args.size == "1.3b" and "allreduce" in args.probes
    assert args.out.startswith("/results/")  # the mounted volume, so the result outlives the pod


def test_the_slurm_script_runs_a_bench_command_homeport_parses():
    text = (DEPLOY / "slurm-bench.sh").read_text()
    line = re.search(r"^srun torchrun (.+?)(?<!\\)$", text.replace("\\\n", " "), re.M).group(1)
    argv = shlex.split(line.replace('"$OUT"', "bench.json").replace('"$SLURM_NNODES"', "2")
                       .replace('"$GPUS"', "8").replace('"$HEAD:29500"', "head:29500")
                       .replace('"$SLURM_JOB_ID"', "1"))
    args = build_parser().parse_args(_bench_args(argv))
    assert args.command == "bench" and args.compile == "model" and args.out == "bench.json"
