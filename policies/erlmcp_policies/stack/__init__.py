"""Stack policies: checks that need the whole stack (DR pairs, DNS, regions), one per module."""

from __future__ import annotations

from pulumi_policy import StackValidationPolicy

from erlmcp_policies.stack import dr_standby

STACK_POLICIES: list[StackValidationPolicy] = [
    dr_standby.POLICY,
]
