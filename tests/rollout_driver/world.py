"""The world every driver test runs in: a project directory with prod's stack file, a stand-in
`pulumi` (tests/rollout_standin/standin.py, which models what each release runs per step and
sends engine events as the CLI does) that the real Automation API drives, and AWS signals served
by a local moto server (Route 53 health checks, CloudWatch alarms) and a stand-in Prometheus
(prometheus_standin.py: each region's workspace, healthy unless a test scripts otherwise). Soaks
are injected no-ops.

moto's GetHealthCheckStatus always answers "Success" for a health check it knows
(moto/route53/responses.py), so an unhealthy wave is made with a CloudWatch alarm in ALARM;
the Route 53 failure reading is checked against a stubbed answer (test_steps.py
`test_health_signals`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from offline.recorder import RecordedStack
from offline.stacks import stack_file_config
from operations.aws_clients import AwsClients
from operations.rollout.__main__ import main
from operations.stack_file import regions, serving_regions
from tests.rollout_driver.prometheus_standin import StandinPrometheus

STANDIN = Path(__file__).parent.parent / "rollout_standin" / "standin.py"
SITE_PACKAGES = Path(yaml.__file__).parent.parent
NEW = "3.1.0"
NEW_DIGEST = "sha256:" + "31" * 32
WAVES = ["eu-west-1", "ap-southeast-1,ap-northeast-1", "us-east-1"]
# The prod stack file's regions, and what serves traffic.
REGIONS = list(regions(stack_file_config()))
SERVING = serving_regions(stack_file_config())
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
    prometheus: StandinPrometheus
    session: boto3.session.Session
    """The package's session (conftest.py `aws_session`), handed to every run of the driver."""
    clients: AwsClients

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
            session=self.session,
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
        return stack_file_config(self.stack_file)

    def cloudwatch(self, region: str) -> Any:
        return self.clients("cloudwatch", region)

    def alarm(self, region: str, name: str, state: str, reason: str = "test") -> None:
        put_alarm(self.cloudwatch(region), name, state, reason)

    def deployed(self) -> dict[str, list[Any]]:
        return json.loads((self.root / "deployed.json").read_text())


def step_of(call: dict[str, Any]) -> tuple[int, int] | str:
    """(wave, canaryPods) the stack file said at a preview or up; "none" without a rollout."""
    rollout = call["rollout"]
    return (rollout["wave"], rollout["canaryPods"]) if rollout else f"none@{call['release']}"


def put_alarm(cloudwatch: Any, name: str, state: str, reason: str = "test") -> None:
    """An alarm of the moto server's CloudWatch, set to `state`."""
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        MetricName="HTTPCode_Target_5XX_Count",
        Namespace="AWS/NetworkELB",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)
