"""Stack policies: checks that need the whole stack (DR pairs, DNS, regions)."""

from __future__ import annotations

from pulumi_policy import StackValidationPolicy

STACK_POLICIES: list[StackValidationPolicy] = []
