# One virtualenv, made from the project's own files; every target below uses it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# checkov lives in its own virtualenv: its pins would otherwise fight the program's.
CHECKOV_VERSION := 3.3.30
SCAN_VENV := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed-$(CHECKOV_VERSION)

.PHONY: install plan preview test policy bench scan lint clean failover rollout bootstrap-plan bootstrap-preview
# Empty: prod, or the stack named by CONFIG's file name (Pulumi.<stack>.yaml).
STACK ?=

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## plan: render STACK (or CONFIG=path) offline, check it, write build/plan.json and build/plan.md;
##       AGAINST=old/plan.json adds what changed; ALLOW_REPLACE=urn,... accepts those replacements
plan: $(STAMP)
	$(BIN)/python -m planning.plan $(if $(STACK),--stack $(STACK)) $(if $(CONFIG),--config $(CONFIG)) $(if $(AGAINST),--against $(AGAINST)) $(if $(ALLOW_REPLACE),--allow-replace '$(ALLOW_REPLACE)')

## failover: PRIMARY=<region> fails that primary over to its DR standby while it is down: checks
##           the shell (a session taken through the standby's STS, AWS_REGION=<standby>: README),
##           edits the stack file, writes build/failover-<region>/plan.*, prints the commands;
##           AFTER_AUTO=1: the pair's Region switch plan ran, write what it did (docs/failover.md);
##           REARM=1: the pair is home, arm its automatic failover again
failover: $(STAMP)
	$(if $(PRIMARY),,$(error PRIMARY=<region> is required, e.g. make failover PRIMARY=us-east-1))
	$(BIN)/python -m operations.failover --primary $(PRIMARY) $(if $(STACK),--stack $(STACK)) $(if $(CONFIG),--config $(CONFIG)) $(if $(AFTER_AUTO),--after-auto) $(if $(REARM),--rearm)

## rollout: VERSION=<v> rolls erlmcp out wave by wave (canary, soak, health); run it again to resume;
##          WAVES='eu-west-1 ap-southeast-1,ap-northeast-1 us-east-1', SOAK_MINUTES=15, CANARY_PODS=1,
##          DRY_RUN=1 (needs the Pulumi CLI and AWS credentials, except DRY_RUN)
rollout: $(STAMP)
	$(if $(VERSION),,$(error VERSION=<version> is required, e.g. make rollout VERSION=3.1.0))
	$(BIN)/python -m operations.rollout --stack $(or $(STACK),prod) --to $(VERSION) $(if $(WAVES),--waves $(WAVES)) $(if $(SOAK_MINUTES),--soak-minutes $(SOAK_MINUTES)) $(if $(CANARY_PODS),--canary-pods $(CANARY_PODS)) $(if $(DRY_RUN),--dry-run)

## bootstrap-plan: check the erlmcp-state stack offline (config, resources, policy pack)
bootstrap-plan: $(STAMP)
	$(BIN)/python -m pytest -n0 -q tests/bootstrap

## bootstrap-preview: pulumi preview of the erlmcp-state stack with the policy pack (CLI, AWS)
bootstrap-preview: $(STAMP)
	cd bootstrap && pulumi preview --stack state --diff --policy-pack ../policies --policy-pack-config policy-config.json

## preview: what `pulumi up` would change in STACK (needs the Pulumi CLI and AWS credentials)
preview: $(STAMP)
	pulumi preview --stack $(or $(STACK),prod) --diff

# promtool and amtool (Debian's prometheus, prometheus-alertmanager) judge the generated rules and
# the alert manager's routing; pip cannot install them. Installed here when missing (as root, or
# through sudo), so that `make test` alone sets up a fresh Debian machine.
SYSTEM_TOOLS := promtool amtool
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: system-tools
system-tools:
	@missing=""; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing (Debian: prometheus prometheus-alertmanager)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    --no-install-recommends prometheus prometheus-alertmanager >/dev/null; \
	fi

## test: create the virtualenvs if needed (checkov's too: tests/test_scan_checkov.py), install
##       promtool and amtool if missing, lint, and run the whole suite
test: $(STAMP) $(SCAN_STAMP) system-tools
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

## policy: run the policy pack over STACK offline (no CLI, no cloud); fails on a mandatory violation
policy: $(STAMP)
	$(BIN)/python -m offline.policy_runner $(if $(STACK),--stack $(STACK))

$(SCAN_STAMP):
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install --quiet --upgrade pip
	$(SCAN_VENV)/bin/pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	touch $(SCAN_STAMP)

## scan: checkov over the rendered stack (Kubernetes manifests and a Terraform-plan-shaped JSON);
##       fails on any finding not in scan/suppressions.yaml
scan: $(STAMP) $(SCAN_STAMP)
	$(BIN)/python -m scan.scan $(if $(STACK),--stack $(STACK)) $(if $(CONFIG),--config $(CONFIG)) --checkov $(SCAN_VENV)/bin/checkov

## bench: render and policy-check time against the SDK's own floor, at 6, 12 and 24 regions
bench: $(STAMP)
	$(BIN)/python -m offline.bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(SCAN_VENV) build .pytest_cache
