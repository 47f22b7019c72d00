"""The cost model against hand-computed cases: the arithmetic is written in each test."""

from __future__ import annotations

import pytest

from homeport.core.errors import HomeportError
from homeport.cost.model import estimate

from .helpers import MEASURED, catalog, job, offer, storage


def by_provider(result, provider):
    return next(c for c in result.offers if c.offer.provider == provider)


def test_compute_is_gpu_hours_times_the_price_per_gpu_hour():
    # 2.88e9 tokens / (1,000 tokens/s x 3,600) = 800 GPU-hours = 8 GPUs x 100 h; 800 x 2.95 = 2,360
    cat = catalog(offer("aws", "p5", 6.88), offer("nebius", "8x H100", 2.95))
    result = estimate(job(**MEASURED), cat)
    nebius = by_provider(result, "nebius")
    assert nebius.gpu_hours == pytest.approx(800)
    assert nebius.hours == pytest.approx(100)
    assert nebius.component("compute").amount == pytest.approx(2360)
    assert nebius.total == pytest.approx(2360) and nebius.complete  # no data, no egress in this job
    assert result.per_million_tokens(nebius) == pytest.approx(2360 / 2880)  # 2.88e9 tokens = 2,880 M
    assert by_provider(result, "aws").component("compute").amount == pytest.approx(800 * 6.88)  # 5,504
    assert [c.offer.provider for c in result.offers] == ["nebius", "aws"]  # by total


def test_a_node_price_is_divided_by_the_node_and_never_taken_per_gpu():
    # 23.60 per 8-GPU node is 2.95 per GPU-hour: the same 2,360 as the per-GPU row, not 8 x 23.60 x 800
    cat = catalog(offer("aws", "p5", 55.04, unit="node"), offer("nebius", "node", 23.60, unit="node"),
                  offer("hyperstack", "gpu", 2.95))
    result = estimate(job(**MEASURED), cat)
    assert by_provider(result, "nebius").component("compute").amount == pytest.approx(2360)
    assert by_provider(result, "hyperstack").component("compute").amount == pytest.approx(2360)
    assert by_provider(result, "aws").price_per_gpu_hour == pytest.approx(6.88)  # 55.04 / 8


def test_gpus_are_rented_in_whole_nodes():
    # 12 GPUs asked from 8-GPU nodes: 2 nodes = 16 GPUs; the work (800 GPU-hours) is the same, the time 800/16 = 50 h
    cat = catalog(offer("aws", "p5", 6.88))
    cost = estimate(job(gpus=12, **MEASURED), cat).offers[0]
    assert (cost.gpus, cost.nodes) == (16, 2)
    assert cost.hours == pytest.approx(50)
    assert cost.component("compute").amount == pytest.approx(800 * 6.88)
    assert any("12 GPUs asked, rented as 2 x 8 = 16" in c for c in cost.caveats)


def test_a_one_gpu_offer_says_its_machines_are_separate():
    cat = catalog(offer("aws", "p5", 6.88), offer("seeweb", "1x", 1.89, unit="node", per_node=1, currency="USD"))
    cost = by_provider(estimate(job(**MEASURED), cat), "seeweb")
    assert cost.gpus == 8 and any("8 machines" in c for c in cost.caveats)


def test_expected_throughput_is_peak_times_mfu_over_flops_per_token():
    # H100-SXM: 989 TFLOP/s dense BF16; MFU 0.4; 6 x 1e9 FLOP per token -> 0.4 x 989e12 / 6e9 = 65,933.3 tokens/s
    result = estimate(job(), catalog(offer("aws", "p5", 6.88)))
    rate = result.offers[0].throughput
    assert rate.basis == "expected" and rate.tokens_per_s == pytest.approx(0.4 * 989e12 / 6e9)
    # with the shape: 6N + 12 x 24 x 2048 x 2048 = 6e9 + 1,207,959,552
    shaped = estimate(job(workload={"layers": 24, "d_model": 2048, "seq_len": 2048}), catalog(offer("aws", "p5", 6.88)))
    assert shaped.flops_per_token == 6e9 + 12 * 24 * 2048 * 2048
    assert any("MFU 0.4" in a and "assumption" in a for a in result.assumptions)


