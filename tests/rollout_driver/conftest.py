"""Fixtures of the rollout driver's tests: the session's moto server and boto3 session, one
stand-in Prometheus per worker, a fresh world per test (world.py)."""

from __future__ import annotations

import json
import py_compile
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from pulumi.automation import _stack as automation_stack

from offline.stacks import REPO_ROOT
from operations.aws_clients import AwsClients
from tests.rollout_driver import alarm_history
from tests.rollout_driver.prometheus_standin import StandinPrometheus, served
from tests.rollout_driver.world import (
    FILE_CLI,
    NEW,
    NEW_DIGEST,
    REGIONS,
    SERVING,
    SITE_PACKAGES,
    STANDIN,
    World,
    with_digest,
)


@pytest.fixture(scope="package")
def moto_url(moto_server: str) -> Iterator[str]:
    """The session's moto server (tests/conftest.py `moto_server`: one per test process, and
    moto's state is the process's anyway), answering DescribeAlarmHistory while the package
    runs (alarm_history.py). A server of the package's own cost a start and, at the package's
    end, a 0.5 s stop (werkzeug's shutdown poll)."""
    with alarm_history.served():
        yield moto_server


@pytest.fixture(scope="package")
def aws_clients(aws_session: boto3.session.Session, moto_url: str) -> AwsClients:
    """The tests' own clients of the moto server (health checks, alarms), one per service and
    region for the package, from the session's boto3 session (tests/conftest.py
    `aws_session`), which every run of the driver is handed too (`main(session=...)`): a new
    session loads botocore's service models and endpoint data again (~50 ms for its first
    client), and a new client costs ~5 ms even from a warm session (a world sets five alarms).
    Sessions and clients keep no AWS state: the moto server does, and each world empties it."""
    return AwsClients(session=aws_session, endpoint_for=lambda service, region: moto_url)


@pytest.fixture(scope="package")
def standin_bytecode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stand-in CLI's modules compiled once, for `python <dir>/standin.pyc`: run as a
    script, standin.py would be compiled again at each of its ~500 starts (~3 ms each; a
    script's bytecode is never cached). Its import of c_json finds c_json.pyc next to it."""
    compiled = tmp_path_factory.mktemp("rollout-standin")
    for source in STANDIN.parent.glob("*.py"):
        py_compile.compile(str(source), cfile=str(compiled / f"{source.stem}.pyc"), doraise=True)
    return compiled / f"{STANDIN.stem}.pyc"


@pytest.fixture(scope="package")
def prometheus_server() -> Iterator[StandinPrometheus]:
    with served() as standin:
        yield standin


@pytest.fixture
def prometheus(prometheus_server: StandinPrometheus) -> StandinPrometheus:
    """The stand-in workspaces, every region healthy and no alert, nothing seen yet."""
    prometheus_server.reset()
    return prometheus_server


@pytest.fixture
def world_without_aws(
    tmp_path: Path,
    moto_url: str,
    aws_session: boto3.session.Session,
    aws_clients: AwsClients,
    prometheus: StandinPrometheus,
    standin_bytecode: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> World:
    """The project and the stand-in CLI, and no AWS signals set up (no health checks, no
    alarms): for the runs that stop before the driver reads any (dry runs, refused input),
    which would spend ~80 ms of moto requests on a `world` they never look at. A run that did
    read AWS would find no health check and fail."""
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    monkeypatch.setenv("COLUMNS", "200")

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO_ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    text = with_digest((REPO_ROOT / "Pulumi.prod.yaml").read_text(), NEW, NEW_DIGEST)
    (project / "Pulumi.prod.yaml").write_text(text)

    root = tmp_path / "pulumi-cli"
    (root / "bin").mkdir(parents=True)
    (root / "scenario.json").write_text(
        json.dumps(
            {
                "version": FILE_CLI,
                "calls": str(root / "calls.jsonl"),
                # The stack file as first deployed, parsed once here rather than per call.
                "initial_config": yaml.load(text, Loader=yaml.CSafeLoader)["config"],
                "outputs": {
                    "regions": {
                        region: {"prometheusEndpoint": prometheus.endpoint(region)}
                        for region in REGIONS
                    }
                },
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
        f"exec '{sys.executable}' -S '{standin_bytecode}' \"$@\"\n"
    )
    wrapper.chmod(0o755)
    monkeypatch.setattr(
        automation_stack, "_watch_logs", _watching_every_5_ms(automation_stack._watch_logs)
    )
    return World(project, root, moto_url, capsys, prometheus, aws_session, aws_clients)


class _QuickEvent:
    """A stop event whose waits last at most 5 ms."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def wait(self, timeout: float | None = None) -> bool:
        return self.event.wait(0.005 if timeout is None else min(timeout, 0.005))


def _watching_every_5_ms(watch: Callable[..., None]) -> Callable[..., None]:
    """The Automation API's event-log watcher, polling every 5 ms instead of 100. With a CLI
    of 3.205 or older (the file event log: FILE_CLI) it reads the file in a thread that waits
    `stopEvent.wait(0.1)` between empty reads, and every preview or up ends by joining it
    (pulumi 3.272.0, automation/_stack.py `_watch_logs`, `_cleanup`): ~50 ms idle each, a few
    seconds over these tests. The watcher's own code and what it hands the driver are unchanged."""

    def watch_quickly(filename: str, callback: Any, stop_event: Any = None) -> None:
        watch(filename, callback, _QuickEvent(stop_event) if stop_event is not None else None)

    return watch_quickly


@pytest.fixture
def world(world_without_aws: World, tmp_path: Path, moto_reset: str) -> World:
    """`world_without_aws` with its AWS signals: an empty moto server (`moto_reset`) but for a
    Route 53 health check per region (in the stack outputs) and this stack's alarms at OK."""
    w = world_without_aws
    route53 = w.clients("route53", "us-east-1")
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
    w.scenario(
        outputs={
            "regions": {
                region: {
                    "healthCheckId": check_id,
                    "prometheusEndpoint": w.prometheus.endpoint(region),
                }
                for region, check_id in check_ids.items()
            }
        }
    )
    for region in SERVING:  # alarms at OK are no signal (moto drops StateValue with a prefix)
        w.alarm(region, f"erlmcp-prod-{region}-5xx-rate", "OK")
    w.alarm("eu-west-1", "erlmcp-staging-eu-west-1-5xx-rate", "ALARM")  # another stack's
    return w
