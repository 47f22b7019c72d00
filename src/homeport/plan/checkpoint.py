"""Checkpoint portability: does a checkpoint written on one side load on the other?

`probe(folder)` writes one small state dict in each format this torch can write: torch.save (zip), a
torch.distributed.checkpoint (DCP) folder, and safetensors when it is installed; probe.json records the torch
that wrote them and a SHA-256 of every tensor. `check(paths)` loads each file with this side's torch the way
training code does (torch.load with map_location and the default weights_only; DCP into a state dict built
from its metadata; safetensors' load_file) and compares every tensor with the probe record when there is one.
Run `probe` on one side and `check` on the other (`homeport plan exec --profile P -- homeport plan checkpoint
check DIR`), or `check` the pipeline's own checkpoints.

Known traps, said where they apply:
- since torch 2.6 torch.load defaults to weights_only=True: a checkpoint holding anything beyond tensors,
  primitive containers and allow-listed types (argparse.Namespace, numpy scalars, a class of its own) stops
  loading there; the globals it needs are named (torch.serialization.add_safe_globals, or weights_only=False
  for a file you trust);
- tensors saved on an accelerator need map_location on a side without it; the saved devices are listed;
- DCP promises nothing across torch versions: a DCP checkpoint read by another release than the writer's is a
  risk to test, never an assumption;
- torch.save files do not record which torch wrote them (the probe record does).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from homeport.core.errors import HomeportError

PROBE_RECORD = "probe.json"
WEIGHTS_ONLY_DEFAULT = (2, 6)  # the torch release whose torch.load defaults to weights_only=True


@dataclass
class Report:
    path: str
    format: str  # torch-zip | torch-legacy | dcp | safetensors | unknown
    verdict: str  # ok | fail | not-checked
    loaded_by: str  # this torch's version
    written_by: str | None = None
    tensors: int = 0
    matched: int | None = None  # probe files: tensors equal to the record's
    saved_devices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def version_tuple(text: str | None) -> tuple[int, int] | None:
    try:
        major, minor = str(text).split("+")[0].split(".")[:2]
        return int(major), int(minor)
    except (ValueError, AttributeError):
        return None


def tensor_sha256(t) -> str:
    import torch  # noqa: PLC0415

    data = t.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
    return hashlib.sha256(data.numpy().tobytes()).hexdigest()


# -- probe ---------------------------------------------------------------------------------------------------------

def probe(folder: Path) -> dict:
    import torch  # noqa: PLC0415
    import torch.distributed.checkpoint as dcp  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    state = {"layer.weight": torch.randn(16, 8, generator=gen), "layer.bias": torch.zeros(8),
             "step": torch.tensor(7), "half": torch.randn(8, generator=gen).to(torch.bfloat16)}
    files = {"torch-zip": "probe.pt", "dcp": "probe.dcp"}
    torch.save(state, folder / files["torch-zip"])
    _quiet(lambda: dcp.save({k: v.clone() for k, v in state.items()}, checkpoint_id=str(folder / files["dcp"])))
    try:
        from safetensors.torch import save_file  # noqa: PLC0415

        save_file(state, str(folder / "probe.safetensors"))
        files["safetensors"] = "probe.safetensors"
    except ImportError:
        pass
    record = {"schema_version": 1, "kind": "homeport-plan-checkpoint-probe", "torch": torch.__version__,
              "files": files, "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape), "sha256": tensor_sha256(v)}
                                          for k, v in state.items()},
              "not_written": [] if "safetensors" in files else ["safetensors (not installed here)"]}
    (folder / PROBE_RECORD).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


# -- check ---------------------------------------------------------------------------------------------------------

def check(path: Path, *, device: str = "cpu", written_by: str | None = None, other_torch: str | None = None) -> list[Report]:
    """Reports for `path`: a checkpoint file or DCP folder, or a probe folder (each of its files)."""
    record = None
    if (path / PROBE_RECORD).is_file():
        record = json.loads((path / PROBE_RECORD).read_text(encoding="utf-8"))
        return [_check_one(path / name, device, record["torch"], other_torch, record) for name in record["files"].values()]
    if not path.exists():
        raise HomeportError(f"no checkpoint at {path}", expected="a checkpoint file, a DCP folder or a probe folder")
    return [_check_one(path, device, written_by, other_torch, record)]


def detect(path: Path) -> str:
    if path.is_dir():
        return "dcp" if (path / ".metadata").is_file() else "unknown"
    with open(path, "rb") as fh:
        head = fh.read(9)
    if len(head) == 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < 100_000_000:
        return "safetensors"
    return "torch-zip" if zipfile.is_zipfile(path) else "torch-legacy"


def _check_one(path: Path, device: str, written_by: str | None, other_torch: str | None, record: dict | None) -> Report:
    import torch  # noqa: PLC0415

    fmt = detect(path)
    report = Report(str(path), fmt, "ok", torch.__version__, written_by)
    loaders = {"torch-zip": _load_torch, "torch-legacy": _load_torch, "dcp": _load_dcp, "safetensors": _load_safetensors}
    if fmt not in loaders:
        report.verdict, report.error = "fail", "not a checkpoint homeport can read (torch.save, DCP or safetensors)"
        return report
    try:
        tensors = loaders[fmt](path, device, report)
    except _NotChecked as why:
        report.verdict, report.error = "not-checked", str(why)
        return report
    except Exception as exc:  # noqa: BLE001  whatever torch raises is the answer to "does it load here?"
        report.verdict, report.error = "fail", f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        return report
    report.tensors = len(tensors)
    if record is not None:
        want = record["tensors"]
        report.matched = sum(1 for k, t in tensors.items() if k in want and tensor_sha256(t) == want[k]["sha256"])
        if report.matched != len(want):
            report.verdict = "fail"
            report.error = f"{len(want) - report.matched} of {len(want)} tensors differ from what was written"
    _version_warnings(report, fmt, other_torch)
    return report


class _NotChecked(Exception):
    pass


def _load_torch(path: Path, device: str, report: Report) -> dict:
    import torch  # noqa: PLC0415

    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(str(path)) if report.format == "torch-zip" else []
    devices = set()

    def remember(storage, location):  # map_location as a function: sees where each storage was saved
        devices.add(location)
        return torch.serialization.default_restore_location(storage, device)  # what map_location=device does

    try:
        obj = torch.load(path, map_location=remember)  # the default weights_only, as training code calls it
    except Exception as exc:
        if unsafe:
            raise ValueError(f"torch.load with weights_only=True (the default since torch 2.6) refuses "
                             f"{', '.join(unsafe)}: allow them with torch.serialization.add_safe_globals, save plain "
                             "types instead, or pass weights_only=False only for a file you trust") from exc
        raise
    finally:
        report.saved_devices = sorted(devices)
    if unsafe and version_tuple(torch.__version__) < WEIGHTS_ONLY_DEFAULT:
        report.warnings.append(f"loads here (torch {torch.__version__} defaults to weights_only=False) but not on "
                               f"torch >= 2.6, which refuses {', '.join(unsafe)}: allow them with "
                               "torch.serialization.add_safe_globals, or save plain types")
    if any(not d.startswith("cpu") for d in devices):
        report.warnings.append(f"saved from {', '.join(sorted(devices))}: load with map_location on a side without "
                               "that device (the pipeline's torch.load must pass it)")
    return dict(_tensors(obj))


def _load_dcp(path: Path, device: str, report: Report) -> dict:
    import torch  # noqa: PLC0415
    import torch.distributed.checkpoint as dcp  # noqa: PLC0415
    from torch.distributed.checkpoint.metadata import TensorStorageMetadata  # noqa: PLC0415

    meta = dcp.FileSystemReader(str(path)).read_metadata()
    state = {k: torch.empty(tuple(m.size), dtype=m.properties.dtype, device=device)
             for k, m in meta.state_dict_metadata.items() if isinstance(m, TensorStorageMetadata)}
    others = len(meta.state_dict_metadata) - len(state)
    if others:
        report.warnings.append(f"{others} non-tensor entries not loaded (only tensors are checked)")
    _quiet(lambda: dcp.load(state, checkpoint_id=str(path)))
    report.warnings.append(f"DCP format {getattr(meta, 'version', None) or 'unversioned'}: torch.distributed.checkpoint "
                           "promises no compatibility across torch versions; load it with the torch that will read it")
    return state


def _load_safetensors(path: Path, device: str, report: Report) -> dict:
    try:
        from safetensors.torch import load_file  # noqa: PLC0415
    except ImportError:
        raise _NotChecked("safetensors is not installed here (pip install safetensors)") from None
    return load_file(str(path), device=device)


def _version_warnings(report: Report, fmt: str, other_torch: str | None) -> None:
    here, there = version_tuple(report.loaded_by), version_tuple(report.written_by or other_torch)
    if there and here and there != here:
        who = f"written by torch {report.written_by}" if report.written_by else f"the other side runs torch {other_torch}"
        report.warnings.append(f"{who}, read here by {report.loaded_by}" + (
            ": a DCP checkpoint across versions is untested ground" if fmt == "dcp" else ""))
    if report.written_by is None and fmt.startswith("torch"):
        report.warnings.append("torch.save does not record the torch that wrote the file: pass --written-by")


def _tensors(obj, prefix: str = ""):
    import torch  # noqa: PLC0415

    if isinstance(obj, torch.Tensor):
        yield prefix or "tensor", obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _tensors(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _tensors(v, f"{prefix}[{i}]")


def _quiet(fn) -> None:
    """DCP warns that no process group exists; in a single process that is the intent."""
    import warnings  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.distributed is disabled.*")
        fn()


def to_dicts(reports: list[Report]) -> list[dict]:
    return [asdict(r) for r in reports]
