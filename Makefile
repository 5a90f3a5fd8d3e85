# mlops-kit: `make demo` runs the whole local lifecycle, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .tools/checkov
WORKFLOW_LINT_VENV := .tools/workflow-lint
TF_PLUGIN_MIRROR ?= /opt/tf-plugins

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKPOINT_DISABLE := 1
export TF_CLI_CONFIG_FILE := $(CURDIR)/.tools/terraform.rc
export TF_PLUGIN_CACHE_DIR := $(CURDIR)/.tools/terraform-plugin-cache

.PHONY: setup test test-fast demo lint synth lock clean

# The four installs are independent: they run side by side (about a minute less on a clean clone).
setup:
	@$(MAKE) --no-print-directory -j4 $(VENV)/.installed node_modules/.installed \
		$(CHECKOV_VENV)/.installed $(WORKFLOW_LINT_VENV)/.installed .tools/terraform.rc

$(VENV)/.installed: requirements.lock pyproject.toml setup.py mlops_kit/drift/_bin_counts.c
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.lock
	# The kit with its `local` extra (the local twin of AWS); the lock above pinned the extra's packages too.
	$(VENV)/bin/pip install --quiet --no-deps -e '.[local]'
	touch $@

# checkov pins an old boto3, so it lives in a venv of its own.
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==3.3.30
	touch $@

# The workflow checks of tests/ci: zizmor (GitHub Actions security analyser, run --offline) and
# check-jsonschema (ships GitHub's workflow schema); their dependencies stay out of the lock.
$(WORKFLOW_LINT_VENV)/.installed:
	$(PYTHON) -m venv $(WORKFLOW_LINT_VENV)
	$(WORKFLOW_LINT_VENV)/bin/pip install --quiet --upgrade pip
	$(WORKFLOW_LINT_VENV)/bin/pip install --quiet zizmor==1.32.0 check-jsonschema==0.39.0
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# Terraform reads the AWS provider from a local mirror when one exists (no registry access here),
# and from the registry otherwise.
.tools/terraform.rc: $(VENV)/.installed
	mkdir -p .tools/terraform-plugin-cache
	$(PY) -m mlops_kit.terraform_rc "$(TF_PLUGIN_MIRROR)" > $@

# Two pytest-xdist workers (tests/conftest.py says which tests share a worker); the 15 slowest tests
# are printed.
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy mlops_kit cli stacks pipelines local_aws
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -n 2 --dist loadgroup --durations=15

# The inner loop: everything that needs no emulator deploy (no `emulator`/`slow` marks).
test-fast: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy mlops_kit cli stacks pipelines local_aws
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -n 2 -m "not emulator and not slow" --durations=15

demo: setup
	$(VENV)/bin/kit demo

synth: setup
	$(PY) -m stacks

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy mlops_kit cli stacks pipelines local_aws
	$(VENV)/bin/lint-imports

lock:
	$(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv pip compile --python 3.11 requirements.in -o requirements.lock

clean:
	rm -rf cdktf.out .kit