def test_a_measured_chip_uses_the_measurement_and_others_stay_expected():
    cat = catalog(offer("aws", "p5", 6.88), offer("nebius", "A100 node", 2.0, accelerator="A100-SXM"))
    result = estimate(job(**MEASURED), cat)
    h100, a100 = by_provider(result, "aws"), by_provider(result, "nebius")
    assert (h100.throughput.basis, h100.throughput.tokens_per_s) == ("measured", 1000)
    assert a100.throughput.basis == "expected"
    assert a100.throughput.tokens_per_s == pytest.approx(0.4 * 312e12 / 6e9)  # A100: 312 TFLOP/s


def test_storage_and_ongoing_egress_use_the_catalog_and_the_months():
    # storage: 1,000 GB x 0.023 x 2 months = 46; ongoing: (500 - 100 free) GB x 0.09 = 36 a month, x 2 = 72
    cat = catalog(offer("aws", "p5", 6.88), stores=[storage("aws", 0.023)])
    cost = estimate(job(data={"dataset_gb": 1000}, duration_months=2,
                        egress={"monthly_gb": 500}, **MEASURED), cat).offers[0]
    assert cost.component("storage").amount == pytest.approx(46)
    assert cost.component("ongoing_egress").amount == pytest.approx(72)
    assert cost.component("migration_egress").amount == 0  # the data stays at aws
    assert cost.total == pytest.approx(800 * 6.88 + 46 + 72)


def test_checkpoints_count_in_storage_and_the_months_default_to_the_time_to_train():
    # 100 GB + 3 x 10 GB = 130 GB; 100 h of training = 100/730 of a month; 130 x 0.02 x 100/730
    cat = catalog(offer("aws", "p5", 6.88), stores=[storage("aws", 0.02)])
    cost = estimate(job(data={"dataset_gb": 100, "checkpoint_gb": 10, "checkpoints_kept": 3},
                        **MEASURED), cat).offers[0]
    assert cost.months == pytest.approx(100 / 730)
    assert cost.component("storage").amount == pytest.approx(130 * 0.02 * 100 / 730)


def test_a_flat_fee_covers_storage_up_to_what_it_includes_and_no_further():
    # EUR 5 a month includes 1,000 GB: 500 GB for 2 months = 10 EUR = 11 USD at 1.10; 2,000 GB has no price
    cat = catalog(offer("aws", "p5", 6.88), offer("hetzner", "gpu", 2.0), stores=[
        storage("hetzner", None, "EUR", base=5, included=1000)])
    fx = {"EUR_USD": 1.10, "as_of": "2026-11-20"}
    small = estimate(job(data={"dataset_gb": 500}, duration_months=2, fx=fx, **MEASURED), cat)
    assert by_provider(small, "hetzner").component("storage").amount == pytest.approx(11)
    big = by_provider(estimate(job(data={"dataset_gb": 2000}, duration_months=2, fx=fx,
                                   **MEASURED), cat), "hetzner")
    assert big.component("storage").amount is None and not big.complete and big.missing == ("storage",)
    assert "above the 1000 GB" in big.component("storage").sentence
    assert big.total == pytest.approx(big.component("compute").amount + big.component("migration_egress").amount)


def test_migration_egress_is_the_sources_list_price_unless_waived_or_banned():
    # 1,000 GB out of AWS once: 1,000 x 0.09 = 90 USD (the first 10 TB tier; no monthly allowance on a one-off)
    cat = catalog(offer("aws", "p5", 6.88), offer("nebius", "8x H100", 2.95))
    listed = by_provider(estimate(job(egress={"migration_gb": 1000}, **MEASURED), cat), "nebius")
    move = listed.component("migration_egress")
    assert move.amount == pytest.approx(90) and "0 if aws's exit waiver is granted" in move.sentence
    waived = by_provider(estimate(job(egress={"migration_gb": 1000, "assume_waiver": True},
                                      **MEASURED), cat), "nebius").component("migration_egress")
    assert waived.amount == 0 and waived.list_price == pytest.approx(90) and "exit waiver assumed" in waived.sentence
    banned = by_provider(estimate(job(egress={"migration_gb": 1000,
                                                                     "migration_date": "2027-01-12"}, **MEASURED), cat),
                         "nebius").component("migration_egress")
    assert banned.amount == 0 and "EU Data Act" in banned.sentence
    before = by_provider(estimate(job(egress={"migration_gb": 1000,
                                                                     "migration_date": "2027-01-11"}, **MEASURED), cat),
                         "nebius").component("migration_egress")
    assert before.amount == pytest.approx(90)  # the day before the ban: the list price stands


