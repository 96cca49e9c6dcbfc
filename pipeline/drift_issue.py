"""The daily drift check's issue: what `pulumi preview --expect-no-changes` saw when the stack no
longer matches its code on main.

    python -m pipeline.drift_issue [--stack prod] [--build build]

reads `build/drift.txt` (the preview's output) and `build/drift.exit` (its exit status), both
written by `make drift`, and writes `build/drift-issue.json`: `{"state": "drift" | "clean" |
"error", "title", "body"}`. The workflow opens the issue (label `drift`) or updates the open one
that carries `marker(stack)`, and closes it once a check finds no drift. A preview that failed for
another reason than drift (credentials, a provider error) is an `error`: the issue says so rather
than calling it drift, and the job fails.

The CLI reports drift with "no changes were expected but changes were proposed" (pulumi/pulumi
pkg/backend/backenderr/backenderr.go:239 at 1b5949891b3c, the `--expect-no-changes` error).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from pipeline.comment_text import Section, fit

DRIFT_MESSAGE = "no changes were expected"
LABEL = "drift"
PREVIEW_LINES = 2000


def marker(stack: str) -> str:
    return f"<!-- erlmcp-infra:drift:{stack} -->"


def title(stack: str) -> str:
    return f"Drift: stack {stack} differs from its code on main"


def drift_state(preview: str, exit_code: int) -> str:
    if exit_code == 0:
        return "clean"
    return "drift" if DRIFT_MESSAGE in preview else "error"


def issue_body(stack: str, preview: str, state: str, run_url: str = "", commit: str = "") -> str:
    what = {
        "drift": "The stack's resources no longer match what its code on main would make.",
        "error": "The drift check could not run the preview (see its output); drift unknown.",
        "clean": "No drift.",
    }[state]
    head = "\n".join(
        [
            marker(stack),
            f"## {title(stack)}",
            "",
            what,
            "",
            f"- checked: {run_url or 'the drift workflow'}"
            + (f" at `{commit[:12]}`" if commit else ""),
            f"- reproduce: `make drift STACK={stack}` (the Pulumi CLI and the preview role)",
            "- fix: revert the change made outside Pulumi, or bring the code to it in a pull "
            "request (its plan shows the difference); `pulumi refresh` only when the outside "
            "change is what should stay",
            "",
        ]
    )
    tail = "\n".join(preview.rstrip().splitlines()[-PREVIEW_LINES:])
    sections = [
        Section(head + "\n"),
        Section(
            f"<details open><summary>pulumi preview</summary>\n\n```\n{tail}\n```\n\n</details>\n",
            trimmable=True,
        ),
    ]
    return fit(sections, "the whole output is in the run's log")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.drift_issue")
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--build", type=Path, default=Path("build"))
    args = parser.parse_args(argv)
    preview = (args.build / "drift.txt").read_text(errors="replace")
    exit_code = int((args.build / "drift.exit").read_text().strip() or "1")
    state = drift_state(preview, exit_code)
    body = issue_body(
        args.stack,
        preview,
        state,
        run_url=os.environ.get("RUN_URL", ""),
        commit=os.environ.get("GITHUB_SHA", ""),
    )
    out = args.build / "drift-issue.json"
    out.write_text(
        json.dumps(
            {
                "state": state,
                "title": title(args.stack),
                "marker": marker(args.stack),
                "label": LABEL,
                "body": body,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"{args.stack}: {state}; wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
