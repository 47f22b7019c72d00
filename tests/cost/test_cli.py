"""`homeport cost` end to end on the packaged catalog: exit codes, messages, the JSON contract, the chart."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from homeport.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llm-pipeline" / "cost.yaml"
SVG = "{http://www.w3.org/2000/svg}"


def run(capsys, *args) -> tuple[int, str, str]:
    code = main(["cost", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())  # the console wraps long paths


def write_job(tmp_path, **changes) -> Path:
    """The example job with top-level fields replaced (None removes one)."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_example_prints_the_offers_the_notes_and_the_rows_used(capsys):
    code, out, _ = run(capsys, EXAMPLE)
    assert code == 0
    assert "p4d.24xlarge (today)" in out and "cost per offer, by total" in out
    assert "the catalog shows the reverse" in out and "s4.4" in out  # the seed's price claim, contradicted
    assert "EU Data Act" in out and "2027-01-12" in out
    assert "assumptions:" in out and "MFU 0.4" in out and "EUR converted at 1.08 USD per EUR" in out
    assert "ionos GPU (no price found): no price found" in out  # skipped with its reason, not left out
    assert "gpu_offers.csv line 3: aws p4d.24xlarge, 21.96 USD per 8-GPU node" in out and "as of 2026-11-09" in out


def test_json_is_schema_versioned_and_sorted_by_total(capsys):
    code, out, _ = run(capsys, EXAMPLE, "--format", "json")
    data = json.loads(out)
    assert code == 0 and (data["schema_version"], data["kind"], data["currency"]) == (1, "homeport-cost", "USD")
    totals = [o["total"] for o in data["offers"]]
    assert totals == sorted(totals) and [o["rank"] for o in data["offers"]] == list(range(1, len(totals) + 1))
    for o in data["offers"]:
        assert set(o["components"]) == {"compute", "storage", "migration_egress", "ongoing_egress"}
        assert o["catalog_row"]["source"] and o["catalog_row"]["as_of"]
        assert o["scorecard"]["entries"] and all(e["source"] for e in o["scorecard"]["entries"])
    (today,) = [o for o in data["offers"] if o["is_source"]]
    # 21B tokens; FLOPs per token 6 x 350M + 12 x 24 x 1024 x 1024; A100 at 0.4 x 312 TFLOP/s
    flops = 6 * 350e6 + 12 * 24 * 1024 * 1024
    gpu_hours = 21e9 / (0.4 * 312e12 / flops) / 3600
    assert today["gpu_hours"] == pytest.approx(gpu_hours)
    assert today["components"]["compute"]["amount"] == pytest.approx(gpu_hours * 21.96 / 8)
    assert today["components"]["storage"]["amount"] == pytest.approx((200 + 3 * 5) * 0.023 * 3)  # 215 GB, 3 months
    assert today["components"]["ongoing_egress"]["amount"] == 0  # 20 GB a month is inside AWS's 100 GB allowance
    assert data["source"] == {"provider": "aws", "offer": "p4d.24xlarge", "total": today["total"]}
    nebius = next(o for o in data["offers"] if o["offer"] == "8x H100 SXM")
    assert nebius["components"]["migration_egress"]["amount"] == pytest.approx(215 * 0.09)  # out of S3 once
    assert nebius["components"]["storage"]["amount"] is None and nebius["complete"] is False


def test_provider_flag_narrows_the_comparison(capsys):
    code, out, _ = run(capsys, EXAMPLE, "--provider", "nebius", "--format", "json")
    assert code == 0 and {o["provider"] for o in json.loads(out)["offers"]} == {"aws", "nebius"}


def test_an_unknown_provider_is_exit_2_with_the_known_ones(capsys):
    code, out, err = run(capsys, EXAMPLE, "--provider", "nebulus")
    assert code == 2 and out == ""
    assert "unknown provider 'nebulus'" in err and "nebius" in err and "Traceback" not in err


def test_a_missing_job_file_is_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path / "nope.yaml")
    assert code == 2 and "cannot read the job file" in err and "no such file" in err


def test_a_bad_field_is_exit_2_naming_it(capsys, tmp_path):
    path = write_job(tmp_path, workload={"params": "350M", "tokens": "21B", "mfu": 4})
    code, _, err = run(capsys, path)
    assert code == 2 and "field workload.mfu is not valid" in err and "at most 1" in err


def test_bad_yaml_is_exit_2(capsys, tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text("source: [aws\n", encoding="utf-8")
    code, _, err = run(capsys, path)
    assert code == 2 and "not valid YAML at line" in err


def test_mixed_currencies_without_a_rate_are_exit_2_saying_what_to_add(capsys, tmp_path):
    code, _, err = run(capsys, write_job(tmp_path, fx=None))
    assert code == 2 and "is priced in EUR and the report in USD" in err and "EUR_USD" in err and "as_of" in err
    # the same job over USD-only providers needs no rate
    code, _, _ = run(capsys, write_job(tmp_path, fx=None), "--provider", "nebius", "--provider", "gcp")
    assert code == 0


def test_the_chart_is_well_formed_with_one_bar_per_provider(capsys, tmp_path):
    chart, report = tmp_path / "cost.svg", tmp_path / "cost.json"
    code, out, err = run(capsys, EXAMPLE, "--format", "json", "-o", report, "--chart", chart)
    assert code == 0 and out == "" and "wrote chart" in err
    data = json.loads(report.read_text(encoding="utf-8"))
    root = ET.fromstring(chart.read_text(encoding="utf-8"))
    bars = root.findall(f"{SVG}g[@class='bar']")
    assert sorted(b.get("data-provider") for b in bars) == sorted({o["provider"] for o in data["offers"]})
    aws = next(b for b in bars if b.get("data-provider") == "aws")
    assert float(aws.get("data-total")) == pytest.approx(data["source"]["total"], abs=0.01)  # today's offer
    segments = {r.get("class") for b in bars for r in b.findall(f"{SVG}rect")}
    assert segments == {"compute", "storage", "egress"}


def test_markdown_tables_keep_their_columns(capsys):
    code, out, _ = run(capsys, EXAMPLE, "--format", "markdown")
    assert code == 0 and out.startswith("# homeport cost: gpt-350m-fineweb")
    for block in out.split("\n## ")[1:4]:  # the three tables
        rows = [line for line in block.splitlines() if line.startswith("| ")]
        widths = {line.replace("\\|", "").count("|") for line in rows}
        assert len(rows) > 2 and len(widths) == 1, block[:200]
    assert "## Catalog rows used" in out and "## Skipped" in out
