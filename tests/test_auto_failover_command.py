"""`make failover PRIMARY=<region> AFTER_AUTO=1` (operations/auto_failover.py) against a moto
server holding the world an ARC Region switch plan leaves behind (Global Datastore and
FailoverGlobalCluster stood in: tests/moto_standins.py): it reads what the plan did through the
standby region, writes the matching config, and the render afterwards is checked the way
tests/test_outage.py checks a failover: nothing asked of the failed region, nothing global,
nothing stateful created, deleted or replaced, and nothing moved back. REARM=1 clears the marker.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from offline.recorder import RecordedStack
from offline.stacks import PROD_STACK_FILE, stack_file_config
from operations import auto_failover as command
from operations.auto_failover import World, plan_after_auto, read_world
from operations.failover import FailoverError, plan_failover
from operations.outage import calls_into, skipped_creates_needed
from operations.stack_file import stack_config
from planning.diff import blocks_the_plan
from regions.auto_failover import MARKER_METRIC, MARKER_NAMESPACE
from tests.conftest import STATEFUL_TYPES
from tests.moto_server import recent_datapoints, reset_moto
from tests.moto_standins import add_datastore
from tests.recordings import pack_report, recorded_stack
from tests.test_failover_command import session_in

STACK = stack_config(stack_file_config())
AURORA, RDS = "us-east-1", "ap-southeast-1"
STANDBY = {AURORA: "us-west-2", RDS: "ap-northeast-1"}


def shared_render(config: dict[str, Any], stack: str, down: frozenset[str]) -> RecordedStack:
    return recorded_stack(config, stack=stack, outage=down)


def shared_report(recorded: RecordedStack, config: dict[str, Any]):
    return pack_report(recorded, stack_config=config)


def clients_of(url: str) -> Callable[[str, str], Any]:
    return lambda service, region: boto3.client(service, region_name=region, endpoint_url=url)


def aurora_after_the_plan(url: str, promote_cache: bool = True) -> None:
    """us-east-1's Global Database with the standby's cluster made its writer by
    FailoverGlobalCluster (AllowDataLoss), as the plan's AuroraGlobalDatabase step does."""
    east, west = (clients_of(url)("rds", r) for r in (AURORA, "us-west-2"))
    global_id = "erlmcp-prod-us-east-1-global"
    east.create_global_cluster(
        GlobalClusterIdentifier=global_id,
        Engine="aurora-postgresql",
        EngineVersion="16.6",
    )
    common = {
        "Engine": "aurora-postgresql",
        "EngineVersion": "16.6",
        "GlobalClusterIdentifier": global_id,
    }
    east.create_db_cluster(
        DBClusterIdentifier="erlmcp-prod-us-east-1",
        MasterUsername="erlmcp",
        MasterUserPassword="not-a-real-password",
        **common,
    )
    west.create_db_cluster(DBClusterIdentifier="erlmcp-prod-us-east-1-secondary", **common)
    secondary = west.describe_db_clusters(DBClusterIdentifier="erlmcp-prod-us-east-1-secondary")[
        "DBClusters"
    ][0]["DBClusterArn"]
    west.failover_global_cluster(
        GlobalClusterIdentifier=global_id, TargetDbClusterIdentifier=secondary, AllowDataLoss=True
    )
    datastore(url, AURORA, promote_cache)


def rds_after_the_plan(url: str) -> None:
    """ap-southeast-1's instance, its ap-northeast-1 replica promoted (RdsPromoteReadReplica)."""
    south, north = (clients_of(url)("rds", r) for r in (RDS, "ap-northeast-1"))
    south.create_db_instance(
        DBInstanceIdentifier="erlmcp-prod-ap-southeast-1",
        Engine="postgres",
        DBInstanceClass="db.r6g.large",
        AllocatedStorage=100,
        MasterUsername="erlmcp",
        MasterUserPassword="not-a-real-password",
    )
    source = south.describe_db_instances(DBInstanceIdentifier="erlmcp-prod-ap-southeast-1")[
        "DBInstances"
    ][0]["DBInstanceArn"]
    north.create_db_instance_read_replica(
        DBInstanceIdentifier="erlmcp-prod-ap-southeast-1-replica",
        SourceDBInstanceIdentifier=source,
    )
    north.promote_read_replica(DBInstanceIdentifier="erlmcp-prod-ap-southeast-1-replica")
    datastore(url, RDS, True)


