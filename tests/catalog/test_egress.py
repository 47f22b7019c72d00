"""The egress price table (research/cost-performance.md s4.3): loaded and validated with errors that name
the file, the line and the field; tiers applied to the byte; the waiver and the EU Data Act stated apart
from the list price; a sentence, never a guess, where no price is known."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from homeport.catalog.egress import COLUMNS, FILE, NoPrice, egress_cost, estimate, load, provider_of, tariffs
from homeport.catalog.libraries import read_csv
from homeport.data.locations import Location, parse_location

TB = 10**12


def test_every_row_cites_the_research_and_a_date():
    rows = read_csv(FILE)
    assert list(rows[0]) == list(COLUMNS)
    assert all("research/cost-performance.md" in r["source"] and r["as_of"] == "2026-11-27" for r in rows)
    assert {"aws", "gcp", "azure", "nebius", "scaleway", "hetzner", "ionos", "open-telekom-cloud"} <= {
        p for p, _ in tariffs()}


def test_unverified_stays_unverified():
    assert not tariffs()[("ionos", "internet")].priced
    assert tariffs()[("scaleway", "internet")].confidence == "unverified"
    with pytest.raises(NoPrice, match="hetzner's internet egress price is unverified"):
        egress_cost("hetzner", TB)


def test_aws_tiers_across_the_10_tb_boundary_give_the_exact_sum():
    cost = egress_cost("aws", 12 * TB)
    assert cost.list_price == Decimal("1070.00")  # 10,000 GB at 0.09 + 2,000 GB at 0.085
    assert [(t.gb, t.price_per_gb) for t in cost.tiers] == [(10000, Decimal("0.09")), (2000, Decimal("0.085"))]
    assert (cost.currency, cost.as_of) == ("USD", "2026-11-27") and "s4.3" in cost.source


def test_every_aws_tier_and_an_odd_byte_count():
    cost = egress_cost("aws", 200 * TB + 1)  # 900 + 3,400 + 7,000 + 50.00000005 (the 50,000.000001 GB above 150 TB)
    assert cost.list_price == Decimal("900") + Decimal("3400") + Decimal("7000") + Decimal("50000.000000001") * Decimal(
        "0.05")
    assert len(cost.tiers) == 4


def test_gcp_premium_tiers_and_the_monthly_allowance():
    assert egress_cost("gcp", 12 * TB).list_price == Decimal("1270")  # 120 + 990 + 160
    monthly = egress_cost("aws", TB, monthly_free=True)  # the first 100 GB a month are free
    assert monthly.list_price == Decimal("81") and monthly.free_gb == 100
    assert egress_cost("aws", 50 * 10**9, monthly_free=True).list_price == 0


def test_migration_states_the_waiver_and_the_data_act_apart_from_the_list_price():
    est = estimate(parse_location("s3://bucket/data", config={}), None, 12 * TB, monthly_bytes=2 * TB)
    assert est.provider == "aws" and est.migration.list_price == Decimal("1070.00")
    text = "\n".join(est.lines())
    assert "one-off migration: 1,070.00 USD at aws's internet list price" in text
    assert "with an exit waiver: 0 USD if granted: AWS gives data-transfer-out credits on request" in text
    assert "EU Data Act" in text and "2027-01-12" in text and "switching charges" in text
    assert "egress cost, ongoing: 171.00 USD" in text and "per month" in text  # (2,000 - 100 free) GB at 0.09
    assert est.to_dict()["monthly"]["list_price"] == 171.0


def test_a_remote_takes_its_provider_field(monkeypatch, tmp_path):
    monkeypatch.setenv("HOMEPORT_REMOTE_SCW_ENDPOINT", "https://s3.fr-par.scw.cloud")
    monkeypatch.setenv("HOMEPORT_REMOTE_SCW_PROVIDER", "Scaleway")
    monkeypatch.setenv("HOMEPORT_REMOTE_GOOG_ENDPOINT", "https://storage.googleapis.com")
    monkeypatch.setenv("HOMEPORT_REMOTE_GOOG_PROVIDER", "GCS")
    monkeypatch.setenv("HOMEPORT_REMOTE_ANON_ENDPOINT", "https://s3.example.com")
    assert provider_of(parse_location("scw:b/p", config={})) == "scaleway"
    assert provider_of(parse_location("goog:b", config={})) == "gcp"
    assert provider_of(parse_location("anon:b", config={})) == "unknown"
    assert provider_of(parse_location(str(tmp_path), config={})) == "local"
    assert provider_of(parse_location("s3://b/p", config={})) == "aws"
    assert [provider_of(Location(kind, f"{kind}://b", bucket="b")) for kind in ("gcs", "azure")] == ["gcp", "azure"]
    scw = estimate(parse_location("scw:b/p", config={}), None, 5 * TB)
    assert scw.migration.list_price == 100 and scw.migration.currency == "EUR"
    assert "(unverified: EUR 0.02/GB beyond an included 500 GB" in scw.lines()[0]
    assert "none known: the research names no exit waiver for Scaleway" in scw.lines()[1]


def test_unknown_provider_says_why_there_is_no_price(monkeypatch):
    monkeypatch.setenv("HOMEPORT_REMOTE_ANON_ENDPOINT", "https://s3.example.com")
    est = estimate(parse_location("anon:b", config={}), None, TB)
    assert est.status == "unknown" and est.migration is None
    assert est.lines() == ["egress cost: not estimated (no price is known: the remote 'anon' names no provider "
                           "(set provider in [remotes.anon] of homeport.toml or HOMEPORT_REMOTE_ANON_PROVIDER))"]
    monkeypatch.setenv("HOMEPORT_REMOTE_ANON_PROVIDER", "Wasabi")
    est = estimate(parse_location("anon:b", config={}), None, TB)
    assert "no price is known: the catalog has no internet egress price for 'wasabi'" in est.lines()[0]


def _write(tmp_path, change: dict, line: int = 2):
    rows = read_csv(FILE)
    rows[line - 2] = {**rows[line - 2], **change}
    path = tmp_path / "egress.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.parametrize("change, line, field, why", [
    ({"price_per_gb": "nine cents"}, 2, "price_per_gb", "expected a number >= 0"),
    ({"price_per_gb": "-0.09"}, 3, "price_per_gb", "expected a number >= 0"),
    ({"tier_from_tb": "11"}, 3, "tier_from_tb", "is 11, expected 10"),
    ({"tier_to_tb": "5"}, 3, "tier_to_tb", "is 5, not above tier_from_tb 10"),
    ({"currency": "usd"}, 2, "currency", "expected one of ('USD', 'EUR')"),
    ({"exit_waiver": "maybe"}, 2, "exit_waiver", "expected one of"),
    ({"source": ""}, 4, "source", "is empty"),
    ({"as_of": "2026/11/27"}, 2, "as_of", "expected YYYY-MM-DD"),
    ({"free_tb_per_month": "0.2"}, 3, "free_tb_per_month", "differs from line 2"),
])
def test_a_bad_row_names_the_file_the_line_and_the_field(tmp_path, change, line, field, why):
    path = _write(tmp_path, change, line)
    with pytest.raises(ValueError) as error:
        load(path)
    assert f"{path}, line {line}, field {field!r}: " in str(error.value) and why in str(error.value)


def test_an_unverified_price_must_say_so(tmp_path):
    line = 2 + next(i for i, r in enumerate(read_csv(FILE)) if r["provider"] == "ionos")
    path = _write(tmp_path, {"confidence": "reported"}, line)
    with pytest.raises(ValueError, match=rf"line {line}, field 'confidence': must be unverified"):
        load(path)
