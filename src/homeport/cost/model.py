"""The cost model: a job against the catalog's offers -> per offer GPU-hours, time, cost by component, total,
cost per 1M tokens, sensitivity, break-even against today's offer, and a scorecard. No I/O of its own: the
job comes parsed (job.py) and the tables from the catalog's cached loaders, or from the `Catalog` a test builds.

The work is fixed (the job's tokens), so a faster chip needs fewer GPU-hours: GPU-hours = tokens /
(tokens/s per GPU x 3600), and compute = GPU-hours x the price per GPU-hour (offers.py converts per-node
prices). The data is held where the compute is (storage) and read out each month (ongoing egress); moving
it once costs the source's egress (migration), which an exit waiver or the EU Data Act can bring to 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from homeport.catalog import accelerators, egress
from homeport.catalog import factors as factors_mod
from homeport.catalog import offers as offers_mod
from homeport.catalog import storage as storage_mod
from homeport.catalog.egress import EU_DATA_ACT, EU_DATA_ACT_SWITCHING_BAN, NoPrice, money
from homeport.catalog.offers import GpuOffer
from homeport.core.errors import HomeportError
from homeport.cost import claims, scorecard, throughput
from homeport.cost.currency import Converter
from homeport.cost.job import Job, count
from homeport.cost.scorecard import Scorecard
from homeport.cost.throughput import Throughput

HOURS_PER_MONTH = 730.0  # 365 x 24 / 12
GB = 10**9
COMPONENTS = ("compute", "storage", "migration_egress", "ongoing_egress")
FACTOR_CITE = f"{factors_mod.FILE} line "
RESERVED_NOTE = ("reserved and committed pricing is typically quoted 30-50% below on-demand (mercatus-ai.com, 2026-05; "
                 "research/cost-performance.md s4.1); only the reserved rows in the catalog model it")


@dataclass(frozen=True)
class Catalog:
    offers: tuple[GpuOffer, ...]
    storage: dict  # provider -> StoragePrice
    factors: dict  # (provider, factor) -> Factor
    groups: dict  # provider -> "hyperscaler" | "european"

    @staticmethod
    def packaged() -> Catalog:
        return Catalog(offers_mod.offers(), storage_mod.storage_prices(), factors_mod.factors(), factors_mod.groups())


@dataclass(frozen=True)
class Component:
    name: str  # one of COMPONENTS
    amount: float | None  # in the report currency; None: no price found
    sentence: str
    cites: tuple[str, ...] = ()
    list_price: float | None = None  # migration: the list price before a waiver or the Data Act


@dataclass(frozen=True)
class Sensitivity:
    price_low: float
    price_high: float
    throughput_low: float  # total when throughput is lower by the job's percentage (dearer)
    throughput_high: float
    best: float
    worst: float
    versus_source: str  # "cheaper in every case" | "dearer in every case" | "depends" | "" (the source itself)


@dataclass(frozen=True)
class BreakEven:
    price_per_gpu_hour: float | None  # the price at which the offer's total equals the source's
    tokens_per_s: float | None  # the throughput per GPU at which it does
    sentence: str


@dataclass(frozen=True)
class OfferCost:
    offer: GpuOffer
    is_source: bool
    throughput: Throughput
    gpus: int
    nodes: int | None
    gpu_hours: float
    hours: float
    months: float
    price_per_gpu_hour: float  # report currency
    components: tuple[Component, ...]
    caveats: tuple[str, ...]
    sensitivity: Sensitivity | None = None
    break_even: BreakEven | None = None
    scorecard: Scorecard | None = None

    @property
    def total(self) -> float:
        """The sum of the components that have a price; see `complete`."""
        return sum(c.amount for c in self.components if c.amount is not None)

    @property
    def complete(self) -> bool:
        return all(c.amount is not None for c in self.components)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.components if c.amount is None)

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)


@dataclass(frozen=True)
class Skipped:
    provider: str
    offer: str
    reason: str


@dataclass(frozen=True)
class Estimate:
    job: Job
    currency: str
    flops_per_token: float
    offers: tuple[OfferCost, ...]  # by total, the source among them
    source: OfferCost
    skipped: tuple[Skipped, ...]
    assumptions: tuple[str, ...]
    notes: tuple[str, ...]
    cites: tuple[str, ...]  # every catalog row the figures use

    def per_million_tokens(self, cost: OfferCost) -> float:
        return cost.total / self.job.tokens * 1e6


def estimate(job: Job, catalog: Catalog | None = None, *, providers: tuple[str, ...] | None = None) -> Estimate:
    """`providers` (the CLI's --provider) replaces the job's compare.providers."""
    catalog = catalog or Catalog.packaged()
    wanted = _check_names(job, catalog, providers or job.providers)
    source_offer = _source_offer(job, catalog)
    currency = job.currency or source_offer.currency
    conv = Converter(currency, job.fx)
    flops = throughput.flops_per_token(job.params, job.layers, job.d_model, job.seq_len)
    chosen, skipped, filtered = _select(job, catalog, wanted, source_offer, flops)
    costs = [_cost(job, o, o is source_offer, rate, conv, catalog.storage) for o, rate in chosen]
    source = next(c for c in costs if c.is_source)
    costs = [_finish(job, c, source) for c in costs]
    cards, card_notes = scorecard.score([_inputs(c, conv) for c in costs], job.weights, job.latency_ms, catalog.factors)
    costs = sorted((replace(c, scorecard=card) for c, card in zip(costs, cards)), key=lambda c: (c.total, not c.complete))
    source = next(c for c in costs if c.is_source)
    verdict = claims.check(catalog.offers, catalog.groups)
    notes = ([verdict.sentence] if verdict else []) + [EU_DATA_ACT] + card_notes
    cites = _cites(costs, catalog, verdict, skipped)
    return Estimate(job, currency, flops, tuple(costs), source, tuple(skipped),
                    tuple(_assumptions(job, flops, currency, conv, filtered, _filters(job, wanted))), tuple(notes), cites)


# -- which offers ---------------------------------------------------------------------------------------

def _check_names(job: Job, catalog: Catalog, wanted: tuple[str, ...] | None) -> tuple[str, ...] | None:
    known = sorted({o.provider for o in catalog.offers} | {p for p, _ in catalog.factors})
    for name in wanted or ():
        if name not in known:
            raise HomeportError(f"unknown provider {name!r}", expected=f"one of {', '.join(known)}", got=name,
                                hint="use a provider key of catalog/data/gpu_offers.csv")
    if job.source_provider not in known:
        raise HomeportError(f"job file {job.path}: field source.provider is not valid",
                            expected=f"one of {', '.join(known)}", got=job.source_provider,
                            hint="name the provider the pipeline runs on today")
    keys = [a.accelerator for a in accelerators.accelerators()]
    for name in job.accelerators or ():
        if name not in keys:
            raise HomeportError(f"job file {job.path}: field compare.accelerators is not valid",
                                expected=f"keys of accelerators.csv ({', '.join(keys)})", got=name,
                                hint="use the catalog's key, e.g. H100-SXM")
    return wanted


def _source_offer(job: Job, catalog: Catalog) -> GpuOffer:
    mine = [o for o in catalog.offers if o.provider == job.source_provider]
    found = [o for o in mine if o.offer.lower() == job.source_offer.lower()
             and (job.source_region is None or o.region == job.source_region)]
    listed = "; ".join(sorted({f"{o.offer} ({o.region or 'region not recorded'})" for o in mine if o.priced})) or "none"
    if not found:
        raise HomeportError(f"job file {job.path}: field source.offer is not valid",
                            expected=f"an offer of {job.source_provider} in gpu_offers.csv: {listed}",
                            got=job.source_offer + (f" in {job.source_region}" if job.source_region else ""),
                            hint="name today's instance type as the catalog spells it")
    if len(found) > 1:
        raise HomeportError(f"job file {job.path}: source {job.source_offer} is ambiguous",
                            expected="one catalog row", got=f"{len(found)} rows, in {', '.join(o.region for o in found)}",
                            hint="add source.region")
    if not found[0].priced:
        raise HomeportError(f"job file {job.path}: the source offer has no price", expected="a priced offer",
                            got=found[0].cite(), hint="name a priced offer as the source")
    return found[0]


def _select(job: Job, catalog: Catalog, wanted, source_offer: GpuOffer, flops: float):
    chosen, skipped, filtered = [], [], 0
    for o in catalog.offers:
        if o is not source_offer:
            if ((wanted and o.provider not in wanted) or o.purchase not in job.purchase
                    or (job.accelerators and o.accelerator and o.accelerator not in job.accelerators)):
                filtered += 1
                continue
            if not o.priced:
                skipped.append(Skipped(o.provider, o.offer, f"no price found: {o.note} [{o.source}; as of {o.as_of}]"))
                continue
            if job.countries and o.country not in job.countries:
                where = f"in {o.country}" if o.country else "its country is not recorded"
                skipped.append(Skipped(o.provider, o.offer, f"outside compare.countries ({where})"))
                continue
        rate = throughput.for_accelerator(o.accelerator, params=job.params, flops=flops, mfu=job.mfu,
                                          measurements=job.measurements)
        if rate is None:
            if o is source_offer:
                raise HomeportError(f"no throughput for the source's accelerator {o.accelerator}",
                                    expected="a dense BF16 peak in accelerators.csv or a bench result",
                                    got="neither", hint="add a `homeport bench` result for it to workload.bench")
            skipped.append(Skipped(o.provider, o.offer, f"no throughput: {o.accelerator} has no dense BF16 peak in "
                                   "accelerators.csv and no bench result in the job"))
            continue
        chosen.append((o, rate))
    return chosen, skipped, filtered


# -- one offer ------------------------------------------------------------------------------------------

def _cost(job: Job, o: GpuOffer, is_source: bool, rate: Throughput, conv: Converter, storage: dict) -> OfferCost:
    price = conv.convert(o.price_per_gpu_hour, o.currency, f"{o.provider} {o.offer}")
    gpus, nodes, caveats = _gpus(job.gpus, o.gpus_per_node)
    gpu_hours = job.tokens / (rate.tokens_per_s * 3600)
    hours = gpu_hours / gpus
    months = job.duration_months if job.duration_months is not None else hours / HOURS_PER_MONTH
    per = f"{o.price_per_hour:g} {o.currency} per {o.gpus_per_node}-GPU node = " if o.price_unit == "node" else ""
    compute = Component("compute", gpu_hours * price,
                        f"{gpu_hours:,.1f} GPU-hours x {per}{price:.4g} {conv.currency} per GPU-hour", (o.cite(),))
    parts = (compute, _storage(job, storage.get(o.provider), o.provider, months, conv), _migration(job, o.provider, conv),
             _ongoing(job, o.provider, months, conv))
    if o.confidence == "unverified":
        caveats += (f"the price is unverified: {o.note}",)
    return OfferCost(o, is_source, rate, gpus, nodes, gpu_hours, hours, months, price, parts, caveats)


def _gpus(asked: int, per_node: int | None) -> tuple[int, int | None, tuple[str, ...]]:
    if per_node is None:
        return asked, None, (f"node size not recorded: {asked} GPUs assumed available together",)
    nodes = math.ceil(asked / per_node)
    caveats = ()
    if nodes * per_node != asked:
        caveats += (f"{asked} GPUs asked, rented as {nodes} x {per_node} = {nodes * per_node} (whole nodes)",)
    if per_node == 1 and asked > 1:
        caveats += (f"a 1-GPU offer: {asked} GPUs are {asked} machines; linear scaling across them needs an "
                    "interconnect the offer may not have",)
    return nodes * per_node, nodes, caveats


def _storage(job: Job, row, provider: str, months: float, conv: Converter) -> Component:
    if job.stored_gb == 0:
        return Component("storage", 0.0, "none: the job stores no data (data.dataset_gb, data.checkpoint_gb)")
    if row is None:
        return Component("storage", None, f"no price found: the catalog has no storage price for {provider}")
    try:
        monthly = row.monthly(job.stored_gb)
    except NoPrice as exc:
        return Component("storage", None, f"no price found: {exc}", (row.cite(),))
    amount = conv.convert(monthly * months, row.currency, f"{provider} storage")
    return Component("storage", amount, f"{job.stored_gb:,.0f} GB for {months:.3g} months at "
                     f"{money(monthly, row.currency)} a month", (row.cite(),))


def _tariff_cite(provider: str) -> str:
    t = egress.tariffs()[(provider, "internet")]
    price = f"{t.tiers[0].price_per_gb} {t.currency}/GB first tier" if t.priced else "unverified"
    return f"egress_prices.csv: {provider} internet, {price} [{t.source}; as of {t.as_of}]"


def _migration(job: Job, provider: str, conv: Converter) -> Component:
    src = job.source_provider
    if provider == src:
        return Component("migration_egress", 0.0, f"none: the data stays at {src}")
    if job.migration_gb == 0:
        return Component("migration_egress", 0.0, "none: egress.migration_gb is 0")
    try:
        cost = egress.egress_cost(src, int(job.migration_gb * GB))
    except NoPrice as exc:
        return Component("migration_egress", None, f"no price found: {exc}")
    cite = (_tariff_cite(src),)
    listed = conv.convert(float(cost.list_price), cost.currency, f"egress out of {src}")
    tariff = egress.tariffs()[(src, "internet")]
    if job.migration_date and job.migration_date >= EU_DATA_ACT_SWITCHING_BAN:
        return Component("migration_egress", 0.0, f"0: the move is dated {job.migration_date}, when the EU Data Act "
                         f"bans switching charges (list price {money(listed, conv.currency)})", cite, listed)
    if job.assume_waiver and tariff.exit_waiver in ("yes", "on-request"):
        return Component("migration_egress", 0.0, f"0: {src}'s exit waiver assumed granted (egress.assume_waiver; "
                         f"list price {money(listed, conv.currency)}): {tariff.waiver_note}", cite, listed)
    waiver = {"on-request": f"0 if {src}'s exit waiver is granted ({tariff.waiver_note}); set egress.assume_waiver",
              "yes": f"0 with {src}'s exit waiver ({tariff.waiver_note}); set egress.assume_waiver"}.get(
        tariff.exit_waiver, f"no exit waiver known for {src}")
    return Component("migration_egress", listed, f"{cost.sentence()}; {waiver}", cite, listed)


def _ongoing(job: Job, provider: str, months: float, conv: Converter) -> Component:
    if job.monthly_egress_gb == 0:
        return Component("ongoing_egress", 0.0, "none: egress.monthly_gb is 0")
    try:
        cost = egress.egress_cost(provider, int(job.monthly_egress_gb * GB), monthly_free=True)
    except NoPrice as exc:
        return Component("ongoing_egress", None, f"no price found: {exc}")
    amount = conv.convert(float(cost.list_price) * months, cost.currency, f"egress out of {provider}")
    return Component("ongoing_egress", amount, f"{months:.3g} months x {cost.sentence()} a month",
                     (_tariff_cite(provider),))


# -- against the source ---------------------------------------------------------------------------------

def _finish(job: Job, c: OfferCost, source: OfferCost) -> OfferCost:
    compute = c.component("compute").amount
    rest = c.total - compute
    x, y = job.price_pct / 100, job.throughput_pct / 100
    best, worst = rest + compute * (1 - x) / (1 + y), rest + compute * (1 + x) / (1 - y)
    versus = ""
    if not c.is_source:
        versus = ("cheaper in every case" if worst < source.total else
                  "dearer in every case" if best > source.total else "depends")
        unpriced = sorted(set(c.missing) | set(source.missing))
        if unpriced:
            versus += f" ({', '.join(unpriced)} not priced)"
    sens = Sensitivity(rest + compute * (1 - x), rest + compute * (1 + x), rest + compute / (1 - y),
                       rest + compute / (1 + y), best, worst, versus)
    return replace(c, sensitivity=sens, break_even=None if c.is_source else _break_even(c, source, compute, rest))


def _break_even(c: OfferCost, source: OfferCost, compute: float, rest: float) -> BreakEven:
    room = source.total - rest  # what compute may cost for the totals to be equal
    partial = "" if c.complete and source.complete else " (from the components that have a price)"
    if room <= 0:
        return BreakEven(None, None, f"never: its other costs alone ({rest:,.2f}) reach the source's total "
                                     f"({source.total:,.2f}){partial}")
    price = c.price_per_gpu_hour * room / compute
    rate = c.throughput.tokens_per_s * compute / room
    return BreakEven(price, rate, f"equal to the source at {price:.2f} per GPU-hour (now {c.price_per_gpu_hour:.2f}) "
                                  f"or at {rate:,.0f} tokens/s per GPU (now {c.throughput.tokens_per_s:,.0f}){partial}")


def _inputs(c: OfferCost, conv: Converter) -> scorecard.Inputs:
    tariff = egress.tariffs().get((c.offer.provider, "internet"))
    per_gb, cite = None, f"egress_prices.csv: no row for {c.offer.provider}"
    if tariff is not None:
        cite = _tariff_cite(c.offer.provider)
        if tariff.priced:
            per_gb = conv.convert(float(tariff.tiers[0].price_per_gb), tariff.currency,
                                  f"egress out of {c.offer.provider}")
    return scorecard.Inputs(c.offer.provider, c.throughput.tokens_per_s, c.throughput.basis, c.price_per_gpu_hour,
                            per_gb, c.offer.cite(), cite)


# -- what the figures rest on ---------------------------------------------------------------------------

def _assumptions(job: Job, flops: float, currency: str, conv: Converter, filtered: int,
                 filters: list[str]) -> list[str]:
    shape = (f"6N + 12·L·d·T = 6 x {count(job.params)} + 12 x {job.layers} x {job.d_model} x {job.seq_len}"
             if job.layers else f"6N = 6 x {count(job.params)} (no layers/d_model/seq_len: attention FLOPs left out)")
    measured = ", ".join(f"{k} ({m.path})" for k, m in job.measurements.items())
    out = [
        f"work: {count(job.tokens)} tokens of a {count(job.params)}-parameter model at {flops:.3g} FLOP per token "
        f"({shape})",
        f"throughput: measured for {measured}; elsewhere " if measured else "throughput: ",
        "scaling is linear in the number of GPUs and nodes; GPUs are rented in whole nodes where the node size "
        "is known; billing by the second, without setup, idle or failed-run time",
        f"storage: {job.stored_gb:,.0f} GB (dataset {job.dataset_gb:,.0f} GB + {job.checkpoints_kept} checkpoints of "
        f"{job.checkpoint_gb:,.0f} GB) held at the provider that computes, "
        + (f"for {job.duration_months:g} months (duration_months)" if job.duration_months is not None else
           f"for the time to train ({HOURS_PER_MONTH:g} hours a month); set duration_months to hold it longer"),
        f"migration egress: {job.migration_gb:,.0f} GB out of {job.source_provider} once, at list price unless "
        "egress.assume_waiver or a migration_date from 2027-01-12 (EU Data Act)",
        f"ongoing egress: {job.monthly_egress_gb:,.0f} GB a month out of the provider that holds the data, after its "
        "monthly allowance; ingress, requests and inter-region traffic are not priced",
        f"sensitivity varies the GPU price by {job.price_pct:g}% and throughput by {job.throughput_pct:g}%; break-even "
        "is against today's offer, kept as it is",
        f"amounts in {currency}" + (f"; {'; '.join(conv.sentences())}" if conv.used else ""),
        "list prices of the dates shown, never checked live; " + RESERVED_NOTE,
    ]
    out[1] += (f"expected = dense BF16 peak x the job's assumed MFU {job.mfu:g} / FLOPs per token (an assumption: "
               "measure it with `homeport bench`)")
    if filtered:
        out.append(f"{filtered} catalog offers left out by the filters ({'; '.join(filters)})")
    return out


def _filters(job: Job, wanted) -> list[str]:
    out = [f"purchase: {', '.join(job.purchase)}"]
    if wanted:
        out.append(f"providers: {', '.join(wanted)}")
    if job.accelerators:
        out.append(f"accelerators: {', '.join(job.accelerators)}")
    return out


def _cites(costs: list[OfferCost], catalog: Catalog, verdict, skipped) -> tuple[str, ...]:
    out: list[str] = []
    for c in costs:
        out += [cite for part in c.components for cite in part.cites]
        acc = accelerators.find(c.offer.accelerator)
        if c.throughput.basis == "expected" and acc:
            out.append(f"accelerators.csv: {acc.accelerator} {acc.bf16_dense_tflops:g} TFLOP/s dense BF16 "
                       f"[{acc.source}; as of {acc.as_of}]")
        out += [e.source for e in (c.scorecard.entries if c.scorecard else ()) if e.source.startswith(FACTOR_CITE)]
    if verdict:
        out += [o.cite() for o in catalog.offers if o.priced and o.accelerator == claims.ACCELERATOR
                and o.purchase == "on-demand" and o.currency == "USD" and o.provider in catalog.groups]
    for s in skipped:
        out += [o.cite() for o in catalog.offers if (o.provider, o.offer) == (s.provider, s.offer)]
    return tuple(dict.fromkeys(out))
