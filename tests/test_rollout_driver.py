"""`python -m rollout` end to end: the real Automation API drives a stand-in `pulumi`
(tests/rollout_standin/standin.py, which models what each release runs per step and sends engine
events as the CLI does), and health is read from a local moto server (Route 53 health checks,
CloudWatch alarms). Soaks are injected no-ops.

moto's GetHealthCheckStatus always answers "Success" for a health check it knows
(moto/route53/responses.py), so an unhealthy wave is made with a CloudWatch alarm in ALARM;
the Route 53 failure reading is checked against a stubbed answer (test_health_signals).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from offline.recorder import RecordedStack
from offline.stacks import REPO_ROOT, run_stack_file
from rollout.__main__ import main
from rollout.health import HealthReader
from tests.conftest import recorded_resource
from tests.moto_server import moto_endpoint

STANDIN = Path(__file__).parent / "rollout_standin" / "standin.py"
SITE_PACKAGES = Path(yaml.__file__).parent.parent
NEW = "3.1.0"
NEW_DIGEST = "sha256:" + "31" * 32
WAVES = ["eu-west-1", "ap-southeast-1,ap-northeast-1", "us-east-1"]
# The prod stack file's regions, and what serves traffic.
REGIONS = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
]
SERVING = ["us-east-1", "eu-west-1", "ap-southeast-1", "ap-northeast-1"]
STS = "{}-erlmcp-statefulset"
# The Automation API reads engine events from a CLI after 3.205 over gRPC (the `--event-log`
# value is a tcp:// address of its own server), from older CLIs through a file
# (pulumi/automation/_stack.py `_setup_event_log`). The real CLI of this SDK streams; the
# stand-in does both. The healthy rollout and one refusal stream; the other tests use the file,
# which spares every stand-in call the import of grpc.
STREAMING_CLI, FILE_CLI = "3.272.0", "3.205.0"


def with_digest(text: str, version: str, digest: str) -> str:
    """The stack file with `imageDigests.<version>` added under the existing 3.0.0 entry."""
    line = re.search(r"^( +)3\.0\.0: sha256:[0-9a-f]{64}\n", text, re.MULTILINE)
    assert line, "the prod stack file's 3.0.0 digest moved"
    return text[: line.end()] + f"{line[1]}{version}: {digest}\n" + text[line.end() :]


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_endpoint() as url:
        yield url


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class World:
    """One test's project directory, stand-in CLI and AWS signals."""

    project: Path
    root: Path
    endpoint: str
    capsys: pytest.CaptureFixture[str]

    @property
    def stack_file(self) -> Path:
        return self.project / "Pulumi.prod.yaml"

    @property
    def log_file(self) -> Path:
        return self.project / "build" / "rollout-prod.log"

    def scenario(self, **changes: Any) -> None:
        path = self.root / "scenario.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))

    def run(
        self,
        *args: str,
        sleep: Callable[[float], None] = lambda _: None,
        render: Callable[[dict[str, Any]], RecordedStack] | None = None,
    ) -> Run:
        self.capsys.readouterr()
        code = main(
            [
                "--stack",
                "prod",
                "--project-dir",
                str(self.project),
                "--pulumi-root",
                str(self.root),
                *args,
            ],
            sleep=sleep,
            aws_endpoint_url=self.endpoint,
            # The dry run's offline renders cost seconds each: the tests that are not about them
            # see an empty stack at every step (no change), the one that is renders for real.
            render=render or (lambda config: RecordedStack(project="p", stack="s")),
        )
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def calls(self) -> list[dict[str, Any]]:
        path = self.root / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def engine_calls(self, command: str) -> list[dict[str, Any]]:
        return [c for c in self.calls() if c["args"][0] == command]

    def config(self) -> dict[str, Any]:
        return yaml.safe_load(self.stack_file.read_text())["config"]

    def cloudwatch(self, region: str) -> Any:
        return boto3.client("cloudwatch", region_name=region, endpoint_url=self.endpoint)

    def alarm(self, region: str, name: str, state: str, reason: str = "test") -> None:
        client = self.cloudwatch(region)
        client.put_metric_alarm(
            AlarmName=name,
            MetricName="HTTPCode_Target_5XX_Count",
            Namespace="AWS/NetworkELB",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanThreshold",
        )
        client.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)

    def deployed(self) -> dict[str, list[Any]]:
        return json.loads((self.root / "deployed.json").read_text())


