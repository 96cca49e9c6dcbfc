"""The pull request's comment: the verdict of every check, the stateful replacements first, what
the pull request changes against its base, the whole plan page, and checkov's summary; and the
verdict the check ends with.

    python -m pipeline.pr_comment [--build build] [--out build/pr-comment.md]
    python -m pipeline.pr_comment --verdict [--build build]

The workflow runs each check as its own step and passes their outcomes in the environment
(`TEST_OUTCOME`, `BASE_PLAN_OUTCOME`, `PLAN_OUTCOME`, `SCAN_OUTCOME`: GitHub's `success`,
`failure`, `cancelled`, `skipped`), with `ARTIFACT_URL` (the plan artifact) and `RUN_URL`. It
reads `build/plan.json` and `build/plan.md` (`make plan AGAINST=build/base/plan.json`),
`build/allow-replace.json` (pipeline/allow_replace.py) and `build/scan.txt` (`make scan`'s
output). It writes the body (one comment per pull request: `MARKER` finds it again, and the
workflow edits it in place) and `build/pr-verdict.json`; `--verdict` prints the verdict and
exits 1 when the check fails, so the comment is posted before the check goes red.

A check passes only when every step succeeded, the plan exists, and no stateful resource is
replaced without a maintainer's allowance: `make plan` exits 1 on such a replacement too, and the
comment says which URNs and how to allow them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.allow_replace import LABEL
from pipeline.comment_text import Section, fit

MARKER = "<!-- erlmcp-infra:pr-plan -->"
SUCCESS = "success"
# Step -> (what it runs, the environment variable with its outcome).
STEPS = {
    "tests": ("make test", "TEST_OUTCOME"),
    "base plan": ("make base-plan", "BASE_PLAN_OUTCOME"),
    "plan": ("make plan AGAINST=build/base/plan.json", "PLAN_OUTCOME"),
    "scan": ("make scan", "SCAN_OUTCOME"),
}
SCAN_LINES = 60


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: list[str] = field(default_factory=list)
    blocked: list[dict[str, Any]] = field(default_factory=list)
    """Stateful replacements nobody allowed."""
    allowed: list[dict[str, Any]] = field(default_factory=list)


def stateful_replacements(plan: Mapping[str, Any] | None) -> tuple[list[dict], list[dict]]:
    """(not allowed, allowed) stateful replacements of the plan's diff against its base."""
    replaced = (plan or {}).get("diff", {}).get("replaced", [])
    stateful = [r for r in replaced if r.get("stateful")]
    return [r for r in stateful if not r.get("allowed")], [r for r in stateful if r.get("allowed")]


def judge(outcomes: Mapping[str, str], plan: Mapping[str, Any] | None) -> Verdict:
    reasons = [
        f"{step} (`{command}`): {outcomes.get(step) or 'did not run'}"
        for step, (command, _) in STEPS.items()
        if outcomes.get(step) != SUCCESS
    ]
    blocked, allowed = stateful_replacements(plan)
    if plan is None:
        reasons.append("no plan was written (build/plan.json)")
    elif "diff" not in plan:
        reasons.append("the plan has no diff against the base branch: replacements unknown")
    else:
        if blocked:
            reasons.append(f"{len(blocked)} stateful replacement(s) not allowed")
        if not plan["policy"]["passed"]:
            reasons.append(f"policy pack: {plan['policy']['mandatory']} mandatory violation(s)")
        if plan.get("providerChecks"):
            reasons.append(f"{len(plan['providerChecks'])} input(s) the providers refuse")
    return Verdict(passed=not reasons, reasons=reasons, blocked=blocked, allowed=allowed)


def outcomes_from_env(env: Mapping[str, str]) -> dict[str, str]:
    return {step: env.get(variable, "") for step, (_, variable) in STEPS.items()}


def _header(verdict: Verdict, plan: Mapping[str, Any] | None, outcomes: Mapping[str, str]) -> str:
    stack = (plan or {}).get("stack", "?")
    title = "passed" if verdict.passed else "FAILED"
    icon = "✅" if verdict.passed else "❌"
    lines = [
        MARKER,
        f"## {icon} Plan of stack `{stack}` against the base branch: {title}",
        "",
        "| check | runs | result |",
        "|---|---|---|",
    ]
    lines += [
        f"| {step} | `{command}` | {outcomes.get(step) or 'did not run'} |"
        for step, (command, _) in STEPS.items()
    ]
    lines.append("")
    lines += [f"- **{reason}**" for reason in verdict.reasons]
    return "\n".join(lines) + "\n"


def _replacement_line(replacement: Mapping[str, Any]) -> str:
    because = ", ".join(replacement.get("because", [])) or "?"
    return f"- `{replacement['urn']}` ({replacement['type']}; because of {because})"


