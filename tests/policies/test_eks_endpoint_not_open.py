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
