import pytest

from homeport.catalog.accelerators import accelerators, find, identify, parse


@pytest.mark.parametrize("name, key", [
    ("NVIDIA H100 80GB HBM3", "H100-SXM"), ("NVIDIA H100 PCIe", "H100-PCIe"), ("NVIDIA H100 NVL", "H100-NVL"),
    ("NVIDIA H200", "H200-SXM"), ("NVIDIA A100-SXM4-40GB", "A100-SXM"), ("AMD Instinct MI300X", "MI300X"),
    ("GAUDI2", "Gaudi2"), ("NVIDIA B200", "B200"), ("NVIDIA GH200 480GB", None), ("x86_64", None),
])
def test_runtime_names_map_to_catalog_rows(name, key):
    row = identify(name)
    assert (row.accelerator if row else None) == key


def test_peaks_are_dense_and_sourced():
    assert find("h100-sxm").peak_flops("bf16") == 989e12  # not the sparse 1,979
    assert find("H100-SXM").peak_flops("fp8") == 1979e12
    assert find("Ascend-910B").peak_flops() is None  # published figures disagree: no MFU rather than a guess
    assert all(a.source and a.as_of for a in accelerators())


@pytest.mark.parametrize("change, words", [
    ({"source": ""}, "needs its source"), ({"as_of": "2026"}, "as_of must be a date"),
    ({"bf16_dense_tflops": "lots"}, "bf16_dense_tflops must be a number"),
    ({"memory_gb": "-1"}, "memory_gb must be above zero"), ({"name_pattern": "H100("}, "not a regular expression"),
])
def test_bad_rows_name_line_and_column(change, words):
    row = {"accelerator": "X", "vendor": "v", "device_type": "cuda", "name_pattern": "X", "bf16_dense_tflops": "1",
           "fp8_dense_tflops": "", "memory_gb": "1", "memory_bandwidth_tbps": "", "scale_up_link": "", "note": "",
           "source": "s", "as_of": "2026-11-27"}
    with pytest.raises(ValueError, match=f"accelerators.csv, line 2: .*{words}"):
        parse([{**row, **change}])