def _replacements(verdict: Verdict, allowance: Mapping[str, Any]) -> str:
    lines: list[str] = []
    if verdict.blocked:
        lines += [
            "### ⛔ Stateful resources this pull request replaces (their data is lost)",
            "",
            *[_replacement_line(r) for r in verdict.blocked],
            "",
            f"Revert the change, or have a maintainer allow it: the label `{LABEL}` on this pull "
            "request and, in its description, one line per resource:",
            "",
            "```",
            *[f"Allow-replace: {r['urn']}" for r in verdict.blocked],
            "```",
            "",
        ]
    if verdict.allowed:
        lines += [
            f"### Stateful replacements allowed (label `{LABEL}` and `Allow-replace:` lines)",
            "",
            *[_replacement_line(r) for r in verdict.allowed],
            "",
        ]
    if allowance.get("named") and not allowance.get("label"):
        lines += [
            f"`Allow-replace:` lines name {len(allowance['named'])} URN(s), but without the "
            f"label `{LABEL}` nothing is allowed.",
            "",
        ]
    lines += [
        f"Ignored (not a URN of this program): `{line}`" for line in allowance.get("ignored", [])
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def _changes(plan: Mapping[str, Any] | None) -> str:
    diff = (plan or {}).get("diff")
    if diff is None:
        return ""
    replaced = {r["urn"] for r in diff.get("replaced", [])}
    stateful = {r["urn"] for r in diff.get("replaced", []) if r.get("stateful")}
    lines = [
        "### What changes against the base branch",
        "",
        f"{len(diff['added'])} added, {len(diff['removed'])} removed, {len(diff['changed'])} "
        f"changed ({len(replaced)} replaced).",
        "",
    ]
    lines += [f"> **{warning}**" for warning in diff.get("warnings", [])]
    # Stateful replacements first, then the other replacements, then the rest.
    changed = sorted(
        diff["changed"],
        key=lambda c: (c["urn"] not in stateful, c["urn"] not in replaced, c["urn"]),
    )
    lines += [
        f"- {'**replaced**' if c['urn'] in replaced else 'changed'} `{c['urn']}`: "
        f"{', '.join(c['inputs']) or 'its provider'}"
        for c in changed
    ]
    lines += [f"- removed `{urn}`" for urn in diff["removed"]]
    lines += [f"- added `{urn}`" for urn in diff["added"]]
    return "\n".join(lines) + "\n"


def _details(summary: str, text: str, fence: str | None = None) -> str:
    body = f"```{fence}\n{text.rstrip()}\n```" if fence is not None else text.rstrip()
    return f"\n<details><summary>{summary}</summary>\n\n{body}\n\n</details>\n"


def _footer(artifact_url: str, run_url: str) -> str:
    links = []
    if artifact_url:
        links.append(f"[plan.json and plan.md]({artifact_url})")
    if run_url:
        links.append(f"[the run]({run_url})")
    return "\n---\n" + (" · ".join(links) or "plan.json and plan.md: the run's artifacts") + "\n"


def build_body(
    *,
    outcomes: Mapping[str, str],
    plan: Mapping[str, Any] | None,
    page: str | None,
    allowance: Mapping[str, Any],
    scan: str | None,
    artifact_url: str = "",
    run_url: str = "",
) -> tuple[str, Verdict]:
    verdict = judge(outcomes, plan)
    where = "the whole plan is in the run's artifact" + (
        f" ({artifact_url})" if artifact_url else ""
    )
    scan_tail = "\n".join((scan or "").rstrip().splitlines()[-SCAN_LINES:])
    sections = [
        Section(_header(verdict, plan, outcomes)),
        Section(_replacements(verdict, allowance)),
        Section(_changes(plan), trimmable=True),
        Section(_details("checkov (<code>make scan</code>)", scan_tail, fence=""), trimmable=True)
        if scan_tail
        else Section(""),
        Section(_details("The whole plan (<code>plan.md</code>)", page), trimmable=True)
        if page
        else Section(""),
        Section(_footer(artifact_url, run_url)),
    ]
    return fit(sections, where), verdict


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.pr_comment")
    parser.add_argument("--build", type=Path, default=Path("build"))
    parser.add_argument("--out", type=Path, help="default: <build>/pr-comment.md")
    parser.add_argument("--verdict", action="store_true", help="exit 1 unless the check passed")
    args = parser.parse_args(argv)
    verdict_path = args.build / "pr-verdict.json"
    if args.verdict:
        verdict = _read_json(verdict_path)
        if verdict is None:
            print(f"no verdict at {verdict_path}: run `make pr-comment` first", file=sys.stderr)
            return 1
        for reason in verdict["reasons"]:
            print(f"FAILED: {reason}", file=sys.stderr)
        print("passed" if verdict["passed"] else "failed")
        return 0 if verdict["passed"] else 1
    env = os.environ if env is None else env
    body, verdict = build_body(
        outcomes=outcomes_from_env(env),
        plan=_read_json(args.build / "plan.json"),
        page=_read_text(args.build / "plan.md"),
        allowance=_read_json(args.build / "allow-replace.json") or {},
        scan=_read_text(args.build / "scan.txt"),
        artifact_url=env.get("ARTIFACT_URL", ""),
        run_url=env.get("RUN_URL", ""),
    )
    out = args.out or args.build / "pr-comment.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body)
    verdict_path.write_text(json.dumps(asdict(verdict), indent=2) + "\n")
    print(f"Wrote {out} ({len(body):,} characters): {'passed' if verdict.passed else 'FAILED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
