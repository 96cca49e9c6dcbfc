"""dns-zone-query-logging: every public hosted zone of the stack logs the queries it answers.

A zone counts as logged when a Route 53 query log configuration names it: its `zoneId` is the
zone's id, or (during a first preview, when the id is not known yet) it takes its `zoneId` from
the zone (a property dependency); a zone attached to VPCs is private and not judged. Without
query logs nobody can tell, after an incident, who
resolved which name when, or whether a failover changed what clients were told.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from erlmcp_policies.stack.graph import StackIndex, names_zone, prop

NAME = "dns-zone-query-logging"

QUERY_LOG = "aws:route53/queryLog:QueryLog"


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    index = StackIndex(args.resources)
    logs = index.of_type(QUERY_LOG)
    for zone in index.public_zones():
        if not any(names_zone(log, zone, "zoneId") for log in logs):
            report_violation(
                f"Hosted zone {prop(zone.props, 'name')!r} has no query log configuration "
                "(aws.route53.QueryLog into a /aws/route53/ log group in us-east-1).",
                zone.urn,
            )


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Every public Route 53 hosted zone logs the DNS queries it answers "
        "[AWS FSBP Route53.2; CKV2_AWS_39]"
    ),
    validate=validate,
)
