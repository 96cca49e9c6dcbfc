"""`make rotate` (operations/rotate.py) driving a stand-in engine: every step written before its
`up`, a stray change refused, an unhealthy step stopped, and a rotation interrupted and
resumed without skipping or repeating a step's write."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from pulumi.automation import CommandError

from offline.stacks import PROD_STACK_FILE, REPO_ROOT
from operations import rotate
from operations.health import HealthReport, Signal

URN = "urn:pulumi:prod::erlmcp-infra::{type}::{name}"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
# What the engine's preview shows at each roll wave of us-east-1's Redis token.
ROLLED = {
    "roll 1": "us-east-1-erlmcp-statefulset",
    "roll 2": "us-west-2-standby-of-us-east-1-erlmcp-statefulset",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(PROD_STACK_FILE, tmp_path / "Pulumi.prod.yaml")
    return tmp_path


def secrets_key(project: Path) -> dict[str, Any] | None:
    """The stack file's `erlmcp-infra:secrets`, which the command writes at the end of
    `config:` (only that block is parsed: the stand-in reads it at every call)."""
    text = (project / "Pulumi.prod.yaml").read_text()
    block = text.partition("\n  erlmcp-infra:secrets:")
    if not block[1]:
        return None
    return yaml.safe_load("secrets:" + block[2])["secrets"]


def event(op: str, type_: str, name: str) -> SimpleNamespace:
    metadata = SimpleNamespace(op=op, urn=URN.format(type=type_, name=name), type=type_)
    return SimpleNamespace(resource_pre_event=SimpleNamespace(metadata=metadata))


@dataclass
class Engine:
    """A stand-in for the Automation API's Stack: records the stack file's rotation at each
    preview and up; `stray` adds a change to the preview of a step, `fail_up` makes an up
    fail, `interrupt` raises KeyboardInterrupt in an up (each once)."""

    project: Path
    stray: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    fail_up: set[str] = field(default_factory=set)
    interrupt: set[str] = field(default_factory=set)
    ups: list[str] = field(default_factory=list)

    def _where(self) -> str:
        secrets = secrets_key(self.project) or {}
        rotation = secrets.get("rotation")
        if rotation is None:
            return "finish"
        return rotation["step"] + (f" {rotation['wave']}" if rotation["step"] == "roll" else "")

    def preview(self, *, diff: bool, on_event: Any) -> None:
        where = self._where()
        if where in ROLLED:
            on_event(event("update", STATEFULSET, ROLLED[where]))
        if where in self.stray:
            on_event(event(*self.stray.pop(where)))

    def up(self, *, on_event: Any) -> Any:
        where = self._where()
        if where in self.interrupt:
            self.interrupt.discard(where)
            raise KeyboardInterrupt
        if where in self.fail_up:
            self.fail_up.discard(where)
            raise CommandError(SimpleNamespace(stdout="", stderr="pods not Ready", code=1))
        self.ups.append(where)
        return SimpleNamespace(summary=SimpleNamespace(result="succeeded"))

    def outputs(self) -> dict[str, Any]:
        return {"regions": SimpleNamespace(value={})}


@dataclass
class Health:
    unhealthy: set[str] = field(default_factory=set)
    engine: Engine | None = None
    read_regions: list[str] = field(default_factory=list)

    def read(
        self, regions: list[str], check_ids: dict[str, Any], since: Any = None
    ) -> HealthReport:
        self.read_regions.extend(regions)
        where = self.engine._where() if self.engine else ""
        ok = where not in self.unhealthy
        self.unhealthy.discard(where)
        return HealthReport((Signal("cloudwatch-alarm", regions[0], "5xx-rate", ok, "ALARM"),))


def run(project: Path, engine: Engine, health: Health, *args: str) -> int:
    health.engine = engine
    argv = ["--project-dir", str(project), *args]
    return rotate.main(argv, engine=lambda _: engine, health=lambda _a, _c: health)


REDIS = ("--secret", "redis-auth-token", "--region", "us-east-1")
REDIS_STEPS = ["prepare", "roll 1", "roll 2", "retire", "finish"]


def test_a_rotation_runs_every_step_in_order_and_leaves_only_the_generation(project, capsys):
    original = (project / "Pulumi.prod.yaml").read_text()
    engine = Engine(project)
    assert run(project, engine, Health(), *REDIS) == 0
    assert engine.ups == REDIS_STEPS
    assert secrets_key(project) == {"generations": {"redis-auth-token": {"us-east-1": 2}}}
    text = (project / "Pulumi.prod.yaml").read_text()
    assert text.startswith(original), "comments and layout of the file are kept"
    assert text[len(original) :] == (
        "  erlmcp-infra:secrets:\n    generations:\n      redis-auth-token: {us-east-1: 2}\n"
    )
    out = capsys.readouterr().out
    assert "step 2/5 roll wave 1 (us-east-1): preview: update us-east-1-erlmcp-statefulset" in out
    assert "Rotated redis-auth-token of us-east-1: generation 1 -> 2: finished" in out


def test_a_change_outside_the_step_stops_it_before_up_and_puts_the_file_back(project, capsys):
    engine = Engine(
        project,
        stray={"roll 1": ("replace", "aws:rds/cluster:Cluster", "us-east-1-aurora-cluster")},
    )
    assert run(project, engine, Health(), *REDIS) == 1
    assert engine.ups == ["prepare"]
    assert secrets_key(project)["rotation"]["step"] == "prepare"
    assert "changes what the step may not" in capsys.readouterr().err
    # Run again: the file names prepare, done but not known to be, so it is redone (it
    # changes nothing the second time), and the rotation goes on; the stray change is gone.
    assert run(project, engine, Health(), *REDIS) == 0
    assert engine.ups == ["prepare", *REDIS_STEPS]


def test_an_unhealthy_step_stops_there_and_the_same_command_resumes_it(project, capsys):
    engine = Engine(project)
    assert run(project, engine, Health(unhealthy={"roll 1"}), *REDIS) == 1
    assert secrets_key(project)["rotation"] == {
        "secret": "redis-auth-token",
        "region": "us-east-1",
        "to": 2,
        "step": "roll",
        "wave": 1,
        "waves": [["us-east-1"], ["us-west-2"]],
    }
    assert "stays at roll wave 1 (us-east-1), a resting point" in capsys.readouterr().err
    assert run(project, engine, Health(), *REDIS) == 0
    assert engine.ups == ["prepare", "roll 1", "roll 1", "roll 2", "retire", "finish"]


def test_an_interrupted_rotation_resumes_at_the_step_in_progress(project, capsys):
    engine = Engine(project, interrupt={"roll 2"})
    assert run(project, engine, Health(), *REDIS) == 130
    assert "Interrupted during roll wave 2 (us-west-2)" in capsys.readouterr().err
    assert secrets_key(project)["rotation"]["wave"] == 2
    assert run(project, engine, Health(), *REDIS) == 0
    out = capsys.readouterr().out
    assert "In progress: it resumes at step 3 (roll wave 2 (us-west-2))." in out
    assert "step 3/5 roll wave 2 (us-west-2): Pulumi.prod.yaml already says so, resuming" in out
    assert engine.ups == REDIS_STEPS


def test_a_failed_up_stops_at_a_resting_point(project, capsys):
    engine = Engine(project, fail_up={"retire"})
    assert run(project, engine, Health(), *REDIS) == 1
    assert "retire: `pulumi up` failed" in capsys.readouterr().err
    assert secrets_key(project)["rotation"]["step"] == "retire"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--secret", "api-key"), "unknown secret 'api-key'"),
        (("--secret", "db-password"), "db-password belongs to a serving region: give REGION="),
        (("--secret", "jwt-secret", "--region", "us-east-1"), "jwt-secret is the whole fleet's"),
        (
            ("--secret", "redis-auth-token", "--region", "us-west-2"),
            "us-west-2 is not a serving region",
        ),
        (("--secret", "db-password", "--region", "us-east-1"), "secrets.sqlClientImage"),
    ],
)
def test_bad_input_changes_nothing(project, capsys, args, reason):
    before = (project / "Pulumi.prod.yaml").read_bytes()
    engine = Engine(project)
    assert run(project, engine, Health(), *args) == 2
    assert reason in capsys.readouterr().err
    assert (project / "Pulumi.prod.yaml").read_bytes() == before and not engine.ups


def test_another_rotation_in_progress_is_finished_first(project, capsys):
    assert run(project, Engine(project, interrupt={"prepare"}), Health(), *REDIS) == 130
    assert run(project, Engine(project), Health(), "--secret", "jwt-secret") == 2
    assert (
        "a rotation of redis-auth-token REGION=us-east-1 is in progress" in capsys.readouterr().err
    )


def test_a_failed_over_pair_is_not_rotated(project, capsys):
    path = project / "Pulumi.prod.yaml"
    path.write_text(path.read_text() + "  erlmcp-infra:failover: {us-east-1: us-west-2}\n")
    assert run(project, Engine(project), Health(), *REDIS) == 2
    assert "us-east-1 (failover) is failed over or failing back" in capsys.readouterr().err


def test_health_is_read_where_traffic_is_served(project, capsys):
    """us-west-2 only stands by: its Route 53 check fails by design, so its wave is judged by
    `pulumi up` awaiting its pods, not by health."""
    health = Health()
    assert run(project, Engine(project), health, *REDIS) == 0
    assert set(health.read_regions) == {"us-east-1"}
    assert (
        "step 3/5 roll wave 2 (us-west-2): no serving region in the step" in capsys.readouterr().out
    )
