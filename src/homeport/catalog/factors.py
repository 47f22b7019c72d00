"""The migration guide's qualitative factors per provider, with the evidence for each score.

`provider_factors.csv`: `provider`, `factor`, `score` (0-5, higher is better; empty where the research holds no
evidence: the scorecard then counts 0 and says so), `evidence` (the fact, in words), `confidence`, `source`,
`as_of`. The scores apply these rubrics to the evidence; change a row in your own copy if you weigh it otherwise:
- hardware_availability: 5 broad capacity of current GPUs shown in the EU; 4 current GPUs offered (or live at
  scale) with some gaps; 3 current GPUs with coverage uneven by SKU or region, or not checked; 2 capacity
  announced, not yet live; 1 no current training GPU found.
- legal_residency: 5 EU operator with no non-EU parent and a sovereignty qualification; 4 EU operator with no
  non-EU parent found; 3 EU operator with US operations or an unclear reach of non-EU law; 2 European but
  outside the EU (UK, CH) or with a non-EU ultimate parent; 1 US operator or parent (the CLOUD Act).
- supply_chain_risk (5 = least risk): 3 the NVIDIA dependence every cloud here shares; 2 an added
  hardware-origin or ownership risk.
- local_ai_ecosystem: 5 a European model maker's own cloud; 4 a European model maker runs on it;
  3 a tie that is not exclusive (a marketplace, a federation such as Gaia-X).

`groups()` sorts providers into hyperscalers and European providers for the claim check (cost/claims.py),
from the residency catalog: `kind` and `hq_country` of providers.py, the EEA (EU included) of countries.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from homeport.catalog import countries, offers, providers
from homeport.catalog.cells import choice, number
from homeport.catalog.rows import Row, read_rows

FILE = "provider_factors.csv"
COLUMNS = ("provider", "factor", "score", "evidence", "confidence", "source", "as_of")
CATALOG_FACTORS = ("hardware_availability", "legal_residency", "supply_chain_risk", "local_ai_ecosystem")
MAX_SCORE = 5.0
EUROPE = "EEA"  # the EU and IS, LI, NO: where a provider's headquarters make it European here


@dataclass(frozen=True)
class Factor:
    provider: str
    factor: str
    score: float | None  # None: no evidence
    evidence: str
    confidence: str
    source: str
    as_of: str
    line: int

    def cite(self) -> str:
        return f"{FILE} line {self.line}: {self.provider} {self.factor} [{self.source}; as of {self.as_of}]"


def parse(rows: list[Row], known: set[str]) -> dict[tuple[str, str], Factor]:
    out: dict[tuple[str, str], Factor] = {}
    for row in rows:
        provider = row["provider"]
        if provider not in known:
            raise row.bad("provider", f"{provider!r} is neither in {providers.PROVIDERS_FILE} nor in {offers.FILE}")
        factor = choice(row, "factor", CATALOG_FACTORS)
        if (provider, factor) in out:
            raise row.bad("factor", f"{factor} of {provider} is listed twice (line {out[(provider, factor)].line})")
        score = number(row, "score", optional=True)
        if score is not None and score > MAX_SCORE:
            raise row.bad("score", f"is {row['score']!r}, expected 0 to {MAX_SCORE:g}")
        out[(provider, factor)] = Factor(provider, factor, score, row["evidence"], row["confidence"], row["source"],
                                         row["as_of"], row.line)
    return out


def load(path: str | Path | None = None) -> dict[tuple[str, str], Factor]:
    known = {o.provider for o in offers.offers()} | set(providers.providers())
    return parse(read_rows(FILE, COLUMNS, required=("provider", "factor", "evidence", "confidence"), path=path), known)


@lru_cache(maxsize=1)
def factors() -> dict[tuple[str, str], Factor]:
    return load()


@lru_cache(maxsize=1)
def groups() -> dict[str, str]:
    """provider -> "hyperscaler" | "european"; the others (sovereign partners of hyperscalers, US neoclouds,
    providers.csv has not recorded) are absent, so the claim check leaves them out."""
    europe = countries.expand(EUROPE)
    out = {}
    for key, p in providers.providers().items():
        if p.kind == "hyperscaler":
            out[key] = "hyperscaler"
        elif p.kind in ("cloud", "neocloud") and p.hq_country in europe:
            out[key] = "european"
    return out
