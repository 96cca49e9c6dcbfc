"""planning/provider_checks.py and planning/kubernetes_names.py: what `pulumi preview` would refuse,
found offline; each kind of rule broken on purpose."""

from __future__ import annotations

import copy
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from components.aws_backup import (
    BackupVault,
    BackupVaultArgs,
    DatabaseBackupPlan,
    DatabaseBackupPlanArgs,
    VaultLock,
)
from offline.recorder import SECRET_SIG, SIG_KEY, RecordedStack
from offline.stacks import stack_file_config
from planning.kubernetes_names import check_kubernetes
from planning.markdown import render
from planning.plan import check_stack, exit_code, summary
from planning.provider_checks import (
    Violation,
    check_aws,
    check_resource,
    load_table,
)
from regions.config import ConfigError, parse_stack_config
from tests.conftest import DR_STAGES, recorded_resource
from tests.recordings import shared_plan

SELECTION = "aws:backup/selection:Selection"
URN = "urn:pulumi:prod::erlmcp-infra::aws:backup/selection:Selection::x"


def _check(inputs: dict[str, Any], entry: dict[str, Any], deps: dict[str, list[str]] | None = None):
    resource = recorded_resource(URN, SELECTION, inputs=inputs)
    resource.property_dependencies = deps or {}
    return check_resource(resource, entry, "terraform-provider-aws")


def _rule(kind: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "source": "internal/service/x/y.go:1", **fields}


@pytest.mark.parametrize(
    ("rule", "good", "bad"),
    [
        (_rule("length", min=1, max=5), "abcde", "abcdef"),
        (_rule("pattern", regex="^[a-z]+$", message=""), "abc", "ab-c"),
        (_rule("notPattern", regex="--", message=""), "a-b", "a--b"),
        (_rule("oneOf", values=["ENABLED", "DISABLED"]), "ENABLED", "enabled"),
        (_rule("oneOf", values=["a"], ignoreCase=True), "A", "b"),
        (_rule("range", min=1, max=35), 35.0, 36.0),
        (_rule("range", exclusiveMin=0), 0.5, 0.0),
        (_rule("divisibleBy", divisor=8), 16, 12),
        (_rule("notEmpty"), "x", ""),
        (_rule("json", object=True), '{"a": 1}', "[1]"),
        (_rule("cidr", minPrefix=16, maxPrefix=28), "10.0.0.0/16", "10.0.0.0/8"),
        (_rule("cidr", network=True, version=4), "10.0.0.0/16", "10.0.0.1/16"),
        (_rule("ip", version=4), "10.0.0.1", "::1"),
        (_rule("arn"), "arn:aws:iam::123456789012:role/x", "role/x"),
        (_rule("rfc3339"), "2026-12-07T10:00:00Z", "2026-12-07"),
        (
            _rule("anyOf", of=[[_rule("oneOf", values=["x"])], [_rule("length", max=1)]]),
            "y",
            "yy",
        ),
    ],
)
def test_each_kind_of_value_rule(rule, good, bad):
    entry = {"inputs": {"name": [rule]}}
    assert _check({"name": good}, entry) == []
    [violation] = _check({"name": bad}, entry)
    assert violation.argument == "name"
    assert violation.source == "terraform-provider-aws internal/service/x/y.go:1"


def test_a_nested_attribute_is_checked_in_every_element_of_its_block():
    entry = {"inputs": {"rules.lifecycle.deleteAfter": [_rule("range", min=1)]}}
    inputs = {"rules": [{"lifecycle": {"deleteAfter": 7}}, {"lifecycle": {"deleteAfter": 0}}]}
    [violation] = _check(inputs, entry)
    assert violation.argument == "rules[1].lifecycle.deleteAfter"


def test_a_secret_is_checked_but_never_shown():
    entry = {"inputs": {"name": [_rule("length", max=3)]}}
    [violation] = _check({"name": {SIG_KEY: SECRET_SIG, "value": "hunter2"}}, entry)
    assert violation.value == "[secret]"
    assert "hunter2" not in str(violation)


def test_an_input_from_another_resource_is_unknown_at_preview_and_not_judged():
    entry = {"inputs": {"name": [_rule("length", max=3)]}}
    assert _check({"name": "mock-value"}, entry, deps={"name": ["urn:other"]}) == []


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("conflictsWith", {"a": 1}, {"a": 1, "b": 2}),
        ("requiredWith", {"a": 1, "b": 2}, {"a": 1}),
        ("exactlyOneOf", {"b": 2}, {"a": 1, "b": 2}),
        ("exactlyOneOf", {"a": 1}, {}),
        ("atLeastOneOf", {"b": 2}, {}),
    ],
)
def test_each_relation(kind, good, bad):
    entry = {"relations": [{"kind": kind, "attribute": "a", "with": ["b"], "source": "f.go:2"}]}
    assert _check(good, entry) == []
    [violation] = _check(bad, entry)
    assert violation.argument == "a"


def test_relations_name_the_attribute_itself_once_and_an_unknown_counts_as_set():
    relation = {
        "kind": "exactlyOneOf",
        "attribute": "fmt.simple",
        "with": ["fmt.0.simple", "fmt.0.partitioned"],
        "source": "f.go:3",
    }
    entry = {"relations": [relation]}
    assert _check({"fmt": {"simple": {}}}, entry) == []
    assert _check({"fmt": {"simple": {}, "partitioned": {}}}, entry) != []
    assert _check({}, entry) == []  # the block is absent: its relations do not apply