def test_migration_egress_follows_the_tiers():
    # 12 TB out of AWS: 10,000 GB x 0.09 + 2,000 GB x 0.085 = 1,070
    cat = catalog(offer("aws", "p5", 6.88), offer("nebius", "8x H100", 2.95))
    result = estimate(job(egress={"migration_gb": 12000}), cat)
    assert by_provider(result, "nebius").component("migration_egress").amount == pytest.approx(1070)


def test_the_data_act_and_the_contradiction_are_stated_with_their_sources():
    cat = catalog(offer("aws", "p5", 6.88), offer("nebius", "8x H100", 2.95),
                  groups={"aws": "hyperscaler", "nebius": "european"})
    notes = " ".join(estimate(job(), cat).notes)
    assert "switching charges are banned" in notes and "2027-01-12" in notes
    assert "shows the reverse" in notes and "6.88-6.88 USD per GPU-hour at hyperscalers" in notes
    assert "2.95-2.95 at European providers" in notes and "s4.4" in notes


def test_mixed_currencies_without_a_rate_say_what_to_add():
    cat = catalog(offer("aws", "p5", 6.88), offer("scaleway", "H100", 2.00, currency="EUR"))
    with pytest.raises(HomeportError) as err:
        estimate(job(), cat)
    text = str(err.value)
    assert "scaleway H100 is priced in EUR and the report in USD" in text
    assert "fx: {EUR_USD: <USD per EUR>, as_of: YYYY-MM-DD}" in text and "--provider" in text


def test_a_dated_rate_converts_either_way():
    # 800 GPU-hours x 2.00 EUR = 1,600 EUR; at 1.10 USD per EUR: 1,760 USD; given as USD_EUR 0.8: 1,600 / 0.8 = 2,000
    cat = catalog(offer("aws", "p5", 6.88), offer("scaleway", "H100", 2.00, currency="EUR"))
    direct = estimate(job(fx={"EUR_USD": 1.10, "as_of": "2026-11-20"}, **MEASURED), cat)
    assert by_provider(direct, "scaleway").component("compute").amount == pytest.approx(1760)
    assert any("1.1 USD per EUR" in a and "2026-11-20" in a for a in direct.assumptions)
    inverse = estimate(job(fx={"USD_EUR": 0.8, "as_of": "2026-11-20"}, **MEASURED), cat)
    assert by_provider(inverse, "scaleway").component("compute").amount == pytest.approx(2000)
    in_euros = estimate(job(currency="EUR", fx={"EUR_USD": 1.10, "as_of": "2026-11-20"},
                            **MEASURED), cat)
    assert in_euros.currency == "EUR"
    assert by_provider(in_euros, "aws").component("compute").amount == pytest.approx(800 * 6.88 / 1.10)


def test_sensitivity_scales_compute_by_price_and_throughput():
    # compute 2,360 (nothing else); price ±20%: 1,888..2,832; throughput +20%: 2,360/1.2, -20%: 2,360/0.8 = 2,950
    # best 2,360 x 0.8/1.2 = 1,573.3; worst 2,360 x 1.2/0.8 = 3,540 < the source's 5,504: cheaper in every case
    cat = catalog(offer("aws", "p5", 6.88), offer("nebius", "8x H100", 2.95))
    s = by_provider(estimate(job(**MEASURED), cat), "nebius").sensitivity
    assert (s.price_low, s.price_high) == (pytest.approx(1888), pytest.approx(2832))
    assert (s.throughput_high, s.throughput_low) == (pytest.approx(2360 / 1.2), pytest.approx(2950))
    assert (s.best, s.worst) == (pytest.approx(2360 * 0.8 / 1.2), pytest.approx(3540))
    assert s.versus_source == "cheaper in every case"
    close = by_provider(estimate(job(**MEASURED),
                                 catalog(offer("aws", "p5", 6.88), offer("nebius", "8x H100", 6.00))), "nebius")
    assert close.sensitivity.versus_source == "depends"  # worst 4,800 x 1.5 = 7,200 > 5,504 > best 3,200


