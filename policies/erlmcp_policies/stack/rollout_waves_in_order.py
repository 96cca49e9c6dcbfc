"""rollout-waves-in-order: no region runs a version that a region of an earlier wave does not
already run (the runbook's rolling wave, §4.4: each wave only after the ones before it).

Reads the rollout from its config (`waves`, `from_version`; `python -m offline.policy_runner
--print-policy-config` derives it from the stack file's `rollout`); without a rollout there is
nothing to order.
"""

from __future__ import annotations

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.stack._rollout import known, releases

NAME = "rollout-waves-in-order"


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    waves: list[list[str]] = config.get("waves") or []
    previous = config.get("from_version")
    wave_of = {region: i for i, wave in enumerate(waves) for region in wave}
    found = [r for r in releases(list(args.resources)) if r.region in wave_of and known(r.version)]
    for later in found:
        for earlier in found:
            if wave_of[earlier.region] >= wave_of[later.region]:
                continue
            if later.version not in earlier.versions_run(previous):
                report_violation(
                    f"{later.resource.name} runs {later.version} (wave "
                    f"{wave_of[later.region] + 1}) while {earlier.resource.name} of the earlier "
                    f"wave {wave_of[earlier.region] + 1} does not run it yet.",
                    later.resource.urn,
                )
                break


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "No region runs a version a region of an earlier rollout wave does not already run "
        "[erlmcp runbook §4.4]"
    ),
    validate=validate,
    config_schema=PolicyConfigSchema(
        properties={
            "waves": {
                "type": "array",
                "items": {"type": "array", "items": {"type": "string"}},
                "description": "The rollout's waves of regions, in order",
                "default": [],
            },
            "from_version": {
                "type": "string",
                "description": "The version the fleet runs before the rollout",
                "default": "",
            },
        }
    ),
)
