"""The erlmcp policy pack's policies. Importing this package never starts a server.

`policies/__main__.py` serves `ALL_POLICIES` to the Pulumi CLI; the offline runner
(`offline/policy_runner.py`) and the tests load the same list into the analyzer in-process.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from erlmcp_policies.resources import RESOURCE_POLICIES
from erlmcp_policies.stack import STACK_POLICIES

PACK_NAME = "erlmcp-guardrails"
# A policy that names no level of its own is mandatory; each can be lowered through pack config.
PACK_ENFORCEMENT_LEVEL = EnforcementLevel.MANDATORY

ALL_POLICIES: list[Policy] = [*RESOURCE_POLICIES, *STACK_POLICIES]