def test_break_even_price_and_throughput_against_the_source():
    # source: 800 x 6.88 = 5,504. Target: 2,360 compute + 90 migration (1,000 GB at 0.09).
    # equal totals at (5,504 - 90) / 800 = 6.7675 per GPU-hour, or at 1,000 x 2,360 / 5,414 tokens/s per GPU
    cat = catalog(offer("aws", "p5", 6.88), offer("nebius", "8x H100", 2.95))
    result = estimate(job(egress={"migration_gb": 1000}, **MEASURED), cat)
    even = by_provider(result, "nebius").break_even
    assert even.price_per_gpu_hour == pytest.approx((5504 - 90) / 800)
    assert even.tokens_per_s == pytest.approx(1000 * 2360 / 5414)
    assert result.source.break_even is None and result.source.is_source


def test_break_even_says_never_when_other_costs_exceed_the_source():
    cat = catalog(offer("aws", "p5", 0.01), offer("nebius", "8x H100", 2.95))  # source compute: 800 x 0.01 = 8
    even = by_provider(estimate(job(egress={"migration_gb": 1000}, **MEASURED), cat),
                       "nebius").break_even
    assert even.price_per_gpu_hour is None and even.sentence.startswith("never")  # 90 of migration > 8


def test_offers_without_a_price_or_a_peak_are_skipped_with_the_reason():
    cat = catalog(offer("aws", "p5", 6.88), offer("ionos", "GPU", None, accelerator=""),
                  offer("huawei", "910B", 2.0, accelerator="Ascend-910B"))
    result = estimate(job(), cat)
    reasons = {s.provider: s.reason for s in result.skipped}
    assert reasons["ionos"].startswith("no price found")
    assert "Ascend-910B has no dense BF16 peak" in reasons["huawei"]
    assert [c.offer.provider for c in result.offers] == ["aws"]


def test_filters_choose_providers_purchase_accelerators_and_countries():
    cat = catalog(offer("aws", "p5", 6.88, country="US"), offer("nebius", "spot", 1.25, purchase="spot"),
                  offer("ovhcloud", "H100", 3.0, country="FR"), offer("verda", "H200", 5.0, accelerator="H200-SXM"))
    assert {c.offer.provider for c in estimate(job(), cat, providers=("ovhcloud",)).offers} == {"aws", "ovhcloud"}
    spot = estimate(job(compare={"purchase": ["spot"]}), cat)
    assert {c.offer.provider for c in spot.offers} == {"aws", "nebius"}  # today's offer always stays
    h200 = estimate(job(compare={"accelerators": ["H200-SXM"]}), cat)
    assert {c.offer.provider for c in h200.offers} == {"aws", "verda"}
    eu = estimate(job(compare={"countries": ["FR", "DE"]}), cat)
    assert {c.offer.provider for c in eu.offers} == {"aws", "ovhcloud"}
    assert "its country is not recorded" in {s.provider: s.reason for s in eu.skipped}["verda"]


def test_unknown_names_are_errors_that_list_what_exists():
    cat = catalog(offer("aws", "p5", 6.88), offer("nebius", "8x H100", 2.95))
    with pytest.raises(HomeportError, match="unknown provider 'nebulus'") as err:
        estimate(job(), cat, providers=("nebulus",))
    assert "aws, nebius" in str(err.value)
    with pytest.raises(HomeportError, match="compare.accelerators"):
        estimate(job(compare={"accelerators": ["H100"]}), cat)
    with pytest.raises(HomeportError, match="source.offer") as err:
        estimate(job(source={"offer": "p6"}), cat)
    assert "p5" in str(err.value)
