"""The two lists `make scan` reads, one format: a check id, the resources it covers (fnmatch
patterns on checkov's resource id) and a one-line reason.

- `scan/suppressions.yaml`: failed checks accepted on purpose;
- `scan/not_applicable.yaml`: checks checkov registers for a resource type that cannot apply to
  these resources, so are never evaluated on them.

An entry covers its own check only: another check on the same resource is not covered.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class ListedCheck:
    check: str
    resources: tuple[str, ...]
    reason: str

    def covers(self, check: str, resource: str) -> bool:
        return check == self.check and any(
            fnmatch.fnmatchcase(resource, pattern) for pattern in self.resources
        )

    def where(self) -> str:
        return ", ".join(self.resources)


def load_listed(path: Path) -> list[ListedCheck]:
    """The entries of a list file (none when it does not exist); ValueError on an entry without
    a check id or a one-line reason."""
    entries = (yaml.safe_load(path.read_text()) or []) if path.exists() else []
    listed = []
    for index, entry in enumerate(entries):
        reason = str(entry.get("reason", "")).strip()
        if not entry.get("check") or not reason or "\n" in reason:
            raise ValueError(
                f"{path}: entry {index} ({entry.get('check')}) needs a check and a one-line reason"
            )
        listed.append(
            ListedCheck(str(entry["check"]), tuple(entry.get("resources", ["*"])), reason)
        )
    return listed


def covering(listed: Iterable[ListedCheck], check: str, resource: str) -> ListedCheck | None:
    return next((entry for entry in listed if entry.covers(check, resource)), None)
