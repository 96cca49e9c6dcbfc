# One virtualenv, made from the project's own files; every target below uses it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# checkov lives in its own virtualenv: its pins would otherwise fight the program's.
CHECKOV_VERSION := 3.3.30
SCAN_VENV := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed-$(CHECKOV_VERSION)

.PHONY: install plan preview test policy bench scan lint clean failover restore rollout rotate restore-drill check bootstrap-plan bootstrap-preview
# Empty: prod, or the stack named by CONFIG's file name (Pulumi.<stack>.yaml).
STACK ?=

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# `$(value ...)`: a nested resource's URN has `$` in it (`...Region$aws:rds/...`), which make
# would otherwise expand as a variable.
## plan: render STACK (or CONFIG=path) offline, check it, write build/plan.json and build/plan.md;
##       AGAINST=old/plan.json adds what changed; ALLOW_REPLACE=urn,... accepts those replacements
plan: $(STAMP)
	$(BIN)/python -m planning.plan $(if $(STACK),--stack $(STACK)) $(if $(CONFIG),--config $(CONFIG)) $(if $(AGAINST),--against $(AGAINST)) $(if $(ALLOW_REPLACE),--allow-replace '$(value ALLOW_REPLACE)')

## failover: PRIMARY=<region> fails that primary over to its DR standby while it is down: checks
##           the shell (a session taken through the standby's STS, AWS_REGION=<standby>: README),
##           edits the stack file, writes build/failover-<region>/plan.*, prints the commands;
##           AFTER_AUTO=1: the pair's Region switch plan ran, write what it did (docs/failover.md);
##           REARM=1: the pair is home, arm its automatic failover again
failover: $(STAMP)
	$(if $(PRIMARY),,$(error PRIMARY=<region> is required, e.g. make failover PRIMARY=us-east-1))
	$(BIN)/python -m operations.failover --primary $(PRIMARY) $(if $(STACK),--stack $(STACK)) $(if $(CONFIG),--config $(CONFIG)) $(if $(AFTER_AUTO),--after-auto) $(if $(REARM),--rearm)

## restore: REGION=<primary> [TO=<RFC 3339 time>] [STAGE=writes-stopped|restored|switched|dr-rebuilt]
##          restores that primary's database to a point in time, one stage (one `pulumi up`) per
##          run, STAGE defaulting to the next: edits the stack file, prints the steps (docs/restore.md)
restore: $(STAMP)
	$(if $(REGION),,$(error REGION=<primary> is required, e.g. make restore REGION=us-east-1 TO=2026-05-01T09:30:00Z))
	$(BIN)/python -m operations.restore --region $(REGION) $(if $(TO),--to $(TO)) $(if $(STAGE),--stage $(STAGE)) $(if $(STACK),--stack $(STACK)) $(if $(CONFIG),--config $(CONFIG))

## rollout: VERSION=<v> rolls erlmcp out wave by wave (canary, soak, health); run it again to resume;
##          WAVES='eu-west-1 ap-southeast-1,ap-northeast-1 us-east-1', SOAK_MINUTES=15, CANARY_PODS=1,
##          DRY_RUN=1 (needs the Pulumi CLI and AWS credentials, except DRY_RUN)
rollout: $(STAMP)
	$(if $(VERSION),,$(error VERSION=<version> is required, e.g. make rollout VERSION=3.1.0))
	$(BIN)/python -m operations.rollout --stack $(or $(STACK),prod) --to $(VERSION) $(if $(WAVES),--waves $(WAVES)) $(if $(SOAK_MINUTES),--soak-minutes $(SOAK_MINUTES)) $(if $(CANARY_PODS),--canary-pods $(CANARY_PODS)) $(if $(DRY_RUN),--dry-run)

## restore-drill: restore each database's newest AWS Backup copy into a scratch database in its DR
##                region, run a check query, delete it, write build/restore-drill-<stack>.json with
##                the point's age and the restore's duration against the pair's RPO/RTO;
##                REGION=<primary> drills one database (needs AWS credentials; docs/restore-drill.md)
restore-drill: $(STAMP)
	$(BIN)/python -m operations.drill $(if $(STACK),--stack $(STACK)) $(if $(CONFIG),--config $(CONFIG)) $(if $(REGION),--region $(REGION))

## check: the morning check of the whole fleet, read-only: /health, Route 53 health checks, DR lag,
##        backup ages, certificates, alarms, pods; a table and build/check-<stack>.json; exits 1
##        when anything is red (needs AWS credentials; docs/daily-check.md)
check: $(STAMP)
	$(BIN)/python -m operations.check $(if $(STACK),--stack $(STACK)) $(if $(CONFIG),--config $(CONFIG)) $(if $(REGION),--region $(REGION))

## rotate: SECRET=<db-password|redis-auth-token|erlang-cookie|jwt-secret> [REGION=<serving region>]
##         rotates one generated secret step by step with no failed request (docs/rotate.md); run it
##         again to resume; DRY_RUN=1 prints and renders every step (needs the Pulumi CLI and AWS
##         credentials, except DRY_RUN)
rotate: $(STAMP)
	$(if $(SECRET),,$(error SECRET=<name> is required, e.g. make rotate SECRET=redis-auth-token REGION=us-east-1))
	$(BIN)/python -m operations.rotate --secret $(SECRET) --stack $(or $(STACK),prod) $(if $(REGION),--region $(REGION)) $(if $(DRY_RUN),--dry-run)

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

# What the GitHub Actions workflows run (base-plan, pr-comment, deploy, drift, ...).
include pipeline/pipeline.mk
