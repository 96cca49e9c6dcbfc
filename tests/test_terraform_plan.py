"""The stack in the shapes checkov reads (scan/terraform_plan.py): every value checkov can
evaluate is there, as `terraform show -json` and Kubernetes would write it."""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import typing
from collections.abc import Iterator
from typing import Any

import pytest

from offline.recorder import reveal
from offline.sdk_types import resource_class
from scan.terraform_plan import (
    TERRAFORM_TYPES,
    is_document,
    kubernetes_manifests,
    terraform_plan,
    terraform_values,
)


def test_values_become_terraform_shaped():
    inputs = {
        "bucket": "b",
        "tags": {"owner": "sre", "costCenter": "x"},
        "rules": [
            {
                "id": "r",
                "filter": {"prefix": "p/"},
                "noncurrentVersionExpiration": {"noncurrentDays": 7.0},
            }
        ],
        "latencyRoutingPolicies": [{"region": "us-east-1", "weight": 0.5}],
        "subjectAlternativeNames": ["a", "b"],
        "ports": [80.0, 443.0],
    }
    values = terraform_values(inputs)
    assert values == {
        "bucket": "b",
        "tags": {"owner": "sre", "costCenter": "x"},  # a map keeps its keys
        "rule": [
            {
                "id": "r",
                "filter": [{"prefix": "p/"}],
                "noncurrent_version_expiration": [{"noncurrent_days": 7}],
            }
        ],
        "latency_routing_policy": [{"region": "us-east-1", "weight": 0.5}],
        "subject_alternative_names": ["a", "b"],
        "ports": [80, 443],
    }
    # A whole number is an int, as `terraform show -json` writes it; a fraction stays a float.
    assert type(values["rule"][0]["noncurrent_version_expiration"][0]["noncurrent_days"]) is int
    assert type(values["ports"][0]) is int
    assert type(values["latency_routing_policy"][0]["weight"]) is float


def test_a_document_is_a_json_object_in_a_string():
    assert is_document('{"Version": "2012-10-17", "Statement": []}')
    assert not is_document("arn:aws:s3:::bucket")
    assert not is_document('["a"]')
    assert not is_document("{not json")
    assert not is_document({"Statement": []})


@pytest.fixture(scope="module")
def plan(prod_stack):
    return terraform_plan(prod_stack)


def planned_of(plan: dict[str, Any], tf_type: str) -> dict[str, dict[str, Any]]:
    return {
        p["address"]: p["values"]
        for p in plan["planned_values"]["root_module"]["resources"]
        if p["type"] == tf_type
    }


def expressions_of(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        c["address"]: c["expressions"] for c in plan["configuration"]["root_module"]["resources"]
    }


def test_every_aws_resource_is_in_the_plan_with_its_terraform_type(prod_stack, plan):
    aws = [r for r in prod_stack.resources if r.type.startswith("aws:")]
    assert {r.type for r in aws} <= set(TERRAFORM_TYPES)
    planned = plan["planned_values"]["root_module"]["resources"]
    assert len(planned) == len(aws)
    assert len({p["address"] for p in planned}) == len(planned)


def test_a_value_taken_from_another_resource_is_a_reference(plan):
    configs = expressions_of(plan)
    planned = planned_of(plan, "aws_s3_bucket_versioning")
    assert planned
    for address, values in planned.items():
        assert "bucket" not in values  # known after apply, as in a first plan
        [reference, bare] = configs[address]["bucket"]["references"]
        assert bare.startswith("aws_s3_bucket.") and reference == f"{bare}.id"


def test_log_retention_is_an_integer_checkov_can_compare(plan):
    groups = planned_of(plan, "aws_cloudwatch_log_group")
    # 13, and the 9 Lambda functions' (5 probes, 4 cache failovers: regions/region_switch.py).
    assert len(groups) == 22
    assert all(type(values["retention_in_days"]) is int for values in groups.values())


@pytest.mark.parametrize(
    ("tf_type", "attribute", "count"),
    [
        ("aws_s3_bucket_policy", "policy", 12),
        # +13 each: 9 Lambda functions and 4 Region switch plans (regions/region_switch.py).
        ("aws_iam_role_policy", "policy", 43),
        ("aws_iam_role", "assume_role_policy", 51),
        ("aws_kms_key", "policy", 7),
        ("aws_cloudwatch_log_resource_policy", "policy_document", 1),
    ],
)
def test_a_policy_document_keeps_its_value_beside_its_references(plan, tf_type, attribute, count):
    planned = planned_of(plan, tf_type)
    configs = expressions_of(plan)
    assert len(planned) == count
    for address, values in planned.items():
        assert "Statement" in json.loads(values[attribute]), address
    # Kept even where the document is built from other resources' outputs (which used to drop it).
    dependent = [a for a in planned if attribute in configs[a]]
    if tf_type in ("aws_s3_bucket_policy", "aws_cloudwatch_log_resource_policy"):
        assert len(dependent) == count


