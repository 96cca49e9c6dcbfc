"""backups-bucket-per-region: every region the stack runs in keeps its backups in that region.

A region is one where the stack has a VPC; it must also have an S3 bucket (the regional backup
bucket that the runbook's backup jobs write to and that DR replication reads from). A bucket that
receives server access logs holds logs, not backups, and does not count.
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from erlmcp_policies.resources._s3 import Unresolved, access_log_targets, buckets
from erlmcp_policies.stack.graph import StackIndex

NAME = "backups-bucket-per-region"

VPC = "aws:ec2/vpc:Vpc"
BUCKET = "aws:s3/bucket:Bucket"


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    index = StackIndex(args.resources)
    try:
        log_buckets = access_log_targets(args.resources, buckets(args.resources))
    except Unresolved:
        return  # a log target is unknown until the update: any bucket might be it
    with_bucket = {
        index.region_of(bucket) for bucket in index.of_type(BUCKET) if bucket.urn not in log_buckets
    }
    for region in sorted(index.regions_of(VPC) - with_bucket):
        vpc = index.in_region(VPC, region)[0]
        report_violation(f"Region {region} has a VPC but no S3 backup bucket.", vpc.urn)


POLICY = StackValidationPolicy(
    name=NAME,
    description=(
        "Every region the stack runs in has its own S3 backup bucket, so each region's backups "
        "stay in-region and can be replicated to its DR standby [erlmcp]"
    ),
    validate=validate,
)
