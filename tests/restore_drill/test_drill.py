"""`make restore-drill` end to end on moto: which point it restores, where, how it checks it, what
it measures, and that the scratch database is gone on every path."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from offline.stacks import REPO_ROOT
from operations.drill.scratch import DRILL_TAG
from tests.restore_drill.conftest import AURORA, RDS


def results(world) -> dict:
    return json.loads(world.out.read_text())


def test_aurora_newest_copy_restores_checks_with_the_data_api_and_is_deleted(world):
    """The newest COMPLETED copy in us-west-2's vault, restored beside us-east-1's secondary,
    tagged, checked through the Data API, measured against the pair's budget, deleted."""
    snapshot = world.aurora_pair()
    seen: dict = {}
    world.clock.on_sleep.append(lambda _: seen.setdefault("scratch", world.scratch_cluster()))
    world.point(
        AURORA, "arn:aws:rds:us-west-2:123456789012:cluster-snapshot:older", age=timedelta(days=2)
    )
    world.point(AURORA, snapshot, age=timedelta(hours=5))
    world.point(
        AURORA, "arn:aws:rds:x:1:cluster-snapshot:partial", age=timedelta(hours=1), status="PARTIAL"
    )

    assert world.run("--region", "us-east-1") == 0

    [drill] = results(world)["drills"]
    assert drill["recoveryPoint"]["arn"] == snapshot
    assert drill["recoveryPoint"]["ageMinutes"] == 300
    assert drill["restoreRegion"] == "us-west-2"
    assert drill["placedBeside"] == "erlmcp-prod-us-east-1-secondary"
    assert drill["scratch"] == "erlmcp-drill-prod-us-east-1-20261207060000"
    # Three polls of 30 s before the instance was available.
    assert drill["restoreMinutes"] == 1.5
    assert drill["check"] == {
        "passed": True,
        "method": "rds-data-api",
        "detail": "the query answered 12",
    }
    [statement] = world.data_api.statements
    assert statement["database"] == "erlmcp"
    assert "pg_catalog.pg_tables" in statement["sql"]
    assert drill["budget"] == {
        "pair": "us-east-1-to-us-west-2",
        "rpoTargetMinutes": 1,
        "rpoDesignMinutes": 0.02,
        "pointAgeMinutes": 300,
        "pointWithinRpoTarget": False,
        "rtoTargetMinutes": 5,
        "rtoDesignMinutes": 5.0,
        "restoreMinutes": 1.5,
        "restoreWithinRtoTarget": True,
    }
    assert drill["passed"] and drill["cleanupErrors"] == []
    assert world.scratch_left("us-west-2") == []

    # While it was restored: beside the secondary, tagged, not protected.
    scratch = seen["scratch"]
    standby = world.rds("us-west-2").describe_db_clusters(
        DBClusterIdentifier="erlmcp-prod-us-east-1-secondary"
    )["DBClusters"][0]
    assert scratch["DBSubnetGroup"] == standby["DBSubnetGroup"]
    assert scratch["VpcSecurityGroups"] == standby["VpcSecurityGroups"]
    tags = {t["Key"]: t["Value"] for t in scratch["TagList"]}
    assert tags[DRILL_TAG] == "us-east-1"
    assert tags["service"] == "erlmcp" and tags["environment"] == "prod"
    assert scratch["DeletionProtection"] is False

    # The README and the guide show this run.
    row = next(line for line in world.console.export_text().splitlines() if "us-east-1 │" in line)
    for page in ("README.md", "docs/restore-drill.md"):
        assert row in (REPO_ROOT / page).read_text(encoding="utf-8"), page


def test_rds_restores_and_a_one_shot_pod_checks_it_with_the_managed_password(world):
    snapshot = world.rds_pair()
    world.point(RDS, snapshot, age=timedelta(hours=20), kind="db")

    assert world.run("--region", "ap-southeast-1") == 0

    [drill] = results(world)["drills"]
    assert drill["check"]["method"] == "one-shot-pod" and drill["passed"]
    cluster = world.kubernetes.clusters["erlmcp-prod-ap-northeast-1"]
    secret, pod = cluster.created
    name = drill["scratch"]
    assert secret["kind"] == "Secret" and pod["kind"] == "Pod"
    assert pod["metadata"]["name"] == secret["metadata"]["name"] == name
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e.get("value") or e["valueFrom"] for e in container["env"]}
    assert env["PGHOST"].startswith(f"{name}.")
    assert env["PGPASSWORD"] == {"secretKeyRef": {"name": name, "key": "PGPASSWORD"}}
    assert env["PGSSLMODE"] == "require"
    # The password is the one RDS kept for the scratch instance, and only in the Secret.
    [password] = world.deleted_passwords
    assert secret["stringData"] == {"PGPASSWORD": password}
    assert password not in json.dumps(pod) and password not in world.out.read_text()
    assert cluster.deleted == [f"pod/default/{name}", f"secret/default/{name}"]
    assert world.scratch_left("ap-northeast-1") == []


@pytest.mark.parametrize(
    "answer, ends, expected",
    [
        ("0", "available", "the query answered 0: nothing there"),
        ("12", "incompatible-restore", "is incompatible-restore"),
    ],
)
def test_a_failed_check_or_restore_fails_the_drill_and_still_deletes(world, answer, ends, expected):
    world.point(AURORA, world.aurora_pair(), age=timedelta(hours=1))
    world.data_api.answer = answer
    world.restore_ends = ends

    assert world.run("--region", "us-east-1") == 1

    [drill] = results(world)["drills"]
    assert expected in ((drill["check"] or {}).get("detail") or drill["error"])
    assert not drill["passed"]
    assert world.scratch_left("us-west-2") == []


