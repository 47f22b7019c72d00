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

.PHONY: demo test setup docs clean tools

setup: $(STAMP) $(AZURITE) tools

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
	$(VENV)/bin/homeport bench --size tiny --steps 20 --out $(REPORTS)/bench.json
	$(VENV)/bin/homeport cost $(EXAMPLE)/cost.yaml -f json -o $(REPORTS)/cost.json
	$(VENV)/bin/homeport report $(EXAMPLE) --evidence $(REPORTS) -o $(REPORTS)/report.html
	@echo "reports written to $(REPORTS)/ (assessment.*, port.json, port.diff, ported/, bench.json, cost.json)"
	@echo "the migration report: $(REPORTS)/report.html"

$(AZURITE):
	@command -v npm >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq && apt-get install -y -qq nodejs npm) >/dev/null 2>&1; } || true
	@if command -v npm >/dev/null 2>&1; then \
		npm install --prefix $(VENV)/npm --no-audit --no-fund --silent azurite@3.35.0; \
	else echo "npm not found and not installable here: the Azure Blob tests (Azurite) will be skipped"; fi

# Debian tools the tests drive: headless Chromium (the HTML report, tests/report/test_html_browser.py) and
# curl (a launch the fence checks, tests/policy). Installed when missing and apt-get is there; else the tests
# that need them say so.
tools:
	@missing=""; for t in chromium curl; do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then { command -v apt-get >/dev/null 2>&1 && apt-get update -qq >/dev/null && \
		apt-get install -y -qq $$missing >/dev/null; } || echo "not installable here:$$missing"; fi

test: $(STAMP) $(AZURITE) tools
	$(PY) -m pytest

docs: $(STAMP)
	$(VENV)/bin/homeport rules docs -o docs/rules.md

clean:
	rm -rf $(VENV) $(REPORTS) .pytest_cache
