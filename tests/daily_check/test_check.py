"""`make check` on moto and the stand-ins: a healthy fleet, then one thing broken at a time."""

from __future__ import annotations

import json
from datetime import timedelta

from offline.stacks import REPO_ROOT
from operations.check.endpoints import HealthEndpoints

REGIONS = [
    "ap-northeast-1",
    "ap-southeast-1",
    "eu-central-1",
    "eu-west-1",
    "us-east-1",
    "us-west-2",
]


def test_a_healthy_fleet_is_all_green(world):
    world.healthy(REGIONS)

    assert world.run() == 0

    report = json.loads(world.out.read_text())
    assert not report["red"]
    assert {r: s["status"] for r, s in report["regions"].items()} == {
        "ap-northeast-1": "ok",
        "ap-southeast-1": "ok",
        "eu-central-1": "ok",
        "eu-west-1": "ok",
        "us-east-1": "ok",
        "us-west-2": "ok",
    }
    # eu-central-1 is eu-west-1's cold standby: its release runs 0 pods, by design.
    assert world.statuses("eu-central-1", "pods") == ["idle"]
    assert world.statuses("eu-central-1", "health") == ["idle", "idle"]
    checks = {f["check"] for region in REGIONS for f in world.findings(region)}
    assert checks == {
        "health",
        "route53",
        "alarms",
        "replication",
        "backup",
        "replicated-objects",
        "certificate",
        "pods",
    }
    # Each region: every public name's /health, dialled with the name's own TLS name.
    assert {host for host, _ in world.health.paths} == {
        e.fqdn for r in REGIONS for e in world.fleet.endpoints(r)
    }
    assert world.kubernetes.refused == []
    us_west = {f["subject"]: f for f in world.findings("us-west-2")}
    assert us_west["erlmcp-prod-us-east-1-secondary"]["detail"] == "0.4 s behind (RPO 60 s)"
    assert us_west["erlmcp-prod-us-east-1-dr"]["status"] == "ok"
    assert us_west["erlmcp-prod/erlmcp-cluster (standby-of-us-east-1)"]["detail"] == (
        "3/3 Ready, 0 restarts, versions 3.0.0"
    )
    assert world.statuses("us-west-2", "replicated-objects") == ["ok", "ok"]
    assert world.statuses("us-east-1", "backup") == ["ok"]
    assert world.statuses("us-west-2", "backup") == ["ok"]  # us-east-1's copy


def test_a_lagging_replica_is_red_and_nothing_else(world):
    world.healthy(["us-west-2"])
    world.lags("us-west-2", seconds=90)  # newer than the healthy datapoint, past the 60 s RPO

    assert world.run("--region", "us-west-2") == 1

    red = [f for f in world.findings("us-west-2") if f["status"] == "red"]
    assert [(f["subject"], f["detail"]) for f in red] == [
        ("erlmcp-prod-us-east-1-secondary", "90 s behind (RPO 60 s)"),
        ("erlmcp-prod-us-east-1-dr", "90 s behind (RPO 60 s)"),
    ]
    # The README and the guide show this run.
    lines = world.console.export_text().splitlines()
    shown = [line for line in lines if "-secondary " in line or " copy in " in line]
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    guide = (REPO_ROOT / "docs" / "daily-check.md").read_text(encoding="utf-8")
    assert shown and all(line.strip("│ ") in readme and line in guide for line in shown)


def test_a_copy_that_reports_no_lag_is_red(world):
    world.healthy(["ap-northeast-1"], lags=False)

    assert world.run("--region", "ap-northeast-1") == 1

    lag = {f["subject"]: f["detail"] for f in world.findings("ap-northeast-1", "replication")}
    assert lag["erlmcp-prod-ap-southeast-1-replica"] == "no lag reported for 15 min (RPO 300 s)"


def test_stale_backups_are_red(world):
    world.healthy(["us-west-2"])
    world.backup.reset()
    world.points("us-east-1", own=timedelta(hours=40), copy=timedelta(hours=5))
    world.points("us-west-2", own=timedelta(hours=5), copy=timedelta(hours=45))
    world.put("us-east-1", "prod/ets/erlmcp-backup-newer.gz", timedelta(minutes=20))

    assert world.run("--region", "us-west-2", "--region", "us-east-1") == 1

    [own] = world.findings("us-east-1", "backup")
    assert (own["status"], own["detail"]) == ("red", "newest 40.0 h old (at most 33.0 h: daily)")
    [copy] = world.findings("us-west-2", "backup")
    assert copy["subject"] == "erlmcp-prod-us-east-1 copy in erlmcp-prod-us-west-2"
    assert (copy["status"], copy["value"]) == ("red", 45.0)
    ets, postgres = world.findings("us-west-2", "replicated-objects")
    assert postgres["status"] == "ok"
    assert ets["status"] == "red"
    late = "1 newer not replicated after 15 min, e.g. prod/ets/erlmcp-backup-newer.gz"
    assert late in ets["detail"]


def test_an_old_replicated_object_is_red(world):
    world.healthy(["eu-central-1"])
    world.objects(["eu-central-1"], age=timedelta(hours=2))  # ETS hourly: 2 h is stale

    assert world.run("--region", "eu-central-1") == 1

    ets, postgres = world.findings("eu-central-1", "replicated-objects")
    assert postgres["status"] == "ok" and ets["status"] == "red"
    assert ets["detail"] == "newest replicated 2.0 h old (every 1 h, RTC 15 min)"


