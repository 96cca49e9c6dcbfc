"""A point-in-time restore by config: the resource graph through its stages (docs/restore.md).

normal -> writes-stopped -> restored -> switched -> dr-rebuilt (the pair's generation 2). At
every step nothing stateful is removed or replaced, and a stateful resource changes only in
its tags, when the damaged generation retires. An Aurora pair (us-east-1 -> us-west-2, 3 warm
standby pods) and an RDS pair (ap-southeast-1 -> ap-northeast-1, cold, the standby a region
that also serves) are covered, both restored in the same recordings (tests/restore_stages.py).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from offline.recorder import RecordedResource, RecordedStack
from planning.diff import blocks_the_plan, diff_plans
from planning.markdown import render
from planning.plan import plan_resources
from tests.conftest import STATEFUL_TYPES
from tests.recordings import pack_report, shared_plan
from tests.restore_stages import RESTORE_STAGES, TO, restore_stage_config, restore_stage_stack
from tests.test_failback import (
    AURORA,
    RDS,
    Journey,
    address,
    assert_generation_2_has_a_standby,
    database,
    database_host,
    has_hpa,
    replicas,
)
from tests.test_failover import changed_inputs, changes

STEPS = list(itertools.pairwise(RESTORE_STAGES))


@dataclass(frozen=True)
class Restore:
    journey: Journey

    @property
    def regions(self) -> set[str]:
        return {self.journey.primary, self.journey.standby}

    @property
    def release(self) -> str:
        return f"{self.journey.primary}-erlmcp"

    @property
    def standby_release(self) -> str:
        return f"{self.journey.prefix}-erlmcp"

    @property
    def damaged(self) -> str:
        return f"erlmcp-prod-{self.journey.primary}"


CASES = [Restore(AURORA), Restore(RDS)]


@pytest.fixture(scope="module")
def stacks(prod_stack) -> dict[str, RecordedStack]:
    return {
        stage: prod_stack if stage == "normal" else restore_stage_stack(stage)
        for stage in RESTORE_STAGES
    }


@pytest.fixture(params=CASES, ids=["aurora", "rds"])
def case(request) -> Restore:
    return request.param


def in_regions(resources: list[RecordedResource], regions: set[str]) -> list[RecordedResource]:
    return [r for r in resources if r.region in regions]


def added(before: RecordedStack, after: RecordedStack) -> list[RecordedResource]:
    new = after.by_urn()
    return [new[u] for u in sorted(after.urns() - before.urns())]


def changed(before: RecordedStack, after: RecordedStack, regions: set[str]) -> dict[str, set[str]]:
    new = after.by_urn()
    return {
        new[urn].name: keys
        for urn, keys in changes(before, after).items()
        if new[urn].region in regions
    }


@pytest.mark.parametrize("step", STEPS, ids=[f"{a}-to-{b}" for a, b in STEPS])
def test_no_stateful_resource_is_removed_or_replaced(stacks, step):
    before, after = stacks[step[0]], stacks[step[1]]
    stateful = {r.urn for r in before.resources if r.type in STATEFUL_TYPES}
    assert stateful <= after.urns(), stateful - after.urns()
    old, new = before.by_urn(), after.by_urn()
    for urn in stateful:
        keys = changed_inputs(old[urn], new[urn])
        # Only the damaged generation changes, when it retires, and only in its tags.
        assert not keys or (step[1] == "dr-rebuilt" and keys == {"tags"}), (new[urn].name, keys)
    # What `make plan AGAINST=` says: nothing stateful replaced or removed. (A backup selection
    # that gains or loses a database, and a release's ConfigMap, are replaced: they hold no
    # data.)
    diff = diff_plans({"resources": plan_resources(before)}, {"resources": plan_resources(after)})
    assert not blocks_the_plan(diff), diff["warnings"]
    assert {r["type"] for r in diff["replaced"]} <= {
        "aws:backup/selection:Selection",
        "kubernetes:core/v1:ConfigMap",
    }


def test_writes_stopped_stops_both_releases_and_touches_no_database(stacks, case):
    before, after = stacks["normal"], stacks["writes-stopped"]
    assert replicas(after, case.release) == 0 and not has_hpa(after, case.release)
    assert replicas(after, case.standby_release) == 0
    assert added(before, after) == []
    release_changes = {f"{case.release}-statefulset"}
    if case.journey.standby_pods:  # warm standby pods stop too; a cold standby has none
        release_changes.add(f"{case.standby_release}-statefulset")
    assert set(changed(before, after, case.regions)) == release_changes
    # The releases still point where they did: nothing to roll back to but a pod count.
    for release in (case.release, case.standby_release):
        assert database_host(after, release) == database_host(before, release)


def test_restored_adds_a_new_database_beside_the_damaged_one(stacks, case):
    journey = case.journey
    before, after = stacks["writes-stopped"], stacks["restored"]
    restored = database(after, journey, journey.writer(2))
    assert restored.region == journey.primary
    assert restored.protect and restored.plain_inputs["deletionProtection"] is True
    point = restored.plain_inputs["restoreToPointInTime"]
    assert point.get("sourceClusterIdentifier", point.get("sourceDbInstanceIdentifier")) == (
        case.damaged
    )
    assert point.get("restoreToTime", point.get("restoreTime")) == TO
    key = after.one("aws:kms/key:Key", f"{journey.primary}-key-key")
    assert restored.plain_inputs["kmsKeyId"] == key.outputs["arn"]
    # Everything new is the restored database's own, in the primary region (its alarm too).
    new = in_regions(added(before, after), case.regions)
    assert {r.region for r in new} == {journey.primary}
    suffix = "cluster" if journey.engine == "aurora" else "db"
    prefix = journey.writer(2).removesuffix(f"-{suffix}")
    stray = [
        r.name
        for r in new
        if not r.name.startswith(prefix) and "database-connections" not in r.name
    ]
    assert stray == []
    # The pods are still stopped and point at the damaged database, which is as it was.
    assert replicas(after, case.release) == 0
    assert database_host(after, case.release) == database_host(before, case.release)
    damaged = database(after, journey, journey.writer(1))
    assert changed_inputs(database(before, journey, journey.writer(1)), damaged) == set()


def test_switched_points_the_release_at_the_restored_database(stacks, case):
    journey = case.journey
    before, after = stacks["restored"], stacks["switched"]
    restored = database(after, journey, journey.writer(2))
    assert database_host(after, case.release) == address(restored)
    assert replicas(after, case.release) == journey.pods and has_hpa(after, case.release)
    # Coming up from 0: the count is applied; the next generation hands it to the HPA.
    statefulset = after.one("kubernetes:apps/v1:StatefulSet", f"{case.release}-statefulset")
    assert statefulset.ignore_changes == []
    # The standby's release stays stopped: its copy follows the damaged writer.
    assert replicas(after, case.standby_release) == 0
    assert [r.name for r in in_regions(added(before, after), case.regions)] == [
        f"{case.release}-hpa"
    ]
    assert set(changed(before, after, case.regions)) == {
        f"{case.release}-statefulset",
        f"{case.release}-config",
    }


def test_dr_rebuilt_gives_the_restored_database_a_standby_and_retires_the_damaged_one(stacks, case):
    journey = case.journey
    after = stacks["dr-rebuilt"]
    writer, standby = assert_generation_2_has_a_standby(after, journey)
    # The restored writer is the same resource with the same inputs as when it was made.
    made = database(stacks["switched"], journey, journey.writer(2))
    assert (writer.urn, changed_inputs(made, writer)) == (made.urn, set())
    assert replicas(after, case.standby_release) == journey.standby_pods
    assert database_host(after, case.standby_release) == address(standby)
    final = after.one("kubernetes:apps/v1:StatefulSet", f"{case.release}-statefulset")
    assert final.ignore_changes == ["spec.replicas"]
    # Generation 1 stays, protected and tagged retired; its standby still follows it.
    old_writer = database(after, journey, journey.writer(1))
    old_standby = database(after, journey, journey.standby_copy(1))
    for retired in (old_writer, old_standby):
        assert retired.protect and retired.plain_inputs["deletionProtection"] is True
        assert retired.plain_inputs["tags"]["dr-retired"] == "generation-1"
    assert changed_inputs(
        database(stacks["normal"], journey, journey.standby_copy(1)), old_standby
    ) == {"tags"}


@pytest.mark.parametrize("stage", RESTORE_STAGES[1:])
def test_the_policy_pack_passes_every_stage(stacks, stage):
    report = pack_report(stacks[stage], stack_config=restore_stage_config(stage))
    assert report.mandatory == [], report.format()


def test_each_stage_is_loud_in_the_plan(stacks):
    restored = shared_plan(stacks["restored"], restore_stage_config("restored"))
    # `make plan` runs the providers' own input checks: the restore block passes them.
    assert restored["providerChecks"] == []
    page = render(restored)
    for primary in ("us-east-1", "ap-southeast-1"):
        assert f"> **RESTORE RESTORED** {primary} to {TO}: a new database" in page
    assert f"Aurora restored to {TO}" in page and f"RDS restored to {TO}" in page
    final = shared_plan(stacks["dr-rebuilt"], restore_stage_config("dr-rebuilt"))
    assert final["providerChecks"] == []
    assert final["dr"]["generations"]["us-east-1"] == {
        "current": 2,
        "retired": [1],
        "restored": {"2": TO},
    }
    assert f"Generation 1 holds every write after {TO}" in render(final)