def step_of(call: dict[str, Any]) -> tuple[int, int] | str:
    """(wave, canaryPods) the stack file said at a preview or up; "none" without a rollout."""
    rollout = call["rollout"]
    return (rollout["wave"], rollout["canaryPods"]) if rollout else f"none@{call['release']}"


@pytest.fixture
def world(
    tmp_path: Path,
    moto_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> World:
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    monkeypatch.setenv("COLUMNS", "200")
    # Every test starts from an empty AWS.
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO_ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    text = with_digest((REPO_ROOT / "Pulumi.prod.yaml").read_text(), NEW, NEW_DIGEST)
    (project / "Pulumi.prod.yaml").write_text(text)

    route53 = boto3.client("route53", region_name="us-east-1", endpoint_url=moto_url)
    check_ids = {
        region: route53.create_health_check(
            CallerReference=f"{tmp_path.name}-{region}",
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": f"{region}.erlmcp.io",
                "Port": 443,
                "ResourcePath": "/health",
                "RequestInterval": 30,
                "FailureThreshold": 3,
            },
        )["HealthCheck"]["Id"]
        for region in REGIONS
    }

    root = tmp_path / "pulumi-cli"
    (root / "bin").mkdir(parents=True)
    (root / "scenario.json").write_text(
        json.dumps(
            {
                "version": FILE_CLI,
                "calls": str(root / "calls.jsonl"),
                # The stack file as first deployed, parsed once here rather than per call.
                "initial_config": yaml.safe_load(text)["config"],
                "outputs": {"regions": {r: {"healthCheckId": i} for r, i in check_ids.items()}},
            }
        )
    )
    wrapper = root / "bin" / "pulumi"
    # `-S` skips the site machinery (the virtualenv's .pth files cost ~30 ms a start, and the
    # Automation API starts the CLI four times an update); the stand-in needs only PyYAML and
    # grpc from site-packages.
    wrapper.write_text(
        "#!/bin/sh\n"
        f"ROLLOUT_STANDIN_SCENARIO='{root / 'scenario.json'}' PYTHONPATH='{SITE_PACKAGES}' "
        f"exec '{sys.executable}' -S '{STANDIN}' \"$@\"\n"
    )
    wrapper.chmod(0o755)

    w = World(project, root, moto_url, capsys)
    for region in SERVING:  # alarms at OK are no signal (moto drops StateValue with a prefix)
        w.alarm(region, f"erlmcp-prod-{region}-5xx-rate", "OK")
    w.alarm("eu-west-1", "erlmcp-staging-eu-west-1-5xx-rate", "ALARM")  # another stack's
    return w


def test_healthy_rollout_goes_through_every_wave_to_the_end(world: World) -> None:
    world.scenario(version=STREAMING_CLI)
    original = world.stack_file.read_text()

    run = world.run("--to", NEW, "--waves", *WAVES, "--soak-minutes", "1")

    assert run.code == 0, run.err
    assert f"Rolled out {NEW}" in run.out
    # The file ends as a plain release of the new version, every comment where it was.
    assert world.stack_file.read_text() == original.replace(
        "    version: 3.0.0\n", f"    version: {NEW}\n", 1
    )
    ups = world.engine_calls("up")
    assert [step_of(c) for c in ups] == [
        (1, 1),
        (1, 0),
        (2, 1),
        (2, 0),
        (3, 1),
        (3, 0),
        f"none@{NEW}",
    ]
    # Each preview ran against the step the up then applied, and changed only what it should.
    previews = world.engine_calls("preview")
    assert [step_of(c) for c in previews] == [step_of(c) for c in ups]
    standby = "{}-standby-of-{}-erlmcp-statefulset"
    assert [sorted(c["changed"]) for c in previews] == [
        [STS.format("eu-west-1")],
        [standby.format("eu-central-1", "eu-west-1"), STS.format("eu-west-1")],
        [STS.format("ap-northeast-1"), STS.format("ap-southeast-1")],
        sorted(
            [
                STS.format("ap-northeast-1"),
                STS.format("ap-southeast-1"),
                standby.format("ap-northeast-1", "ap-southeast-1"),
                standby.format("ap-southeast-1", "ap-northeast-1"),
            ]
        ),
        [STS.format("us-east-1")],
        [STS.format("us-east-1"), standby.format("us-west-2", "us-east-1")],
        [],
    ]
    assert all(version == [NEW, 0] for version in world.deployed().values())
    log = world.log_file.read_text()
    for expected in (
        "wave 1 canary (1 pod): wrote Pulumi.prod.yaml: rollout of 3.1.0: wave 1 of 3, "
        "canaryPods 1",
        f"update urn:pulumi:prod::erlmcp-infra::erlmcp:regions:Region$erlmcp:components:"
        f"ErlmcpRelease$kubernetes:apps/v1:StatefulSet::{STS.format('eu-west-1')}",
        "up result 'succeeded'",
        "cloudwatch-alarm erlmcp-prod-eu-west-1*: healthy (no alarm in ALARM)",
        "route53-health-check",
        "DECISION healthy, go on",
        f"finish: DECISION done: the fleet runs {NEW}",
    ):
        assert expected in log
    assert "erlmcp-staging" not in log