def datastore(url: str, primary: str, promote: bool) -> None:
    standby = STANDBY[primary]
    global_id = f"ldgnf-erlmcp-prod-{primary}"
    add_datastore(
        global_id, (f"erlmcp-prod-{primary}", primary), (f"erlmcp-prod-{primary}-dr", standby)
    )
    if promote:  # what the plan's Lambda does
        clients_of(url)("elasticache", standby).failover_global_replication_group(
            GlobalReplicationGroupId=global_id,
            PrimaryRegion=standby,
            PrimaryReplicationGroupId=f"erlmcp-prod-{primary}-dr",
        )


@pytest.fixture(scope="module")
def worlds(moto_url: str) -> dict[str, World]:
    """Built on an empty AWS: moto's state is the process's, and with `--dist worksteal` a
    worker may set this fixture up again after other modules' tests ran, or after its own."""
    reset_moto(moto_url)
    aurora_after_the_plan(moto_url)
    rds_after_the_plan(moto_url)
    clients = clients_of(moto_url)
    return {
        primary: read_world(STACK, STACK.pair_of_primary(primary), clients)
        for primary in (AURORA, RDS)
    }


@pytest.fixture(scope="module")
def converged(worlds):
    return {
        primary: plan_after_auto(
            PROD_STACK_FILE, primary, worlds[primary], render=shared_render, report=shared_report
        )
        for primary in (AURORA, RDS)
    }


def test_it_reads_what_the_plan_did_through_the_standby(worlds):
    assert worlds[AURORA].database == "managed"
    assert worlds[RDS].database == "promoted"
    assert worlds[AURORA].cache_promoted and worlds[RDS].cache_promoted
    assert any("erlmcp-prod-us-east-1-secondary is the writer" in n for n in worlds[AURORA].notes)


@pytest.mark.parametrize("primary", [AURORA, RDS])
def test_the_config_says_what_the_plan_did(converged, primary):
    plan = converged[primary]
    assert plan.config["erlmcp-infra:failover"] == {primary: STANDBY[primary]}
    assert plan.config["erlmcp-infra:failoverBy"] == {primary: "region-switch"}


@pytest.mark.parametrize("primary", [AURORA, RDS])
def test_the_render_afterwards_needs_nothing_of_the_failed_region(converged, primary):
    plan = converged[primary]
    assert calls_into(primary, plan.before, plan.after, plan.targets) == []
    assert skipped_creates_needed(plan.before, plan.after, plan.targets) == []
    by_urn = {**plan.before.by_urn(), **plan.after.by_urn()}
    assert {by_urn[u].region for u in plan.targets} == {STANDBY[primary]}
    assert not [u for u in plan.changes if by_urn[u].region is None]  # nothing global


@pytest.mark.parametrize("primary", [AURORA, RDS])
def test_every_stateful_resource_is_kept_and_nothing_moves_back(converged, primary):
    plan = converged[primary]
    by_urn = {**plan.before.by_urn(), **plan.after.by_urn()}
    stateful = {u: op for u, op in plan.changes.items() if by_urn[u].type in STATEFUL_TYPES}
    assert set(stateful.values()) <= {"update"}
    assert not blocks_the_plan(plan.plan["diff"])  # no replacement of anything stateful
    assert plan.plan["policy"]["passed"]
    # Nothing of the Global Database, the clusters or the Global Datastore changes ...
    changed_types = {by_urn[u].type for u in plan.changes}
    assert not changed_types & {
        "aws:rds/cluster:Cluster",
        "aws:rds/globalCluster:GlobalCluster",
        "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
        "aws:elasticache/replicationGroup:ReplicationGroup",
    }
    # ... and the standby's release keeps what the plan scaled it to: its HPA takes over.
    statefulset = plan.after.named(f"{STANDBY[primary]}-standby-of-{primary}-erlmcp-statefulset")
    assert "pulumi.com/patchForce" not in statefulset.plain_inputs["metadata"].get(
        "annotations", {}
    )
    assert "spec.replicas" in statefulset.ignore_changes


