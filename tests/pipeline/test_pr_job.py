"""The pull-request job end to end, offline: two commits of the repository in a scratch git
repository, and the job's own commands run in it as the workflow runs them
(.github/workflows/pull-request.yml), without the Actions runtime.

- The base commit is this working tree (committed or not) plus a small stack file,
  `Pulumi.e2e.yaml`: prod cut to one DR pair (us-east-1 -> us-west-2, RDS), so that each render
  costs about half of prod's. The pull request's commit renames the database
  (`release.databaseName`), which RDS can only do by replacing the instance.
- `make base-plan BASE=HEAD^1`, then `make allow-replace` and `make plan AGAINST=...` with its
  output in ALLOW_REPLACE, then `make pr-comment` and `make pr-verdict`, each with the steps'
  outcomes in the environment. `make test` and `make scan` are not run again here (the suite is
  `make test`; tests/test_scan_checkov.py runs checkov): their outcomes are given as success.
- First push: no label, so the replacement is not allowed: `make plan` exits 1 and the comment
  leads with the replaced database and how to allow it, and the verdict fails. Then a maintainer
  labels the pull request and its description names the URNs: the next run allows exactly those
  and passes.

Every make runs with the suite's own virtualenv (`.venv` is a link to it; `-o .venv/.installed`
keeps make from reinstalling it because the scratch files are newer). Three renders of the small
stack, once per session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.allow_replace import LABEL
from pipeline.pr_comment import MARKER
from tests.pipeline.conftest import REPO_ROOT

STACK_FILE = "Pulumi.e2e.yaml"
VENV = Path(sys.executable).parent.parent
OTHER_STEPS = {"TEST_OUTCOME": "success", "SCAN_OUTCOME": "success"}
# What the environment of the suite may carry that would change a make run.
CLEARED = ("PR_BODY", "PR_LABELS", "ALLOW_REPLACE", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "STACK")


def small_stack(prod: Path) -> dict[str, Any]:
    document = yaml.safe_load(prod.read_text())
    config = document["config"]
    regions = config["erlmcp-infra:regions"]
    config["erlmcp-infra:regions"] = {r: regions[r] for r in ("us-east-1", "us-west-2")}
    config["erlmcp-infra:drPairs"] = [
        # Two regions leave no third to witness the primary's loss: no automatic failover, so
        # a person decides and the RTO target allows for it (dr-budget-meets-targets).
        {
            "primary": "us-east-1",
            "standby": "us-west-2",
            "rtoMinutes": 30,
            "rpoMinutes": 5,
            "autoFailover": {"enabled": False},
        }
    ]
    return document


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


class Job:
    """The job's workspace: runs make as a workflow step does, with the step's environment."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.build = repo / "build"

    def make(
        self, *args: str, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        environment = {k: v for k, v in os.environ.items() if k not in CLEARED}
        environment.update(env or {})
        return subprocess.run(
            ["make", "--no-print-directory", "-o", ".venv/.installed", *args],
            cwd=self.repo,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )

    def plan(self, pr_body: str, labels: list[str]) -> dict[str, Any]:
        """The steps from `make allow-replace` to `make pr-verdict`; what each returned."""
        pr = {"PR_BODY": pr_body, "PR_LABELS": json.dumps(labels)}
        allowed = self.make("allow-replace", env=pr)
        assert allowed.returncode == 0, allowed.stderr
        plan = self.make(
            "plan",
            "AGAINST=build/base/plan.json",
            f"CONFIG={STACK_FILE}",
            env={**pr, "ALLOW_REPLACE": allowed.stdout.strip()},
        )
        outcomes = {
            **OTHER_STEPS,
            "BASE_PLAN_OUTCOME": "success",
            "PLAN_OUTCOME": "success" if plan.returncode == 0 else "failure",
            "ARTIFACT_URL": "https://github.example/artifacts/1",
        }
        comment = self.make("pr-comment", env=outcomes)
        assert comment.returncode == 0, comment.stderr
        verdict = self.make("pr-verdict")
        return {
            "allow_replace": allowed.stdout.strip(),
            "plan": plan,
            "plan_json": json.loads((self.build / "plan.json").read_text()),
            "body": (self.build / "pr-comment.md").read_text(),
            "verdict": verdict,
        }


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> Job:
    """The scratch repository at the pull request's commit, with the base plan rendered."""
    repo = tmp_path_factory.mktemp("pr-job") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    files = git(REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, files.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    stack = small_stack(REPO_ROOT / "Pulumi.prod.yaml")
    (repo / STACK_FILE).write_text(yaml.safe_dump(stack, sort_keys=False))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base: the working tree and a small stack")
    stack["config"]["erlmcp-infra:release"]["databaseName"] = "erlmcp_v2"
    (repo / STACK_FILE).write_text(yaml.safe_dump(stack, sort_keys=False))
    git(repo, "commit", "-q", "-am", "pull request: rename the database")
    (repo / ".venv").symlink_to(VENV)
    job = Job(repo)
    base = job.make("base-plan", "BASE=HEAD^1", f"CONFIG={STACK_FILE}", "BASE_VENV=.venv")
    assert base.returncode == 0, base.stdout + base.stderr
    return job


@pytest.fixture(scope="module")
def first_push(job: Job) -> dict[str, Any]:
    """No label yet; the description names nothing."""
    return job.plan("Renames the database.", [])


@pytest.fixture(scope="module")
def allowed(job: Job, first_push: dict[str, Any]) -> dict[str, Any]:
    """A maintainer labels it; the description names each URN the first comment listed."""
    blocked = [r["urn"] for r in first_push["plan_json"]["diff"]["replaced"] if r["stateful"]]
    body = "Renames the database.\n\n" + "\n".join(f"Allow-replace: {urn}" for urn in blocked)
    return job.plan(body, [LABEL]) | {"named": blocked}


def test_the_base_plan_is_the_base_commits_own_render(job: Job):
    base = json.loads((job.build / "base" / "plan.json").read_text())
    assert base["stack"] == "e2e"
    assert base["stackFile"] == STACK_FILE
    assert (job.build / "base-src" / "build" / "plan.json").is_file()
    db = [r for r in base["resources"] if r["type"] == "aws:rds/instance:Instance"]
    # The base commit's database name, not the pull request's.
    assert {r["inputs"].get("dbName") for r in db} - {None} == {"erlmcp"}


def test_a_stateful_replacement_fails_the_plan_and_leads_the_comment(first_push):
    assert first_push["allow_replace"] == ""
    assert first_push["plan"].returncode != 0
    assert "replaces a stateful resource" in first_push["plan"].stderr
    replaced = first_push["plan_json"]["diff"]["replaced"]
    stateful = [r for r in replaced if r["stateful"]]
    assert [(r["type"], r["because"], r["allowed"]) for r in stateful] == [
        ("aws:rds/instance:Instance", ["dbName"], False)
    ]
    urn = stateful[0]["urn"]
    assert "$aws:rds/instance:Instance::us-east-1-postgres-db" in urn
    body = first_push["body"]
    assert body.startswith(MARKER + "\n## ❌ Plan of stack `e2e` against the base branch: FAILED")
    assert "| plan | `make plan AGAINST=build/base/plan.json` | failure |" in body
    assert body.index("### ⛔ Stateful resources") < body.index("### What changes against")
    assert f"- `{urn}` (aws:rds/instance:Instance; because of dbName)" in body
    assert f"```\nAllow-replace: {urn}\n```" in body
    assert "[plan.json and plan.md](https://github.example/artifacts/1)" in body
    assert first_push["verdict"].returncode != 0
    assert "FAILED: 1 stateful replacement(s) not allowed" in first_push["verdict"].stderr


def test_the_label_and_the_named_urns_allow_exactly_that_replacement(allowed):
    # The URN keeps its `$` through make (Makefile: `$(value ALLOW_REPLACE)`).
    assert allowed["allow_replace"] == ",".join(allowed["named"])
    assert allowed["plan"].returncode == 0, allowed["plan"].stderr
    stateful = [r for r in allowed["plan_json"]["diff"]["replaced"] if r["stateful"]]
    assert [r["allowed"] for r in stateful] == [True]
    body = allowed["body"]
    assert body.startswith(MARKER + "\n## ✅ Plan of stack `e2e` against the base branch: passed")
    assert "### Stateful replacements allowed" in body and "⛔" not in body
    assert allowed["verdict"].returncode == 0, allowed["verdict"].stderr
