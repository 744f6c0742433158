# Lokus: two commands from a fresh clone. `make run` starts the app; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint sample cli clean browser-deps office-deps db-deps bench bench-browser loadtest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install when the pinned requirements change. --no-compile: pip would byte-compile every
# module of every package (13 of 32 s measured); Python writes the .pyc of the modules the app
# really imports on its first start instead (1-3 s). See bench/RESULTS.md, "Di peramban".
$(VENV)/.req-stamp: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	touch $@

$(VENV)/.dev-stamp: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.req-stamp $@

## Start the app on the embedded data at http://localhost:$(PORT)
run: $(VENV)/.req-stamp
	$(BIN)/streamlit run app.py --server.port $(PORT)

## Debian's Chromium for the browser tests (Playwright never downloads its own browser)
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian chromium for browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "WARNING: chromium could not be installed; browser tests will fail"; }

## LibreOffice Calc (headless) and pdfinfo for the verification-workbook test (issue 17)
office-deps:
	@{ command -v soffice >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1; } || { \
	  echo "Installing Debian libreoffice-calc-nogui and poppler-utils for the office test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	   --no-install-recommends libreoffice-calc-nogui poppler-utils >/dev/null) \
	  || echo "WARNING: LibreOffice could not be installed; tests/test_verifikasi_office.py will fail"; }

## Debian's PostgreSQL + PostGIS for the workspace tests on the team back end (each test run
## starts a throwaway cluster of its own with initdb; nothing is configured system-wide)
db-deps:
	@{ ls /usr/lib/postgresql/*/bin/initdb && ls /usr/share/postgresql/*/extension/postgis.control; } >/dev/null 2>&1 || { \
	  echo "Installing Debian postgresql and postgresql-postgis (PostGIS) for the workspace tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-postgis >/dev/null) \
	  || echo "WARNING: postgresql/postgis could not be installed; workspace tests on PostgreSQL will fail"; }

## Run the whole suite (unit, app, CLI and headless-browser tests)
test: $(VENV)/.dev-stamp browser-deps office-deps db-deps
	$(BIN)/python -m pytest

lint: $(VENV)/.dev-stamp
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Rebuild the SYNTHETIC sample data in data/kayong_utara/ (deterministic)
sample: $(VENV)/.req-stamp
	$(BIN)/python -m targeting sintetis

## Headless pipeline on the embedded data into out/
cli: $(VENV)/.req-stamp
	$(BIN)/python -m targeting run --out out

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts

## Benchmarks (by hand; figures are printed, never asserted in tests). NATION is the share of
## the 10 million synthetic national families run through the Dask engine (1 = all of them).
NATION ?= 0.1
bench: $(VENV)/.req-stamp
	$(BIN)/python bench/bench_pockets.py
	$(BIN)/python bench/bench_scale.py --nation $(NATION)

## What a planner waits for, in headless Chromium at 1366x768 (median of 5) -> bench/RESULTS.md;
## ratios to bench/browser_baseline.json are printed. MAKE_RUN=1 also times `make run` on a fresh clone.
bench-browser: $(VENV)/.dev-stamp browser-deps
	$(BIN)/python bench/bench_browser.py $(if $(MAKE_RUN),--make-run)

## Load test: 10 concurrent headless-Chromium sessions on one server, then 20 desa operators of
## 20 desa on the PostgreSQL workspace (throwaway cluster) -> bench/LOADTEST.md
loadtest: $(VENV)/.dev-stamp browser-deps db-deps
	$(BIN)/python bench/loadtest.py --sessions 10
	$(BIN)/python bench/loadtest_ruang_kerja.py --sessions 20