def test_unhealthy_canary_rolls_the_wave_back_and_stops(world: World) -> None:
    snapshots: dict[Any, bytes] = {}

    def soak(_: float) -> None:
        rollout = world.config().get("erlmcp-infra:rollout")
        snapshots[(rollout["wave"], rollout["canaryPods"])] = world.stack_file.read_bytes()
        if (rollout["wave"], rollout["canaryPods"]) == (2, 1):
            world.alarm(
                "ap-northeast-1",
                "erlmcp-prod-ap-northeast-1-5xx-rate",
                "ALARM",
                "Threshold Crossed: 12 5xx responses in 1 minute",
            )

    run = world.run("--to", NEW, "--waves", *WAVES, "--soak-minutes", "1", sleep=soak)

    assert run.code == 1
    assert "wave 2 canary (1 pod) failed" in run.err
    assert "erlmcp-prod-ap-northeast-1-5xx-rate" in run.err
    assert "Threshold Crossed: 12 5xx responses" in run.err
    # Back where the previous step left it: wave 1 done, wave 2 not begun.
    assert world.stack_file.read_bytes() == snapshots[(1, 0)]
    ups = world.engine_calls("up")
    assert [step_of(c) for c in ups] == [(1, 1), (1, 0), (2, 1), (1, 0)]
    deployed = world.deployed()
    assert deployed[STS.format("eu-west-1")] == [NEW, 0]
    for region in ("ap-southeast-1", "ap-northeast-1", "us-east-1"):
        assert deployed[STS.format(region)] == ["3.0.0", 0]
    log = world.log_file.read_text()
    assert "DECISION roll wave 2 back" in log
    assert "after the rollback" in log


def test_interrupted_rollout_resumes_at_the_wave_it_stopped_in(world: World) -> None:
    # Two waves keep it short.
    def interrupt_in_wave_2(_: float) -> None:
        if world.config()["erlmcp-infra:rollout"]["wave"] == 2:
            raise KeyboardInterrupt

    waves = ["eu-west-1", "ap-southeast-1,ap-northeast-1,us-east-1"]
    first = world.run(
        "--to", NEW, "--waves", *waves, "--soak-minutes", "1", sleep=interrupt_in_wave_2
    )

    assert first.code == 130
    assert "run the same command again to resume" in first.err
    assert world.config()["erlmcp-infra:rollout"]["wave"] == 2
    calls_before = len(world.calls())

    second = world.run("--to", NEW)

    assert second.code == 0, second.err
    resumed = world.calls()[calls_before:]
    ups = [step_of(c) for c in resumed if c["args"][0] == "up"]
    assert ups == [(2, 1), (2, 0), f"none@{NEW}"]
    assert not any(c.get("rollout") and c["rollout"]["wave"] == 1 for c in resumed)
    # The canary that was up when the driver stopped is redone. Its live read refreshes the
    # partitioned StatefulSets, which pulumi-kubernetes' read await calls not initialized: the
    # engine records init errors and the redone canary's `up` updates them again, to the same.
    assert next(c["changed"] for c in resumed if c["args"][0] == "preview") == [
        STS.format(region) for region in ("ap-northeast-1", "ap-southeast-1", "us-east-1")
    ]
    assert "erlmcp-infra:rollout" not in world.config()
    assert "resuming: rollout of 3.1.0: wave 2 of 2, canaryPods 1" in world.log_file.read_text()


