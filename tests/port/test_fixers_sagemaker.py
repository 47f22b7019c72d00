"""SageMaker container paths in Python code (port/fixers/sagemaker.py): the ported code reads SageMaker's
variable, so it finds the same directory on SageMaker and the configured (or relative) one elsewhere."""

from __future__ import annotations

import pytest

from homeport.assess.analyze import analyze_snippet
from homeport.port.changes import Status
from homeport.port.codemod import Options, port_python


def port(code: str, **options) -> tuple[str, list]:
    findings = analyze_snippet(code, "t.py").findings
    return port_python("t.py", code, findings, Options(**{"min_torch": (2, 13), "unsafe": True, **options}))


def evaluate(code: str) -> str:
    namespace: dict = {}
    exec(compile(code, "ported.py", "exec"), namespace)
    return namespace["path"]


# path, the variable SageMaker sets to the directory, the relative fallback
CASES = [
    ("/opt/ml/model", "SM_MODEL_DIR", "model"),
    ("/opt/ml/model/final.pt", "SM_MODEL_DIR", "model/final.pt"),
    ("/opt/ml/output", "SM_OUTPUT_DIR", "output"),
    ("/opt/ml/output/data/metrics.json", "SM_OUTPUT_DATA_DIR", "output/data/metrics.json"),
    ("/opt/ml/output/data/", "SM_OUTPUT_DATA_DIR", "output/data/"),
    ("/opt/ml/input/data/train", "SM_CHANNEL_TRAIN", "data/train"),
    ("/opt/ml/input/data/val_set/part-0.parquet", "SM_CHANNEL_VAL_SET", "data/val_set/part-0.parquet"),
]


@pytest.mark.parametrize("path, var, fallback", CASES)
def test_ported_path_is_the_same_on_sagemaker_and_relative_elsewhere(path, var, fallback, monkeypatch):
    out, changes = port(f"import os\npath = '{path}'\n")
    assert [c.status for c in changes] == [Status.APPLIED]
    assert "/opt/ml" not in out and var in out
    directory = path[len("/opt/ml/"):].split("/")
    # on SageMaker the variable holds the directory the original path named
    sagemaker_dir = "/opt/ml/" + ("input/data/" + directory[2] if var.startswith("SM_CHANNEL")
                                  else "output/data" if var == "SM_OUTPUT_DATA_DIR" else directory[0])
    monkeypatch.setenv(var, sagemaker_dir)
    assert evaluate(out) == path
    monkeypatch.delenv(var)
    assert evaluate(out) == fallback
    monkeypatch.setenv(var, "/mnt/volume/job-7")
    assert evaluate(out).startswith("/mnt/volume/job-7")


def test_import_os_is_added_when_the_file_lacks_it():
    out, _ = port("import torch\ntorch.save(state, '/opt/ml/model/last.pt')\n")
    assert out == ("import os\nimport torch\n"
                   "torch.save(state, os.path.join(os.environ.get('SM_MODEL_DIR', 'model'), 'last.pt'))\n")


def test_the_files_own_os_imports_are_used():
    out, _ = port('from os import environ, path\np = "/opt/ml/model/x.bin"\n')
    assert out == 'from os import environ, path\np = path.join(environ.get("SM_MODEL_DIR", "model"), "x.bin")\n'


@pytest.mark.parametrize("literal, says", [
    ("'/opt/ml/checkpoints'", "checkpoint_s3_uri"),
    ("'/opt/ml/checkpoints/step-100.pt'", "checkpoint_s3_uri"),
    ("'/opt/ml/code/train.py'", "__file__"),
    ("'/opt/ml/input/config/hyperparameters.json'", "hyperparameters.json"),
    ("'--model-dir=/opt/ml/model'", "not a path SageMaker publishes"),
    ("f'/opt/ml/model/{name}'", "built at run time"),
    ("'/opt/ml/input/data/my-channel'", "SM_CHANNEL_<NAME> only for names"),
    ("'/opt/ml/input'", "not a path SageMaker publishes"),
])
def test_paths_without_a_variable_are_unsupported_and_unchanged(literal, says):
    code = f"import os\npath = {literal}\n"
    out, changes = port(code)
    assert out == code
    assert [c.status for c in changes] == [Status.UNSUPPORTED] and says in changes[0].reason


def test_container_path_fix_is_unsafe():
    code = "import os\npath = '/opt/ml/model'\n"
    out, changes = port(code, unsafe=False)
    assert out == code
    assert [c.status for c in changes] == [Status.LEFT] and "unsafe" in changes[0].reason


def test_ported_path_is_no_longer_a_container_path_finding():
    out, _ = port("import os\npath = '/opt/ml/input/data/train'\n")
    assert "CLD006" not in {f.rule for f in analyze_snippet(out, "t.py").findings}
