"""The AWS regions a stack may use, and each one's Network Load Balancer hosted-zone id.

A region is deployable here when pulumi-aws knows it (its `Region` enum), it is in the commercial
`aws` partition (one stack runs in one account; China and GovCloud regions are other partitions
with other accounts, ARNs and endpoints), and it has a Network Load Balancer hosted-zone id, which
every region's DNS alias records need.

The hosted-zone ids are terraform-provider-aws's own table, the one that
`aws.lb.get_hosted_zone_id(load_balancer_type="network")` answers from without calling AWS. The
program reads them here instead of invoking it: an invoke needs a configured provider of some
region at every run, and a failover runs while a region is down. The table:
`internal/service/elbv2/hosted_zone_id_data_source.go`, `hostedZoneIDPerRegionNLBMap` (the
version with `names.*RegionID` keys that adds ap-southeast-4, ca-west-1 and il-central-1; its
source is AWS's "Elastic Load Balancing endpoints and quotas" page). A region missing from that
table makes the provider fail with "unsupported AWS Region", so the config model rejects it
before anything runs. The offline mocks answer from the same table (offline/mocks.py).
"""

from __future__ import annotations

from pulumi_aws import Region as AwsRegion

NLB_HOSTED_ZONE_IDS: dict[str, str] = {
    "af-south-1": "Z203XCE67M25HM",
    "ap-east-1": "Z12Y7K3UBGUAD1",
    "ap-northeast-1": "Z31USIVHYNEOWT",
    "ap-northeast-2": "ZIBE1TIR4HY56",
    "ap-northeast-3": "Z1GWIQ4HH19I5X",
    "ap-south-1": "ZVDDRBQ08TROA",
    "ap-south-2": "Z0711778386UTO08407HT",
    "ap-southeast-1": "ZKVM4W9LS7TM",
    "ap-southeast-2": "ZCT6FZBF4DROD",
    "ap-southeast-3": "Z01971771FYVNCOVWJU1G",
    "ap-southeast-4": "Z01156963G8MIIL7X90IV",
    "ca-central-1": "Z2EPGBW3API2WT",
    "ca-west-1": "Z02754302KBB00W2LKWZ9",
    "cn-north-1": "Z3QFB96KMJ7ED6",
    "cn-northwest-1": "ZQEIKTCZ8352D",
    "eu-central-1": "Z3F0SRJ5LGBH90",
    "eu-central-2": "Z02239872DOALSIDCX66S",
    "eu-north-1": "Z1UDT6IFJ4EJM",
    "eu-south-1": "Z23146JA1KNAFP",
    "eu-south-2": "Z1011216NVTVYADP1SSV",
    "eu-west-1": "Z2IFOLAFXWLO4F",
    "eu-west-2": "ZD4D7Y8KGAS4G",
    "eu-west-3": "Z1CMS0P5QUZ6D5",
    "il-central-1": "Z0313266YDI6ZRHTGQY4",
    "me-central-1": "Z00282643NTTLPANJJG2P",
    "me-south-1": "Z3QSRYVP46NYYV",
    "sa-east-1": "ZTK26PT1VY4CU",
    "us-east-1": "Z26RNL4JYFTOTI",
    "us-east-2": "ZLMOA37VPKANP",
    "us-gov-east-1": "Z1ZSMQQ6Q24QQ8",
    "us-gov-west-1": "ZMG1MZ2THAWF1",
    "us-west-1": "Z24FKFUX50B4VW",
    "us-west-2": "Z18D5FSROUN65G",
}

# Partitions other than `aws` (arn:aws-cn, arn:aws-us-gov, the isolated ones, the European
# Sovereign Cloud) by their region-code prefix.
_OTHER_PARTITIONS = ("cn-", "us-gov-", "us-iso", "eu-iso", "eusc-")

PULUMI_AWS_REGIONS = frozenset(region.value for region in AwsRegion)

DEPLOYABLE_REGIONS = frozenset(
    region
    for region in PULUMI_AWS_REGIONS
    if not region.startswith(_OTHER_PARTITIONS) and region in NLB_HOSTED_ZONE_IDS
)


def why_not_deployable(region: str) -> str | None:
    """None for a deployable region; otherwise the reason, for the config error."""
    if region in DEPLOYABLE_REGIONS:
        return None
    if region not in PULUMI_AWS_REGIONS:
        return f"{region!r} is not an AWS region code (for example 'us-east-1')"
    if region.startswith(_OTHER_PARTITIONS):
        return f"{region!r} is outside the commercial 'aws' partition this stack's account is in"
    return (
        f"{region!r} has no Network Load Balancer hosted-zone id in the AWS provider "
        "(aws.lb.getHostedZoneId would fail: 'unsupported AWS Region')"
    )
