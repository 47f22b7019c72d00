"""The Python analyzer: aliases resolve, the most specific rule wins, prose is not code."""

from __future__ import annotations

import pytest

from homeport.assess.analyze import analyze_snippet
from homeport.core.model import Severity, Target


def found(code: str, target: Target = Target.PORTABLE) -> list[tuple[int, str]]:
    result = analyze_snippet(code, "train.py", target=target)
    assert result.skipped is None, result.skipped
    return [(f.location.line, f.rule) for f in result.findings]


@pytest.mark.parametrize("code", [
    "import torch.distributed as dist\ndist.init_process_group('nccl')",
    "from torch import distributed as dist\ndist.init_process_group(backend='nccl')",
    "from torch.distributed import init_process_group as ipg\nipg('nccl')",
])
def test_nccl_found_through_aliases(code):
    assert (2, "ACC016") in found(code)


@pytest.mark.parametrize("code, line", [
    ("import torch as th\nth.cuda.synchronize()", 2),
    ("from torch import cuda\ncuda.synchronize()", 2),
    ("from torch.cuda import synchronize as sync\nsync()", 2),
    ("import torch.cuda\ntorch.cuda.synchronize()", 2),
])
def test_torch_cuda_found_through_aliases(code, line):
    assert (line, "ACC005") in found(code)


def test_most_specific_rule_wins():
    rules = {r for _, r in found("import torch\nwith torch.cuda.amp.autocast():\n    pass")}
    assert "ACC013" in rules and "ACC019" not in rules


def test_unrelated_names_are_not_resolved():
    # a local variable called `torch` that is not the module, and a method named like an API
    assert found("class A:\n    def synchronize(self):\n        pass\nA().synchronize()") == []
    assert found("cuda = make_thing()\ncuda.synchronize()") == []


def test_docstrings_and_comments_are_prose():
    code = '"""Train on cuda with nccl."""\n# torch.cuda.synchronize()\nx = 1\n'
    assert found(code) == []


def test_fstring_device_and_positions():
    result = analyze_snippet('import os\nrank = 0\ndev = f"cuda:{rank}"\n', "train.py")
    (finding,) = [f for f in result.findings if f.rule == "ACC001"]
    assert (finding.location.line, finding.location.column) == (3, 7)
    assert finding.location.end_column > finding.location.column


def test_columns_count_characters_not_bytes():
    result = analyze_snippet('s = "é"; x = y.to("cuda")\n', "train.py")
    (finding,) = [f for f in result.findings if f.rule == "ACC001"]
    assert finding.location.column == 19  # 1-based character column of the string literal


def test_severity_depends_on_target():
    code = "x = x.cuda()"
    sev = {t: analyze_snippet(code, "t.py", target=t).findings[0].severity for t in Target}
    assert sev[Target.ROCM] == Severity.INFO and sev[Target.CUDA] == Severity.INFO
    assert sev[Target.GAUDI] == Severity.BLOCKER and sev[Target.PORTABLE] == Severity.BLOCKER


def test_library_severity_comes_from_the_support_matrix():
    code = "import flash_attn"
    by_target = {t: analyze_snippet(code, "m.py", target=t).findings[0].severity for t in Target}
    assert by_target[Target.ROCM] == Severity.INFO  # flash-attn has ROCm backends
    assert by_target[Target.GAUDI] == Severity.BLOCKER


def test_suppression_comment_with_reason():
    result = analyze_snippet("x = x.cuda()  # homeport: ignore[ACC002] benchmark-only path\n", "t.py")
    assert result.findings == []
    assert [(s.finding.rule, s.reason) for s in result.suppressed] == [("ACC002", "benchmark-only path")]


def test_suppression_on_the_line_above_and_other_codes_still_reported():
    code = "# homeport: ignore[ACC001] reviewed\nx = x.cuda().to('cuda')\n"
    result = analyze_snippet(code, "t.py")
    assert [f.rule for f in result.findings] == ["ACC002"]


