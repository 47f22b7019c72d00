import json

import pytest

from homeport.bench import results
from homeport.core.errors import HomeportError


def test_a_saved_result_loads_back(source_doc, write):
    assert results.load(write(source_doc, "a.json")) == json.loads(json.dumps(source_doc))


def test_problems_name_the_field(source_doc):
    doc = json.loads(json.dumps(source_doc))
    del doc["device"]["name"]
    doc["workloads"][0]["tokens_per_s"] = "fast"
    doc["torch"] = True
    found = results.problems(doc)
    assert "device.name: missing" in found
    assert "workloads[0].tokens_per_s: expected int or float, got str" in found
    assert "torch: expected str, got bool" in found


def test_another_schema_version_is_refused(source_doc):
    doc = {**source_doc, "schema_version": 2}
    assert any("schema_version" in p for p in results.problems(doc))


@pytest.mark.parametrize("content, words", [
    (None, "cannot read bench result"),
    ("{not json", "is not a bench result"),
    ("[]", "expected a JSON object"),
    ('{"schema_version": 1}', "kind: missing"),
])
def test_load_errors_are_sentences(tmp_path, content, words):
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(HomeportError, match=words):
        results.load(path)