def test_the_table_records_its_source_and_the_selection_limit():
    table = load_table()
    assert table["provider"] == "hashicorp/terraform-provider-aws"
    assert "1a5174b137bbdefdebd6e5c2fc033f829057e283" in table["version"]
    rules = table["resources"][SELECTION]["inputs"]["name"]
    assert {"kind": "length", "min": 1, "max": 50} in [
        {k: r[k] for k in ("kind", "min", "max") if k in r} for r in rules
    ]


def _plan_with_selection(record, selection_name: str | None) -> RecordedStack:
    lock = VaultLock(min_retention_days=7, max_retention_days=365, changeable_for_days=3)

    def program() -> None:
        vaults = {
            region: BackupVault(
                f"{region}-vault",
                BackupVaultArgs(
                    region=region,
                    vault_name=f"v-{region}",
                    kms_key_arn=f"arn:aws:kms:{region}:123456789012:key/k",
                    lock=lock,
                ),
            )
            for region in ("ap-northeast-1", "ap-southeast-1")
        }
        extra = {} if selection_name is None else {"selection_name": selection_name}
        DatabaseBackupPlan(
            "plan",
            DatabaseBackupPlanArgs(
                region="ap-northeast-1",
                plan_name="erlmcp-prod-ap-northeast-1-databases-to-ap-southeast-1",
                vault=vaults["ap-northeast-1"],
                copy_to=vaults["ap-southeast-1"],
                database_arns=["arn:aws:rds:ap-northeast-1:123456789012:db:x"],
                role_arn="arn:aws:iam::123456789012:role/backup",
                start_hour_utc=2,
                retention_days=30,
                **extra,
            ),
        )

    return record(program)


def test_the_old_apac_selection_name_is_refused_and_the_new_one_passes(record):
    old = _plan_with_selection(record, "erlmcp-prod-ap-northeast-1-databases-to-ap-southeast-1")
    [violation] = [v for v in check_aws(old) if v.urn.endswith("-selection")]
    assert violation.argument == "name"
    assert "at most" not in violation.rule and "between 1 and 50" in violation.rule
    assert "internal/service/backup/selection.go" in violation.source
    assert [v for v in check_aws(_plan_with_selection(record, None))] == []


@pytest.mark.parametrize("stage", DR_STAGES)
def test_the_prod_stack_passes_at_every_dr_stage(dr_stage_stack, stage):
    assert check_stack(dr_stage_stack("ap-southeast-1", stage)) == []


def test_prod_passes_and_its_plan_records_no_refusal(prod_stack):
    assert check_stack(prod_stack) == []


def test_a_renamed_environment_that_overflows_a_name_is_refused_naming_the_key():
    config = copy.deepcopy(stack_file_config())
    values = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("erlmcp-infra:")}
    values["environment"] = "production-blu12"
    with pytest.raises(ConfigError) as error:
        parse_stack_config(values)
    message = str(error.value)
    assert "environment" in message and "41 characters" in message
    assert "erlmcp-production-blu12-ap-northeast-1-dr" in message
    assert "use at most 15 characters" in message
    values["environment"] = "production-blue"
    parse_stack_config(values)


def test_kubernetes_names_labels_and_annotations(prod_stack):
    stack = RecordedStack("erlmcp-infra", "prod")
    base = "urn:pulumi:prod::erlmcp-infra::kubernetes:"

    def add(type_: str, inputs: dict[str, Any]) -> None:
        stack.resources.append(
            recorded_resource(
                f"{base}{type_}::r{len(stack.resources)}", f"kubernetes:{type_}", inputs=inputs
            )
        )

    add("core/v1:Namespace", {"metadata": {"name": "n" * 64}})
    add("core/v1:Service", {"metadata": {"name": "1-starts-with-a-digit"}})
    add("core/v1:ConfigMap", {"metadata": {"name": "Upper"}})
    add("apps/v1:StatefulSet", {"metadata": {"name": "ok", "labels": {"app": "v" * 64}}})
    add("core/v1:Secret", {"metadata": {"name": "ok", "annotations": {"bad key!": "x"}}})
    add(
        "apps/v1:StatefulSet",
        {"metadata": {"name": "ok"}, "spec": {"template": {"metadata": {"labels": {"-x": "y"}}}}},
    )
    add("helm.sh/v3:Release", {"name": "r" * 54})
    add(
        "core/v1:ConfigMap",
        {"metadata": {"name": "fine.name", "labels": {"example.com/app": "ok"}}},
    )
    found = check_kubernetes(stack)
    assert [v.urn.rsplit("::", 1)[-1] for v in found] == ["r0", "r1", "r2", "r3", "r4", "r5", "r6"]
    assert "at most 63 characters" in found[0].rule and "DNS-1123 label" in found[0].rule
    assert "DNS-1035" in found[1].rule
    assert found[6].argument == "name" and "53" in found[6].rule
    assert check_kubernetes(prod_stack) == []


def test_make_plan_fails_naming_the_refused_input(prod_stack):
    refused = Violation(URN, "name", '"x"', "length must be between 1 and 50", "selection.go:44")
    plan = shared_plan(prod_stack, stack_file_config())
    assert plan["providerChecks"] == [] and exit_code(plan) == 0
    plan["providerChecks"] = [asdict(refused)]
    assert exit_code(plan) == 1
    text = summary(plan, (Path("plan.json"), Path("plan.md")))
    assert "Provider input checks: FAILED" in text
    assert f'{URN}\n       name = "x": length must be between 1 and 50 (selection.go:44)' in text
    assert "REFUSED BY THE PROVIDER" in render(plan)
