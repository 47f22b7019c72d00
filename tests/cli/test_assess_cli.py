"""The command line, in-process: outputs, exit codes (DESIGN.md), errors as sentences, never tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeport.cli.main import main

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "llm-pipeline")


@pytest.fixture
def warning_only(tmp_path) -> str:
    """`torch.cuda.empty_cache()` is a warning on the portable target, never a blocker."""
    (tmp_path / "train.py").write_text("import torch\ntorch.cuda.empty_cache()\n")
    return str(tmp_path)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_json_to_a_file(capsys, tmp_path):
    target = tmp_path / "reports" / "assessment.json"
    code, out, err = run(capsys, "assess", EXAMPLE, "--format", "json", "-o", str(target))
    assert code == 1  # the example has blockers
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["schema_version"] == 1 and data["findings"]
    assert out == ""
    assert "wrote json report" in err
    assert not list(target.parent.glob("*.tmp"))


@pytest.mark.parametrize("fmt, check", [
    ("sarif", lambda text: json.loads(text)["version"] == "2.1.0"),
    ("markdown", lambda text: text.startswith("# homeport assessment")),
    ("terminal", lambda text: "findings in" in text),
])
def test_other_formats_to_a_file(capsys, tmp_path, fmt, check):
    target = tmp_path / f"report.{fmt}"
    code, _, _ = run(capsys, "assess", EXAMPLE, "-f", fmt, "-o", str(target), "--fail-on", "never")
    assert code == 0 and check(target.read_text(encoding="utf-8"))


def test_json_to_stdout(capsys):
    code, out, _ = run(capsys, "assess", EXAMPLE, "-f", "json", "--fail-on", "never")
    assert code == 0 and json.loads(out)["schema_version"] == 1


def test_blocker_fails_by_default(capsys):
    code, out, _ = run(capsys, "assess", EXAMPLE)
    assert code == 1
    assert "findings in" in out


def test_fail_on_never(capsys):
    assert run(capsys, "assess", EXAMPLE, "--fail-on", "never")[0] == 0


def test_fail_on_threshold(capsys, warning_only):
    assert run(capsys, "assess", warning_only)[0] == 0  # only a warning, default threshold is blocker
    assert run(capsys, "assess", warning_only, "--fail-on", "warning")[0] == 1
    assert run(capsys, "assess", warning_only, "--fail-on", "info")[0] == 1
    assert run(capsys, "assess", warning_only, "--target", "cuda", "--fail-on", "warning")[0] == 0  # info on CUDA


def test_missing_path(capsys, tmp_path):
    code, out, err = run(capsys, "assess", str(tmp_path / "nope"))
    assert code == 2
    assert "path not found" in err and "what to do" in err


def test_unknown_flag(capsys):
    code, _, err = run(capsys, "assess", EXAMPLE, "--frobnicate")
    assert code == 2
    assert "--frobnicate" in err and "--help" in err


def test_unknown_format(capsys):
    code, _, err = run(capsys, "assess", EXAMPLE, "--format", "xml")
    assert code == 2 and "xml" in err


def test_select_unknown_rule(capsys):
    code, _, err = run(capsys, "assess", EXAMPLE, "--select", "NOPE")
    assert code == 2
    assert "no rule matches 'NOPE'" in err and "homeport rules list" in err


def test_select_narrows(capsys):
    code, out, _ = run(capsys, "assess", EXAMPLE, "-f", "json", "--select", "DEP", "--fail-on", "never")
    data = json.loads(out)
    assert code == 0 and data["findings"]
    assert {f["rule"][:3] for f in data["findings"]} == {"DEP"}


def test_unwritable_output(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, err = run(capsys, "assess", EXAMPLE, "-f", "json", "-o", str(blocker / "report.json"))
    assert code == 2 and "cannot write" in err


def test_no_command(capsys):
    code, out, _ = run(capsys)
    assert code == 2 and "assess" in out


def test_rules_list(capsys, monkeypatch):
    # rich draws the table 80 columns wide when not on a terminal and cuts every cell; give it room.
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, "rules", "list")
    assert code == 0
    assert "ACC001" in out and "cuda-device-string" in out


def test_rules_show(capsys):
    code, out, _ = run(capsys, "rules", "show", "acc001")
    assert code == 0
    assert "ACC001 cuda-device-string" in out and "Why it blocks a migration" in out


def test_rules_show_unknown(capsys):
    code, _, err = run(capsys, "rules", "show", "XYZ999")
    assert code == 2
    assert "no rule 'XYZ999'" in err


def test_output_to_a_device_writes_into_it_and_keeps_it(tmp_path):
    # As root, replacing /dev/null by a regular file breaks the machine; a FIFO stands in for it here.
    import os
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "t.py").write_text("x = x.cuda()\n")
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, encoding="utf-8").read()))
    reader.start()
    code = main(["assess", str(tmp_path / "t.py"), "-f", "json", "-o", str(fifo), "--fail-on", "never"])
    reader.join(timeout=10)
    assert code == 0
    assert fifo.is_fifo()
    assert '"ACC002"' in received[0]


def test_a_selection_that_leaves_no_rule_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "t.py").write_text("x = 1\n")
    assert main(["assess", str(tmp_path), "--select", "ACC", "--ignore", "ACC"]) == 2
    assert "leave no rule to run" in capsys.readouterr().err
