"""A common claim checked against the catalog: the report says so where the catalog's sources contradict it."""

from __future__ import annotations

from dataclasses import dataclass

CLAIM = "global GPU clouds cost ~$30-40/h and sovereign ones $45-65/h"
CLAIM_SOURCE = ("research/cost-performance.md s4.4 item 1 (the seed's claim; no public source supports $45-65/h "
                "per GPU anywhere), as of 2026-11-27")
ACCELERATOR = "H100-SXM"  # the chip both sides offer most; per-node figures are for 8 GPUs
NODE = 8


@dataclass(frozen=True)
class Verdict:
    sentence: str
    hyperscaler: tuple[float, float]  # per GPU-hour, USD
    european: tuple[float, float]
    reversed: bool


def check(offers, groups: dict[str, str]) -> Verdict | None:
    """Compare on-demand H100 SXM list prices in USD of hyperscalers and European providers; None when one side
    has no such offer. `groups`: provider -> group (providers.csv)."""
    prices: dict[str, list[tuple[float, str]]] = {"hyperscaler": [], "european": []}
    for o in offers:
        group = groups.get(o.provider)
        if (o.priced and o.accelerator == ACCELERATOR and o.purchase == "on-demand" and o.currency == "USD"
                and group in prices):
            prices[group].append((o.price_per_gpu_hour, o.provider))
    if not all(prices.values()):
        return None
    hyper = (min(p for p, _ in prices["hyperscaler"]), max(p for p, _ in prices["hyperscaler"]))
    euro = (min(p for p, _ in prices["european"]), max(p for p, _ in prices["european"]))
    reversed_ = euro[1] < hyper[0]
    finding = ("the catalog shows the reverse" if reversed_ else
               "the catalog does not support it either way (the ranges overlap)")
    sentence = (f"A common claim says {CLAIM}; {finding}: on-demand {ACCELERATOR} list prices are "
                f"{_range(hyper)} USD per GPU-hour at hyperscalers ({_range(hyper, NODE)} per {NODE}-GPU node) against "
                f"{_range(euro)} at European providers ({_range(euro, NODE)} per node), from the gpu_offers.csv rows "
                f"below [{CLAIM_SOURCE}]")
    return Verdict(sentence, hyper, euro, reversed_)


def _range(pair: tuple[float, float], times: int = 1) -> str:
    return f"{pair[0] * times:.2f}-{pair[1] * times:.2f}"