def test_a_document_refers_to_the_arns_it_names(plan):
    """As Terraform's `configuration` records `jsonencode({... aws_s3_bucket.x.arn ...})`: the
    attribute, then the resource."""
    configs = expressions_of(plan)
    for address, values in planned_of(plan, "aws_s3_bucket_policy").items():
        [bucket] = configs[address]["bucket"]["references"][1::2]
        references = configs[address]["policy"]["references"]
        assert references[references.index(bucket) - 1] == f"{bucket}.arn"
        assert "bucket" not in values  # the bucket's name: known after apply


# --- numbers against pulumi-aws's own types ---------------------------------------------------


def _numbers(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _numbers(inner, (*path, key))
    elif isinstance(value, list):
        for inner in value:
            yield from _numbers(inner, path)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, value


def _annotation_leaves(annotation: Any) -> Iterator[Any]:
    if isinstance(annotation, typing.ForwardRef):
        yield annotation.__forward_arg__
    elif isinstance(annotation, type):
        yield annotation
    else:
        for inner in typing.get_args(annotation):
            yield from _annotation_leaves(inner)


def pulumi_number_type(args_class: type, path: tuple[str, ...]) -> type:
    """The Python type pulumi-aws gives the input at `path` (engine names), following nested
    `...Args` classes: int or float."""
    getters = {
        getattr(prop.fget, "_pulumi_name", name): prop.fget
        for name, prop in inspect.getmembers(args_class, lambda m: isinstance(m, property))
    }
    leaves = list(_annotation_leaves(getters[path[0]].__annotations__["return"]))
    if len(path) == 1:
        [number] = {leaf for leaf in leaves if leaf in (int, float)}
        return number
    [nested] = {leaf for leaf in leaves if isinstance(leaf, str) and leaf.endswith("Args")}
    return pulumi_number_type(getattr(sys.modules[args_class.__module__], nested), path[1:])


def pulumi_args_class(token: str) -> type:
    name = token.split(":")[2]
    # The resource class's own module (pulumi_aws.lambda_ for lambda/: a keyword).
    return getattr(importlib.import_module(resource_class(token).__module__), f"{name}Args")


# Inputs that pulumi-aws types as float (terraform-provider-aws TypeFloat) and the program gives
# whole values: internal/service/cloudwatch/metric_alarm.go `threshold`.
FLOAT_INPUTS = {
    ("aws:cloudwatch/metricAlarm:MetricAlarm", ("threshold",)),
    # internal/service/arcregionswitch/plan.go: retry_interval_minutes is a Float32Attribute.
    (
        "aws:arcregionswitch/plan:Plan",
        (
            "workflows",
            "steps",
            "parallelConfigs",
            "steps",
            "customActionLambdaConfigs",
            "retryIntervalMinutes",
        ),
    ),
}


def test_every_number_written_as_an_integer_is_an_integer_in_pulumi_aws(prod_stack):
    """The export writes whole numbers as ints (so does `terraform show -json`, whatever the
    attribute's type); here each of them is an int in the provider's own schema too, so checkov
    compares what AWS will be sent."""
    checked = set()
    for resource in prod_stack.resources:
        if not resource.type.startswith("aws:"):
            continue
        for path, number in _numbers(reveal(resource.inputs)):
            if (resource.type, path) in checked:
                continue
            checked.add((resource.type, path))
            declared = pulumi_number_type(pulumi_args_class(resource.type), path)
            assert float(number).is_integer(), (resource.type, path, number)
            # A float attribute with a whole value (an alarm's threshold) is a cty number like
            # any other: `terraform show -json` writes it without a fraction as well.
            assert declared is int or (resource.type, path) in FLOAT_INPUTS, (
                resource.type,
                path,
                number,
            )
    assert len(checked) > 30


def test_kubernetes_numbers_are_integers(prod_stack):
    manifests = dict(kubernetes_manifests(prod_stack))
    statefulsets = [m for m in manifests.values() if m["kind"] == "StatefulSet"]
    assert statefulsets
    for manifest in statefulsets:
        pod = manifest["spec"]["template"]["spec"]
        assert type(manifest["spec"]["replicas"]) is int
        assert type(pod["securityContext"]["runAsUser"]) is int
        assert all(
            type(port["containerPort"]) is int
            for container in pod["containers"]
            for port in container.get("ports", [])
        )


def test_no_generated_secret_reaches_the_scan_files(prod_stack, plan):
    secrets = {
        reveal(r.outputs["result"])
        for r in prod_stack.of_type("random:index/randomPassword:RandomPassword")
    }
    text = json.dumps(plan) + json.dumps(list(kubernetes_manifests(prod_stack)))
    assert secrets and not any(s in text for s in secrets)


def test_manifests_carry_their_api_version_and_kind(prod_stack):
    manifests = dict(kubernetes_manifests(prod_stack))
    statefulsets = [m for m in manifests.values() if m["kind"] == "StatefulSet"]
    assert statefulsets and all(m["apiVersion"] == "apps/v1" for m in statefulsets)
    assert all(m["apiVersion"] == "v1" for m in manifests.values() if m["kind"] == "Secret")
