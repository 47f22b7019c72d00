"""The cost report: JSON (`kind: homeport-cost`, `schema_version: 1`, the form the HTML report charts), a
terminal view (rich tables) and Markdown. All three show the same things: the offers by total, sensitivity
and break-even, the scorecard with its evidence, the assumptions, the notes, what was skipped and why, and
every catalog row used with its source and date."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from homeport.catalog.egress import money
from homeport.cost.job import count
from homeport.cost.model import COMPONENTS, Estimate, OfferCost
from homeport.cost.scorecard import FACTORS

KIND = "homeport-cost"
SCHEMA_VERSION = 1
SHORT = {"hardware_availability": "avail", "throughput": "speed", "hourly_cost": "price", "egress": "egress",
         "latency_to_data": "latency", "legal_residency": "legal", "supply_chain_risk": "supply",
         "local_ai_ecosystem": "ecosys"}


# -- JSON ------------------------------------------------------------------------------------------------

def to_dict(e: Estimate) -> dict:
    job = e.job
    return {
        "schema_version": SCHEMA_VERSION, "kind": KIND,
        "job": {"name": job.name, "path": job.path, "gpus": job.gpus, "params": job.params, "tokens": job.tokens,
                "flops_per_token": e.flops_per_token, "mfu_assumed": job.mfu,
                "measured": [{"accelerator": k, "path": m.path} for k, m in job.measurements.items()],
                "stored_gb": job.stored_gb, "migration_gb": job.migration_gb,
                "monthly_egress_gb": job.monthly_egress_gb, "duration_months": job.duration_months,
                "migration_date": job.migration_date.isoformat() if job.migration_date else None,
                "assume_waiver": job.assume_waiver,
                "fx": {"rates": {f"{a}_{b}": r for (a, b), r in job.fx.rates.items()}, "as_of": job.fx.as_of}
                if job.fx else None,
                "sensitivity": {"price_pct": job.price_pct, "throughput_pct": job.throughput_pct},
                "weights": job.weights},
        "currency": e.currency,
        "source": {"provider": e.source.offer.provider, "offer": e.source.offer.offer, "total": e.source.total},
        "offers": [_offer_dict(e, rank, c) for rank, c in enumerate(e.offers, start=1)],
        "skipped": [{"provider": s.provider, "offer": s.offer, "reason": s.reason} for s in e.skipped],
        "assumptions": list(e.assumptions),
        "notes": list(e.notes),
        "catalog_rows": list(e.cites),
    }


def _offer_dict(e: Estimate, rank: int, c: OfferCost) -> dict:
    o, s, b = c.offer, c.sensitivity, c.break_even
    return {
        "rank": rank, "provider": o.provider, "offer": o.offer, "accelerator": o.accelerator, "region": o.region,
        "country": o.country, "purchase": o.purchase, "is_source": c.is_source, "gpus": c.gpus, "nodes": c.nodes,
        "price_per_gpu_hour": c.price_per_gpu_hour,
        "throughput": {"tokens_per_s_per_gpu": c.throughput.tokens_per_s, "basis": c.throughput.basis,
                       "sentence": c.throughput.sentence},
        "gpu_hours": c.gpu_hours, "hours_to_train": c.hours, "months_held": c.months,
        "components": {p.name: {"amount": p.amount, "sentence": p.sentence, "cites": list(p.cites),
                                "list_price": p.list_price} for p in c.components},
        "total": c.total, "complete": c.complete, "missing": list(c.missing),
        "per_million_tokens": e.per_million_tokens(c), "versus_source": _versus(e, c),
        "sensitivity": {"price_low": s.price_low, "price_high": s.price_high, "throughput_low": s.throughput_low,
                        "throughput_high": s.throughput_high, "best": s.best, "worst": s.worst,
                        "versus_source": s.versus_source},
        "break_even": None if b is None else {"price_per_gpu_hour": b.price_per_gpu_hour,
                                              "tokens_per_s_per_gpu": b.tokens_per_s, "sentence": b.sentence},
        "scorecard": {"score": c.scorecard.score,
                      "entries": [{"factor": x.factor, "score": x.score, "weight": x.weight, "evidence": x.evidence,
                                   "source": x.source, "confidence": x.confidence} for x in c.scorecard.entries]},
        "caveats": list(c.caveats),
        "catalog_row": {"source": o.source, "as_of": o.as_of, "confidence": o.confidence, "cite": o.cite()},
    }


def render_json(e: Estimate) -> str:
    return json.dumps(to_dict(e), indent=2) + "\n"


# -- shared wording --------------------------------------------------------------------------------------

def _versus(e: Estimate, c: OfferCost) -> float | None:
    """Relative difference of the total to today's, or None for today's offer itself."""
    return None if c.is_source or not e.source.total else c.total / e.source.total - 1


def _amount(value: float | None) -> str:
    return "no price" if value is None else f"{value:,.2f}"


def _total(c: OfferCost) -> str:
    return f"{c.total:,.2f}" if c.complete else f">= {c.total:,.2f}"  # a sum that misses a component is a floor


def _rate(c: OfferCost) -> str:
    return f"{c.throughput.tokens_per_s:,.0f} {c.throughput.basis[0]}"


def _hours(h: float) -> str:
    return f"{h:,.1f} h" if h < 48 else f"{h / 24:,.1f} d"


def _name(c: OfferCost) -> str:
    return f"{c.offer.offer} (today)" if c.is_source else c.offer.offer


def _heading(e: Estimate) -> list[str]:
    j = e.job
    return [f"homeport cost: {j.name} ({j.path})",
            f"{count(j.tokens)} tokens, {count(j.params)} parameters, {j.gpus} GPUs; amounts in {e.currency}; today: "
            f"{e.source.offer.provider} {e.source.offer.offer}, total {money(e.source.total, e.currency)}"]


def _cost_rows(e: Estimate) -> tuple[list[str], list[list[str]]]:
    head = ["#", "provider", "offer", "chip", "GPUs", "tok/s/GPU", "GPU-h", "time", "compute", "storage",
            "migration", "ongoing egress", "total", "per 1M tok", "vs today", "score"]
    out = []
    for rank, c in enumerate(e.offers, start=1):
        versus = _versus(e, c)
        out.append([str(rank), c.offer.provider, _name(c), c.offer.accelerator, str(c.gpus), _rate(c),
                    f"{c.gpu_hours:,.1f}", _hours(c.hours),
                    *(_amount(c.component(n).amount) for n in COMPONENTS), _total(c),
                    f"{e.per_million_tokens(c):.4f}", "-" if versus is None else f"{versus:+.0%}",
                    f"{c.scorecard.score:.2f}"])
    return head, out


def _sensitivity_rows(e: Estimate) -> tuple[list[str], list[list[str]]]:
    j = e.job
    head = ["#", "provider", "offer", f"price ±{j.price_pct:g}%", f"throughput ±{j.throughput_pct:g}%",
            "best..worst", "vs today", "break-even"]
    out = []
    for rank, c in enumerate(e.offers, start=1):
        s = c.sensitivity
        out.append([str(rank), c.offer.provider, _name(c), f"{s.price_low:,.2f}..{s.price_high:,.2f}",
                    f"{s.throughput_high:,.2f}..{s.throughput_low:,.2f}", f"{s.best:,.2f}..{s.worst:,.2f}",
                    s.versus_source or "-", c.break_even.sentence if c.break_even else "-"])
    return head, out


def _score_rows(e: Estimate) -> tuple[list[str], list[list[str]]]:
    factors = [f for f in FACTORS if any(x.factor == f for x in e.offers[0].scorecard.entries)]
    weights = {x.factor: x.weight for x in e.offers[0].scorecard.entries}
    head = ["#", "provider", "offer", *(f"{SHORT[f]} x{weights[f]:g}" for f in factors), "weighted"]
    out = []
    for rank, c in enumerate(e.offers, start=1):
        by = {x.factor: x for x in c.scorecard.entries}
        out.append([str(rank), c.offer.provider, _name(c),
                    *("-" if by[f].score is None else f"{by[f].score:.1f}" for f in factors),
                    f"{c.scorecard.score:.2f}"])
    return head, out


def _evidence(e: Estimate) -> list[str]:
    """Each provider's catalog evidence once; the computed factors cite the offer rows."""
    lines, seen = [], set()
    for c in e.offers:
        for x in c.scorecard.entries:
            key = (c.offer.provider, x.factor)
            if x.factor in ("throughput", "hourly_cost", "egress", "latency_to_data") or key in seen:
                continue
            seen.add(key)
            score = "no evidence, 0" if x.score is None else f"{x.score:g}"
            mark = " (unverified)" if x.confidence == "unverified" else ""
            lines.append(f"{c.offer.provider} {x.factor} {score}{mark}: {x.evidence} [{x.source}]")
    lines.append("throughput, hourly_cost and egress are computed from this job's figures and the offer and egress rows "
                 "below, scaled from the worst (0) to the best (5) of the offers compared")
    return lines


