"""The weighted scorecard: the job's weights decide, missing evidence counts 0 and says so."""

from __future__ import annotations

import pytest

from homeport.cost.model import estimate
from homeport.cost.scorecard import NO_LATENCY, Inputs, scale, score

from .helpers import catalog, fact, job, offer

ONLY = dict.fromkeys(("hardware_availability", "throughput", "hourly_cost", "egress", "latency_to_data",
                      "legal_residency", "supply_chain_risk", "local_ai_ecosystem"), 0.0)


def inputs(provider, price, rate=1000.0, egress=0.0) -> Inputs:
    return Inputs(provider, rate, "measured", price, egress, f"offer {provider}", f"egress {provider}")


def test_scale_runs_from_the_worst_to_the_best():
    assert scale(2.0, [2.0, 4.0, 6.0], higher_is_better=False) == 5.0
    assert scale(6.0, [2.0, 4.0, 6.0], higher_is_better=False) == 0.0
    assert scale(4.0, [2.0, 4.0, 6.0], higher_is_better=True) == 2.5
    assert scale(3.0, [3.0, 3.0], higher_is_better=True) == 5.0  # all equal: none is worse


def test_the_weights_decide_and_turn_the_ranking():
    # cheap: price 5, legal 1; dear: price 0, legal 5
    facts = {("cheap", "legal_residency"): fact("cheap", "legal_residency", 1),
             ("dear", "legal_residency"): fact("dear", "legal_residency", 5)}
    offers = [inputs("cheap", 2.0), inputs("dear", 10.0)]
    price_first = {**ONLY, "hourly_cost": 3.0, "legal_residency": 1.0}
    cards, _ = score(offers, price_first, {}, facts)
    assert cards[0].score == pytest.approx((3 * 5 + 1 * 1) / 4)  # 4.0
    assert cards[1].score == pytest.approx((3 * 0 + 1 * 5) / 4)  # 1.25
    law_first = {**ONLY, "hourly_cost": 1.0, "legal_residency": 3.0}
    cards, _ = score(offers, law_first, {}, facts)
    assert cards[0].score == pytest.approx((1 * 5 + 3 * 1) / 4)  # 2.0
    assert cards[1].score == pytest.approx((1 * 0 + 3 * 5) / 4)  # 3.75


def test_no_evidence_counts_zero_and_says_so():
    cards, _ = score([inputs("a", 2.0, egress=None), inputs("b", 3.0)], {**ONLY, "egress": 1.0,
                                                                         "local_ai_ecosystem": 1.0}, {}, {})
    by = {e.factor: e for e in cards[0].entries}
    assert by["egress"].score is None and "no egress price found (counts 0)" in by["egress"].evidence
    assert by["local_ai_ecosystem"].score is None and "no evidence" in by["local_ai_ecosystem"].evidence
    assert cards[0].score == 0.0
    assert cards[1].score == pytest.approx(5 / 2)  # egress 5 (the only priced one), ecosystem 0


def test_latency_is_left_out_unless_measured():
    weights = {**ONLY, "hourly_cost": 1.0, "latency_to_data": 1.0}
    cards, notes = score([inputs("a", 2.0), inputs("b", 3.0)], weights, {}, {})
    assert notes == [NO_LATENCY] and all(e.factor != "latency_to_data" for e in cards[0].entries)
    assert cards[0].score == 5.0  # only hourly_cost is weighed
    cards, notes = score([inputs("a", 2.0), inputs("b", 3.0)], weights, {"a": 40.0, "b": 4.0}, {})
    assert notes == []
    # a: price 5, latency 0 -> 2.5; b: price 0, latency 5 -> 2.5
    assert [c.score for c in cards] == [pytest.approx(2.5), pytest.approx(2.5)]


def test_every_catalog_entry_cites_its_row_in_the_estimate():
    cat = catalog(offer("aws", "p5", 6.88), offer("nebius", "8x H100", 2.95),
                  facts=[fact("nebius", "legal_residency", 3, "NL headquarters")])
    result = estimate(job(weights={"legal_residency": 2}), cat)
    nebius = next(c for c in result.offers if c.offer.provider == "nebius")
    legal = next(e for e in nebius.scorecard.entries if e.factor == "legal_residency")
    assert (legal.score, legal.weight, legal.evidence) == (3, 2, "NL headquarters")
    assert legal.source.startswith("provider_factors.csv line 5") and "test source" in legal.source
    assert legal.source in result.cites
    throughput = next(e for e in nebius.scorecard.entries if e.factor == "throughput")
    assert throughput.source.startswith("gpu_offers.csv line 2: nebius 8x H100")
