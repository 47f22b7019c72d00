"""Bench results as the cost model reads them: the rate per device, the size scaling, and the errors."""

from __future__ import annotations

import pytest

from homeport.core.errors import HomeportError
from homeport.cost import measured
from homeport.cost.throughput import measured as measured_rate

from .helpers import bench_doc


def test_the_rate_per_device_is_read_as_written():
    m = measured.parse(bench_doc(per_device=1200.0, count=8), "h100.json")
    assert (m.accelerator, m.device_count) == ("H100-SXM", 8)
    assert m.workloads[0].per_device == 1200.0 and m.workloads[0].tokens_per_s == 9600.0


def test_without_a_per_device_figure_the_total_is_divided_by_the_devices():
    doc = bench_doc(count=4)
    del doc["workloads"][0]["tokens_per_s_per_device"]
    doc["workloads"][0]["tokens_per_s"] = 8000.0
    assert measured.parse(doc, "r.json").workloads[0].per_device == 2000.0  # 8,000 over device.count 4
    doc["device"]["world_size"] = 8  # torchrun: the total came from 8 processes
    assert measured.parse(doc, "r.json").workloads[0].per_device == 1000.0


def test_unknown_fields_are_ignored():
    doc = bench_doc()
    doc["future"] = {"anything": 1}
    doc["workloads"][0]["loss_curves"] = [[1.0]]
    assert measured.parse(doc, "r.json").workloads[0].params == 1e9


def test_another_model_size_is_scaled_by_flops_per_token_or_by_6n():
    # measured 1,000 tokens/s at 1e9 params; the job trains 2e9: half the rate by 6N (same MFU) = 500
    m = measured.parse(bench_doc(per_device=1000.0, params=1e9), "r.json")
    rate = measured_rate(m, 2e9, 6 * 2e9)
    assert rate.tokens_per_s == pytest.approx(500) and "6N rule" in rate.sentence
    # with the workload's own FLOPs per token (7e9) against the job's 14e9: 1,000 x 7/14 = 500 too, by FLOPs
    m = measured.parse(bench_doc(per_device=1000.0, params=1e9, flops_per_token=7e9), "r.json")
    rate = measured_rate(m, 2e9, 14e9)
    assert rate.tokens_per_s == pytest.approx(500) and "FLOPs per token" in rate.sentence
    same = measured_rate(m, 1e9, 7e9)
    assert same.tokens_per_s == 1000.0 and "scaled" not in same.sentence


def test_the_workload_nearest_in_size_is_used():
    doc = bench_doc(per_device=9000.0, params=124e6)
    doc["workloads"].append({**doc["workloads"][0], "name": "gpt-1.3b", "tokens_per_s_per_device": 1500.0,
                             "config": {"params": 1.3e9}})
    m = measured.parse(doc, "r.json")
    assert m.closest(1.2e9).name == "gpt-1.3b" and m.closest(200e6).name == "gpt"


@pytest.mark.parametrize("change, field", [
    (lambda d: d.pop("kind"), "kind"),
    (lambda d: d.update(schema_version=2), "schema_version"),
    (lambda d: d["device"].pop("accelerator"), "device.accelerator"),
    (lambda d: d["device"].update(accelerator="H1000"), "device.accelerator"),
    (lambda d: d["device"].update(count=0), "device.count"),
    (lambda d: d.update(workloads=[]), "workloads"),
    (lambda d: d["workloads"][0].pop("tokens_per_s"), "workloads[0].tokens_per_s"),
    (lambda d: d["workloads"][0]["config"].pop("params"), "workloads[0].config.params"),
    (lambda d: d["workloads"][0].update(mfu="high"), "workloads[0].mfu"),
])
def test_a_missing_or_bad_field_is_named(change, field):
    doc = bench_doc()
    change(doc)
    with pytest.raises(HomeportError) as err:
        measured.parse(doc, "results/h100.json")
    assert f"bench result results/h100.json: field {field} is missing or not valid" in str(err.value)


def test_fp8_runs_carry_no_mfu_and_still_count():
    m = measured.parse(bench_doc(mfu=None), "r.json")
    assert m.workloads[0].mfu is None and m.workloads[0].per_device == 1000.0


def test_a_result_that_bench_would_save_is_read():
    # the contract with bench/results.py: a document its own schema check accepts parses here
    results = pytest.importorskip("homeport.bench.results")
    device = {"type": "cuda", "name": "NVIDIA H100 80GB HBM3", "accelerator": "H100-SXM", "count": 8, "world_size": 8,
              "runtime": "CUDA 12.8", "driver": None, "peak_bf16_tflops": 989.0, "peak_fp8_tflops": 1979.0, "host": "h"}
    workload = {"name": "gpt", "config": {"params": 1.3e9, "seq_len": 2048, "layers": 24, "d_model": 2048},
                "flops_per_token": 8.4e9, "tokens_per_s": 8 * 52000.0, "tokens_per_s_per_device": 52000.0,
                "tflops": 436.8, "mfu": 0.44, "mfu_note": "", "step_time_s": {}, "peak_memory_bytes": None,
                "losses": [3.0]}
    doc = results.new(device, {}, [workload])
    assert results.problems(doc) == []
    m = measured.parse(doc, "h100.json")
    assert (m.accelerator, m.workloads[0].per_device, m.workloads[0].flops_per_token) == ("H100-SXM", 52000.0, 8.4e9)
