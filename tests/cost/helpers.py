"""Helpers for the cost tests: small catalogs built by hand, so every expected figure is arithmetic on
numbers written in the test."""

from __future__ import annotations

from homeport.catalog.factors import Factor
from homeport.catalog.offers import GpuOffer
from homeport.catalog.storage import StoragePrice
from homeport.cost import measured
from homeport.cost.job import parse_job
from homeport.cost.model import Catalog


def offer(provider, name, price, *, accelerator="H100-SXM", unit="gpu", per_node=8, currency="USD",
          purchase="on-demand", country="", confidence="verified", line=2) -> GpuOffer:
    return GpuOffer(provider, name, accelerator, per_node, price, unit, currency, "", country, purchase, confidence,
                    "a test row", "test source", "2026-11-27", line)


def storage(provider, per_gb, currency="USD", base=None, included=None) -> StoragePrice:
    return StoragePrice(provider, "object storage", per_gb, currency, base, included, "verified", "",
                        "test source", "2026-11-27", 2)


def catalog(*offers, stores=(), facts=(), groups=None) -> Catalog:
    return Catalog(tuple(offers), {s.provider: s for s in stores},
                   {(f.provider, f.factor): f for f in facts}, groups or {})


def fact(provider, factor, score, evidence="a fact") -> Factor:
    return Factor(provider, factor, score, evidence, "verified", "test source", "2026-11-27", 5)


def bench_doc(accelerator="H100-SXM", per_device=1000.0, params=1e9, count=1, **workload) -> dict:
    w = {"name": "gpt", "config": {"params": params, "seq_len": 2048}, "tokens_per_s": per_device * count,
         "tokens_per_s_per_device": per_device, "tflops": 400.0, "mfu": 0.45, **workload}
    return {"schema_version": 1, "kind": "homeport-bench", "device": {"type": "cuda", "name": "NVIDIA H100 80GB HBM3",
            "accelerator": accelerator, "count": count}, "torch": "2.13.0", "workloads": [w], "probes": {}}


def job(**fields):
    """A job dict with the given top-level fields over a minimal valid one; bench docs are passed as
    `benches={name: doc}` and referenced from workload.bench by name."""
    benches = fields.pop("benches", {})
    data = {"source": {"provider": "aws", "offer": "p5"}, "gpus": 8,
            "workload": {"params": 1e9, "tokens": 2.88e9}}
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_job(data, "job.yaml", read_bench=lambda name: measured.parse(benches[name], name))


# 1,000 tokens/s per H100 measured: the default job's 2.88e9 tokens are then 800 GPU-hours, 100 h on 8 GPUs.
MEASURED = {"benches": {"h100.json": bench_doc()}, "workload": {"bench": ["h100.json"]}}
