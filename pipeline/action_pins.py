"""The actions the workflows use, each pinned to the commit its release tag points at.

Each commit was read from the action's own repository: a mirror of github.com/<action> fetched
on 2026-12-07, `git rev-parse <tag>^{commit}` (an annotated tag peeled to its commit), and the
tag's `action.yml` read for the inputs the workflows pass. tests/pipeline/test_workflows.py
checks that every `uses:` line names one of these commits with its tag as the comment, so a pin
cannot change without this table (and its source) changing too. To move a pin: fetch the
action's repository, peel the new tag, update the row and the workflows.
"""

from __future__ import annotations

from typing import NamedTuple


class Pin(NamedTuple):
    tag: str
    commit: str
    released: str
    """The tagged commit's date."""


PINS: dict[str, Pin] = {
    "actions/checkout": Pin("v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1", "2026-07-17"),
    "actions/setup-python": Pin("v7.0.0", "5fda3b95a4ea91299a34e894583c3862153e4b97", "2026-07-19"),
    "actions/upload-artifact": Pin(
        "v7.0.0", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "2026-02-25"
    ),
    "actions/github-script": Pin(
        "v8.0.0", "ed597411d8f924073f98dfc5c65a23a2325f34cd", "2025-09-04"
    ),
    "aws-actions/configure-aws-credentials": Pin(
        "v6.2.3", "e6de054238d6b7531b4efff3b6587d9aade6a06c", "2026-07-22"
    ),
    "pulumi/actions": Pin("v7.0.0", "8e5e406f4007fca908480587cb9893c07090f58d", "2026-05-04"),
}
