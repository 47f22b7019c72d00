"""The cost job: what is trained, where it runs today, where its data lives and how it flows (YAML).

```yaml
name: gpt-1.3b                      # optional
source: {provider: aws, offer: p4d.24xlarge}   # today's offer: the baseline and the egress source
gpus: 16                            # GPUs the run uses (rounded up to whole nodes per offer)
workload:
  params: 1.3B                      # numbers take K, M, B, T
  tokens: 26B
  layers: 24                        # optional, with d_model and seq_len: adds attention FLOPs
  d_model: 2048
  seq_len: 2048
  mfu: 0.40                         # assumed MFU where nothing was measured (default 0.40)
  bench: [results/h100.json]        # optional `homeport bench` results, relative to this file
data: {dataset_gb: 600, checkpoint_gb: 21, checkpoints_kept: 3}
duration_months: 3                  # optional: how long the data is held; default: the time to train
egress:
  migration_gb: 663                 # default: dataset + kept checkpoints
  monthly_gb: 50                    # read out of the provider each month (default 0)
  migration_date: 2027-02-01        # optional: from 2027-01-12 the EU Data Act bans switching charges
  assume_waiver: false              # true: the source's exit waiver is granted where it has one
currency: USD                       # default: the source offer's currency
fx: {EUR_USD: 1.08, as_of: 2026-11-20}   # 1 EUR = 1.08 USD; needed as soon as currencies mix
compare: {providers: [...], purchase: [on-demand], accelerators: [...], countries: [...]}
sensitivity: {price_pct: 20, throughput_pct: 20}
weights: {hourly_cost: 3, legal_residency: 2}   # scorecard factors, default 1 each
latency_ms: {aws: 2, nebius: 38}    # measured round trips to the data (`homeport data probe`)
```

Every error names the field, what was expected, what was got and what to do (exit 2).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from homeport.catalog.offers import PURCHASES
from homeport.catalog.cells import CURRENCIES
from homeport.core.errors import HomeportError
from homeport.cost import measured as measured_mod
from homeport.cost.measured import Measurement
from homeport.cost.scorecard import FACTORS

DEFAULT_MFU = 0.40
DEFAULT_SENSITIVITY_PCT = 20.0
_SUFFIX = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([kKmMbBgGtT]?)\s*$")
_FX_KEY = re.compile(r"^([A-Z]{3})_([A-Z]{3})$")


@dataclass(frozen=True)
class Fx:
    rates: dict  # (from, to) -> units of `to` per unit of `from`
    as_of: str


@dataclass(frozen=True)
class Job:
    path: str
    name: str
    source_provider: str
    source_offer: str
    source_region: str | None
    gpus: int
    params: float
    tokens: float
    layers: int | None
    d_model: int | None
    seq_len: int | None
    mfu: float
    measurements: dict  # accelerator -> Measurement
    dataset_gb: float
    checkpoint_gb: float
    checkpoints_kept: int
    duration_months: float | None
    migration_gb: float
    monthly_egress_gb: float
    migration_date: dt.date | None
    assume_waiver: bool
    currency: str | None
    fx: Fx | None
    providers: tuple[str, ...] | None
    purchase: tuple[str, ...]
    accelerators: tuple[str, ...] | None
    countries: tuple[str, ...] | None
    price_pct: float
    throughput_pct: float
    weights: dict = field(default_factory=dict)
    latency_ms: dict = field(default_factory=dict)

    @property
    def stored_gb(self) -> float:
        return self.dataset_gb + self.checkpoint_gb * self.checkpoints_kept


def load_job(path: str | Path) -> Job:
    """Read the YAML job and the bench results it names."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HomeportError(f"cannot read the job file {path}", expected="a YAML cost job", got="no such file",
                            hint="check the path; examples/llm-pipeline/cost.yaml is a model to copy") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HomeportError(f"cannot read the job file {path}", expected="a readable UTF-8 YAML file",
                            got=getattr(exc, "strerror", None) or str(exc),
                            hint="check the path and its permissions") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise HomeportError(f"the job file {path} is not valid YAML{where}", expected="a YAML mapping",
                            got=str(getattr(exc, "problem", None) or exc), hint="fix the YAML syntax") from None
    return parse_job(data, str(path), read_bench=lambda p: _read_bench(path.parent / p))


def _read_bench(path: Path) -> Measurement:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HomeportError(f"cannot read the bench result {path}", expected="a JSON file written by `homeport bench`",
                            got="no such file", hint="paths in workload.bench are relative to the job file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HomeportError(f"cannot read the bench result {path}", expected="a JSON file written by `homeport bench`",
                            got=str(exc), hint="rerun `homeport bench` and point workload.bench at its output") from None
    return measured_mod.parse(data, str(path))


