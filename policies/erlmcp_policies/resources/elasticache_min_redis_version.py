"""elasticache-min-redis-version: caches run Redis at least `min_redis_version` (7).

A Global Datastore secondary takes its engine and version from the datastore and is skipped; an
unset engineVersion lets AWS pick its current default, which passes.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import (
    check_min_version,
    is_unknown,
    prop,
    resource_policy,
    schema,
)
from erlmcp_policies.resources._elasticache import REPLICATION_GROUP, is_global_secondary


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if is_global_secondary(args.props):
        return
    engine = prop(args.props, "engine")
    if engine not in (None, "redis") and not is_unknown(engine):
        report_violation(f"engine is {engine!r}; erlmcp runs on 'redis'.")
        return
    check_min_version(
        args,
        report_violation,
        version_key="engineVersion",
        config_key="min_redis_version",
        product="Redis",
    )


POLICY = resource_policy(
    name="elasticache-min-redis-version",
    description=(
        "Caches run a supported Redis release (7 or newer by default); a Global Datastore "
        "secondary follows its primary, which is judged instead [erlmcp]"
    ),
    types=(REPLICATION_GROUP,),
    validate=_validate,
    config_schema=schema("min_redis_version"),
)