def test_failed_canary_update_rolls_the_wave_back(world: World) -> None:
    """pulumi-kubernetes fails the update when the canary's pods do not become Ready in time."""
    world.scenario(fail_up=[{"wave": 1, "canaryPods": 1}])
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *WAVES)

    assert run.code == 1
    assert "wave 1 canary (1 pod) failed: `pulumi up` failed: error: update failed" in run.err
    assert world.stack_file.read_bytes() == original
    assert [step_of(c) for c in world.engine_calls("up")] == [(1, 1), "none@3.0.0"]
    assert "up: FAILED urn:pulumi:prod" in world.log_file.read_text()


@pytest.mark.parametrize("cli", [STREAMING_CLI, FILE_CLI], ids=["grpc-events", "event-log-file"])
def test_change_outside_the_wave_stops_before_up(world: World, cli: str) -> None:
    outside = (
        "urn:pulumi:prod::erlmcp-infra::erlmcp:regions:Region$erlmcp:components:ErlmcpRelease"
        f"$kubernetes:apps/v1:StatefulSet::{STS.format('us-east-1')}"
    )
    world.scenario(
        version=cli,
        extra_changes=[
            {
                "when": {"wave": 1, "canaryPods": 1},
                "urn": outside,
                "type": "kubernetes:apps/v1:StatefulSet",
                "op": "update",
            }
        ],
    )
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *WAVES)

    assert run.code == 1
    assert "stopped before `pulumi up`" in run.err
    assert outside in run.err
    assert world.engine_calls("up") == []
    assert len(world.engine_calls("preview")) == 1
    assert world.stack_file.read_bytes() == original


def test_dry_run_prints_every_step_and_changes_nothing(world: World) -> None:
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *WAVES, "--dry-run")

    assert run.code == 0, run.err
    lines = run.out
    for expected in (
        "Rollout of erlmcp 3.0.0 -> 3.1.0 on stack prod (Pulumi.prod.yaml): 3 waves, 15 min",
        "1. wave 1 canary (1 pod): eu-west-1 1/2 pods on 3.1.0; fleet 1/9",
        "2. wave 1 full: eu-west-1 2/2 pods on 3.1.0; fleet 2/9",
        "3. wave 2 canary (1 pod): ap-southeast-1 1/2, ap-northeast-1 1/2 pods on 3.1.0; fleet 4/9",
        "4. wave 2 full: ap-southeast-1 2/2, ap-northeast-1 2/2 pods on 3.1.0; fleet 6/9",
        "5. wave 3 canary (1 pod): us-east-1 1/3 pods on 3.1.0; fleet 7/9",
        "6. wave 3 full: us-east-1 3/3 pods on 3.1.0; fleet 9/9",
        "us-west-2-standby-of-us-east-1-erlmcp-statefulset (3 warm pods)",
        "7. finish: release.version 3.1.0, rollout key removed; fleet 9/9 pods on 3.1.0",
    ):
        assert expected in lines
    assert world.stack_file.read_bytes() == original
    assert world.calls() == []  # the stand-in never ran, not even `pulumi version`
    assert not world.log_file.exists()


IN_PROGRESS = (
    "  erlmcp-infra:rollout:\n    version: 3.1.0\n    waves: [[eu-west-1], [ap-southeast-1, "
    "ap-northeast-1], [us-east-1]]\n    wave: 2\n    canaryPods: 1\n    soakMinutes: 15\n"
)


@pytest.mark.parametrize(
    ("args", "in_progress", "message"),
    [
        (["--to", "3.2.0"], False, "imageDigests has no digest for 3.2.0"),
        (["--to", "3.2.0"], True, "a rollout of 3.1.0 is in progress (rollout of 3.1.0: wave 2"),
        (
            ["--to", NEW, "--waves", "eu-west-1", "mars-east-1,us-east-1"],
            False,
            "unknown region in the waves: mars-east-1 (the regions of Pulumi.prod.yaml: us-east-1",
        ),
        (["--to", NEW, "--waves", "us-east-1"], True, "differs from the waves of the rollout"),
        (
            ["--to", NEW, "--waves", "eu-west-1", "us-west-2"],
            False,
            "us-west-2 is a standby: its standby releases follow their primaries",
        ),
    ],
    ids=["no-digest", "other-version-in-progress", "unknown-region", "other-waves", "standby"],
)
def test_bad_input_is_refused_with_nothing_changed(
    world: World, args: list[str], in_progress: bool, message: str
) -> None:
    if in_progress:
        with world.stack_file.open("a") as stream:
            stream.write(IN_PROGRESS)
    original = world.stack_file.read_bytes()

    run = world.run(*args)

    assert run.code == 2
    assert message in run.err
    assert "Nothing was changed." in run.err
    assert world.stack_file.read_bytes() == original
    assert world.calls() == []


