"""Failback by config: the resource graph through every stage of the DR sequence.

The sequence (docs/failover.md "Failback by config"; regions/lineage.py): failover -> failback
resync -> drain -> cutover -> generation 2 with generation 1 retired. At every step nothing stateful
is removed, and a stateful resource changes only by the one in-place promotion the step makes (or,
when generation 1 retires, by its tags). Both database mechanisms are covered: us-east-1 keeps an
Aurora Global Database secondary in us-west-2, ap-southeast-1 an RDS read replica in ap-northeast-1
(a region that also serves its own users)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from offline.recorder import RecordedResource, RecordedStack
from tests.conftest import DR_STAGES, dr_stage_config
from tests.recordings import pack_report
from tests.test_failover import STATEFUL_TYPES, changed_inputs, changes


@dataclass(frozen=True)
class Journey:
    primary: str
    standby: str
    engine: str  # "aurora" or "postgres": the component names' suffix
    database_type: str
    promotion_keys: frozenset[str]
    """The inputs promoting generation 2's writer changes (generation 1's standby: see
    tests/test_failover.py, which checks that step)."""
    pods: int
    standby_pods: int

    @property
    def prefix(self) -> str:
        return f"{self.standby}-standby-of-{self.primary}"

    @property
    def database_suffix(self) -> str:
        return "cluster" if self.engine == "aurora" else "db"

    def writer(self, generation: int) -> str:
        suffix = "" if generation == 1 else f"-g{generation}"
        return f"{self.primary}-{self.engine}{suffix}-{self.database_suffix}"

    def standby_copy(self, generation: int) -> str:
        suffix = "" if generation == 1 else f"-g{generation}"
        return f"{self.prefix}-{self.engine}{suffix}-{self.database_suffix}"


AURORA = Journey(
    "us-east-1",
    "us-west-2",
    "aurora",
    "aws:rds/cluster:Cluster",
    frozenset({"globalClusterIdentifier"}),
    pods=3,
    standby_pods=3,
)
RDS = Journey(
    "ap-southeast-1",
    "ap-northeast-1",
    "postgres",
    "aws:rds/instance:Instance",
    # The new writer is already Multi-AZ as a replica; promotion removes its source and makes
    # it keep a final snapshot, stating the engine it already has, and applies at once.
    frozenset(
        {
            "replicateSourceDb",
            "skipFinalSnapshot",
            "finalSnapshotIdentifier",
            "engine",
            "applyImmediately",
        }
    ),
    pods=2,
    standby_pods=0,
)
STEPS = list(itertools.pairwise(DR_STAGES))
# Every input an in-place promotion may change (RDS PromoteReadReplica, Aurora detach).
PROMOTION_KEYS = AURORA.promotion_keys | RDS.promotion_keys | {"multiAz", "applyImmediately"}


@pytest.fixture(scope="module", params=[AURORA, RDS], ids=["aurora", "rds"])
def journey(request, dr_stage_stack) -> tuple[Journey, dict[str, RecordedStack]]:
    case: Journey = request.param
    return case, {stage: dr_stage_stack(case.primary, stage) for stage in DR_STAGES}


def database(stack: RecordedStack, case: Journey, name: str) -> RecordedResource:
    return stack.one(case.database_type, name)


def replicas(stack: RecordedStack, release: str) -> int:
    statefulset = stack.one("kubernetes:apps/v1:StatefulSet", f"{release}-statefulset")
    return statefulset.plain_inputs["spec"]["replicas"]


def has_hpa(stack: RecordedStack, release: str) -> bool:
    hpa = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
    return any(r.name == f"{release}-hpa" for r in stack.of_type(hpa))


def database_host(stack: RecordedStack, release: str) -> str:
    config_map = stack.one("kubernetes:core/v1:ConfigMap", f"{release}-config")
    return config_map.plain_inputs["data"]["ERLMCP_DB_HOST"]


def address(resource: RecordedResource) -> str:
    """Where a release connects: an instance's address, an Aurora cluster's writer endpoint."""
    return resource.outputs["endpoint" if resource.type.endswith(":Cluster") else "address"]


def added(before: RecordedStack, after: RecordedStack) -> list[RecordedResource]:
    new = after.by_urn()
    return [new[u] for u in sorted(after.urns() - before.urns())]


def lag_alarms(
    resources: list[RecordedResource], case: Journey
) -> tuple[set[tuple[str, str]], list[RecordedResource]]:
    """The DR lag alarms among `resources` as (region, name), and the other resources: a copy
    that follows another is watched in its region (regions/alarms.py)."""
    alarms = {
        (r.region, r.name)
        for r in resources
        if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm"
        and r.name.endswith(f"-lag-of-{case.primary}")
    }
    return alarms, [r for r in resources if (r.region, r.name) not in alarms]


def changed(before: RecordedStack, after: RecordedStack) -> dict[str, set[str]]:
    """`changes` by resource name."""
    names = after.by_urn()
    return {names[urn].name: keys for urn, keys in changes(before, after).items()}


@pytest.mark.parametrize("step", STEPS, ids=[f"{a}-to-{b}" for a, b in STEPS])
def test_no_stateful_resource_is_removed_or_replaced(journey, step):
    case, stacks = journey
    before, after = stacks[step[0]], stacks[step[1]]
    stateful = {r.urn for r in before.resources if r.type in STATEFUL_TYPES}
    assert stateful <= after.urns(), stateful - after.urns()
    # The failover promotes generation 1's standby copy, the cutover generation 2's writer.
    promoted = {"failover": case.standby_copy(1), "cutover": case.writer(2)}.get(step[1])
    by_urn = after.by_urn()
    for urn, keys in ((u, changed_inputs(before.by_urn()[u], by_urn[u])) for u in stateful):
        resource = by_urn[urn]
        if not keys:
            continue
        if resource.name == promoted:
            assert keys <= PROMOTION_KEYS, (resource.name, keys)
        else:
            # Only generation 1's copies change when they retire, and only in their tags.
            assert step[1] == "generation-2" and keys == {"tags"}, (resource.name, keys)
            assert resource.plain_inputs["tags"]["dr-retired"] == "generation-1"


def test_failover_fences_the_primarys_release(journey):
    case, stacks = journey
    failed_over = stacks["failover"]
    release = f"{case.primary}-erlmcp"
    assert replicas(failed_over, release) == 0
    assert not has_hpa(failed_over, release)
    # Its database stays where it was: stale, protected, untouched.
    writer = database(failed_over, case, case.writer(1))
    assert changed_inputs(database(stacks["normal"], case, case.writer(1)), writer) == set()
    assert writer.protect


def test_resync_adds_the_next_writer_following_the_promoted_standby(journey):
    case, stacks = journey
    alarms, new = lag_alarms(added(stacks["failover"], stacks["resync"]), case)
    # The new writer follows the standby: its lag is watched where it lives.
    assert alarms == {(case.primary, f"{case.primary}-alarms-database-lag-of-{case.primary}")}
    writer = database(stacks["resync"], case, case.writer(2))
    assert writer.region == case.primary
    assert writer.protect and writer.plain_inputs["deletionProtection"] is True
    primary_key = stacks["resync"].one("aws:kms/key:Key", f"{case.primary}-key-key")
    assert writer.plain_inputs["kmsKeyId"] == primary_key.outputs["arn"]
    promoted_standby = database(stacks["resync"], case, case.standby_copy(1))
    if case.engine == "aurora":
        resync = stacks["resync"].one(
            "aws:rds/globalCluster:GlobalCluster", f"{case.prefix}-aurora-global"
        )
        assert resync.plain_inputs["sourceDbClusterIdentifier"] == promoted_standby.outputs["arn"]
        assert writer.plain_inputs["globalClusterIdentifier"] == resync.id
        assert "globalClusterIdentifier" in promoted_standby.ignore_changes
        assert all(r.name.startswith(f"{case.primary}-aurora-g2") or r is resync for r in new)
    else:
        assert writer.plain_inputs["replicateSourceDb"] == promoted_standby.outputs["arn"]
        assert all(r.name.startswith(f"{case.primary}-postgres-g2") for r in new)
    # Nothing else moves: the standby still serves, the primary's release stays stopped. A cold
    # standby's release, brought up from 0 by the failover, is handed to its HPA now.
    handed_over = (
        {f"{case.prefix}-erlmcp-statefulset": {"metadata"}} if not case.standby_pods else {}
    )
    # The region answers again: its providers validate credentials and check the account again
    # (regions/providers.py), before the new writer is created there.
    back = {
        "skipCredentialsValidation",
        "skipRequestingAccountId",
        "allowedAccountIds",
        "stsRegion",
    }
    providers = {f"aws-{case.primary}"} | ({"aws-global"} if case.primary == "us-east-1" else set())
    expected = handed_over | dict.fromkeys(providers, back)
    assert changed(stacks["failover"], stacks["resync"]) == expected
    assert replicas(stacks["resync"], f"{case.primary}-erlmcp") == 0


def test_drain_stops_the_standby_release_and_nothing_else(journey):
    case, stacks = journey
    release = f"{case.prefix}-erlmcp"
    assert replicas(stacks["resync"], release) == case.pods
    assert replicas(stacks["drain"], release) == 0
    assert not has_hpa(stacks["drain"], release)
    assert set(changed(stacks["resync"], stacks["drain"])) == {f"{release}-statefulset"}
    assert added(stacks["resync"], stacks["drain"]) == []


def test_cutover_promotes_the_next_writer_and_brings_the_primary_back(journey):
    case, stacks = journey
    cutover = stacks["cutover"]
    writer = database(cutover, case, case.writer(2))
    release = f"{case.primary}-erlmcp"
    assert replicas(cutover, release) == case.pods
    assert has_hpa(cutover, release)
    # Coming up from 0: the count is applied (the HPA cannot scale up from 0); generation 2's
    # config hands it back to the HPA.
    statefulset = f"{release}-statefulset"
    assert cutover.one("kubernetes:apps/v1:StatefulSet", statefulset).ignore_changes == []
    final = stacks["generation-2"].one("kubernetes:apps/v1:StatefulSet", statefulset)
    assert final.ignore_changes == ["spec.replicas"]
    assert database_host(cutover, release) == address(writer)
    # The standby's release stays stopped: its promoted copy is stale from now on.
    assert replicas(cutover, f"{case.prefix}-erlmcp") == 0
    # The new writer takes writes from now on: its backups and its connections alarm follow it
    # (regions/databases.py `takes_writes`).
    assert set(changed(stacks["drain"], cutover)) == {
        case.writer(2),
        f"{release}-statefulset",
        f"{release}-config",
        f"{case.primary}-database-backups-to-{case.standby}-selection",
        f"{case.primary}-alarms-database-connections",
    }


def assert_generation_2_has_a_standby(
    after: RecordedStack, case: Journey
) -> tuple[RecordedResource, RecordedResource]:
    """Generation 2's writer and its standby copy, protected in the standby region and following
    the writer (Aurora: through the writer's new Global Database). Returns (writer, standby)."""
    writer = database(after, case, case.writer(2))
    standby = database(after, case, case.standby_copy(2))
    assert standby.region == case.standby and standby.protect
    if case.engine == "aurora":
        global_database = after.one(
            "aws:rds/globalCluster:GlobalCluster", f"{case.primary}-aurora-g2-global"
        )
        assert global_database.plain_inputs["sourceDbClusterIdentifier"] == writer.outputs["arn"]
        assert standby.plain_inputs["globalClusterIdentifier"] == global_database.id
        assert "globalClusterIdentifier" in writer.ignore_changes
    else:
        assert standby.plain_inputs["replicateSourceDb"] == writer.outputs["arn"]
    return writer, standby


def test_generation_2_gives_the_new_writer_a_standby(journey):
    case, stacks = journey
    before, after = stacks["cutover"], stacks["generation-2"]
    writer, standby = assert_generation_2_has_a_standby(after, case)
    release = f"{case.prefix}-erlmcp"
    assert replicas(after, release) == case.standby_pods
    assert database_host(after, release) == address(standby)
    assert database_host(after, f"{case.primary}-erlmcp") == address(writer)
    alarms, new = lag_alarms(added(before, after), case)
    assert all(case.prefix in r.name or "-g2-global" in r.name for r in new)
    # The new standby copy and the cache secondary are watched again, under the alarms'
    # generation-1 names (tests/test_region_alarms.py).
    assert alarms == {
        (case.standby, f"{case.standby}-alarms-{what}-lag-of-{case.primary}")
        for what in ("database", "cache")
    }


def test_generation_1_is_kept_protected_and_tagged_as_retired(journey):
    case, stacks = journey
    after = stacks["generation-2"]
    for name in (case.writer(1), case.standby_copy(1)):
        retired = database(after, case, name)
        assert retired.protect and retired.plain_inputs["deletionProtection"] is True
        assert retired.plain_inputs["tags"]["dr-retired"] == "generation-1"


def test_generation_2_is_where_it_started_plus_the_retired_copies(journey):
    case, stacks = journey
    normal, final = stacks["normal"], stacks["generation-2"]
    assert normal.urns() <= final.urns()
    for name in (f"{case.primary}-erlmcp", f"{case.prefix}-erlmcp"):
        assert replicas(final, name) == replicas(normal, name)
        assert has_hpa(final, name) == has_hpa(normal, name)


@pytest.mark.parametrize("stage", DR_STAGES[1:])
def test_the_policy_pack_passes_every_stage(journey, stage):
    case, stacks = journey
    report = pack_report(stacks[stage], stack_config=dr_stage_config(case.primary, stage))
    assert report.mandatory == [], report.format()