class _Reader:
    """Field access that names the field in every error."""

    def __init__(self, path: str):
        self.path = path

    def error(self, field: str, expected: str, got, hint: str = "") -> HomeportError:
        return HomeportError(f"job file {self.path}: field {field} is not valid", expected=expected,
                             got=got if isinstance(got, str) else repr(got),
                             hint=hint or f"fix {field} in {self.path}")

    def section(self, data: dict, field: str, allowed: tuple[str, ...], *, required: bool = False) -> dict:
        value = data.get(field.rsplit(".", 1)[-1])
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise self.error(field, f"a mapping with {', '.join(allowed)}", "nothing" if value is None else value)
        self.known(value, field + ".", allowed)
        return value

    def known(self, data: dict, prefix: str, allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                raise self.error(f"{prefix}{key}", f"one of {', '.join(prefix + a for a in allowed)}", "an unknown field",
                                 hint=f"remove or rename {prefix}{key} (a typo?)")

    def number(self, data: dict, field: str, *, default=None, low: float = 0.0, high: float | None = None,
               above: bool = True, required: bool = False) -> float | None:
        value = data.get(field.rsplit(".", 1)[-1])
        if value is None:
            if required:
                raise self.error(field, "a number", "nothing", hint=f"add {field} to {self.path}")
            return default
        number = _as_number(value)
        bad = number is None or number < low or (above and number == low) or (high is not None and number > high)
        if bad:
            span = f"{'above' if above else 'at least'} {low:g}" + (f" and at most {high:g}" if high is not None else "")
            raise self.error(field, f"a number {span} (K, M, B, T suffixes allowed)", value)
        return number

    def whole(self, data: dict, field: str, *, default=None, required: bool = False) -> int | None:
        value = data.get(field.rsplit(".", 1)[-1])
        if value is None:
            if required:
                raise self.error(field, "a whole number >= 1", "nothing", hint=f"add {field} to {self.path}")
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.error(field, "a whole number >= 1", value)
        return value

    def text(self, data: dict, field: str, *, required: bool = False) -> str | None:
        value = data.get(field.rsplit(".", 1)[-1])
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(field, "a name", "nothing" if value is None else value,
                             hint=f"add {field} to {self.path}" if value is None else "")
        return value.strip()

    def names(self, data: dict, field: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...] | None:
        value = data.get(field.rsplit(".", 1)[-1])
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(field, "a list of names", value)
        names = tuple(v.strip() for v in value)
        for name in names:
            if allowed is not None and name not in allowed:
                raise self.error(field, f"names from {', '.join(allowed)}", name)
        return names

    def date(self, data: dict, field: str) -> dt.date | None:
        value = data.get(field.rsplit(".", 1)[-1])
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.error(field, "a date, YYYY-MM-DD", value) from None


def count(n: float) -> str:
    """`21B`, `350M`: the way the job file writes sizes."""
    for suffix, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g}{suffix}"
    return f"{n:.3g}"


def _as_number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and (m := _NUMBER.match(value)):  # PyYAML reads 1.3e9 as a string
        number = float(m.group(1)) * _SUFFIX[m.group(2).lower()]
    else:
        return None
    return number if math.isfinite(number) else None


TOP = ("name", "source", "gpus", "workload", "data", "duration_months", "egress", "currency", "fx", "compare",
       "sensitivity", "weights", "latency_ms", "schema_version")


