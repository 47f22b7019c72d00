# Two commands: `make demo` and `make test`. Both set up everything they need in .venv.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Azurite (the Azure Blob emulator the tests read from) exists only on npm; installed when missing and
# npm is there; without Node the Azure tests skip themselves.
AZURITE := $(VENV)/npm/node_modules/.bin/azurite-blob
EXAMPLE := examples/llm-pipeline
REPORTS := reports

.PHONY: demo test setup docs clean

setup: $(STAMP) $(AZURITE)

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

$(AZURITE):
	@command -v npm >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq && apt-get install -y -qq nodejs npm) >/dev/null 2>&1; } || true
	@if command -v npm >/dev/null 2>&1; then \
		npm install --prefix $(VENV)/npm --no-audit --no-fund --silent azurite@3.35.0; \
	else echo "npm not found and not installable here: the Azure Blob tests (Azurite) will be skipped"; fi

test: $(STAMP) $(AZURITE)
	$(PY) -m pytest

docs: $(STAMP)
	$(VENV)/bin/homeport rules docs -o docs/rules.md

clean:
	rm -rf $(VENV) $(REPORTS) .pytest_cache
