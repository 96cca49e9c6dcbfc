"""Which stacks a push to main changes: the deploy workflow's matrix.

    python3 -m pipeline.changed_stacks --before <sha> [--after HEAD]

prints a JSON list of stack names. Standard library only: the workflow's first job runs it with
the runner's Python, before any virtualenv exists. A stack file (`Pulumi.<stack>.yaml`) changes
its stack; any other file the program or its packages read changes every stack; documentation,
tests, CI, the bootstrap project (run by hand: it makes the CI roles themselves) and the offline
tools change none. Without a `--before` commit (a new branch, or a dispatch) every stack.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
NO_COMMIT = "0" * 40
# Changes that deploy nothing: documentation, tests, the CI itself, the bootstrap project (run by
# hand: it makes the CI roles themselves), the scan, the offline harness and plan, and the
# operations (a deploy runs the rollout driver; none of them is part of any stack).
NOT_DEPLOYED = (
    "docs/",
    "tests/",
    ".github/",
    ".ci/",
    "bootstrap/",
    "scan/",
    "tools/",
    "pipeline/",
    "offline/",
    "planning/",
    "operations/",
)
NOT_DEPLOYED_SUFFIXES = (".md",)


def stack_names(root: Path) -> list[str]:
    """Every stack with a stack file in the project: `Pulumi.<stack>.yaml`."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def changed_stacks(paths: Iterable[str], stacks: Sequence[str]) -> list[str]:
    """The stacks a push changes: a stack file changes its stack, program code changes all."""
    wanted: set[str] = set()
    for path in paths:
        if path.startswith(NOT_DEPLOYED) or path.endswith(NOT_DEPLOYED_SUFFIXES):
            continue
        name = Path(path).name
        if "/" not in path and name.startswith("Pulumi.") and name.count(".") == 2:
            stack = name[len("Pulumi.") : -len(".yaml")]
            if stack in stacks:
                wanted.add(stack)
            continue
        return list(stacks)
    return sorted(wanted)


def changed_files(before: str, after: str, root: Path = REPO_ROOT) -> list[str] | None:
    """Paths changed between the commits; None when there is no earlier commit to compare."""
    if not before or before == NO_COMMIT:
        return None
    result = subprocess.run(
        ["git", "diff", "--name-only", before, after],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    return result.stdout.split()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m pipeline.changed_stacks")
    parser.add_argument("--before", default="")
    parser.add_argument("--after", default="HEAD")
    args = parser.parse_args(argv)
    names = stack_names(REPO_ROOT)
    changed = changed_files(args.before, args.after)
    print(json.dumps(names if changed is None else changed_stacks(changed, names)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
