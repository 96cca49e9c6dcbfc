"""rds-min-engine-version: databases run PostgreSQL at least `min_postgres_version` (15).

Read replicas carry no engine (they follow their source) and are skipped. An unset engineVersion
lets AWS pick its current default, which is newer than any sane minimum, so it passes.
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
from erlmcp_policies.resources._rds import CLUSTER, INSTANCE, is_replica

ENGINES = {INSTANCE: "postgres", CLUSTER: "aurora-postgresql"}


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == INSTANCE and is_replica(args.props):
        return
    engine = prop(args.props, "engine")
    expected = ENGINES[args.resource_type]
    if not is_unknown(engine) and engine != expected:
        report_violation(f"engine is {engine!r}; erlmcp runs on {expected!r}.")
        return
    check_min_version(
        args,
        report_violation,
        version_key="engineVersion",
        config_key="min_postgres_version",
        product="PostgreSQL",
    )


POLICY = resource_policy(
    name="rds-min-engine-version",
    description="Databases run a supported PostgreSQL release (15 or newer by default) [erlmcp]",
    types=(INSTANCE, CLUSTER),
    validate=_validate,
    config_schema=schema("min_postgres_version"),
)