def parse_job(data, path: str, read_bench=None) -> Job:
    """A Job from the parsed YAML; `read_bench(relative_path) -> Measurement` resolves workload.bench."""
    r = _Reader(path)
    if not isinstance(data, dict):
        raise HomeportError(f"job file {path} is not a mapping", expected="a YAML mapping with source, gpus, workload",
                            got="an empty file" if data is None else type(data).__name__,
                            hint="start from examples/llm-pipeline/cost.yaml")
    r.known(data, "", TOP)
    if data.get("schema_version", 1) != 1:
        raise r.error("schema_version", "1", data["schema_version"])
    source = r.section(data, "source", ("provider", "offer", "region"), required=True)
    work = r.section(data, "workload", ("params", "tokens", "layers", "d_model", "seq_len", "mfu", "bench"),
                     required=True)
    stored = r.section(data, "data", ("dataset_gb", "checkpoint_gb", "checkpoints_kept"))
    egress = r.section(data, "egress", ("migration_gb", "monthly_gb", "migration_date", "assume_waiver"))
    compare = r.section(data, "compare", ("providers", "purchase", "accelerators", "countries"))
    sens = r.section(data, "sensitivity", ("price_pct", "throughput_pct"))

    shape = [r.whole(work, f"workload.{k}") for k in ("layers", "d_model", "seq_len")]
    if any(shape) and not all(shape):
        raise r.error("workload.layers, d_model, seq_len", "all three or none (they give the attention FLOPs)",
                      f"layers={shape[0]}, d_model={shape[1]}, seq_len={shape[2]}")
    dataset_gb = r.number(stored, "data.dataset_gb", default=0.0, above=False)
    checkpoint_gb = r.number(stored, "data.checkpoint_gb", default=0.0, above=False)
    kept = r.whole(stored, "data.checkpoints_kept", default=1)
    assume_waiver = egress.get("assume_waiver", False)
    if not isinstance(assume_waiver, bool):
        raise r.error("egress.assume_waiver", "true or false", assume_waiver)
    return Job(
        path=path,
        name=str(data.get("name") or Path(path).stem),
        source_provider=r.text(source, "source.provider", required=True),
        source_offer=r.text(source, "source.offer", required=True),
        source_region=r.text(source, "source.region"),
        gpus=r.whole(data, "gpus", required=True),
        params=r.number(work, "workload.params", required=True),
        tokens=r.number(work, "workload.tokens", required=True),
        layers=shape[0], d_model=shape[1], seq_len=shape[2],
        mfu=r.number(work, "workload.mfu", default=DEFAULT_MFU, high=1.0),
        measurements=_measurements(r, work, read_bench),
        dataset_gb=dataset_gb, checkpoint_gb=checkpoint_gb, checkpoints_kept=kept,
        duration_months=r.number(data, "duration_months"),
        migration_gb=r.number(egress, "egress.migration_gb", default=dataset_gb + checkpoint_gb * kept, above=False),
        monthly_egress_gb=r.number(egress, "egress.monthly_gb", default=0.0, above=False),
        migration_date=r.date(egress, "egress.migration_date"),
        assume_waiver=assume_waiver,
        currency=_currency(r, data),
        fx=_fx(r, data),
        providers=r.names(compare, "compare.providers"),
        purchase=r.names(compare, "compare.purchase", PURCHASES) or ("on-demand",),
        accelerators=r.names(compare, "compare.accelerators"),
        countries=tuple(c.upper() for c in r.names(compare, "compare.countries") or ()) or None,
        price_pct=r.number(sens, "sensitivity.price_pct", default=DEFAULT_SENSITIVITY_PCT, above=False, high=99),
        throughput_pct=r.number(sens, "sensitivity.throughput_pct", default=DEFAULT_SENSITIVITY_PCT, above=False,
                                high=99),
        weights=_weights(r, data),
        latency_ms=_latency(r, data),
    )


def _measurements(r: _Reader, work: dict, read_bench) -> dict:
    paths = r.names(work, "workload.bench") or ()
    if paths and read_bench is None:
        raise r.error("workload.bench", "no bench files here (this job was not read from a file)", list(paths))
    out: dict[str, Measurement] = {}
    for p in paths:
        m = read_bench(p)
        if m.accelerator in out:
            raise r.error("workload.bench", "one result per accelerator", f"{out[m.accelerator].path} and {m.path} "
                          f"both measure {m.accelerator}", hint="keep the result you trust for each accelerator")
        out[m.accelerator] = m
    return out


def _currency(r: _Reader, data: dict) -> str | None:
    value = data.get("currency")
    if value is not None and value not in CURRENCIES:
        raise r.error("currency", f"one of {', '.join(CURRENCIES)}", value)
    return value


def _fx(r: _Reader, data: dict) -> Fx | None:
    fx = data.get("fx")
    if fx is None:
        return None
    if not isinstance(fx, dict):
        raise r.error("fx", "a mapping such as {EUR_USD: 1.08, as_of: 2026-11-20}", fx)
    as_of = r.date(fx, "fx.as_of")
    if as_of is None:
        raise r.error("fx.as_of", "the date of the rate, YYYY-MM-DD", "nothing",
                      hint="a rate without its date cannot be checked: add fx.as_of")
    rates = {}
    for key in fx:
        if key == "as_of":
            continue
        m = _FX_KEY.match(str(key))
        if not m or m.group(1) not in CURRENCIES or m.group(2) not in CURRENCIES or m.group(1) == m.group(2):
            raise r.error(f"fx.{key}", f"a pair such as EUR_USD (currencies: {', '.join(CURRENCIES)})", "an unknown pair")
        rates[(m.group(1), m.group(2))] = r.number(fx, f"fx.{key}")
    if not rates:
        raise r.error("fx", "at least one rate, such as EUR_USD: 1.08", "only as_of")
    return Fx(rates, as_of.isoformat())


def _weights(r: _Reader, data: dict) -> dict:
    weights = data.get("weights") or {}
    if not isinstance(weights, dict):
        raise r.error("weights", f"a mapping of factors ({', '.join(FACTORS)}) to weights", weights)
    r.known(weights, "weights.", FACTORS)
    out = {f: 1.0 for f in FACTORS}
    out.update({k: r.number(weights, f"weights.{k}", above=False) for k in weights})
    if not any(out.values()):
        raise r.error("weights", "at least one weight above 0", "all 0")
    return out


def _latency(r: _Reader, data: dict) -> dict:
    latency = data.get("latency_ms") or {}
    if not isinstance(latency, dict):
        raise r.error("latency_ms", "a mapping of provider to measured milliseconds", latency)
    return {str(k): r.number(latency, f"latency_ms.{k}", above=False) for k in latency}