def test_the_rds_promotion_is_refreshed_before_the_update(converged, worlds):
    plan = converged[RDS]
    [replica] = command.promoted_copy_urns(plan)
    assert replica.endswith("ap-northeast-1-standby-of-ap-southeast-1-postgres-db")
    text = command.after_auto_commands(plan, worlds[RDS])
    assert f"pulumi refresh --stack prod --yes --target '{replica}'" in text
    assert text.index("pulumi refresh") < text.index("pulumi up --stack prod --target-dependents")
    assert "failover-global-replication-group" not in text  # the plan promoted the cache
    assert command.promoted_copy_urns(converged[AURORA]) == []


def test_the_config_failover_alone_would_detach_the_new_writer_and_is_refused(moto_url, worlds):
    # Without failoverBy the program's model is detach-and-promote: RemoveFromGlobalCluster on
    # the cluster that now writes for the Global Database.
    plan = plan_failover(PROD_STACK_FILE, AURORA, render=shared_render, report=shared_report)
    problems = command.convergence_problems(plan)
    assert any("aurora-cluster" in p and "Aurora" in p for p in problems), problems


def test_a_plan_that_has_not_promoted_yet_is_refused():
    world = World(database="not-failed-over", cache_promoted=False, notes=["still a replica"])
    with pytest.raises(FailoverError, match=r"has not promoted .* yet: still a replica"):
        plan_after_auto(PROD_STACK_FILE, RDS, world, render=shared_render)


def test_a_cache_the_lambda_did_not_promote_is_printed(converged, worlds):
    world = World(database="managed", cache_promoted=False, notes=worlds[AURORA].notes)
    text = command.after_auto_commands(converged[AURORA], world)
    assert "The plan did not promote the cache" in text
    assert "aws elasticache failover-global-replication-group --region us-west-2" in text


# --- the command, end to end, and the marker ----------------------------------------------------


def marker(url: str, primary: str) -> list[float]:
    cloudwatch = clients_of(url)("cloudwatch", STANDBY[primary])
    points = recent_datapoints(
        cloudwatch,
        MARKER_NAMESPACE,
        MARKER_METRIC,
        ("Primary", primary),
        ["Minimum", "Maximum"],
        period=60,
        minutes=10,
    )
    return sorted({p["Maximum"] for p in points} | {p["Minimum"] for p in points})


def test_the_command_writes_the_config_sets_the_marker_and_rearm_clears_it(
    worlds, moto_url, tmp_path, monkeypatch, capsys
):
    stack_file = tmp_path / "Pulumi.prod.yaml"
    shutil.copyfile(PROD_STACK_FILE, stack_file)
    monkeypatch.setattr(command, "plan_after_auto", _shared_plan_after_auto)
    args = argparse.Namespace(
        primary=RDS, stack="prod", after_auto=True, rearm=False, out=tmp_path / "build"
    )
    clients = clients_of(moto_url)
    assert command.main(args, stack_file, session_in("ap-northeast-1"), clients) == 0
    written = stack_config(stack_file_config(stack_file))
    assert written.failover == {RDS: "ap-northeast-1"}
    assert written.failover_by == {RDS: "region-switch"}
    assert "# Who promoted each failed-over standby" in stack_file.read_text()
    assert marker(moto_url, RDS) == [1.0]
    out = capsys.readouterr().out
    assert "What the Region switch plan did: erlmcp-prod-ap-southeast-1-replica" in out
    # Not while the pair is failed over ...
    rearm = argparse.Namespace(**{**vars(args), "after_auto": False, "rearm": True})
    assert command.main(rearm, stack_file, {}, clients) == 2
    assert "still failed over" in capsys.readouterr().err
    # ... but once it is home again.
    assert command.main(rearm, PROD_STACK_FILE, {}, clients) == 0
    assert 0.0 in marker(moto_url, RDS)


def _shared_plan_after_auto(stack_file: Path, primary: str, world: World, **kwargs: Any):
    return plan_after_auto(stack_file, primary, world, render=shared_render, report=shared_report)
