import pytest

from homeport.bench import results, workload
from homeport.bench.device import detect
from homeport.core.errors import HomeportError


def test_tiny_workload_trains_and_reports_figures(source_doc):
    assert results.problems(source_doc) == []
    w = source_doc["workloads"][0]
    assert w["losses"][-1] < w["losses"][0] - 0.05  # it learns the synthetic rule
    assert len(w["loss_curves"]) == 3 and w["loss_curves"][0] == w["losses"]
    assert w["loss_curves"][0] != w["loss_curves"][1]  # another seed, another curve
    assert w["step_time_s"]["samples"] == 28  # 30 steps, 2 of warm-up
    tokens_per_step = 8 * 64
    assert w["tokens_per_s"] == pytest.approx(tokens_per_step / w["step_time_s"]["mean"])
    assert w["tflops"] == pytest.approx(w["flops_per_token"] * w["tokens_per_s"] / 1e12)


def test_cpu_has_no_peak_so_no_mfu(source_doc):
    w = source_doc["workloads"][0]
    assert source_doc["device"]["type"] == "cpu" and w["mfu"] is None
    assert "no dense BF16 peak" in w["mfu_note"]


def test_mfu_is_against_the_catalog_peak_and_absent_under_fp8():
    device = detect()
    h100 = device.__class__(**{**device.to_dict(), "name": "NVIDIA H100 80GB HBM3", "accelerator": "H100-SXM",
                               "peak_bf16_tflops": 989.0})
    step_s = [0.5] * 10
    bf16 = workload._figures(workload.WorkloadConfig(steps=10, warmup=2), h100, {"params": 1}, 1e9, [1.0] * 10,
                             step_s, None)
    assert bf16["mfu"] == pytest.approx(1e9 * (8 * 256 / 0.5) / 989e12)
    fp8 = workload._figures(workload.WorkloadConfig(steps=10, warmup=2, precision="fp8"), h100, {"params": 1}, 1e9,
                            [1.0] * 10, step_s, None)
    assert fp8["mfu"] is None and fp8["tflops"] == bf16["tflops"] and "FP8" in fp8["mfu_note"]


@pytest.mark.parametrize("change, words", [
    (dict(size="huge"), "unknown model size"),
    (dict(precision="int4"), "unknown precision"),
    (dict(compile="always"), "unknown compile mode"),
    (dict(steps=5, warmup=5), "warmup must leave steps"),
    (dict(batch_size=0), "batch-size must be at least 1"),
])
def test_bad_configs_are_sentences(change, words):
    with pytest.raises(HomeportError, match=words):
        workload.WorkloadConfig(**change).check()


def test_fp8_without_torchao_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torchao", None)  # torchao is not a test dependency: make sure it is absent
    with pytest.raises(HomeportError, match="pip install torchao"):
        workload.run(workload.WorkloadConfig(steps=2, warmup=0, precision="fp8"), detect())
