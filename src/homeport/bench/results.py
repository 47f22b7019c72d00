"""The bench result file: schema version 1, validated on write and on read.

    {"schema_version": 1, "kind": "homeport-bench", "created": ISO time, "homeport": version,
     "torch": version, "device": {type, name, accelerator, count, world_size, runtime, driver,
     peak_bf16_tflops, peak_fp8_tflops, host},
     "probes": {"matmul": [...], "memory": {...}, ...},
     "workloads": [{"name", "config": {...}, "flops_per_token", "tokens_per_s", "tokens_per_s_per_device",
                    "tflops", "mfu" (null where undefined, with "mfu_note" saying why), "step_time_s": {...},
                    "peak_memory_bytes", "losses": [...], "loss_curves": [[...], ...] (one per seed)}],
     "script": null or {...}}

`homeport cost` reads device.accelerator, device.count and workloads[*].tokens_per_s from it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from homeport import __version__
from homeport.core.errors import HomeportError

SCHEMA_VERSION = 1
KIND = "homeport-bench"
NUMBER = (int, float)
OPTIONAL_NUMBER = (int, float, type(None))

# field -> accepted types; a nested dict is a nested schema
SCHEMA = {
    "schema_version": int, "kind": str, "created": str, "homeport": str, "torch": str,
    "device": {"type": str, "name": str, "accelerator": (str, type(None)), "count": int, "world_size": int,
               "runtime": str, "driver": (str, type(None)), "peak_bf16_tflops": OPTIONAL_NUMBER,
               "peak_fp8_tflops": OPTIONAL_NUMBER, "host": str},
    "probes": dict, "workloads": list, "script": (dict, type(None)),
}
WORKLOAD = {"name": str, "config": dict, "flops_per_token": NUMBER, "tokens_per_s": NUMBER,
            "tokens_per_s_per_device": NUMBER, "tflops": NUMBER, "mfu": OPTIONAL_NUMBER, "mfu_note": str,
            "step_time_s": dict, "peak_memory_bytes": (int, type(None)), "losses": list}


def new(device: dict, probes: dict, workloads: list[dict], script: dict | None = None) -> dict:
    return {"schema_version": SCHEMA_VERSION, "kind": KIND, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "homeport": __version__, "torch": torch.__version__, "device": device, "probes": probes,
            "workloads": workloads, "script": script}


def problems(doc) -> list[str]:
    """Every way `doc` departs from the schema, as `field: expected X, got Y`; empty when valid."""
    if not isinstance(doc, dict):
        return [f"the file: expected a JSON object, got {type(doc).__name__}"]
    out = _check(doc, SCHEMA, "")
    if not out and (doc["schema_version"] != SCHEMA_VERSION or doc["kind"] != KIND):
        out.append(f"schema_version/kind: expected {SCHEMA_VERSION}/{KIND}, got {doc['schema_version']}/{doc['kind']}")
    for i, workload in enumerate(doc.get("workloads") or []):
        out += _check(workload, WORKLOAD, f"workloads[{i}].") if isinstance(workload, dict) else [
            f"workloads[{i}]: expected an object, got {type(workload).__name__}"]
    return out


def _check(doc: dict, schema: dict, prefix: str) -> list[str]:
    out = []
    for field, want in schema.items():
        if field not in doc:
            out.append(f"{prefix}{field}: missing")
        elif isinstance(want, dict):
            out += (_check(doc[field], want, f"{prefix}{field}.") if isinstance(doc[field], dict)
                    else [f"{prefix}{field}: expected an object, got {type(doc[field]).__name__}"])
        elif not isinstance(doc[field], want) or (isinstance(doc[field], bool) and bool not in _tuple(want)):
            names = " or ".join(t.__name__.replace("NoneType", "null") for t in _tuple(want))
            out.append(f"{prefix}{field}: expected {names}, got {type(doc[field]).__name__}")
    return out


def _tuple(want) -> tuple:
    return want if isinstance(want, tuple) else (want,)


def save(doc: dict, path: str | Path) -> Path:
    bad = problems(doc)
    if bad:  # a result we would refuse to read is a bug here, not the user's
        raise AssertionError("bench result does not match its schema: " + "; ".join(bad))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load(path: str | Path) -> dict:
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HomeportError(f"cannot read bench result {path}", got=exc.strerror or str(exc),
                            hint="give the JSON file `homeport bench --out` wrote") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HomeportError(f"{path} is not a bench result", expected="JSON written by `homeport bench --out`",
                            got=f"unreadable JSON ({exc})") from exc
    bad = problems(doc)
    if bad:
        raise HomeportError(f"{path} is not a valid bench result (schema {SCHEMA_VERSION})", got="; ".join(bad[:5]),
                            hint="rerun `homeport bench --out` with this version of homeport")
    return doc
