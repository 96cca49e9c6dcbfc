"""eks-endpoint-not-open, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "eks-endpoint-not-open"
CLUSTER = "aws:eks/cluster:Cluster"
NO_CIDRS = (
    "the public endpoint has no publicAccessCidrs, so AWS opens it to 0.0.0.0/0: set "
    "endpointPublicAccess false or list the allowed CIDRs."
)


def endpoint(**vpc: object) -> dict:
    return {"version": "1.33", "vpcConfig": {"subnetIds": ["subnet-1"], **vpc}}


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


def test_private_endpoint_passes(analyze_resource):
    props = endpoint(endpointPublicAccess=False, endpointPrivateAccess=True)
    assert messages(analyze_resource(CLUSTER, props), POLICY) == []


def test_public_endpoint_limited_to_cidrs_passes(analyze_resource):
    props = endpoint(endpointPublicAccess=True, publicAccessCidrs=["198.51.100.0/24"])
    assert messages(analyze_resource(CLUSTER, props), POLICY) == []


@pytest.mark.parametrize("open_cidr", ["0.0.0.0/0", "::/0"])
def test_open_cidr_is_a_mandatory_violation(analyze_resource, open_cidr):
    props = endpoint(endpointPublicAccess=True, publicAccessCidrs=["10.0.0.0/8", open_cidr])
    [found] = only(analyze_resource(CLUSTER, props), POLICY)
    assert found.detail == f"publicAccessCidrs opens the API endpoint to {open_cidr}."
    assert found.enforcement_level == "mandatory"


def test_aws_defaults_are_open(analyze_resource):
    """Omitted endpointPublicAccess means public; omitted publicAccessCidrs means 0.0.0.0/0."""
    assert messages(analyze_resource(CLUSTER, endpoint()), POLICY) == [NO_CIDRS]
    assert messages(analyze_resource(CLUSTER, {"version": "1.33"}), POLICY) == [NO_CIDRS]
    props = endpoint(endpointPublicAccess=True, publicAccessCidrs=[])
    assert messages(analyze_resource(CLUSTER, props), POLICY) == [NO_CIDRS]


def test_unknown_values_are_not_violations(analyze_resource):
    assert only(analyze_resource(CLUSTER, endpoint(endpointPublicAccess=UNKNOWN)), POLICY) == []
    props = endpoint(endpointPublicAccess=True, publicAccessCidrs=UNKNOWN)
    assert only(analyze_resource(CLUSTER, props), POLICY) == []
    assert only(analyze_resource(CLUSTER, {"vpcConfig": UNKNOWN}), POLICY) == []


@pytest.mark.parametrize(
    ("cidrs", "opened", "merged"),
    [
        (["0.0.0.0/1", "128.0.0.0/1"], "4,294,967,296", "0.0.0.0/0"),
        (
            ["198.51.100.0/24", "13.0.0.0/8", "12.0.0.0/8"],
            "33,554,688",
            "12.0.0.0/7, 198.51.100.0/24",
        ),
        (["2001:db8::/32"], "79,228,162,514,264,337,593,543,950,336", "2001:db8::/32"),
    ],
)
def test_ranges_that_together_open_more_than_a_slash_8_are_refused(
    analyze_resource, cidrs, opened, merged
):
    # A cluster registered by code, not the stack file: the config model never saw its list.
    props = endpoint(endpointPublicAccess=True, publicAccessCidrs=cidrs)
    [found] = only(analyze_resource(CLUSTER, props), POLICY)
    assert found.detail == (
        f"publicAccessCidrs together open the API endpoint to {opened} addresses ({merged}); "
        "at most 16,777,216 (one /8) may be listed: list the VPN and CI egress ranges."
    )
    assert found.enforcement_level == "mandatory"


def test_overlapping_ranges_count_once_and_one_slash_8_passes(analyze_resource):
    cidrs = ["11.0.0.0/8", "11.1.0.0/16", "11.2.3.0/24", "2001:db8::/104"]
    props = endpoint(endpointPublicAccess=True, publicAccessCidrs=cidrs)
    assert messages(analyze_resource(CLUSTER, props), POLICY) == []
