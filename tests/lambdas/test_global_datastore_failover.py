"""The Global Datastore failover Lambda against a moto server (Global Datastore actions stood
in: tests/moto_standins.py): the failover call it sends, and that a second run changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from components.lambdas import global_datastore_failover as lambda_
from regions.auto_failover import MARKER_METRIC, MARKER_NAMESPACE
from tests.moto_server import recent_datapoints
from tests.moto_standins import DATASTORES, add_datastore

GLOBAL_ID = "ldgnf-erlmcp-prod-us-east-1"
PRIMARY, STANDBY = "us-east-1", "us-west-2"
ENV = {
    "GLOBAL_REPLICATION_GROUP_ID": GLOBAL_ID,
    "NEW_PRIMARY_REGION": STANDBY,
    "NEW_PRIMARY_REPLICATION_GROUP_ID": "erlmcp-prod-us-east-1-dr",
    "MARKER_NAMESPACE": MARKER_NAMESPACE,
    "MARKER_METRIC": MARKER_METRIC,
    "MARKER_PRIMARY": PRIMARY,
    "WAIT_SECONDS": "30",
}


def clients(url: str) -> dict[str, Any]:
    return {
        service: boto3.client(service, region_name=STANDBY, endpoint_url=url)
        for service in ("elasticache", "cloudwatch")
    }


@pytest.fixture
def datastore(moto_url: str, moto_reset: str) -> Iterator[str]:
    """The Global Datastore, on an AWS where nothing else exists (no marker another test set)."""
    add_datastore(
        GLOBAL_ID, ("erlmcp-prod-us-east-1", PRIMARY), ("erlmcp-prod-us-east-1-dr", STANDBY)
    )
    yield moto_url
    DATASTORES.clear()


def marker_set(url: str, primary: str = PRIMARY) -> bool:
    """The marker metric of `primary` reached 1 in the standby region."""
    cloudwatch = boto3.client("cloudwatch", region_name=STANDBY, endpoint_url=url)
    points = recent_datapoints(
        cloudwatch, MARKER_NAMESPACE, MARKER_METRIC, ("Primary", primary), ["Maximum"], period=60
    )
    return any(point["Maximum"] == 1.0 for point in points)


def test_it_promotes_the_standby_group_in_the_standby_region(datastore):
    result = lambda_.promote(ENV, **clients(datastore), sleep=lambda _: None)
    assert result == {"status": "promoted", "globalReplicationGroupId": GLOBAL_ID}
    assert DATASTORES[GLOBAL_ID].failovers == [
        {
            "GlobalReplicationGroupId": GLOBAL_ID,
            "PrimaryRegion": STANDBY,
            "PrimaryReplicationGroupId": "erlmcp-prod-us-east-1-dr",
            "RequestRegion": STANDBY,
        }
    ]
    members = DATASTORES[GLOBAL_ID].members
    assert members == {
        "erlmcp-prod-us-east-1": (PRIMARY, "SECONDARY"),
        "erlmcp-prod-us-east-1-dr": (STANDBY, "PRIMARY"),
    }
    assert marker_set(datastore)


def test_a_second_run_sends_no_second_failover(datastore):
    lambda_.promote(ENV, **clients(datastore), sleep=lambda _: None)
    again = lambda_.promote(ENV, **clients(datastore), sleep=lambda _: None)
    assert again["status"] == "already-primary"
    assert len(DATASTORES[GLOBAL_ID].failovers) == 1


def test_it_sets_the_marker_before_anything_else(moto_url, moto_reset):
    # No Global Datastore at all: the failover fails, but the marker is already set, so the
    # trigger stays closed while the step is retried or a person takes over.
    env = {**ENV, "MARKER_PRIMARY": "eu-west-1"}
    with pytest.raises(Exception, match="GlobalReplicationGroupNotFoundFault"):
        lambda_.promote(env, **clients(moto_url), sleep=lambda _: None)
    assert marker_set(moto_url, "eu-west-1")


def test_a_role_that_never_changes_fails_the_step_for_arc_to_retry(datastore, monkeypatch):
    calls = clients(datastore)
    stuck = calls["elasticache"]
    # The failover is accepted but the role does not flip within WAIT_SECONDS.
    monkeypatch.setattr(stuck, "failover_global_replication_group", lambda **_: {})
    times = iter(range(0, 1000, 10))
    with pytest.raises(lambda_.NotYet, match="not primary"):
        lambda_.promote(ENV, **calls, sleep=lambda _: None, clock=lambda: next(times))
