"""docs/rules.md is generated from the rule declarations; this keeps it from going stale."""

from __future__ import annotations

from pathlib import Path

from homeport.cli.main import main

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def test_rules_doc_is_current(tmp_path):
    generated = tmp_path / "rules.md"
    assert main(["rules", "docs", "-o", str(generated)]) == 0
    expected = generated.read_text(encoding="utf-8")
    actual = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    assert actual == expected, ("docs/rules.md is stale: it differs from what `homeport rules docs` generates "
                                "from the rule declarations. Run `make docs` and commit the result.")
