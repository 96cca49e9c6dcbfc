"""dns-serving-regions-health-checked: every serving region is in latency DNS behind a health check.

A serving region is one with a Kubernetes LoadBalancer Service that has running pods behind it
(see workloads.py). Each must have a Route 53 latency record for that region, and every latency
record must evaluate a Route 53 health check of this stack, so Route 53 stops answering with a
region whose endpoint is down.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from erlmcp_policies.stack.graph import UNKNOWN, StackIndex, value
from erlmcp_policies.stack.workloads import (
    HEALTH_CHECK,
    LatencyRecord,
    latency_records,
    serving_services,
)

NAME = "dns-serving-regions-health-checked"


def _health_check_ids(index: StackIndex) -> set[str]:
    """The ids a record can name: a health check's id, or the last part of its ARN."""
    ids: set[str] = set()
    for check in index.of_type(HEALTH_CHECK):
        ident, arn = value(check.props, "id"), value(check.props, "arn")
        if isinstance(ident, str):
            ids.add(ident)
        if isinstance(arn, str):
            ids.add(arn.rsplit("/", 1)[-1])
    return ids


def _uses_health_check(index: StackIndex, record: LatencyRecord, known_ids: set[str]) -> object:
    """True, False, or UNKNOWN (the id is not known yet and no dependency names a check)."""
    if any(
        dep.resource_type == HEALTH_CHECK
        for dep in record.resource.property_dependencies.get("healthCheckId", [])
    ):
        return True
    if record.health_check_id is UNKNOWN:
        return UNKNOWN
    return isinstance(record.health_check_id, str) and record.health_check_id in known_ids


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    index = StackIndex(args.resources)
    records = latency_records(index)
    known_ids = _health_check_ids(index)
    covered: set[str] = set()
    for record in records:
        if isinstance(record.region, str):
            covered.add(record.region)
        used = _uses_health_check(index, record, known_ids)
        if used is False:
            detail = (
                f"names health check {record.health_check_id!r}, which is no Route 53 health "
                "check of this stack"
                if record.health_check_id
                else "evaluates no health check"
            )
            report_violation(
                f"Latency record {record.resource.name!r} for {record.region} {detail}.",
                record.resource.urn,
            )
    if any(r.region is UNKNOWN for r in records):
        return  # a record whose region is not known yet may be the one a region needs
    for region, services in sorted(serving_services(index).items()):
        if region in covered:
            continue
        service, pods = services[0]
        report_violation(
            f"Region {region} serves ({pods} pods behind Service {service.name!r}) but no "
            f"Route 53 latency record routes to it.",
            service.urn,
        )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Every serving region has a Route 53 latency record, and every latency record evaluates "
        "a health check, so users reach the nearest region that is up [erlmcp]"
    ),
    validate=validate,
)