def test_a_pod_that_fails_fails_the_drill_and_is_deleted(world):
    world.point(RDS, world.rds_pair(), age=timedelta(hours=2), kind="db")
    cluster = world.kubernetes.clusters["erlmcp-prod-ap-northeast-1"]
    cluster.pod_outcome = ("Failed", "psql: error: connection to server failed\n")

    assert world.run("--region", "ap-southeast-1") == 1

    [drill] = results(world)["drills"]
    assert drill["check"]["detail"] == "psql pod Failed: psql: error: connection to server failed"
    assert cluster.pods == {} and cluster.secrets == {}
    assert world.scratch_left("ap-northeast-1") == []


def test_an_interrupt_deletes_the_scratch_database_and_records_how_far_it_got(world):
    world.point(AURORA, world.aurora_pair(), age=timedelta(hours=1))

    def ctrl_c(count: int) -> None:
        raise KeyboardInterrupt

    world.clock.on_sleep.insert(0, ctrl_c)

    assert world.run() == 130

    document = results(world)
    assert document["interrupted"] and not document["passed"]
    # Databases are drilled in order of their primary; only us-east-1 has a recovery point, and
    # Ctrl-C came while its restore was waited for.
    *earlier, drill = document["drills"]
    assert all(e["error"].startswith("no restorable recovery point") for e in earlier)
    assert drill["primary"] == "us-east-1"
    assert drill["error"] == "interrupted" and drill["scratch"]
    assert world.scratch_left("us-west-2") == []


def test_leftovers_of_an_earlier_drill_are_removed_first_and_nothing_else(world):
    world.point(AURORA, world.aurora_pair(), age=timedelta(hours=1))
    rds = world.rds("us-west-2")
    tag = [{"Key": DRILL_TAG, "Value": "us-east-1"}]
    leftovers = {
        "erlmcp-drill-prod-us-east-1-20261206000000": tag,  # an earlier drill's
        "erlmcp-drill-prod-us-east-1-untagged": [],  # the prefix alone: not ours
        "someone-elses": tag,  # the tag alone: not ours
    }
    for name, tags in leftovers.items():
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            Engine="postgres",
            DBInstanceClass="db.t4g.micro",
            AllocatedStorage=20,
            MasterUsername="x",
            MasterUserPassword="not-a-real-one",
            Tags=tags,
        )
    world.restores.clear()  # those were no restores

    assert world.run("--region", "us-east-1") == 0

    [drill] = results(world)["drills"]
    assert drill["removedLeftovers"] == ["erlmcp-drill-prod-us-east-1-20261206000000"]
    names = {i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]}
    assert {"erlmcp-drill-prod-us-east-1-untagged", "someone-elses"} <= names
    assert "erlmcp-drill-prod-us-east-1-20261206000000" not in names


def test_no_restorable_point_fails_without_creating_anything(world):
    world.aurora_pair()
    world.point(
        AURORA,
        "arn:aws:rds:us-west-2:123456789012:cluster-snapshot:x",
        age=timedelta(hours=1),
        status="EXPIRED",
    )

    assert world.run("--region", "us-east-1") == 1

    [drill] = results(world)["drills"]
    assert drill["error"] == (
        "no restorable recovery point of arn:aws:rds:us-east-1:123456789012:cluster:"
        "erlmcp-prod-us-east-1 in vault erlmcp-prod-us-west-2"
    )
    assert drill["scratch"] is None and world.scratch_left("us-west-2") == []


def test_every_writing_database_is_drilled_in_its_partner_region(world):
    targets = {(r["database"], r["restoreRegion"]) for r in _dry_targets(world)}
    assert targets == {
        ("erlmcp-prod-us-east-1", "us-west-2"),
        ("erlmcp-prod-eu-west-1", "eu-central-1"),
        ("erlmcp-prod-ap-southeast-1", "ap-northeast-1"),
        ("erlmcp-prod-ap-northeast-1", "ap-southeast-1"),
    }


def _dry_targets(world) -> list[dict]:
    from operations.drill.run import drill_targets

    return [
        {"database": t.writer.identifier, "restoreRegion": t.region}
        for t in drill_targets(world.fleet)
    ]


def test_an_unknown_region_is_bad_input(world, capsys):
    assert world.run("--region", "us-west-2") == 2
    assert "no database of us-west-2" in capsys.readouterr().err


def test_a_pod_and_secret_an_earlier_drill_left_are_removed(world):
    world.point(RDS, world.rds_pair(), age=timedelta(hours=2), kind="db")
    cluster = world.kubernetes.clusters["erlmcp-prod-ap-northeast-1"]
    for kind, store in (("Pod", cluster.pods), ("Secret", cluster.secrets)):
        for name, primary in (("old-drill", "ap-southeast-1"), ("other-drill", "eu-west-1")):
            labels = {"erlmcp.io/restore-drill-of": primary}
            store[("default", name)] = {"kind": kind, "metadata": {"name": name, "labels": labels}}

    assert world.run("--region", "ap-southeast-1") == 0

    [drill] = results(world)["drills"]
    assert drill["removedLeftovers"] == ["pods/old-drill", "secrets/old-drill"]
    assert set(cluster.pods) == set(cluster.secrets) == {("default", "other-drill")}
