"""eks-network-policy-enforced and eks-hpa-has-metrics-source on the prod stack and on broken
copies of it."""

from __future__ import annotations

import json

from tests.policies.conftest import drop_resource, messages, set_property

NETWORK = "eks-network-policy-enforced"
METRICS = "eks-hpa-has-metrics-source"


def violations(analyze_stack, stack, policy) -> list[str]:
    return messages(analyze_stack(stack, policies=[policy]), policy)


def test_prod_stack_passes_both(analyze_stack, prod_stack):
    assert violations(analyze_stack, prod_stack, NETWORK) == []
    assert violations(analyze_stack, prod_stack, METRICS) == []


def test_a_cni_without_network_policy_enforcement_is_a_violation(analyze_stack, broken_prod):
    set_property(broken_prod, "eu-west-1-eks-addon-vpc-cni", "configurationValues", json.dumps({}))
    [message] = violations(analyze_stack, broken_prod, NETWORK)
    assert message.startswith(
        "EKS cluster 'erlmcp-prod-eu-west-1' runs vpc-cni without configuration "
        '{"enableNetworkPolicy": "true"}, so the NetworkPolicies of its workloads'
    )


def test_a_cluster_without_the_cni_add_on_is_a_violation(analyze_stack, broken_prod):
    drop_resource(broken_prod, "ap-southeast-1-eks-addon-vpc-cni")
    [message] = violations(analyze_stack, broken_prod, NETWORK)
    assert "'erlmcp-prod-ap-southeast-1' has no vpc-cni add-on" in message


def test_an_hpa_without_metrics_server_in_its_cluster_is_a_violation(analyze_stack, broken_prod):
    drop_resource(broken_prod, "us-east-1-eks-addon-metrics-server")
    found = violations(analyze_stack, broken_prod, METRICS)
    assert found == [
        "HorizontalPodAutoscaler 'erlmcp' runs in EKS cluster 'erlmcp-prod-us-east-1', which "
        "has no metrics source: add the metrics-server add-on (aws.eks.Addon) or it never scales."
    ]


def test_an_add_on_of_another_cluster_does_not_count(analyze_stack, broken_prod):
    addon = "us-east-1-eks-addon-metrics-server"
    set_property(broken_prod, addon, "clusterName", "erlmcp-prod-us-west-2")
    broken_prod.named(addon).property_dependencies["clusterName"] = []
    [message] = violations(analyze_stack, broken_prod, METRICS)
    assert "'erlmcp-prod-us-east-1', which has no metrics source" in message
