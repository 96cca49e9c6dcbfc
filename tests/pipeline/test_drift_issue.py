"""The drift check's issue (pipeline/drift_issue.py)."""

from __future__ import annotations

import json

from pipeline.comment_text import GITHUB_BODY_LIMIT, github_length
from pipeline.drift_issue import drift_state, main, marker

DRIFT = (
    "  ~ aws:rds/instance:Instance db update [diff: ~instanceClass]\n"
    "error: no changes were expected but changes were proposed\n"
)


def test_the_state_tells_drift_from_a_failed_preview():
    assert drift_state("Resources: 963 unchanged", 0) == "clean"
    assert drift_state(DRIFT, 255) == "drift"
    assert drift_state("error: failed to assume role", 255) == "error"


def test_the_cli_writes_a_marked_issue_under_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("RUN_URL", "https://x/runs/9")
    monkeypatch.setenv("GITHUB_SHA", "a" * 40)
    (tmp_path / "drift.txt").write_text("  ~ noise\n" * 50_000 + DRIFT)
    (tmp_path / "drift.exit").write_text("255\n")
    assert main(["--stack", "prod", "--build", str(tmp_path)]) == 0
    issue = json.loads((tmp_path / "drift-issue.json").read_text())
    assert issue["state"] == "drift"
    assert issue["label"] == "drift"
    assert issue["title"] == "Drift: stack prod differs from its code on main"
    assert issue["body"].startswith(marker("prod") + "\n## Drift: stack prod")
    assert "- checked: https://x/runs/9 at `aaaaaaaaaaaa`" in issue["body"]
    assert "no changes were expected but changes were proposed" in issue["body"]
    assert github_length(issue["body"]) < GITHUB_BODY_LIMIT


def test_a_clean_check_says_clean(tmp_path):
    (tmp_path / "drift.txt").write_text("Resources:\n    963 unchanged\n")
    (tmp_path / "drift.exit").write_text("0\n")
    main(["--build", str(tmp_path)])
    assert json.loads((tmp_path / "drift-issue.json").read_text())["state"] == "clean"
