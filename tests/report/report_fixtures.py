"""Evidence for the report tests, written by the real code of each phase (no hand-made JSON where a phase
can write it): a port change log, a data plan and its manifest between two local folders, a fence audit log
of real verdicts, the bench results kept in benchmarks/ with a parity check between them, and a cost report.
Also a small tree whose readiness figures the tests compute by hand."""

from __future__ import annotations

import json
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "llm-pipeline"
BENCH_CPU = REPO / "benchmarks" / "bench" / "cpu" / "bench-tiny-fp32-3seeds.json"
BENCH_GPU = REPO / "benchmarks" / "bench" / "gpu" / "bench-tiny-bf16-3seeds.json"
BENCH_GPU_BIG = REPO / "benchmarks" / "bench" / "gpu" / "bench-1.3b-compile-model.json"

# Seven findings, each known from its rule's declaration (see test_report_readiness.py):
#   requirements.txt:1 DEP001 cuda-wheel       blocker everywhere but cuda (info); no fix; rule_effort.csv: trivial
#   requirements.txt:2 DEP102 flash-attn dep   info on rocm and cuda, blocker elsewhere; no fix, no row: redesign
#   train.py:3 ACC102 flash-attn import        info on rocm and cuda, blocker elsewhere; a fix: trivial
#   train.py:5 ACC016 nccl backend             info on rocm and cuda, blocker elsewhere; a fix: trivial
#   train.py:6 ACC002 .cuda()                  info on rocm and cuda, blocker elsewhere; a fix: trivial
#   train.py:7 ACC005 torch.cuda.synchronize   info on rocm and cuda, blocker elsewhere; a fix: trivial
#   train.py:8 CLD007 s3:// URI                warning on every target; rule_effort.csv: trivial
SMALL_TRAIN = '''\
import torch
import torch.distributed as dist
import flash_attn

dist.init_process_group("nccl")
x = torch.ones(2).cuda()
torch.cuda.synchronize()
DATA = "s3://acme-bucket/train"
'''
SMALL_REQUIREMENTS = "torch==2.6.0+cu124\nflash-attn==2.7.4\n"


def write_small_tree(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "train.py").write_text(SMALL_TRAIN)
    (root / "requirements.txt").write_text(SMALL_REQUIREMENTS)
    return root


def write_all_evidence(folder: Path, work: Path) -> Path:
    """Evidence of every phase but the plan, in `folder`; `work` holds the data folders copied between."""
    from homeport.bench.compare import parity
    from homeport.bench.results import load
    from homeport.cost.job import load_job
    from homeport.cost.model import estimate
    from homeport.cost.report import render_json
    from homeport.data.locations import open_store, parse_location
    from homeport.data.plan import plan
    from homeport.policy import load_policy
    from homeport.port.changelog import render_json as port_json
    from homeport.port.engine import port

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "port.json").write_text(port_json(port(EXAMPLE, target="rocm")))
    src, dst = work / "bucket-src", work / "bucket-dst"
    for prefix, n in (("datasets/train", 4), ("datasets/val", 1), ("checkpoints", 2)):
        (src / prefix).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            (src / prefix / f"shard-{i:05d}.bin").write_bytes(bytes(range(256)) * (40 + i))
    dst.mkdir(parents=True, exist_ok=True)
    result = plan(open_store(parse_location(str(src))), open_store(parse_location(str(dst))),
                  manifest=folder / "manifest.jsonl", workers=4)
    (folder / "data-plan.json").write_text(json.dumps(result.to_dict(), indent=2))
    policy = load_policy(EXAMPLE / "policy.yaml")
    with open(folder / "fence-audit.jsonl", "w", encoding="utf-8") as fh:
        for host, times in (("s3.gra.io.cloud.ovh.net", 3), ("api.wandb.ai", 2), ("pypi.org", 1),
                            ("s3.eu-west-1.amazonaws.com", 1)):
            verdict = policy.check(host)
            for _ in range(times):
                fh.write(verdict.to_json(asked="connect", pid=4242) + "\n")
    shutil.copy(BENCH_GPU, folder / "bench-source.json")
    shutil.copy(BENCH_GPU_BIG, folder / "bench-target.json")
    (folder / "parity.json").write_text(json.dumps(parity(load(BENCH_GPU), load(BENCH_GPU)).to_dict()))
    (folder / "cost.json").write_text(render_json(estimate(load_job(EXAMPLE / "cost.yaml"))))
    return folder


@lru_cache(maxsize=None)
def built(with_evidence: bool):
    """(Document, evidence folder): the example pipeline's report with every phase's evidence, or with none.
    Built once per test session; the folder is a temporary one."""
    from homeport.report.page import build_report

    base = Path(tempfile.mkdtemp(prefix="homeport-report-"))
    folder = write_all_evidence(base / "reports", base) if with_evidence else base / "empty"
    folder.mkdir(exist_ok=True)
    return build_report(EXAMPLE, [str(folder)]), folder
