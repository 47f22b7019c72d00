"""The guide's qualitative factors as a weighted scorecard, 0-5 per factor, every entry with its evidence.

Four factors come from this job's figures (throughput, hourly cost, egress price, measured latency to the
data), scaled between the worst (0) and the best (5) of the offers compared. The other four come from
catalog/data/provider_factors.csv, where each score cites its source. An entry without evidence counts 0
and says so; a factor nobody has evidence for (latency, unless the job gives measurements) is left out of
the weighting for everyone, and the report says that too.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeport.catalog.factors import CATALOG_FACTORS, MAX_SCORE, Factor

FACTORS = ("hardware_availability", "throughput", "hourly_cost", "egress", "latency_to_data", "legal_residency",
           "supply_chain_risk", "local_ai_ecosystem")
NO_LATENCY = ("latency_to_data is not scored: the job gives no measured latency_ms (measure the round trip to the "
              "data with `homeport data probe`; research/assessment-residency.md s4: measure it rather than assume it)")


@dataclass(frozen=True)
class Entry:
    factor: str
    score: float | None  # None: no evidence (counts 0)
    weight: float
    evidence: str
    source: str
    confidence: str = "reported"


@dataclass(frozen=True)
class Scorecard:
    entries: tuple[Entry, ...]
    score: float  # weighted mean, 0-5


@dataclass(frozen=True)
class Inputs:
    """One offer's figures, in the report currency."""
    provider: str
    tokens_per_s: float
    throughput_basis: str
    price_per_gpu_hour: float
    egress_per_gb: float | None  # None: unverified
    offer_cite: str
    egress_cite: str


def scale(value: float, values: list[float], *, higher_is_better: bool) -> float:
    """0 for the worst of `values`, 5 for the best, linear between; 5 for all when they are equal."""
    lo, hi = min(values), max(values)
    if hi == lo:
        return MAX_SCORE
    share = (value - lo) / (hi - lo)
    return MAX_SCORE * (share if higher_is_better else 1 - share)


def score(offers: list[Inputs], weights: dict, latency_ms: dict,
          facts: dict[tuple[str, str], Factor]) -> tuple[list[Scorecard], list[str]]:
    """A scorecard per offer (same order) and the sentences that say what was left out."""
    left_out = [] if latency_ms else [NO_LATENCY]
    used = {f: w for f, w in weights.items() if latency_ms or f != "latency_to_data"}
    rates = [o.tokens_per_s for o in offers]
    prices = [o.price_per_gpu_hour for o in offers]
    egress = [o.egress_per_gb for o in offers if o.egress_per_gb is not None]
    latencies = [latency_ms[o.provider] for o in offers if o.provider in latency_ms]
    cards = []
    for o in offers:
        entries = [
            Entry("throughput", scale(o.tokens_per_s, rates, higher_is_better=True), used.get("throughput", 0),
                  f"{o.tokens_per_s:,.0f} tokens/s per GPU ({o.throughput_basis})", o.offer_cite),
            Entry("hourly_cost", scale(o.price_per_gpu_hour, prices, higher_is_better=False), used.get("hourly_cost", 0),
                  f"{o.price_per_gpu_hour:.2f} per GPU-hour", o.offer_cite),
            _egress(o, egress, used.get("egress", 0)),
        ]
        if latency_ms:
            entries.append(_latency(o.provider, latency_ms, latencies, used.get("latency_to_data", 0)))
        entries += [_catalog(o.provider, f, facts, used.get(f, 0)) for f in CATALOG_FACTORS]
        entries.sort(key=lambda e: FACTORS.index(e.factor))
        total_weight = sum(e.weight for e in entries)
        value = sum((e.score or 0) * e.weight for e in entries) / total_weight if total_weight else 0.0
        cards.append(Scorecard(tuple(entries), value))
    return cards, left_out


def _egress(o: Inputs, prices: list[float], weight: float) -> Entry:
    if o.egress_per_gb is None:
        return Entry("egress", None, weight, "no egress price found (counts 0)", o.egress_cite, "unverified")
    return Entry("egress", scale(o.egress_per_gb, prices, higher_is_better=False), weight,
                 f"{o.egress_per_gb:.3f} per GB to the internet (first tier)", o.egress_cite)


def _latency(provider: str, latency_ms: dict, values: list[float], weight: float) -> Entry:
    if provider not in latency_ms:
        return Entry("latency_to_data", None, weight, "not measured (counts 0)", "the job's latency_ms", "unverified")
    ms = latency_ms[provider]
    return Entry("latency_to_data", scale(ms, values, higher_is_better=False), weight,
                 f"{ms:g} ms measured round trip to the data", "the job's latency_ms")


def _catalog(provider: str, factor: str, facts: dict, weight: float) -> Entry:
    fact = facts.get((provider, factor))
    if fact is None:
        return Entry(factor, None, weight, "no evidence in the catalog (counts 0)", "provider_factors.csv", "unverified")
    evidence = fact.evidence if fact.score is not None else f"{fact.evidence} (no score: counts 0)"
    return Entry(factor, fact.score, weight, evidence, fact.cite(), fact.confidence)
