"""offline/policy_speedups.py `analyze_stack_building_resources_once` answers exactly as
pulumi-policy's own `AnalyzeStack` does: the same diagnostics, in the same order, the same
not-applicable entries, for the whole pack over a broken prod stack and for policies that read
every part of a resource, read an unknown, are not applicable, are disabled, or are async."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from offline.analyzer import PackAnalyzer, StackPresentation, provider_resource, stack_resource
from offline.policy_runner import merge_policy_config, pack_analyzer, stack_policy_config
from offline.policy_speedups import (
    _each_message_decoded_once,
    _proxies_built_on_access,
    analyze_stack_building_resources_once,
)
from offline.recorder import UNKNOWN, RecordedStack
from tests.policies.conftest import drop_resource


def both_ways(analyzer: PackAnalyzer, request: Any) -> tuple[Any, Any]:
    with _each_message_decoded_once(), _proxies_built_on_access():
        fast = analyze_stack_building_resources_once(analyzer.servicer, request)
    slow = analyzer.servicer.AnalyzeStack(request, None)
    return fast, slow


def test_the_whole_pack_finds_the_same_over_a_broken_prod(
    prod_stack: RecordedStack, prod_config: dict[str, Any]
):
    broken = copy.deepcopy(prod_stack)
    kinds = (
        "aws:route53/healthCheck:HealthCheck",
        "aws:amp/ruleGroupNamespace:RuleGroupNamespace",
        "aws:backup/vault:Vault",
        "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec",
    )
    for resource in [r for r in broken.resources if r.type in kinds]:
        drop_resource(broken, resource.name)
    lag_alarms = [r for r in broken.resources if r.name.endswith("-lag-alarm")]
    for resource in lag_alarms:
        drop_resource(broken, resource.name)
    stack_config = prod_config
    analyzer = pack_analyzer(merge_policy_config(stack_policy_config(stack_config)))
    request = StackPresentation(broken, stack_config=stack_config).analyze_stack_request()
    fast, slow = both_ways(analyzer, request)
    assert fast == slow
    assert len({d.policyName for d in fast.diagnostics}) >= 4, fast.diagnostics


def _graph_reader(args, report_violation):
    for resource in args.resources:
        parent = resource.parent.urn if resource.parent else None
        deps = [d.urn for d in resource.dependencies]
        prop_deps = {k: [d.urn for d in v] for k, v in resource.property_dependencies.items()}
        provider = resource.provider.props["region"] if resource.provider else None
        report_violation(
            f"{resource.name} {resource.props['size']} {parent} {deps} {prop_deps} "
            f"{resource.opts.protect} {provider}",
            resource.urn,
        )


def _unknown_reader(args, report_violation):
    for resource in args.resources:
        report_violation(str(resource.props["size"]))


def _not_applicable(args, report_violation):
    args.not_applicable("nothing to see")


async def _async_reporter(args, report_violation):
    report_violation(f"{len(args.resources)} resources, config {args.get_config()}")


POLICIES = [
    StackValidationPolicy("graph-reader", "reads every part", _graph_reader),
    StackValidationPolicy("unknown-reader", "reads an unknown", _unknown_reader),
    StackValidationPolicy("not-applicable", "not applicable", _not_applicable),
    StackValidationPolicy("async-reporter", "async", _async_reporter),
    StackValidationPolicy(
        "disabled", "never runs", _unknown_reader, enforcement_level=EnforcementLevel.DISABLED
    ),
    StackValidationPolicy(
        "remediating",
        "remediate is mandatory on a stack",
        _async_reporter,
        enforcement_level=EnforcementLevel.REMEDIATE,
    ),
]


@pytest.mark.parametrize("size", [3, UNKNOWN], ids=["known", "unknown"])
def test_every_path_of_analyze_stack_is_the_same(size):
    provider = provider_resource(
        "pulumi:providers:aws",
        "eu",
        "urn:pulumi:test::p::pulumi:providers:aws::eu",
        {"region": "x"},
    )
    parent = stack_resource("test:index:Parent", {"size": 1}, name="parent")
    child = stack_resource(
        "test:index:Child",
        {"size": size},
        name="child",
        parent=parent.urn,
        dependencies=[parent.urn, "urn:pulumi:test::p::test:index:Gone::gone"],
        property_dependencies={"size": [parent.urn]},
        provider=provider,
    )
    request = analyzer_pb2.AnalyzeStackRequest(resources=[parent, child])
    analyzer = PackAnalyzer(POLICIES, name="test", enforcement_level=EnforcementLevel.MANDATORY)
    fast, slow = both_ways(analyzer, request)
    assert fast == slow
    assert {d.policyName for d in fast.diagnostics} == {
        "graph-reader",
        "unknown-reader",
        "async-reporter",
        "remediating",
    }
    assert [n.policy_name for n in fast.not_applicable] == ["not-applicable"]