def test_an_expiring_certificate_is_red_and_one_due_for_renewal_a_warning(world):
    world.healthy(["eu-west-1", "ap-southeast-1"])
    world.certificate("eu-west-1", timedelta(days=10))
    world.certificate("ap-southeast-1", timedelta(days=45))

    assert world.run("--region", "eu-west-1", "--region", "ap-southeast-1") == 1

    assert sorted(world.statuses("eu-west-1", "certificate")) == ["ok", "red"]
    red = next(f for f in world.findings("eu-west-1", "certificate") if f["status"] == "red")
    assert "in 10 days (alarm under 30)" in red["detail"]
    assert sorted(world.statuses("ap-southeast-1", "certificate")) == ["ok", "warn"]
    report = json.loads(world.out.read_text())
    assert report["regions"]["ap-southeast-1"]["status"] == "warn"  # a warning is not red


def test_an_unreachable_region_is_down_and_the_others_are_still_checked(world):
    regions = ["eu-central-1", "eu-west-1", "us-east-1"]
    world.healthy(regions)
    world.down.add("eu-west-1")

    assert world.run(*(arg for region in regions for arg in ("--region", region))) == 1

    report = json.loads(world.out.read_text())
    assert report["regions"]["eu-west-1"]["status"] == "down"
    checks = [(f["check"], f["status"]) for f in world.findings("eu-west-1")]
    assert checks == [("health", "red"), ("route53", "ok"), ("region", "down")]
    assert world.findings("eu-west-1", "region")[0]["detail"].startswith(
        "no answer from eu-west-1's APIs"
    )
    # Its standby still reports, and still sees the copy of eu-west-1's data it holds.
    assert report["regions"]["eu-central-1"]["status"] == "ok"
    ets, _ = world.findings("eu-central-1", "replicated-objects")
    assert ets["detail"] == "eu-west-1 does not answer; the newest object here is 0.5 h old"
    assert report["regions"]["us-east-1"]["status"] == "ok"


def test_pods_not_ready_on_another_version_or_restarting(world):
    world.healthy(["ap-southeast-1"])
    cluster = world.kubernetes.cluster("erlmcp-prod-ap-southeast-1")
    cluster.add_release("erlmcp-prod", replicas=2, ready=1, version="3.0.0")
    cluster.add_release("erlmcp-prod-ap-northeast-1", replicas=0, ready=0, version="3.0.0")

    assert world.run("--region", "ap-southeast-1") == 1

    pods = {f["subject"]: f for f in world.findings("ap-southeast-1", "pods")}
    own = pods["erlmcp-prod/erlmcp-cluster (own)"]
    assert (own["status"], own["detail"]) == ("red", "1/2 Ready, 0 restarts, versions 3.0.0")
    assert (
        pods["erlmcp-prod-ap-northeast-1/erlmcp-cluster (standby-of-ap-northeast-1)"]["status"]
        == "idle"
    )

    cluster.add_release("erlmcp-prod", replicas=2, ready=2, version="3.1.0")
    world.run("--region", "ap-southeast-1")
    own = world.findings("ap-southeast-1", "pods")[0]
    assert (own["status"], own["detail"]) == ("red", "2/2 Ready, 0 restarts, versions 3.1.0")

    cluster.add_release("erlmcp-prod", replicas=2, ready=2, version="3.0.0", restarts=3)
    assert world.run("--region", "ap-southeast-1") == 0
    assert world.findings("ap-southeast-1", "pods")[0]["status"] == "warn"


def test_an_unhealthy_endpoint_or_one_without_a_route53_health_check_is_red(world):
    world.healthy(["us-east-1"])
    world.health.unhealthy("us-east-1.erlmcp.io")
    route53 = world.clients("route53", "us-east-1")
    [check] = route53.list_health_checks()["HealthChecks"]
    route53.delete_health_check(HealthCheckId=check["Id"])

    assert world.run("--region", "us-east-1") == 1

    [health] = world.findings("us-east-1", "health")
    assert (health["status"], health["detail"]) == ("red", "HTTP 503, status 'unhealthy'")
    [route53_check] = world.findings("us-east-1", "route53")
    assert (route53_check["status"], route53_check["detail"]) == (
        "red",
        "no Route 53 health check",
    )


def test_a_certificate_the_client_does_not_trust_is_red(health_server, prod_fleet):
    """/health is read as a browser would: a certificate from an unknown CA is no answer."""
    health_server.healthy("us-east-1.erlmcp.io")
    endpoint = prod_fleet.endpoints("us-east-1")[0]
    untrusting = HealthEndpoints("/health", lambda fqdn: health_server.address, timeout=5)
    finding = untrusting.check("us-east-1", endpoint)
    assert finding.status == "red" and "CERTIFICATE_VERIFY_FAILED" in finding.detail


def test_an_alarm_in_alarm_is_red(world):
    world.healthy(["eu-west-1"])
    world.clients("cloudwatch", "eu-west-1").set_alarm_state(
        AlarmName="erlmcp-prod-eu-west-1-5xx-rate", StateValue="ALARM", StateReason="5xx at 9 %"
    )

    assert world.run("--region", "eu-west-1") == 1

    [alarm] = world.findings("eu-west-1", "alarms")
    assert alarm == {
        "check": "alarms",
        "subject": "erlmcp-prod-eu-west-1-5xx-rate",
        "status": "red",
        "detail": "in ALARM: 5xx at 9 %",
    }


def test_a_region_outside_the_stack_is_bad_input(capsys):
    from operations.check.__main__ import main

    assert main(["--region", "mars-north-1"]) == 2
    assert "not a region of the stack: mars-north-1" in capsys.readouterr().err