def _caveats(e: Estimate) -> list[str]:
    return [f"#{rank} {c.offer.provider} {c.offer.offer}: {'; '.join(c.caveats)}"
            for rank, c in enumerate(e.offers, start=1) if c.caveats]


def _sections(e: Estimate) -> list[tuple[str, list[str]]]:
    return [("notes", list(e.notes)), ("assumptions", list(e.assumptions)),
            ("caveats per offer", _caveats(e)),
            ("skipped", [f"{s.provider} {s.offer}: {s.reason}" for s in e.skipped]),
            ("scorecard evidence", _evidence(e)),
            ("catalog rows used", list(e.cites))]


# -- terminal --------------------------------------------------------------------------------------------

def render_text(e: Estimate, console: Console) -> None:
    for line in _heading(e):
        console.print(line, markup=False, highlight=False)
    for title, (head, rows) in (("cost per offer, by total (t/s: m = measured, e = expected)", _cost_rows(e)),
                                ("sensitivity and break-even against today's offer", _sensitivity_rows(e)),
                                ("scorecard (0-5 per factor, weights from the job)", _score_rows(e))):
        table = Table(title=title, title_justify="left")
        words = 4 if head[3] == "chip" else 3  # the columns of names; the rest are figures, right-aligned
        for i, name in enumerate(head):
            figure = i == 0 or (i >= words and not title.startswith("sensitivity"))
            table.add_column(name, justify="right" if figure else "left", overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    for title, lines in _sections(e):
        if lines:
            console.print(f"{title}:", style="bold", markup=False, highlight=False)
            for line in lines:
                console.print(f"  - {line}", markup=False, highlight=False)


# -- Markdown --------------------------------------------------------------------------------------------

def render_markdown(e: Estimate) -> str:
    heading = _heading(e)
    out = [f"# {heading[0]}", "", heading[1], ""]
    for title, (head, rows) in (("Cost per offer, by total", _cost_rows(e)),
                                ("Sensitivity and break-even", _sensitivity_rows(e)),
                                ("Scorecard", _score_rows(e))):
        out += [f"## {title}", "", _md_row(head), _md_row(["---"] * len(head)), *(_md_row(r) for r in rows), ""]
    for title, lines in _sections(e):
        if lines:
            out += [f"## {title[0].upper()}{title[1:]}", "", *(f"- {_md_escape(line)}" for line in lines), ""]
    return "\n".join(out)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(_md_escape(c) for c in cells) + " |"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
