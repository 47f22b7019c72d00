"""The job file: numbers as people write them, and every bad field named with what was expected."""

from __future__ import annotations

import pytest

from homeport.core.errors import HomeportError
from homeport.cost.job import count, load_job, parse_job

from .helpers import job

BASE = "source: {provider: aws, offer: p5.48xlarge}\ngpus: 16\nworkload: {params: 1.3B, tokens: 26B}\n"


def error(**fields) -> str:
    with pytest.raises(HomeportError) as err:
        job(**fields)
    return str(err.value)


def test_numbers_take_suffixes_and_the_yaml_exponent_pyyaml_reads_as_text(tmp_path):
    path = tmp_path / "cost.yaml"
    path.write_text(BASE + "data: {dataset_gb: 1.5e3}\n", encoding="utf-8")
    parsed = load_job(path)
    assert (parsed.params, parsed.tokens, parsed.dataset_gb) == (1.3e9, 26e9, 1500.0)
    assert (parsed.mfu, parsed.purchase, parsed.price_pct) == (0.40, ("on-demand",), 20.0)  # the defaults
    assert parsed.migration_gb == 1500.0  # default: dataset + kept checkpoints
    assert (count(26e9), count(350e6), count(12)) == ("26B", "350M", "12")


def test_defaults_for_weights_cover_every_factor_and_the_job_overrides_them():
    parsed = job(weights={"hourly_cost": 3, "legal_residency": 0})
    assert parsed.weights["hourly_cost"] == 3 and parsed.weights["legal_residency"] == 0
    assert parsed.weights["throughput"] == 1 and len(parsed.weights) == 8


@pytest.mark.parametrize("fields, named, expected", [
    ({"workload": {"mfuu": 0.4}}, "workload.mfuu", "one of workload.params"),
    ({"workload": {"mfu": 1.4}}, "workload.mfu", "at most 1"),
    ({"workload": {"tokens": "many"}}, "workload.tokens", "a number above 0"),
    ({"gpus": 0}, "gpus", "a whole number >= 1"),
    ({"workload": {"layers": 24}}, "workload.layers, d_model, seq_len", "all three or none"),
    ({"egress": {"migration_date": "soon"}}, "egress.migration_date", "YYYY-MM-DD"),
    ({"egress": {"assume_waiver": "yes"}}, "egress.assume_waiver", "true or false"),
    ({"fx": {"EUR_USD": 1.08}}, "fx.as_of", "the date of the rate"),
    ({"fx": {"EUR_GBP": 0.9, "as_of": "2026-11-20"}}, "fx.EUR_GBP", "a pair such as EUR_USD"),
    ({"currency": "GBP"}, "currency", "one of USD, EUR"),
    ({"weights": {"price": 2}}, "weights.price", "one of weights.hardware_availability"),
    ({"compare": {"purchase": ["lease"]}}, "compare.purchase", "on-demand, spot, reserved"),
    ({"sensitivity": {"throughput_pct": 100}}, "sensitivity.throughput_pct", "at most 99"),
    ({"surprise": 1}, "surprise", "one of name"),
])
def test_a_bad_field_is_named_with_what_was_expected(fields, named, expected):
    text = error(**fields)
    assert f"field {named} is not valid" in text
    assert f"expected: {expected}" in text or expected in text
    assert "what to do:" in text


def test_a_missing_required_field_says_to_add_it():
    with pytest.raises(HomeportError) as err:
        parse_job({"gpus": 8, "workload": {"params": 1e9, "tokens": 1e9}}, "job.yaml")
    assert "field source is not valid" in str(err.value) and "got: nothing" in str(err.value)
    with pytest.raises(HomeportError, match="field workload.tokens is not valid"):
        parse_job({"source": {"provider": "aws", "offer": "p5"}, "gpus": 8, "workload": {"params": 1e9}}, "job.yaml")


def test_unreadable_and_malformed_files_are_sentences(tmp_path):
    with pytest.raises(HomeportError, match="cannot read the job file") as err:
        load_job(tmp_path / "nope.yaml")
    assert "no such file" in str(err.value) and "examples/llm-pipeline/cost.yaml" in str(err.value)
    bad = tmp_path / "bad.yaml"
    bad.write_text("source: {provider: aws\ngpus: [\n", encoding="utf-8")
    with pytest.raises(HomeportError, match="is not valid YAML at line"):
        load_job(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(HomeportError, match="is not a mapping") as err:
        load_job(empty)
    assert "got: an empty file" in str(err.value)


def test_bench_paths_are_relative_to_the_job_file(tmp_path):
    import json

    from .helpers import bench_doc

    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "h100.json").write_text(json.dumps(bench_doc(per_device=2500.0)), encoding="utf-8")
    path = tmp_path / "cost.yaml"
    path.write_text(BASE.replace("workload: {params: 1.3B, tokens: 26B}",
                                 "workload: {params: 1.3B, tokens: 26B, bench: [results/h100.json]}"), encoding="utf-8")
    parsed = load_job(path)
    assert parsed.measurements["H100-SXM"].workloads[0].per_device == 2500.0
    path.write_text(BASE.replace("workload: {params: 1.3B, tokens: 26B}",
                                 "workload: {params: 1.3B, tokens: 26B, bench: [results/missing.json]}"), encoding="utf-8")
    with pytest.raises(HomeportError, match="cannot read the bench result") as err:
        load_job(path)
    assert "relative to the job file" in str(err.value)


def test_two_results_for_one_chip_are_refused():
    from .helpers import bench_doc

    text = error(benches={"a.json": bench_doc(), "b.json": bench_doc()}, workload={"bench": ["a.json", "b.json"]})
    assert "one result per accelerator" in text and "both measure H100-SXM" in text
