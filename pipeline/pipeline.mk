# The targets the GitHub Actions workflows run (.github/workflows/, docs/review-and-deploy.md), so
# that a developer runs exactly what CI runs. Included by the Makefile; uses its BIN, STAMP, STACK
# and CONFIG.

.PHONY: base-plan allow-replace pr-comment pr-verdict workflow-lint policy-config up drift \
        drift-issue deploy-stacks deploy

# The base side of a pull request: the first parent of the merge commit GitHub checks out.
BASE ?= HEAD^1
BASE_SRC := build/base-src
# Empty: the base commit's `make plan` makes its own virtualenv from its own pyproject.toml.
BASE_VENV ?=

## base-plan: BASE=<git ref> (HEAD^1) renders that commit's own `make plan` (same STACK/CONFIG)
##            into build/base/plan.json and plan.md; BASE_VENV=<dir> reuses a virtualenv as is
base-plan:
	rm -rf $(BASE_SRC) build/base
	mkdir -p $(BASE_SRC) build/base
	git archive --format=tar $(BASE) | tar -x -C $(BASE_SRC)
	$(MAKE) -C $(BASE_SRC) plan $(if $(STACK),STACK=$(STACK)) $(if $(CONFIG),CONFIG=$(CONFIG)) \
	  $(if $(BASE_VENV),VENV=$(abspath $(BASE_VENV)) -o $(abspath $(BASE_VENV))/.installed) \
	  || test -f $(BASE_SRC)/build/plan.json
	cp $(BASE_SRC)/build/plan.json $(BASE_SRC)/build/plan.md build/base/

## allow-replace: the ALLOW_REPLACE a pull request asks for (PR_BODY, PR_LABELS in the
##                environment: pipeline/allow_replace.py); prints it, writes build/allow-replace.json
allow-replace: $(STAMP)
	@$(BIN)/python -m pipeline.allow_replace --out build/allow-replace.json

## pr-comment: the pull request's comment from build/ (plan, allowance, scan) and the steps'
##             outcomes (TEST_OUTCOME, BASE_PLAN_OUTCOME, PLAN_OUTCOME, SCAN_OUTCOME)
pr-comment: $(STAMP)
	$(BIN)/python -m pipeline.pr_comment --build build

## pr-verdict: exit 1 unless the pull request's checks passed (after `make pr-comment`)
pr-verdict: $(STAMP)
	$(BIN)/python -m pipeline.pr_comment --build build --verdict

## workflow-lint: zizmor (offline) and the GitHub workflow schema over .github/workflows
workflow-lint: $(STAMP)
	$(BIN)/zizmor --offline --config .github/zizmor.yml .github/workflows
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

## policy-config: the pack config the CLI's --policy-pack-config takes (DR pairs, rollout, ...)
policy-config: $(STAMP)
	mkdir -p build
	$(BIN)/python -m offline.policy_runner $(if $(STACK),--stack $(STACK)) --print-policy-config > build/policy-config.json

## up: pulumi up of STACK (prod) with the policy pack (the Pulumi CLI and AWS credentials)
up: policy-config
	pulumi up --stack $(or $(STACK),prod) --yes --diff --policy-pack policies --policy-pack-config build/policy-config.json

## drift: pulumi preview --expect-no-changes of STACK (prod); output in build/drift.txt
drift: policy-config
	{ pulumi preview --stack $(or $(STACK),prod) --diff --expect-no-changes --policy-pack policies \
	    --policy-pack-config build/policy-config.json; echo $$? > build/drift.exit; } 2>&1 \
	  | tee build/drift.txt
	exit "$$(cat build/drift.exit)"

## drift-issue: the drift issue's title and body from build/drift.txt (build/drift-issue.json)
drift-issue: $(STAMP)
	$(BIN)/python -m pipeline.drift_issue --stack $(or $(STACK),prod) --build build

## deploy-stacks: BEFORE=<sha> prints, as JSON, the stacks a push from BEFORE to HEAD changes
deploy-stacks:
	@$(PYTHON) -m pipeline.changed_stacks --before "$(BEFORE)"

## deploy: `make up`, or `make rollout` when release.version changed or a rollout is unfinished
##         (ROLLOUT_WAVES='eu-west-1 us-east-1' picks the waves); DRY_RUN=1 prints the decision
deploy: $(STAMP)
	$(BIN)/python -m pipeline.deploy run --stack $(or $(STACK),prod) $(if $(DRY_RUN),--dry-run)
