"""`homeport data plan` costs the copy's egress from the catalog: over real local directories and a real
S3 server (moto behind s3://, priced as AWS; rclone behind a remote with no provider, not priced)."""

from __future__ import annotations

import json

from homeport.catalog.libraries import read_csv
from homeport.cli.main import main
from homeport.data.locations import open_store, parse_location
from homeport.data.plan import plan

AWS_FIRST_TIER = next(r for r in read_csv("egress_prices.csv") if r["provider"] == "aws" and r["tier_from_tb"] == "0")


def _fill(store, sizes=(300_000, 200_000, 100_000)):
    for i, size in enumerate(sizes):
        store.put(f"shard-{i}.bin", [bytes([i]) * size])
    return sum(sizes)


def test_local_to_local_has_no_egress(tmp_path, capsys):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.bin").write_bytes(b"x" * 5000)
    args = ["data", "plan", str(tmp_path / "src"), str(tmp_path / "dst"), "--manifest", str(tmp_path / "m.jsonl")]
    assert main(args) == 0
    assert "egress cost: not estimated (no egress: both local)" in capsys.readouterr().out
    assert main([*args, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bytes"] == 5000 and result["egress_detail"]["status"] == "none"
    assert result["egress_detail"]["reason"] == "no egress: both local" and result["egress_detail"]["migration"] is None


def test_an_s3_source_is_priced_from_the_aws_row(moto_location, tmp_path):
    total = _fill(open_store(moto_location))
    result = plan(open_store(moto_location), open_store(parse_location(str(tmp_path / "d"), config={})),
                  manifest=tmp_path / "m.jsonl", monthly_egress=2 * 10**12)
    detail = result.egress_detail
    assert detail["provider"] == "aws" and detail["status"] == "priced"
    migration = detail["migration"]
    assert migration["bytes"] == total == 600_000
    assert migration["tiers"] == [{"from_tb": 0.0, "to_tb": 10.0, "gb": 0.0006, "price_per_gb": 0.09,
                                   "amount": 0.000054}]  # exact in decimal: 0.0006 GB at 0.09
    assert migration["source"] == AWS_FIRST_TIER["source"]
    assert migration["as_of"] == AWS_FIRST_TIER["as_of"] and float(AWS_FIRST_TIER["price_per_gb"]) == 0.09
    assert detail["monthly"]["list_price"] == 171.0  # (2,000 GB - 100 GB free) at 0.09
    lines = result.egress.splitlines()
    assert lines[0].startswith("egress cost, one-off migration: 0.00 USD at aws's internet list price: 0.0006 GB at "
                               "0.09 USD/GB (0-10 TB)")
    assert lines[1].startswith("  with an exit waiver: 0 USD if granted: AWS gives data-transfer-out credits")
    assert "EU Data Act" in lines[2] and lines[3].startswith("egress cost, ongoing: 171.00 USD")


def test_the_cli_prints_both_figures_with_sources(moto_location, tmp_path, capsys):
    _fill(open_store(moto_location))
    assert main(["data", "plan", str(moto_location), str(tmp_path / "d"), "--manifest", str(tmp_path / "m.jsonl"),
                 "--monthly-egress", "2TB"]) == 0
    out = capsys.readouterr().out
    assert "3 objects" in out
    assert "one-off migration: 0.00 USD at aws's internet list price" in out
    assert "with an exit waiver: 0 USD if granted" in out and "switching charges are banned" in out
    assert "egress cost, ongoing: 171.00 USD" in out and "as of 2026-11-27" in out
    assert AWS_FIRST_TIER["source"] in out


def test_a_remote_whose_provider_has_no_price_says_so(rclone_location, tmp_path, capsys):
    assert rclone_location.provider == "rclone"  # the fixture's remote: an S3 server with no price list
    _fill(open_store(rclone_location), sizes=(1000,))
    args = ["data", "plan", str(rclone_location), str(tmp_path / "d"), "--manifest", str(tmp_path / "m.jsonl")]
    assert main(args) == 0
    assert ("egress cost: not estimated (no price is known: the catalog has no internet egress price for 'rclone' "
            "(it has aws, azure, ") in capsys.readouterr().out