def test_notebook_cells_and_magics(tmp_path):
    import json

    nb = {"cells": [
        {"cell_type": "markdown", "source": ["use cuda\n"]},
        {"cell_type": "code", "source": ["!pip install flash-attn\n", "import torch\n", "x = torch.zeros(1).cuda()\n"]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    text = json.dumps(nb, indent=1)
    result = analyze_snippet(text, "nb.ipynb")
    lines = text.splitlines()
    rules = {f.rule: f.location.line for f in result.findings}
    assert "DEP102" in rules and "ACC002" in rules
    assert "flash-attn" in lines[rules["DEP102"] - 1]
    assert ".cuda()" in lines[rules["ACC002"] - 1]


def test_calls_on_cloud_sdk_handles_are_found():
    code = ("from azureml.core import Run, Workspace\n"
            "run = Run.get_context()\n"
            "run.log('loss', 0.1)\n"
            "ws = Workspace.from_config()\n"
            "store = ws.get_default_datastore()\n"
            "store.upload_files(['a.csv'])\n")
    lines = {line for line, rule in found(code) if rule.startswith("CLD")}
    assert {3, 5, 6} <= lines


def test_sdk_handles_passed_around_or_rebound_are_not_findings():
    code = ("import boto3\n"
            "class Store:\n"
            "    def __init__(self):\n"
            "        self.s3 = boto3.client('s3')\n"
            "    def get(self, key):\n"
            "        return self.s3.get_object(Bucket='b', Key=key)\n"
            "def use(client):\n"
            "    return helper(client=client)\n"
            "client = boto3.client('s3')\n"
            "other(client=client)\n"
            "client = make_local_client()\n"
            "client.get_object(Key='x')\n")
    lines = {line for line, rule in found(code) if rule.startswith("CLD")}
    assert 6 in lines  # a call on self.s3
    assert not lines & {8, 10, 12}  # passing the handle, or a rebound name, is not a call on the SDK


def test_wrapped_models_are_not_sdk_handles():
    code = ("import smdistributed.dataparallel.torch.parallel.distributed as sdp\n"
            "model = sdp.DistributedDataParallel(model)\n"
            "opt = make_opt(model.parameters())\n")
    assert 3 not in {line for line, _ in found(code)}


def test_messages_for_people_are_not_ties():
    code = ("import logging\nlog = logging.getLogger(__name__)\n"
            "def parse(uri):\n"
            "    if not uri.startswith('s3://'):\n"
            "        raise ValueError(f'expected s3://bucket/key, got {uri}')\n"
            "    print('reading from s3://{}'.format(uri))\n"
            "    log.warning('falling back from cuda to cpu: %s', 'cuda')\n"
            "    parser.add_argument('--data', help='an s3://bucket/prefix URI')\n"
            "    return 's3://default/bucket'\n")
    lines = {line for line, _ in found(code)}
    assert 4 in lines and 9 in lines  # used: a comparison and a default value
    assert not lines & {5, 6, 7, 8}


def test_suppressions_above_and_on_a_line_both_hold_and_prefixes_work():
    code = ("import torch\n"
            "# homeport: ignore[ACC005] timing only\n"
            "torch.cuda.synchronize(); x = 's3://b/k'  # homeport: ignore[CLD] test fixture\n"
            "y = 'cuda'  # homeport: ignore[ACC] whole pack\n")
    result = analyze_snippet(code, "t.py")
    assert result.findings == []
    reasons = {s.finding.rule: s.reason for s in result.suppressed}
    assert reasons["ACC005"] == "timing only; test fixture" and reasons["ACC001"] == "whole pack"


def test_notebook_cells_without_line_layout_keep_every_finding_and_their_own_suppressions():
    import json

    cells = [{"cell_type": "code", "source": "import torch\ntorch.cuda.synchronize()\n"},
             {"cell_type": "code", "source": "torch.cuda.synchronize()\n"},
             {"cell_type": "code", "source": "x = 'cuda'  # homeport: ignore[ACC001] demo cell\n"}]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})  # one line
    result = analyze_snippet(text, "nb.ipynb")
    assert [f.rule for f in result.findings].count("ACC005") == 2  # one per cell, not merged
    assert [(s.finding.rule, s.reason) for s in result.suppressed] == [("ACC001", "demo cell")]
