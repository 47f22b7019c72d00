"""The tables `homeport cost` reads: GPU offers, storage prices, provider factors. Loaded and validated with
errors that name the file, the line and the field; a missing price stays missing."""

from __future__ import annotations

import pytest

from homeport.catalog import factors, offers, storage
from homeport.catalog.egress import NoPrice, egress_cost
from homeport.core.errors import CatalogError

OFFER_HEAD = ",".join(offers.COLUMNS)
GOOD = "aws,p5.48xlarge,H100-SXM,8,55.04,node,USD,us-east-1,US,on-demand,verified,,research s4.1,2026-11-09"


def row(packaged, provider, offer):
    return next(o for o in packaged if (o.provider, o.offer) == (provider, offer))


def test_every_offer_has_a_source_a_date_and_a_known_chip():
    packaged = offers.offers()
    assert len(packaged) > 30
    assert all(o.source.startswith("research/") and len(o.as_of) == 10 for o in packaged)
    assert {"aws", "azure", "gcp", "nebius", "scaleway", "ovhcloud", "seeweb", "verda", "hyperstack"} <= {
        o.provider for o in packaged if o.priced}


@pytest.mark.parametrize("provider, offer, per_gpu", [
    ("aws", "p5.48xlarge", 6.88),  # research s4.1: 55.04 per node, 6.88 per GPU-hour
    ("azure", "ND96isr_H100_v5", 12.29),  # 98.32 / 8
    ("seeweb", "H200 8x", 2.60),  # 20.80 / 8
    ("nebius", "8x B200", 5.50),  # 44.00 / 8
    ("nebius", "8x H100 SXM", 2.95),  # priced per GPU-hour already
])
def test_node_prices_match_the_research_per_gpu_figures(provider, offer, per_gpu):
    assert row(offers.offers(), provider, offer).price_per_gpu_hour == pytest.approx(per_gpu, abs=0.005)


def test_no_price_found_stays_no_price():
    packaged = offers.offers()
    for provider in ("ionos", "stackit", "open-telekom-cloud", "hetzner", "exoscale"):
        (found,) = [o for o in packaged if o.provider == provider]
        assert not found.priced and found.confidence == "unverified" and "no price found" in found.cite()
        with pytest.raises(ValueError, match="no price found"):
            found.price_per_gpu_hour


def test_skypilot_rows_without_currency_are_eur_and_unverified():
    for provider, offer in (("scaleway", "H100 PCIe 1x"), ("ovhcloud", "a100-180 (A100 80GB 1x)"), ("seeweb", "H100 1x")):
        o = row(offers.offers(), provider, offer)
        assert (o.currency, o.confidence) == ("EUR", "unverified") and "no currency" in o.note


@pytest.mark.parametrize("line, field, why", [
    (GOOD.replace(",8,55.04,node", ",,55.04,node"), "gpus_per_node", "needs the node's GPU count"),
    (GOOD.replace(",node,", ",hour,"), "price_unit", "expected one of gpu, node"),
    (GOOD.replace("55.04", "unverified"), "confidence", "must be unverified"),
    (GOOD.replace("H100-SXM", "H100"), "accelerator", "a key of accelerators.csv"),
    (GOOD.replace("55.04", "0"), "price_per_hour", "a free GPU is a missing price"),
    (GOOD.replace(",USD,", ",GBP,"), "currency", "expected one of USD, EUR"),
    (GOOD.replace(",US,", ",USA,"), "country", "ISO 3166"),
    (GOOD.replace("2026-11-09", "Nov 2026"), "as_of", "YYYY-MM-DD"),
])
def test_a_bad_offer_row_names_file_line_and_field(tmp_path, line, field, why):
    path = tmp_path / "gpu_offers.csv"
    path.write_text(f"{OFFER_HEAD}\n{GOOD}\n{line}\n", encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        offers.load(path)
    assert f"gpu_offers.csv, line 3, field '{field}'" in str(err.value) and why in str(err.value)


def test_storage_prices_and_the_flat_fee():
    prices = storage.storage_prices()
    assert prices["aws"].monthly(1000) == pytest.approx(23.0)  # 1,000 GB x 0.023
    assert prices["hetzner"].monthly(800) == 5.0  # inside the 1 TB the EUR 5 includes
    with pytest.raises(NoPrice, match="above the 1000 GB"):
        prices["hetzner"].monthly(1500)
    assert prices["nebius"].price_per_gb_month is None and prices["nebius"].confidence == "unverified"


def test_a_bad_storage_row_is_refused(tmp_path):
    head = ",".join(storage.COLUMNS)
    path = tmp_path / "storage_prices.csv"
    path.write_text(f"{head}\naws,S3,0.023,USD,5,,verified,,s,2026-11-27\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="line 2, field 'included_gb'"):
        storage.load(path)
    path.write_text(f"{head}\naws,S3,0.023,USD,,,verified,,s,2026-11-27\naws,S3,0.02,USD,,,verified,,s,2026-11-27\n",
                    encoding="utf-8")
    with pytest.raises(CatalogError, match="line 3, field 'provider': 'aws' is listed twice"):
        storage.load(path)


def test_factor_scores_are_in_range_and_carry_evidence():
    facts = factors.factors()
    assert all(f.evidence and f.source.startswith("research/") for f in facts.values())
    assert all(f.score is None or 0 <= f.score <= 5 for f in facts.values())
    assert facts[("aws", "legal_residency")].score == 1  # the CLOUD Act follows the US parent
    assert facts[("stackit", "legal_residency")].score == 5


def test_a_bad_factor_row_is_refused(tmp_path):
    head = ",".join(factors.COLUMNS)
    path = tmp_path / "provider_factors.csv"
    path.write_text(f"{head}\naws,legal_residency,7,US parent,verified,s,2026-11-27\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="line 2, field 'score'"):
        factors.load(path)
    path.write_text(f"{head}\naws,price,3,cheap,verified,s,2026-11-27\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="field 'factor'"):
        factors.load(path)


def test_european_egress_rows_added_for_the_cost_model():
    assert egress_cost("lambda", 10**12).list_price == 0  # "no egress fees"
    assert egress_cost("seeweb", 10**12).confidence == "unverified"  # SkyPilot's model, not a price page
    with pytest.raises(NoPrice, match="unverified"):
        egress_cost("verda", 10**12)


def test_providers_are_grouped_for_the_claim_check():
    groups = factors.groups()
    assert groups["aws"] == "hyperscaler" and groups["nebius"] == "european"