def test_health_signals(moto_url: str) -> None:
    """What each kind of reading makes of an answer: a failing checker, an unreadable check,
    a missing id."""
    reader = HealthReader("prod", endpoint_url=moto_url)
    route53 = reader._client("route53", "us-east-1")
    with Stubber(route53) as stub:  # type: ignore[arg-type]
        stub.add_response(
            "get_health_check_status",
            {
                "HealthCheckObservations": [
                    {"Region": "us-east-1", "StatusReport": {"Status": "Success: HTTP 200"}},
                    {"Region": "eu-west-1", "StatusReport": {"Status": "Failure: HTTP 503"}},
                ]
            },
            {"HealthCheckId": "abc"},
        )
        failing = reader.read(["eu-west-1"], {"eu-west-1": "abc"})
    [check] = [s for s in failing.signals if s.kind == "route53-health-check"]
    assert not failing.healthy
    assert "1 of 2 checkers report a failure, e.g. eu-west-1: Failure: HTTP 503" in check.detail

    unreadable = reader.read(["eu-west-1", "us-east-1"], {"eu-west-1": "no-such-check"})
    details = {s.region: s.detail for s in unreadable.failing}
    assert "could not be read" in details["eu-west-1"]
    assert details["us-east-1"] == "no healthCheckId in the stack outputs"


def _one_pair(stack_file: Path) -> None:
    """The stack file cut to us-east-1 and its standby (a quick render)."""
    document = yaml.safe_load(stack_file.read_text())
    config = document["config"]
    regions = config["erlmcp-infra:regions"]
    config["erlmcp-infra:regions"] = {r: regions[r] for r in ("us-east-1", "us-west-2")}
    config["erlmcp-infra:drPairs"] = [
        p for p in config["erlmcp-infra:drPairs"] if p["primary"] == "us-east-1"
    ]
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))


def test_dry_run_shows_each_steps_offline_plan(world: World) -> None:
    _one_pair(world.stack_file)
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", "us-east-1", "--dry-run", render=run_stack_file)

    assert run.code == 0, run.out + run.err
    offline = run.out.split("Offline plan of each step")[1]
    assert "1. wave 1 canary (1 pod): us-east-1-erlmcp-statefulset (update)" in offline
    assert (
        "2. wave 1 full: us-east-1-erlmcp-statefulset (update), "
        "us-west-2-standby-of-us-east-1-erlmcp-statefulset (update)"
    ) in offline
    assert "3. finish: nothing" in offline
    assert "REFUSED" not in offline
    assert world.stack_file.read_bytes() == original
    assert world.calls() == []


def test_dry_run_refuses_a_step_whose_offline_plan_changes_more(world: World) -> None:
    stray = recorded_resource(
        "urn:pulumi:prod::erlmcp-infra::aws:ec2/vpc:Vpc::us-west-2-network-vpc",
        "aws:ec2/vpc:Vpc",
        region="us-west-2",
    )
    renders: list[int] = []

    def render(config: dict[str, Any]) -> RecordedStack:
        renders.append(1)
        # From the first step on, a VPC appears: nothing a rollout may create.
        return RecordedStack(project="p", stack="s", resources=[stray] if len(renders) > 1 else [])

    run = world.run("--to", NEW, "--waves", *WAVES, "--dry-run", render=render)

    assert run.code == 1
    assert "REFUSED: the step may not change us-west-2-network-vpc (create)" in run.out
    assert world.calls() == []


# --- the live pod count: the HPA's, not the stack file's -----------------------------------

