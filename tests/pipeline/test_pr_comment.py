"""The pull request's comment and verdict (pipeline/pr_comment.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.allow_replace import LABEL
from pipeline.comment_text import GITHUB_BODY_LIMIT, github_length
from pipeline.pr_comment import MARKER, build_body, judge, main

DB = "urn:pulumi:prod::erlmcp-infra::erlmcp:regions:Region$aws:rds/instance:Instance::db"
BUCKET = "urn:pulumi:prod::erlmcp-infra::aws:s3/bucket:Bucket::backups"
SG = "urn:pulumi:prod::erlmcp-infra::aws:ec2/securityGroup:SecurityGroup::sg"
ALL_PASSED = dict.fromkeys(("tests", "base plan", "plan", "scan"), "success")


def a_plan(*, replaced: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    replaced = replaced or []
    plan: dict[str, Any] = {
        "stack": "prod",
        "policy": {"passed": True, "mandatory": 0, "advisory": 0, "diagnostics": []},
        "providerChecks": [],
        "diff": {
            "added": ["urn:pulumi:prod::erlmcp-infra::aws:sns/topic:Topic::new"],
            "removed": [],
            "changed": [{"urn": r["urn"], "inputs": r["because"]} for r in replaced]
            + [{"urn": SG, "inputs": ["description"]}],
            "replaced": replaced,
            "warnings": [],
        },
    }
    plan.update(extra)
    return plan


def replacement(urn: str, *, allowed: bool, stateful: bool = True) -> dict[str, Any]:
    return {
        "urn": urn,
        "type": urn.split("::")[2].split("$")[-1],
        "because": ["dbName"],
        "stateful": stateful,
        "allowed": allowed,
    }


def body_of(plan: dict[str, Any] | None, outcomes=ALL_PASSED, **kwargs: Any) -> str:
    kwargs.setdefault("allowance", {})
    kwargs.setdefault("page", "# Plan of stack `prod`\n")
    kwargs.setdefault("scan", "kubernetes: 744 passed, 0 failed\n")
    return build_body(outcomes=outcomes, plan=plan, **kwargs)[0]


def test_a_clean_pull_request_passes_and_says_so():
    body = body_of(a_plan(), artifact_url="https://x/artifacts/1", run_url="https://x/runs/1")
    assert body.startswith(MARKER + "\n## ✅ Plan of stack `prod` against the base branch: passed")
    assert "| plan | `make plan AGAINST=build/base/plan.json` | success |" in body
    assert "1 added, 0 removed, 1 changed (0 replaced)." in body
    assert f"- changed `{SG}`: description" in body
    assert "<summary>The whole plan (<code>plan.md</code>)</summary>" in body
    assert "kubernetes: 744 passed" in body
    assert body.rstrip().endswith(
        "[plan.json and plan.md](https://x/artifacts/1) · [the run](https://x/runs/1)"
    )
    assert judge(ALL_PASSED, a_plan()).passed


def test_a_stateful_replacement_comes_first_fails_and_says_how_to_allow_it():
    plan = a_plan(
        replaced=[replacement(DB, allowed=False), replacement(SG, allowed=False, stateful=False)]
    )
    verdict = judge(ALL_PASSED, plan)
    assert not verdict.passed
    assert verdict.reasons == ["1 stateful replacement(s) not allowed"]
    body = body_of(plan)
    assert "## ❌" in body
    blocked = body.index("### ⛔ Stateful resources this pull request replaces")
    assert blocked < body.index("### What changes against the base branch")
    assert f"- `{DB}` (aws:rds/instance:Instance; because of dbName)" in body
    assert f"the label `{LABEL}`" in body
    assert f"```\nAllow-replace: {DB}\n```" in body
    # Replacements lead the list of changes too.
    assert body.index(f"- **replaced** `{DB}`") < body.index(f"- **replaced** `{SG}`")


def test_an_allowed_replacement_passes_and_is_listed():
    plan = a_plan(replaced=[replacement(DB, allowed=True)])
    allowance = {"label": True, "named": [DB], "ignored": [], "urns": [DB]}
    assert judge(ALL_PASSED, plan).passed
    body = body_of(plan, allowance=allowance)
    assert "### Stateful replacements allowed" in body and "⛔" not in body


def test_named_urns_without_the_label_and_ignored_lines_are_explained():
    allowance = {"label": False, "named": [DB], "ignored": ["Allow-replace: x"], "urns": []}
    body = body_of(a_plan(replaced=[replacement(DB, allowed=False)]), allowance=allowance)
    assert f"`Allow-replace:` lines name 1 URN(s), but without the label `{LABEL}`" in body
    assert "Ignored (not a URN of this program): `Allow-replace: x`" in body


@pytest.mark.parametrize(
    ("outcomes", "plan", "reason"),
    [
        ({**ALL_PASSED, "tests": "failure"}, a_plan(), "tests (`make test`): failure"),
        ({**ALL_PASSED, "scan": ""}, a_plan(), "scan (`make scan`): did not run"),
        ({**ALL_PASSED, "base plan": "failure"}, a_plan(), "base plan (`make base-plan`): failure"),
        (ALL_PASSED, None, "no plan was written (build/plan.json)"),
        (
            ALL_PASSED,
            {k: v for k, v in a_plan().items() if k != "diff"},
            "the plan has no diff against the base branch: replacements unknown",
        ),
        (
            ALL_PASSED,
            a_plan(policy={"passed": False, "mandatory": 2, "advisory": 0}),
            "policy pack: 2 mandatory violation(s)",
        ),
        (ALL_PASSED, a_plan(providerChecks=[{"urn": SG}]), "1 input(s) the providers refuse"),
    ],
)
def test_every_failed_step_or_finding_fails_the_check_with_its_reason(outcomes, plan, reason):
    verdict = judge(outcomes, plan)
    assert not verdict.passed
    assert reason in verdict.reasons
    assert f"- **{reason}**" in body_of(plan, outcomes)


def test_a_huge_plan_is_cut_below_githubs_limit_keeping_the_replacements():
    changed = [{"urn": f"{SG}-{i}", "inputs": ["tags"] * 20} for i in range(3000)]
    plan = a_plan(replaced=[replacement(DB, allowed=False)])
    plan["diff"]["changed"] += changed
    page = "\n".join(f"| row {i} | {'x' * 100} |" for i in range(3000))
    body = body_of(plan, page=page, artifact_url="https://x/artifacts/1")
    assert github_length(body) < GITHUB_BODY_LIMIT
    assert f"Allow-replace: {DB}" in body
    assert (
        "characters cut here to fit GitHub's comment limit: the whole plan is in the run's artifact (https://x/artifacts/1)"
        in body
    )
    assert body.rstrip().endswith("[plan.json and plan.md](https://x/artifacts/1)")


def test_the_cli_writes_the_comment_and_the_verdict_exits_with_it(tmp_path, capsys):
    (tmp_path / "plan.json").write_text(
        json.dumps(a_plan(replaced=[replacement(DB, allowed=False)]))
    )
    (tmp_path / "plan.md").write_text("# Plan\n")
    env = {
        "TEST_OUTCOME": "success",
        "BASE_PLAN_OUTCOME": "success",
        "PLAN_OUTCOME": "failure",
        "SCAN_OUTCOME": "success",
    }
    assert main(["--build", str(tmp_path)], env=env) == 0
    assert (tmp_path / "pr-comment.md").read_text().startswith(MARKER)
    assert main(["--build", str(tmp_path), "--verdict"]) == 1
    err = capsys.readouterr().err
    assert "FAILED: plan (`make plan AGAINST=build/base/plan.json`): failure" in err
    assert "FAILED: 1 stateful replacement(s) not allowed" in err


def test_no_verdict_is_a_failure(tmp_path):
    assert main(["--build", str(tmp_path), "--verdict"]) == 1
