"""The plan tells replacements from in-place updates, and stops on a stateful one."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from offline import plan as plan_cli
from offline.plan import main, plan_resources
from offline.plan_diff import STATEFUL_IDENTITY, blocks_the_plan, diff_plans
from offline.replacements import (
    FORCE_NEW_TABLE,
    changed_paths,
    force_new_paths,
    replacing_changes,
)
from offline.stacks import stack_file_config
from tests.recordings import pack_report, recorded_stack, shared_plan

RDS = "aws:rds/instance:Instance"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"


# --- the rules -------------------------------------------------------------------------------


def test_the_table_covers_every_aws_type_the_program_uses(prod_stack):
    table = json.loads(FORCE_NEW_TABLE.read_text())
    used = {r.type for r in prod_stack.resources if r.type.startswith("aws:")}
    assert used <= set(table["resources"]), sorted(used - set(table["resources"]))
    assert table["provider"] == "hashicorp/terraform-provider-aws"
    assert table["version"], "the table names the provider source it was read from"
    assert table["notes"]["missingFiles"] == []


@pytest.mark.parametrize(
    ("type_", "forcing"),
    [
        (RDS, {"identifier", "region", "availabilityZone"}),
        ("aws:rds/cluster:Cluster", {"clusterIdentifier", "region"}),
        (CACHE, {"replicationGroupId", "region"}),
        ("aws:eks/cluster:Cluster", {"name", "region"}),
        ("aws:route53/zone:Zone", {"name"}),
        ("aws:s3/bucket:Bucket", {"bucket", "region"}),
        ("aws:kms/key:Key", {"region"}),
    ],
)
def test_the_identifying_inputs_force_a_replacement(type_, forcing):
    assert forcing <= set(force_new_paths(type_) or ())


def test_changed_paths_skip_list_positions_and_name_both_sides():
    before = {"a": {"b": [1, 2]}, "c": {"d": 1}}
    after = {"a": {"b": [1, 3]}, "e": {"f": 1}}
    assert set(changed_paths(before, after)) == {("a", "b"), ("c",), ("c", "d"), ("e",), ("e", "f")}


def test_an_in_place_change_is_not_a_replacement():
    before = {"identifier": "erlmcp-prod-us-east-1", "instanceClass": "db.r6g.large"}
    after = {**before, "instanceClass": "db.r6g.xlarge"}
    assert replacing_changes(RDS, before, after) == []


def test_a_new_identifier_is_a_replacement():
    before = {"identifier": "erlmcp-prod-us-east-1", "instanceClass": "db.r6g.large"}
    after = {**before, "identifier": "erlmcp-production-us-east-1"}
    assert replacing_changes(RDS, before, after) == ["identifier"]


def test_a_statefulset_selector_is_immutable_but_its_replicas_are_not():
    spec = {"selector": {"matchLabels": {"app": "erlmcp"}}, "replicas": 3}
    before = {"metadata": {"name": "erlmcp-cluster"}, "spec": spec}
    more = copy.deepcopy(before)
    more["spec"]["replicas"] = 5
    assert replacing_changes(STATEFULSET, before, more) == []
    relabelled = copy.deepcopy(before)
    relabelled["spec"]["selector"]["matchLabels"]["app"] = "erlmcp-v2"
    assert replacing_changes(STATEFULSET, before, relabelled) == ["spec.selector"]


def test_a_secret_or_config_map_is_replaced_when_its_data_changes():
    # pulumi-kubernetes treats both as immutable unless enable{Secret,ConfigMap}Mutable is set.
    assert replacing_changes(
        "kubernetes:core/v1:ConfigMap", {"data": {"A": "1"}}, {"data": {"A": "2"}}
    ) == ["data"]


def test_a_new_password_length_is_a_new_password():
    type_ = "random:index/randomPassword:RandomPassword"
    assert replacing_changes(type_, {"length": 32}, {"length": 40}) == ["length"]


def test_an_unknown_type_says_so_instead_of_guessing():
    assert replacing_changes("aws:foo/bar:Bar", {"a": 1}, {"a": 2}) is None


# --- whole plans ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod_plan(prod_stack) -> dict[str, Any]:
    return shared_plan(prod_stack, stack_file_config())


def plan_of(change) -> dict[str, Any]:
    """The resources of the plan of prod with `change` made to its config (all a diff reads)."""
    config = copy.deepcopy(stack_file_config())
    change(config)
    return {"resources": plan_resources(recorded_stack(config))}


def replaced_types(diff: dict[str, Any], stateful: bool = True) -> set[str]:
    return {r["type"] for r in diff["replaced"] if r["stateful"] == stateful}


def test_renaming_the_environment_replaces_the_stateful_resources_loudly(prod_plan):
    renamed = plan_of(lambda c: c.update({"erlmcp-infra:environment": "production"}))
    diff = diff_plans(prod_plan, renamed)
    assert {
        RDS,
        "aws:rds/cluster:Cluster",
        "aws:rds/globalCluster:GlobalCluster",
        "aws:rds/clusterInstance:ClusterInstance",
        CACHE,
        "aws:eks/cluster:Cluster",
    } <= replaced_types(diff)
    assert blocks_the_plan(diff)
    assert all(w.startswith("STATEFUL RESOURCE REPLACED") for w in diff["warnings"][:5])
    # Every stateful replacement names the input that forces it.
    database = next(r for r in diff["replaced"] if r["type"] == RDS)
    assert database["because"] == ["identifier"]


def test_a_new_domain_replaces_the_hosted_zone(prod_plan):
    moved = plan_of(lambda c: c.update({"erlmcp-infra:domain": "erlmcp.example"}))
    diff = diff_plans(prod_plan, moved)
    [zone] = [r for r in diff["replaced"] if r["type"] == "aws:route53/zone:Zone"]
    assert zone["because"] == ["name"] and zone["stateful"]
    assert blocks_the_plan(diff)


def _harmless_edits(config: dict[str, Any]) -> None:
    """Three everyday edits at once (one render instead of three; each is checked to land)."""
    config["erlmcp-infra:regions"]["us-east-1"]["database"].update(instanceClass="db.r6g.2xlarge")
    config["erlmcp-infra:regions"]["eu-west-1"].update(pods=4)
    config["erlmcp-infra:release"].update(
        version="3.0.1", imageDigests={"3.0.1": "sha256:" + "1" * 64}
    )


def test_harmless_edits_update_in_place(prod_plan):
    diff = diff_plans(prod_plan, plan_of(_harmless_edits))
    changed = {c["urn"].rsplit("::", 1)[-1]: set(c["inputs"]) for c in diff["changed"]}
    # Each edit lands where it should...
    assert "instanceClass" in changed["us-east-1-aurora-instance-0"]
    assert "spec" in changed["eu-west-1-erlmcp-statefulset"]
    assert "spec" in changed["ap-southeast-1-erlmcp-statefulset"]  # the new image everywhere
    # ...and none of them replaces anything, stateful or not.
    assert diff["replaced"] == []
    assert not blocks_the_plan(diff)
    assert not any(w.startswith("STATEFUL") for w in diff["warnings"])


def _with_input(plan: dict[str, Any], type_: str, key: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(plan)
    resource = next(r for r in changed["resources"] if r["type"] == type_)
    resource["inputs"][key] = value
    return changed


@pytest.mark.parametrize(
    ("type_", "key"),
    [(RDS, "identifier"), (CACHE, "replicationGroupId")],
)
def test_a_changed_identifier_is_a_stateful_replacement(prod_plan, type_, key):
    diff = diff_plans(prod_plan, _with_input(prod_plan, type_, key, "erlmcp-renamed"))
    [replaced] = diff["replaced"]
    assert (replaced["type"], replaced["because"], replaced["stateful"]) == (type_, [key], True)
    assert blocks_the_plan(diff)


def test_a_statefulset_selector_change_is_listed_but_not_stateful(prod_plan):
    changed = copy.deepcopy(prod_plan)
    statefulset = next(r for r in changed["resources"] if r["type"] == STATEFULSET)
    statefulset["inputs"]["spec"]["selector"]["matchLabels"]["tier"] = "new"
    diff = diff_plans(prod_plan, changed)
    [replaced] = diff["replaced"]
    assert replaced["because"] == ["spec.selector"] and not replaced["stateful"]
    assert not blocks_the_plan(diff)


def test_allowing_a_replacement_by_name_lets_the_plan_pass(prod_plan):
    changed = _with_input(prod_plan, RDS, "identifier", "erlmcp-renamed")
    [urn] = [r["urn"] for r in diff_plans(prod_plan, changed)["replaced"]]
    diff = diff_plans(prod_plan, changed, allow_replace=[urn])
    assert diff["replaced"][0]["allowed"] and not blocks_the_plan(diff)
    assert not any(w.startswith("STATEFUL RESOURCE REPLACED") for w in diff["warnings"])


def test_eks_clusters_and_aurora_instances_count_as_stateful():
    assert {"aws:eks/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"} <= set(
        STATEFUL_IDENTITY
    )


def test_the_cli_exits_1_on_a_stateful_replacement_unless_allowed(
    monkeypatch, tmp_path, prod_stack, prod_plan
):
    old = _with_input(prod_plan, RDS, "identifier", "erlmcp-older-name")
    old_path = tmp_path / "old.json"
    old_path.write_text(json.dumps(old))
    monkeypatch.setattr(
        plan_cli, "record_stack_file", lambda *a, **k: (prod_stack, stack_file_config())
    )
    # The session's pack report of prod, not three more runs of the pack.
    monkeypatch.setattr(
        plan_cli, "analyze_recorded", lambda recorded, **k: pack_report(recorded, **k)
    )
    out = tmp_path / "out"
    assert main(["--against", str(old_path), "--out", str(out)]) == 1
    page = (out / "plan.md").read_text()
    assert "STATEFUL RESOURCE REPLACED" in page.split("## Topology")[0]  # at the top
    urn = next(
        r["urn"] for r in old["resources"] if r["inputs"].get("identifier") == "erlmcp-older-name"
    )
    assert main(["--against", str(old_path), "--out", str(out), "--allow-replace", urn]) == 0
    # A list written with spaces after the commas names the same URNs.
    listed = f"urn:pulumi:prod::erlmcp-infra::other, {urn}"
    assert main(["--against", str(old_path), "--out", str(out), "--allow-replace", listed]) == 0


def test_stating_a_value_aws_computed_is_not_a_replacement():
    # A promoted replica states `engine`, which it inherited: Terraform diffs against the state,
    # where the engine already is "postgres".
    replica = {"identifier": "erlmcp-prod-x", "replicateSourceDb": "arn:aws:rds:..."}
    promoted = {"identifier": "erlmcp-prod-x", "engine": "postgres"}
    assert "engine" in force_new_paths(RDS)
    assert replacing_changes(RDS, replica, promoted) == []
    # Between two set values it is a replacement for certain.
    assert replacing_changes(RDS, promoted, {**promoted, "engine": "mysql"}) == ["engine"]


@pytest.mark.parametrize("primary", ["us-east-1", "ap-southeast-1"])
def test_no_step_of_failover_and_failback_replaces_anything_stateful(dr_stage_stack, primary):
    from tests.conftest import DR_STAGES

    # The diff reads only the resources: no need for the whole plan (and its pack run) here.
    plans = [{"resources": plan_resources(dr_stage_stack(primary, stage))} for stage in DR_STAGES]
    for stage, before, after in zip(DR_STAGES[1:], plans, plans[1:], strict=False):
        diff = diff_plans(before, after)
        stateful = [r["urn"] for r in diff["replaced"] if r["stateful"]]
        assert stateful == [], f"{stage}: {stateful}"


def test_a_resources_own_replace_on_changes_counts_as_a_replacement():
    before = {"spec": {"loadBalancerClass": None, "type": "LoadBalancer"}}
    after = {"spec": {"loadBalancerClass": "service.k8s.aws/nlb", "type": "LoadBalancer"}}
    service = "kubernetes:core/v1:Service"
    assert replacing_changes(service, before, after) == []
    assert replacing_changes(service, before, after, also=["spec.loadBalancerClass"]) == [
        "spec.loadBalancerClass"
    ]
