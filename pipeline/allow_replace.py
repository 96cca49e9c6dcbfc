"""Which stateful replacements a pull request may make: the `ALLOW_REPLACE` of its `make plan`.

A maintainer allows them in two parts, both needed:
- the label `allow-stateful-replacement` on the pull request, which only people with triage or
  write access can set (GitHub Docs, "Repository roles for an organization"); and
- one line per URN in the pull request's description, `Allow-replace: <urn>`, naming exactly what
  may be replaced, so that a label never allows more than was read.

The description is written by the pull request's author, so it is untrusted: the workflow hands it
over in an environment variable (never expanded into a shell line), and only URNs made of the
characters Pulumi URNs of this program use are taken. Nothing here can reach a shell or make as
anything but one of those URNs: no quote, space, `(`, `{` or `;` passes.

    PR_BODY=... PR_LABELS='["allow-stateful-replacement"]' python -m pipeline.allow_replace \\
        [--out build/allow-replace.json]

prints the comma-separated URNs (empty when nothing is allowed) and writes what it read, for the
comment (pipeline/pr_comment.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LABEL = "allow-stateful-replacement"
_LINE = re.compile(r"^[ \t>*-]*allow-replace:[ \t]*(.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE)
# urn:pulumi:<stack>::<project>::<type chain, parents joined by $>::<name>
URN = re.compile(
    r"^urn:pulumi:[A-Za-z0-9._-]+::[A-Za-z0-9._-]+::[A-Za-z0-9._:/$-]+::[A-Za-z0-9._:/-]+$"
)
_MARKDOWN_CODE = "`"


@dataclass(frozen=True)
class Allowance:
    label: bool
    """Whether the pull request carries LABEL."""
    named: list[str] = field(default_factory=list)
    """The URNs the description names (well-formed ones, each once, in order)."""
    ignored: list[str] = field(default_factory=list)
    """`Allow-replace:` lines that name no URN of the accepted form."""

    @property
    def urns(self) -> list[str]:
        """What is allowed: the named URNs, once a maintainer's label says so."""
        return list(self.named) if self.label else []

    @property
    def value(self) -> str:
        """ALLOW_REPLACE, as `make plan` takes it."""
        return ",".join(self.urns)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "urns": self.urns}


def read_allowance(body: str | None, labels: Sequence[str]) -> Allowance:
    named: list[str] = []
    ignored: list[str] = []
    for match in _LINE.finditer(body or ""):
        text = match.group(1).strip(_MARKDOWN_CODE).strip()
        if URN.match(text):
            if text not in named:
                named.append(text)
        else:
            ignored.append(match.group(0).strip()[:300])
    return Allowance(label=LABEL in labels, named=named, ignored=ignored)


def labels_from_env(raw: str | None) -> list[str]:
    """The workflow passes `toJSON(github.event.pull_request.labels.*.name)`."""
    if not raw:
        return []
    try:
        labels = json.loads(raw)
    except json.JSONDecodeError:
        return []
    return [str(label) for label in labels] if isinstance(labels, list) else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.allow_replace")
    parser.add_argument("--out", type=Path, help="write what was read here (JSON)")
    args = parser.parse_args(argv)
    allowance = read_allowance(
        os.environ.get("PR_BODY"), labels_from_env(os.environ.get("PR_LABELS"))
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(allowance.as_dict(), indent=2) + "\n")
    for line in allowance.ignored:
        print(f"ignored (not a URN of this program): {line}", file=sys.stderr)
    if allowance.named and not allowance.label:
        print(
            f"{len(allowance.named)} URN(s) named, but the pull request has no '{LABEL}' label: "
            "nothing is allowed",
            file=sys.stderr,
        )
    print(allowance.value)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