EU = "eu-west-1"
EU_STS_URN = (
    "urn:pulumi:prod::erlmcp-infra::erlmcp:regions:Region$erlmcp:components:ErlmcpRelease"
    f"$kubernetes:apps/v1:StatefulSet::{STS.format(EU)}"
)


def stop_in_wave_1_full_soak(world: World) -> Callable[[float], None]:
    """A soak that interrupts the driver once wave 1's full step is up: the test is about it."""

    def soak(_: float) -> None:
        rollout = world.config()["erlmcp-infra:rollout"]
        if (rollout["wave"], rollout["canaryPods"]) == (1, 0):
            raise KeyboardInterrupt

    return soak


def test_canary_partition_follows_the_pods_the_hpa_runs(world: World) -> None:
    """eu-west-1 is configured with 2 pods and its HPA runs 5: the canary's partition is 4."""
    world.scenario(live_pods={EU: 5})

    run = world.run(
        "--to", NEW, "--waves", *WAVES, "--soak-minutes", "1", sleep=stop_in_wave_1_full_soak(world)
    )

    assert run.code == 130, run.err  # interrupted in wave 1's full soak, as asked
    ups = world.engine_calls("up")
    assert [c["rollout"] for c in ups] == [
        {
            "version": NEW,
            "waves": [["eu-west-1"], ["ap-southeast-1", "ap-northeast-1"], ["us-east-1"]],
            "wave": 1,
            "canaryPods": 1,
            "soakMinutes": 1,
            "livePods": {EU: 5},
        },
        {
            "version": NEW,
            "waves": [["eu-west-1"], ["ap-southeast-1", "ap-northeast-1"], ["us-east-1"]],
            "wave": 1,
            "canaryPods": 0,
            "soakMinutes": 1,
        },
    ]
    calls = world.calls()
    first_refresh = next(i for i, c in enumerate(calls) if c["args"][0] == "refresh")
    first_preview = next(i for i, c in enumerate(calls) if c["args"][0] == "preview")
    assert first_refresh < first_preview  # read before the step was written
    assert calls[first_refresh]["args"].count("--target") == 1
    assert EU_STS_URN in calls[first_refresh]["args"]
    log = world.log_file.read_text()
    assert "wave 1 canary (1 pod): live pods: eu-west-1 5" in log
    assert (
        "statefulset eu-west-1-erlmcp-statefulset: healthy (5/5 Ready, 5 available, "
        "1 on the template's revision (partition 4))" in log
    )
    assert world.deployed()[STS.format(EU)] == [NEW, 0]


@pytest.mark.parametrize(
    ("cluster", "signal"),
    [
        (
            {"live_pods": {EU: 1}},
            "no pod runs the new version any more (the HPA scaled the region to 1, at or under "
            "the partition 1)",
        ),
        ({"unready": {EU: 1}}, "not every pod is Ready: 1/2 Ready"),
    ],
    ids=["hpa-scaled-the-canary-away", "pod-not-ready"],
)
def test_canary_pods_gone_or_not_ready_in_the_soak_roll_the_wave_back(
    world: World, cluster: dict[str, Any], signal: str
) -> None:
    def soak(_: float) -> None:
        if world.config()["erlmcp-infra:rollout"]["canaryPods"] == 1:
            world.scenario(**cluster)

    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *WAVES, "--soak-minutes", "1", sleep=soak)

    assert run.code == 1
    assert "wave 1 canary (1 pod) failed" in run.err
    assert f"eu-west-1 statefulset eu-west-1-erlmcp-statefulset: UNHEALTHY ({signal}" in run.err
    assert world.stack_file.read_bytes() == original
    assert [step_of(c) for c in world.engine_calls("up")] == [(1, 1), "none@3.0.0"]


def test_a_live_count_the_program_refuses_stops_before_anything_is_written(world: World) -> None:
    """The HPA's floor is 2; a region running 1 pod is not what the stack file describes."""
    world.scenario(live_pods={EU: 1})
    original = world.stack_file.read_bytes()

    run = world.run("--to", NEW, "--waves", *WAVES)

    assert run.code == 1
    assert "wave 1 canary (1 pod) cannot start on the pods the cluster runs" in run.err
    assert "erlmcp-infra:rollout.livePods.eu-west-1" in run.err
    assert world.stack_file.read_bytes() == original
    assert world.engine_calls("preview") == [] and world.engine_calls("up") == []
