import pytest

from homeport.bench import compare
from homeport.core.errors import HomeportError


def test_compare_gives_ratios_b_over_a(source_doc, repeat_doc):
    rows = {r.metric: r for r in compare.compare(source_doc, repeat_doc)}
    tps = rows["gpt tiny seq 64 x8 bf16 tokens/s"]
    assert tps.a == source_doc["workloads"][0]["tokens_per_s"] and tps.b == repeat_doc["workloads"][0]["tokens_per_s"]
    assert tps.ratio == pytest.approx(tps.b / tps.a)
    assert rows["matmul fp32"].b is None and rows["matmul fp32"].ratio is None  # B ran no probes


def test_parity_accepts_a_repeated_run(source_doc, repeat_doc):
    verdict = compare.parity(source_doc, repeat_doc)
    assert verdict.verdict == "pass" and verdict.inside_fraction == 1.0 and verdict.reasons == []


def test_parity_rejects_an_injected_numeric_change(source_doc, perturbed_doc):
    verdict = compare.parity(source_doc, perturbed_doc)
    assert verdict.verdict == "fail"
    assert verdict.inside_fraction < 0.95 and abs(verdict.tail_mean_difference) > verdict.tail_band
    assert len(verdict.lower) == len(verdict.upper) == len(verdict.mean_b) == 30


def test_parity_needs_seeds_on_the_source(repeat_doc):
    one = {**repeat_doc, "workloads": [{**w, "loss_curves": w["loss_curves"][:1]} for w in repeat_doc["workloads"]]}
    with pytest.raises(HomeportError, match="--seeds 3"):
        compare.parity(one, repeat_doc)


def test_parity_needs_the_same_workload(source_doc, repeat_doc):
    other = {**repeat_doc, "workloads": [{**w, "config": {**w["config"], "seq_len": 128}}
                                         for w in repeat_doc["workloads"]]}
    with pytest.raises(HomeportError, match="seq_len=64"):
        compare.parity(source_doc, other)
