# Two commands: `make demo` and `make test`. Both set up everything they need in .venv.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
EXAMPLE := examples/llm-pipeline
REPORTS := reports

.PHONY: demo test setup docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

demo: $(STAMP)
	@mkdir -p $(REPORTS)
	$(VENV)/bin/homeport assess $(EXAMPLE) --fail-on never
	$(VENV)/bin/homeport assess $(EXAMPLE) -f json -o $(REPORTS)/assessment.json --fail-on never
	$(VENV)/bin/homeport assess $(EXAMPLE) -f sarif -o $(REPORTS)/assessment.sarif --fail-on never
	$(VENV)/bin/homeport assess $(EXAMPLE) -f markdown -o $(REPORTS)/assessment.md --fail-on never
	rm -rf $(REPORTS)/ported
	$(VENV)/bin/homeport port $(EXAMPLE) --quiet --out $(REPORTS)/ported --log $(REPORTS)/port.json
	$(VENV)/bin/homeport port $(EXAMPLE) --quiet > $(REPORTS)/port.diff 2>/dev/null
	@echo "reports written to $(REPORTS)/ (assessment.*, port.json, port.diff, ported/)"

test: $(STAMP)
	$(PY) -m pytest

docs: $(STAMP)
	$(VENV)/bin/homeport rules docs -o docs/rules.md

clean:
	rm -rf $(VENV) $(REPORTS) .pytest_cache
