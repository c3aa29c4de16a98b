# Set-up and everyday tasks. `make run` and `make test` work on a fresh machine.
VENV      ?= .venv
PYTHON    ?= python3
BIN       := $(VENV)/bin
INSTALLED := $(VENV)/.installed
USWDS     := idp/static/uswds/css/uswds.min.css

.PHONY: run test lint format system-packages static clean

run: $(INSTALLED) $(USWDS)
	$(BIN)/idp dev

# Two test processes, each with its own database, servers and browser: the suite spends
# much of its time waiting on servers and browsers. PYTEST_WORKERS=0 runs it in one.
PYTEST_WORKERS ?= 2

test: $(INSTALLED) $(USWDS) system-packages
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# face_recognition comes without its dependencies: its metadata asks for dlib, which would
# compile from source for a long time; the prebuilt dlib-bin wheel (in pyproject.toml)
# provides the same module.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps 'face_recognition>=1.3,<1.4'
	touch $@

# USWDS comes from npm at set-up into a git-ignored static folder.
$(USWDS): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf idp/static/uswds
	mkdir -p idp/static
	cp -r node_modules/@uswds/uswds/dist idp/static/uswds
	mkdir -p idp/static/vendor
	cp node_modules/zxcvbn/dist/zxcvbn.js idp/static/vendor/zxcvbn.js
	touch $@

static: $(USWDS)

# Browser tests drive Debian's Chromium (Playwright cannot download its own here), and
# passports are read with Tesseract.
SYSTEM_PACKAGES := /usr/bin/chromium:chromium /usr/bin/tesseract:tesseract-ocr
system-packages:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  test -x "$${pair%%:*}" || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
	  else echo "Install first: sudo apt-get install$$missing"; exit 1; fi; fi

clean:
	rm -rf $(VENV) node_modules idp/static/uswds .pytest_cache .mypy_cache .ruff_cache
