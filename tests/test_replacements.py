"""The plan tells replacements from in-place updates, and stops on a stateful one."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from offline.stacks import stack_file_config
from planning import plan as plan_cli
from planning.diff import STATEFUL_IDENTITY, blocks_the_plan, diff_plans
from planning.plan import main, plan_resources
from planning.replacements import (
    FORCE_NEW_TABLE,
    aws_filled_in,
    changed_paths,
    force_new_paths,
    replacing_changes,
)
from tests.conftest import everyday_edits
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


CLAIM = {
    "metadata": {"name": "data"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}},
}
BIGGER = {**CLAIM, "spec": {**CLAIM["spec"], "resources": {"requests": {"storage": "20Gi"}}}}


@pytest.mark.parametrize(
    ("claims_before", "claims_after"),
    [
        (None, [CLAIM]),
        ([CLAIM], [BIGGER]),
        ([CLAIM], [CLAIM, {**CLAIM, "metadata": {"name": "logs"}}]),
        ([CLAIM], None),
    ],
    ids=["added", "resized", "one-more", "removed"],
)
def test_a_statefulsets_volume_claim_templates_are_replaced_not_updated(
    claims_before, claims_after
):
    """pulumi-kubernetes v4.32.0-27-g94977969d provider/pkg/provider/diff.go lines 196-205
    (`statefulSet`: ".spec.volumeClaimTemplates" is force-new), and provider.go
    `addPatchValueToDiff` (lines 3281-3356): a force-new field added, changed or removed is
    ADD_REPLACE, UPDATE_REPLACE or DELETE_REPLACE, which the Diff reports as replaces (lines
    1605-1615)."""

    def statefulset(claims):
        spec = {"replicas": 2, "serviceName": "erlmcp-headless"}
        return {
            "metadata": {"name": "erlmcp"},
            "spec": {**spec, **({"volumeClaimTemplates": claims} if claims else {})},
        }

    assert replacing_changes(
        STATEFULSET, statefulset(claims_before), statefulset(claims_after)
    ) == ["spec.volumeClaimTemplates"]


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


def test_everyday_edits_update_in_place(prod_plan):
    """tests/conftest.py `everyday_edits`, all at once (one render; each is checked to land)."""
    diff = diff_plans(prod_plan, plan_of(everyday_edits))
    changed = {c["urn"].rsplit("::", 1)[-1]: set(c["inputs"]) for c in diff["changed"]}
    # Each edit lands where it should...
    assert "instanceClass" in changed["us-east-1-aurora-instance-0"]
    assert "spec" in changed["eu-west-1-erlmcp-statefulset"]
    assert "spec" in changed["ap-southeast-1-erlmcp-statefulset"]  # the new image everywhere
    assert "backupRetentionPeriod" in changed["us-east-1-aurora-cluster"]
    assert "backupRetentionPeriod" in changed["ap-southeast-1-postgres-db"]
    assert "rules" in changed["eu-west-1-backups-lifecycle"]
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


def test_a_plan_giving_a_statefulset_a_volume_claim_template_lists_its_replacement(prod_plan):
    changed = copy.deepcopy(prod_plan)
    statefulset = next(r for r in changed["resources"] if r["type"] == STATEFULSET)
    assert "volumeClaimTemplates" not in statefulset["inputs"]["spec"]
    statefulset["inputs"]["spec"]["volumeClaimTemplates"] = [CLAIM]
    [replaced] = diff_plans(prod_plan, changed)["replaced"]
    assert (replaced["urn"], replaced["because"]) == (
        statefulset["urn"],
        ["spec.volumeClaimTemplates"],
    )


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


# --- one side only: set, or no longer set ---------------------------------------------------
# terraform-provider-aws as of 2024-04-17 (/work/.mirror/nuno407+terraform-provider-aws):
# internal/service/elasticache/replication_group.go `kms_key_id` ForceNew, not Computed (lines
# 340-344), `at_rest_encryption_enabled` and `transit_encryption_enabled` ForceNew and Computed
# (58-63, 327-332); internal/service/rds/instance.go `storage_encrypted` ForceNew, not Computed
# (629-633), `kms_key_id` ForceNew and Computed (354-360). force_new.json must say the same.

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CACHE_BASE = {"replicationGroupId": "erlmcp-prod-us-east-1", "engine": "redis"}
RDS_BASE = {"identifier": "erlmcp-prod-ap-southeast-1", "engine": "postgres"}


def test_the_table_reads_the_one_sided_cases_as_the_provider_source_does():
    table = json.loads(FORCE_NEW_TABLE.read_text())
    forcing, computed = table["resources"], table["computed"]
    assert "kmsKeyId" in forcing[CACHE] and "kmsKeyId" not in computed[CACHE]
    assert {"atRestEncryptionEnabled", "transitEncryptionEnabled"} <= set(computed[CACHE])
    assert "storageEncrypted" in forcing[RDS] and "storageEncrypted" not in computed[RDS]
    assert "kmsKeyId" in forcing[RDS] and "kmsKeyId" in computed[RDS]


@pytest.mark.parametrize(
    ("type_", "before", "after", "forcing"),
    [
        # Not Computed: set on one side only is a replacement, both ways.
        (CACHE, CACHE_BASE, {**CACHE_BASE, "kmsKeyId": KEY}, ["kmsKeyId"]),
        (CACHE, {**CACHE_BASE, "kmsKeyId": KEY}, CACHE_BASE, ["kmsKeyId"]),
        (RDS, {**RDS_BASE, "storageEncrypted": True}, RDS_BASE, ["storageEncrypted"]),
        (RDS, RDS_BASE, {**RDS_BASE, "storageEncrypted": True}, ["storageEncrypted"]),
        # Computed, no longer set: the state keeps what AWS holds, nothing to do.
        (RDS, {**RDS_BASE, "kmsKeyId": KEY}, RDS_BASE, []),
        (CACHE, {**CACHE_BASE, "atRestEncryptionEnabled": True}, CACHE_BASE, []),
        # Computed, newly set: AWS chose a value (the default aws/rds key, its own setting) the
        # plan cannot see; a replacement unless it is the same.
        (RDS, RDS_BASE, {**RDS_BASE, "kmsKeyId": KEY}, ["kmsKeyId"]),
        (
            CACHE,
            CACHE_BASE,
            {**CACHE_BASE, "transitEncryptionEnabled": True},
            ["transitEncryptionEnabled"],
        ),
    ],
    ids=[
        "cache-gains-kmsKeyId",
        "cache-drops-kmsKeyId",
        "instance-drops-storageEncrypted",
        "instance-gains-storageEncrypted",
        "instance-drops-computed-kmsKeyId",
        "cache-drops-computed-atRestEncryptionEnabled",
        "instance-gains-computed-kmsKeyId",
        "cache-gains-computed-transitEncryptionEnabled",
    ],
)
def test_a_force_new_input_set_on_one_side_only(type_, before, after, forcing):
    assert replacing_changes(type_, before, after) == forcing


def test_stating_the_value_aws_filled_in_is_not_a_replacement():
    # A promoted replica states `engine`, which it inherited from its source: Terraform diffs
    # against the state, where the engine already is "postgres".
    replica = {"identifier": "erlmcp-prod-x", "replicateSourceDb": "arn:aws:rds:...:db:source"}
    promoted = {"identifier": "erlmcp-prod-x", "engine": "postgres"}
    assert "engine" in force_new_paths(RDS)
    assert replacing_changes(RDS, replica, promoted, filled_in={"engine": "postgres"}) == []
    # Another value than AWS filled in, or one nobody knows, is a replacement.
    assert replacing_changes(RDS, replica, promoted, filled_in={"engine": "mysql"}) == ["engine"]
    assert replacing_changes(RDS, replica, promoted) == ["engine"]
    # Between two set values it is a replacement for certain.
    assert replacing_changes(RDS, promoted, {**promoted, "engine": "mysql"}) == ["engine"]


def _instance(identifier: str, **inputs: Any) -> dict[str, Any]:
    return {"type": RDS, "inputs": {"identifier": identifier, **inputs}}


def test_a_replica_inherits_its_sources_engine_along_the_chain():
    source = _instance("erlmcp-prod-a", engine="postgres")
    replica = _instance(
        "erlmcp-prod-a-replica", replicateSourceDb="arn:aws:rds:r:1:db:erlmcp-prod-a"
    )
    second = _instance("erlmcp-prod-a-g2", replicateSourceDb="erlmcp-prod-a-replica")
    plan = [source, replica, second]
    assert aws_filled_in(replica, plan) == {"engine": "postgres"}
    assert aws_filled_in(second, plan) == {"engine": "postgres"}
    assert aws_filled_in(source, plan) == {}
    assert aws_filled_in(replica, [replica]) == {}  # the source is not in the plan: unknown
    loop = _instance("x", replicateSourceDb="y")
    assert aws_filled_in(loop, [loop, _instance("y", replicateSourceDb="x")]) == {}


def _without_input(plan: dict[str, Any], type_: str, key: str) -> dict[str, Any]:
    changed = copy.deepcopy(plan)
    resource = next(r for r in changed["resources"] if r["type"] == type_ and key in r["inputs"])
    del resource["inputs"][key]
    return changed


@pytest.mark.parametrize(("type_", "key"), [(CACHE, "kmsKeyId"), (RDS, "storageEncrypted")])
def test_a_plan_that_sets_or_drops_a_non_computed_force_new_input_stops(prod_plan, type_, key):
    without = _without_input(prod_plan, type_, key)
    for old, new in ((without, prod_plan), (prod_plan, without)):
        diff = diff_plans(old, new)
        [replaced] = diff["replaced"]
        assert (replaced["type"], replaced["because"], replaced["stateful"]) == (type_, [key], True)
        assert blocks_the_plan(diff)


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
