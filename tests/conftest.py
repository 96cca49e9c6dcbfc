"""Shared fixtures: every test runs real program code under the recording mock runtime."""

from __future__ import annotations

import copy
import functools
import gc
import json
import shutil
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from offline.gc_control import freeze_garbage_after_blocks

# The program, the SDK, moto and the stand-ins are imported where they are used, not here:
# pytest-xdist's controller loads this file before it starts any worker, and runs no test, so
# every second spent importing here (2 to 3 s: moto's RDS and EC2 models, pulumi-aws's
# classes) delayed the whole run. The workers import them with the tests that use them.
if TYPE_CHECKING:
    import boto3
    import pulumi_kubernetes as k8s

    from offline.recorder import RecordedResource, RecordedStack
    from operations.fleet import Fleet
    from tests.backup_standin import StandinBackup
    from tests.kubernetes_standin import StandinKubernetes
    from tests.tls import LocalPki


def pytest_sessionstart(session: pytest.Session) -> None:
    """No cyclic collection while the tests are collected: collecting imports the program, the
    SDK, pulumi-aws's classes and moto, and CPython's default thresholds walked everything
    imported so far some 16 times a worker (~2 s), freeing nothing: what is imported stays."""
    gc.disable()


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Before the first test: move what every test keeps alive (modules, the SDK, collected
    tests) out of the cyclic collector's reach, so full collections walk only what tests
    create, and turn the collector back on. Recording and policy analysis pause it themselves
    (offline/gc_control.py). (xdist's controller, which collects nothing, comes here too.)"""
    gc.collect()
    gc.freeze()
    freeze_garbage_after_blocks()
    # Tests make many short-lived objects (recordings' copies, moto's requests) and few cycles:
    # collect the young generation less often than CPython's default of every 700 allocations.
    gc.set_threshold(20_000, 20, 20)
    gc.enable()


# Resources whose loss loses data, a cluster or the domain (DNSSEC signing once the DS record is
# published): the plan diff's stateful list, README.
STATEFUL_TYPES = frozenset(
    {
        "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster",
        "aws:rds/clusterInstance:ClusterInstance",
        "aws:rds/globalCluster:GlobalCluster",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
        "aws:route53/zone:Zone",
        "aws:eks/cluster:Cluster",
        "aws:backup/vault:Vault",
        "aws:route53/keySigningKey:KeySigningKey",
        "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec",
        "aws:amp/workspace:Workspace",
    }
)
# The stateful resources are all `protect`ed (Aurora instances too: losing the writer is an
# outage; components/aurora.py).
PROTECTED_TYPES = STATEFUL_TYPES


def recorded_resource(
    urn: str,
    type_: str,
    *,
    region: str | None = None,
    inputs: dict[str, Any] | None = None,
    dependencies: list[str] | None = None,
) -> RecordedResource:
    """A custom resource as the recorder would have it, for tests that build a graph by hand."""
    from offline.recorder import RecordedResource

    return RecordedResource(
        urn=urn,
        type=type_,
        name=urn.rsplit("::", 1)[-1],
        custom=True,
        parent=None,
        provider=None,
        inputs=inputs or {},
        outputs={},
        dependencies=dependencies or [],
        property_dependencies={},
        protect=False,
        retain_on_delete=False,
        delete_before_replace=False,
        ignore_changes=[],
        additional_secret_outputs=[],
        aliases=[],
        id=urn.rsplit("::", 1)[-1],
        region=region,
    )


def k8s_provider(cluster_name: str, region: str) -> k8s.Provider:
    """A Kubernetes provider for an EKS cluster, with the kubeconfig the EKS component makes."""
    import pulumi_kubernetes as k8s

    from components.eks import kubeconfig

    config = kubeconfig("https://example.eks.amazonaws.com", "Y2E=", cluster_name, region)
    return k8s.Provider("test-k8s", kubeconfig=json.dumps(config))


@pytest.fixture
def record() -> Callable[..., RecordedStack]:
    """Build components under the mock runtime and return the recorded resources."""
    from offline.recorder import run_components

    return run_components


def assert_parented_under(stack: RecordedStack, component_type: str, name: str) -> RecordedResource:
    """The named component exists and every custom resource of the run sits beneath it."""
    component = stack.one(component_type, name)
    beneath = {r.urn for r in stack.descendants_of(component.urn)}
    stray = [
        r.urn for r in stack.resources if r.custom and not r.is_provider and r.urn not in beneath
    ]
    assert not stray, f"resources not parented under {name}: {stray}"
    return component


@pytest.fixture
def handed_to(monkeypatch: pytest.MonkeyPatch) -> Callable[[type, str], list[Any]]:
    """`handed_to(cls, field)`: a list that fills, during the next recording, with what the
    program passes `cls` for `field`, before the class's own code sees it.

    pulumi-aws and pulumi-kubernetes mark some inputs secret themselves (a Secret's
    `string_data`, an RDS `password`, an ElastiCache `auth_token`), so the recording looks the
    same whether a component marked a value secret or not; this shows what the component did.
    """

    def spy(cls: type, field: str) -> list[Any]:
        seen: list[Any] = []
        original = cls._internal_init  # type: ignore[attr-defined]

        def capture(self: Any, resource_name: str, *args: Any, **kwargs: Any) -> Any:
            seen.append(kwargs.get(field))
            return original(self, resource_name, *args, **kwargs)

        monkeypatch.setattr(cls, "_internal_init", capture)
        return seen

    return spy


def is_secret_output(value: Any) -> bool:
    """Whether a value a program handed over (see `handed_to`) was a secret Output; call it
    after the recording, when every Output has resolved."""
    import pulumi
    from pulumi.runtime.sync_await import _sync_await

    return isinstance(value, pulumi.Output) and _sync_await(value.is_secret())


def inputs_of(resource: RecordedResource) -> dict[str, Any]:
    return resource.plain_inputs


@pytest.fixture
def prod_config() -> dict[str, Any]:
    """A fresh, mutable copy of the prod stack's config mapping."""
    from offline.stacks import stack_file_config

    return copy.deepcopy(stack_file_config())


@pytest.fixture
def prod_values(prod_config: dict[str, Any]) -> dict[str, Any]:
    from offline.stacks import project_values

    return project_values(prod_config)


@pytest.fixture(scope="session")
def prod_stack() -> RecordedStack:
    """The prod stack, recorded once per session; tests only read it."""
    return _prod_stack()


# --- the DR sequence: failover, failback, next generation ------------------------------------

DR_STAGES = ("normal", "failover", "resync", "drain", "cutover", "generation-2")


def dr_stage_config(primary: str, stage: str) -> dict[str, Any]:
    """The prod stack file's config with `primary`'s DR pair at `stage` of the README's
    failover and failback sequence ("generation-2": the sequence completed)."""
    from offline.stacks import stack_file_config

    config = copy.deepcopy(stack_file_config())
    pairs = config["erlmcp-infra:drPairs"]
    pair = next(p for p in pairs if p["primary"] == primary)
    if stage in ("failover", "resync", "drain", "cutover"):
        config["erlmcp-infra:failover"] = {primary: pair["standby"]}
    if stage in ("resync", "drain", "cutover"):
        config["erlmcp-infra:failback"] = {primary: stage}
    if stage == "generation-2":
        pair.update(generation=2, retiredGenerations=[1])
    return config


def everyday_edits(config: dict[str, Any]) -> dict[str, Any]:
    """Prod's config with the everyday edits made at once, in place: a bigger database class, more
    pods, a patch release, and every backup knob off its default. One recording serves
    tests/test_replacements.py (none of them replaces anything) and tests/test_wiring.py (the
    backup settings reach every copy)."""
    regions = config["erlmcp-infra:regions"]
    regions["us-east-1"]["database"].update(instanceClass="db.r6g.2xlarge")
    regions["eu-west-1"].update(pods=4)
    config["erlmcp-infra:release"].update(
        version="3.0.1", imageDigests={"3.0.1": "sha256:" + "1" * 64}
    )
    backups = config["erlmcp-infra:backups"]
    backups["database"]["retentionDays"] = 21
    backups["objects"]["postgres"] = {
        "expireDays": 400,
        "glacierAfterDays": 180,
        "noncurrentExpireDays": 14,
    }
    return config


@functools.cache
def _dr_stage_stack(primary: str, stage: str) -> RecordedStack:
    from tests.recordings import recorded_stack

    if stage == "normal":
        return _prod_stack()
    # A failover happens while the primary's region is down: it is rendered that way.
    outage = primary if stage == "failover" else None
    return recorded_stack(dr_stage_config(primary, stage), outage=outage)


@functools.cache
def _prod_stack() -> RecordedStack:
    from offline.stacks import stack_file_config
    from tests.recordings import recorded_stack

    return recorded_stack(stack_file_config())


@pytest.fixture(scope="session")
def dr_stage_stack() -> Callable[[str, str], RecordedStack]:
    """The prod stack at a stage of one pair's DR sequence, recorded once per session."""
    return _dr_stage_stack


@pytest.fixture(scope="session")
def moto_url(moto_server: str) -> Iterator[str]:
    """The process's moto server (`moto_server`), with the actions moto lacks for automatic
    failover added in-process (tests/moto_standins.py). moto keeps its state per process, not
    per server, so a second server would serve the same accounts."""
    from tests.moto_standins import standins

    with standins():
        yield moto_server


@pytest.fixture(scope="session")
def promtool() -> str:
    """Prometheus's promtool, the judge of the generated rules. Missing is a failure, not a skip:
    CI installs it (.ci/run: Debian's `prometheus` package)."""
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found: `apt-get install prometheus` (Debian), as .ci/run does")
    return path


# --- live-fleet stand-ins shared by the commands' tests (make check, make restore-drill) -------


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """One moto server per test process, for every test of `make check` and
    `make restore-drill`; each test empties it first (`moto_reset`)."""
    from tests.moto_server import moto_endpoint

    with moto_endpoint() as url:
        yield url


@pytest.fixture(scope="session")
def aws_session(moto_server: str) -> boto3.session.Session:
    """One boto3 session for the commands' tests: each new session loads the service models
    again (~0.1 s a service)."""
    import boto3

    return boto3.session.Session()


@pytest.fixture(scope="session")
def prod_fleet() -> Fleet:
    """What the prod stack file says the live fleet holds (operations/fleet.py); read-only."""
    from operations.fleet import load_fleet

    return load_fleet(None, None)


@pytest.fixture
def moto_reset(moto_server: str) -> str:
    """The session's moto server, emptied: every test starts from an empty AWS."""
    from tests.moto_server import reset_moto

    reset_moto(moto_server)
    return moto_server


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> LocalPki:
    """A CA and a server certificate for 127.0.0.1 and the prod domain's names."""
    from tests.tls import make_pki

    return make_pki(tmp_path_factory.mktemp("pki"), ["erlmcp.io", "*.erlmcp.io"])


@pytest.fixture(scope="session")
def kubernetes_server(test_pki: LocalPki) -> Iterator[StandinKubernetes]:
    from tests.kubernetes_standin import served as kubernetes_served

    with kubernetes_served(test_pki) as standin:
        yield standin


@pytest.fixture
def kubernetes(kubernetes_server: StandinKubernetes) -> StandinKubernetes:
    """The stand-in Kubernetes API, with no cluster yet."""
    kubernetes_server.reset()
    return kubernetes_server


@pytest.fixture(scope="session")
def backup_server() -> Iterator[tuple[str, StandinBackup]]:
    from tests.backup_standin import served as backup_served

    with backup_served() as served:
        yield served


@pytest.fixture
def backup(backup_server: tuple[str, StandinBackup]) -> tuple[str, StandinBackup]:
    """(URL, stand-in) of AWS Backup's recovery points, empty."""
    backup_server[1].reset()
    return backup_server
