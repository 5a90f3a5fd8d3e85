# mlops-kit: `make demo` runs the whole local lifecycle, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .tools/checkov
TF_PLUGIN_MIRROR ?= /opt/tf-plugins

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKPOINT_DISABLE := 1
export TF_CLI_CONFIG_FILE := $(CURDIR)/.tools/terraform.rc
export TF_PLUGIN_CACHE_DIR := $(CURDIR)/.tools/terraform-plugin-cache

.PHONY: setup test demo lint synth lock clean

setup: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed .tools/terraform.rc

$(VENV)/.installed: requirements.lock pyproject.toml setup.py mlops_kit/drift/_bin_counts.c
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.lock
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

# checkov pins an old boto3, so it lives in a venv of its own.
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==3.3.30
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# Terraform reads the AWS provider from a local mirror when one exists (no registry access here),
# and from the registry otherwise.
.tools/terraform.rc:
	mkdir -p .tools/terraform-plugin-cache
	$(PY) -m mlops_kit.terraform_rc "$(TF_PLUGIN_MIRROR)" > $@

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy mlops_kit cli stacks pipelines local_aws
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest

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
