"""Reading `plan.json` for its pages (planning/markdown.py, planning/alerts.py)."""

from __future__ import annotations

from typing import Any


def resources_in(
    plan: dict[str, Any], type_: str, region: str | None = None
) -> list[dict[str, Any]]:
    """The plan's resources of a type, in one region or in all."""
    return [
        r
        for r in plan["resources"]
        if r["type"] == type_ and (region is None or r["region"] == region)
    ]


def number(value: Any) -> str:
    """Numbers travel through protobuf as floats: 2.0 reads as 2."""
    return f"{value:g}" if isinstance(value, int | float) else str(value)
