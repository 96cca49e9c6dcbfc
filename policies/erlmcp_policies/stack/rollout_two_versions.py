"""rollout-at-most-two-versions: the fleet runs at most two erlmcp versions at any time: the
one it ran and the one rolling out (a third means two rollouts overlap, and nobody can say
which one a bad signal belongs to).

Counts every erlmcp release's template version, plus the previous version (`from_version`)
where a canary partition holds pods back on it.
"""

from __future__ import annotations

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from erlmcp_policies.stack._rollout import known, releases

NAME = "rollout-at-most-two-versions"


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    previous = args.get_config().get("from_version") or None
    running: set = set()
    for release in releases(list(args.resources)):
        if known(release.version):
            running |= release.versions_run(previous)
    if len(running) > 2:
        names = ", ".join(sorted(map(str, running)))
        report_violation(
            f"The fleet runs {len(running)} erlmcp versions ({names}); a rollout moves it from "
            "one version to one other."
        )


POLICY = StackValidationPolicy(
    name=NAME,
    description="The fleet runs at most two erlmcp versions [erlmcp runbook §4.4]",
    validate=validate,
    config_schema=PolicyConfigSchema(
        properties={
            "from_version": {
                "type": "string",
                "description": "The version the fleet runs before the rollout",
                "default": "",
            },
        }
    ),
)
