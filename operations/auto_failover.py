"""After an automatic failover: `make failover PRIMARY=<region> AFTER_AUTO=1` makes the stack say
what the ARC Region switch plan did, and `REARM=1` arms the pair's trigger again once it is home.

AFTER_AUTO reads the world through the standby region only (the primary may be down):

* the database: Aurora, the Global Database's members (DescribeGlobalClusters): the standby
  cluster a writer *of the same Global Database* is the plan's managed failover
  (`failoverBy: region-switch`); a standby cluster outside it was detached (by hand: the
  config failover's model); the old writer still writing means the plan has not promoted yet
  (refused). RDS: the standby's instance (DescribeDBInstances) no longer a replica
  (no `ReadReplicaSourceDBInstanceIdentifier`) is promoted; still a replica is refused.
* the cache: the Global Datastore's member in the standby region PRIMARY or not
  (DescribeGlobalReplicationGroups). The plan's Lambda step is skipped in ungraceful mode (ARC
  user guide, "Custom action Lambda execution block"), so it may not be: the command then
  prints the promotion, as `make failover` does.

Then it plans like `make failover` (operations/failover.py: rendered offline with the primary
down, targets in the standby only, nothing global, nothing stateful created or deleted, the pack
passes) with `failover: {P: S}` and `failoverBy: {P: region-switch}` when the plan promoted the
database, and checks what makes it a convergence rather than a second failover: no change to
any Aurora cluster or Global Database (the managed failover left them as the config now says),
the standby release keeps at least the pods the plan scaled it to (its HPA takes the count
over: no `patchForce` from 0), and the Global Datastore untouched. An RDS replica that ARC
promoted is still a replica in Pulumi's state; removing `replicate_source_db` would call
PromoteReadReplica on an instance that is no longer one (terraform-provider-aws
internal/service/rds/instance.go at the pinned revision, Update, lines 1941-1960), so the
printed commands refresh it first: Read sets `replicate_source_db` from the API (line 1897).
"""

from __future__ import annotations

import copy
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml.comments import CommentedMap

from offline.stacks import PROJECT, stack_file_config
from operations.failover import (
    FailoverError,
    FailoverPlan,
    _parsed,
    check_environment,
    commands,
    plan_failover,
    render_offline,
    write_failover,
)
from operations.stack_file import edit_stack_file
from planning.plan import write_plan
from regions.auto_failover import MARKER_METRIC, MARKER_NAMESPACE
from regions.config import DrPairConfig, StackConfig
from regions.lineage import lineage
from regions.names import cache_group_id, standby_cache_group_id

FAILOVER_BY_KEY = f"{PROJECT}:failoverBy"
ClientFactory = Callable[[str, str], Any]
"""(service, region) -> a boto3 client."""
DatabaseState = Literal["managed", "detached", "promoted", "not-failed-over"]


@dataclass(frozen=True)
class World:
    """What AWS says of a pair after its plan ran, read through the standby region."""

    database: DatabaseState
    cache_promoted: bool
    notes: list[str] = field(default_factory=list)


def boto3_clients(service: str, region: str) -> Any:
    import boto3

    return boto3.client(service, region_name=region)


def pair_of(stack: StackConfig, primary: str) -> DrPairConfig:
    pair = stack.pair_of_primary(primary)
    if pair is None:
        raise FailoverError(f"{primary} is not the primary of a DR pair")
    return pair


def read_world(stack: StackConfig, pair: DrPairConfig, clients: ClientFactory) -> World:
    normal = lineage(pair.primary, stack.environment, pair, "normal")
    writer, standby = normal.primary_uses, normal.standby_uses
    assert standby is not None
    if pair.database == "aurora-global":
        state, notes = _aurora_state(clients("rds", pair.standby), writer, standby)
    else:
        state, notes = _rds_state(clients("rds", pair.standby), standby.identifier)
    promoted, cache_notes = _cache_state(stack, pair, clients("elasticache", pair.standby))
    return World(database=state, cache_promoted=promoted, notes=notes + cache_notes)


def _aurora_state(rds: Any, writer: Any, standby: Any) -> tuple[DatabaseState, list[str]]:
    found = rds.describe_global_clusters(GlobalClusterIdentifier=writer.global_database)
    [global_cluster] = found["GlobalClusters"]
    members = {
        m["DBClusterArn"].rsplit(":", 1)[-1]: bool(m.get("IsWriter"))
        for m in global_cluster.get("GlobalClusterMembers", [])
    }
    role = "the writer" if members.get(standby.identifier) else "a secondary"
    note = f"{writer.global_database}: {standby.identifier} is {role} of it"
    if members.get(standby.identifier):
        return "managed", [note]
    if standby.identifier not in members:
        return "detached", [f"{standby.identifier} is not in {writer.global_database}"]
    return "not-failed-over", [note]


def _rds_state(rds: Any, identifier: str) -> tuple[DatabaseState, list[str]]:
    [instance] = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"]
    source = instance.get("ReadReplicaSourceDBInstanceIdentifier")
    if source:
        return "not-failed-over", [f"{identifier} still replicates from {source}"]
    return "promoted", [f"{identifier} is no longer a read replica"]


def _cache_state(
    stack: StackConfig, pair: DrPairConfig, elasticache: Any
) -> tuple[bool, list[str]]:
    """The Global Datastore's id carries an AWS prefix (`ldgnf-erlmcp-prod-us-east-1`): found by
    its suffix, as `make failover`'s printed command does."""
    suffix = cache_group_id(stack.environment, pair.primary)
    groups = elasticache.describe_global_replication_groups(ShowMemberInfo=True)
    for group in groups["GlobalReplicationGroups"]:
        if group["GlobalReplicationGroupId"].endswith(suffix):
            ours = standby_cache_group_id(stack.environment, pair.primary)
            roles = {m["ReplicationGroupId"]: m.get("Role", "").upper() for m in group["Members"]}
            promoted = roles.get(ours) == "PRIMARY"
            return promoted, [f"{group['GlobalReplicationGroupId']}: {ours} is {roles.get(ours)}"]
    return False, [f"no Global Datastore ending in {suffix}"]


def converge_transform(primary: str, world: World) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def transform(config: dict[str, Any]) -> dict[str, Any]:
        if world.database == "detached":
            return config  # the config failover's own model
        changed = copy.deepcopy(config)
        changed[FAILOVER_BY_KEY] = {**config.get(FAILOVER_BY_KEY, {}), primary: "region-switch"}
        return changed

    return transform


def plan_after_auto(
    stack_file: Path,
    primary: str,
    world: World,
    *,
    stack: str | None = None,
    render: Callable[..., Any] = render_offline,
    report: Callable[..., Any] | None = None,
    key_regions: Any = None,
) -> FailoverPlan:
    if world.database == "not-failed-over":
        raise FailoverError(
            f"the Region switch plan has not promoted {primary}'s database yet: "
            + "; ".join(world.notes)
        )
    plan = plan_failover(
        stack_file,
        primary,
        stack=stack,
        render=render,
        report=report,
        key_regions=key_regions,
        transform=converge_transform(primary, world),
    )
    problems = convergence_problems(plan)
    if problems:
        raise FailoverError(
            "the update would not leave the world as the plan made it:\n  " + "\n  ".join(problems)
        )
    return plan


AURORA_TYPES = ("aws:rds/cluster:Cluster", "aws:rds/globalCluster:GlobalCluster")
CACHE_TYPES = (
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
)


def convergence_problems(plan: FailoverPlan) -> list[str]:
    """What would move the world back from where the plan left it."""
    by_urn = {**plan.before.by_urn(), **plan.after.by_urn()}
    problems = [
        f"{op} {urn}: the managed failover left every Aurora cluster as it is"
        for urn, op in plan.changes.items()
        if by_urn[urn].type in AURORA_TYPES
    ]
    problems += [
        f"{op} {urn}: the Global Datastore is promoted outside Pulumi"
        for urn, op in plan.changes.items()
        if by_urn[urn].type in CACHE_TYPES
    ]
    stack = _parsed(plan.config, "the converged config")
    pair = pair_of(stack, plan.primary)
    name = f"{pair.standby}-standby-of-{pair.primary}-erlmcp-statefulset"
    statefulset = plan.after.named(name)
    annotations = statefulset.plain_inputs.get("metadata", {}).get("annotations", {})
    if annotations.get("pulumi.com/patchForce") == "true":
        problems.append(f"{name} would force its replica count back over the plan's scaling")
    return problems


def promoted_copy_urns(plan: FailoverPlan) -> list[str]:
    """The RDS instances whose `replicateSourceDb` the update drops: refreshed first."""
    by_urn = {**plan.before.by_urn(), **plan.after.by_urn()}
    return sorted(
        urn
        for urn, op in plan.changes.items()
        if op == "update"
        and by_urn[urn].type == "aws:rds/instance:Instance"
        and "replicateSourceDb" in plan.before.by_urn()[urn].inputs
        and "replicateSourceDb" not in plan.after.by_urn()[urn].inputs
    )


def after_auto_commands(plan: FailoverPlan, world: World) -> str:
    """What to run: the cache promotion only if the plan's Lambda did not do it, the refresh
    of what ARC promoted, the update limited to the standby, and the rest when the primary is
    back (`make failover`'s steps, operations/failover.py `commands`, reused)."""
    steps = commands(plan).split("\n\n")
    # steps: summary, 0. credentials, 1. cache, 2. targeted update, 3. when the region is back.
    summary, credentials, cache, update, later = steps[0], steps[1], steps[2], steps[3], steps[4:]
    out = [summary, "What the Region switch plan did: " + "; ".join(world.notes) + ".", credentials]
    if not world.cache_promoted:
        out.append(
            cache.replace(
                "1. ",
                "1. The plan did not promote the cache (its Lambda is skipped in ungraceful "
                "mode). ",
                1,
            )
        )
    refresh = promoted_copy_urns(plan)
    if refresh:
        targets = " ".join(f"--target {shlex.quote(u)}" for u in refresh)
        out.append(
            "1b. The plan promoted the replica; let Pulumi's state see that before the update\n"
            f"   pulumi refresh --stack {plan.stack} --yes {targets}"
        )
    out += [update, *later]
    return "\n\n".join(out)


def write_failover_by(stack_file: Path, primary: str) -> None:
    def change(config: CommentedMap) -> None:
        by = config.get(FAILOVER_BY_KEY)
        if not isinstance(by, dict):
            by = CommentedMap()
            config[FAILOVER_BY_KEY] = by
            config.yaml_set_comment_before_after_key(
                FAILOVER_BY_KEY,
                before="Who promoted each failed-over standby (docs/failover.md).",
                indent=2,
            )
        by[primary] = "region-switch"

    edit_stack_file(stack_file, change)


def set_marker(stack: StackConfig, primary: str, value: float, clients: ClientFactory) -> str:
    """The pair's "automatic failover ran" marker (regions/auto_failover.py) to `value`, in the
    standby region, where its interlock alarm reads it."""
    pair = pair_of(stack, primary)
    clients("cloudwatch", pair.standby).put_metric_data(
        Namespace=MARKER_NAMESPACE,
        MetricData=[
            {
                "MetricName": MARKER_METRIC,
                "Dimensions": [{"Name": "Primary", "Value": primary}],
                "Value": value,
                "Unit": "Count",
            }
        ],
    )
    return pair.standby


def rearm(stack_file: Path, primary: str, clients: ClientFactory = boto3_clients) -> str:
    """Clear the marker once the pair is back to normal; refused while it is failed over."""
    stack = _parsed(stack_file_config(stack_file), str(stack_file))
    pair = pair_of(stack, primary)
    if stack.dr_stage(pair) != "normal":
        raise FailoverError(
            f"{primary} is still failed over to {pair.standby} ({stack.dr_stage(pair)}): rearm "
            "once the failback is complete and the config says so"
        )
    return set_marker(stack, primary, 0.0, clients)


def after_auto(
    stack_file: Path,
    primary: str,
    *,
    stack: str | None = None,
    clients: ClientFactory = boto3_clients,
    out: Path,
) -> tuple[FailoverPlan, World]:
    """Read, plan, check; then write the stack file and the plan, and set the marker."""
    parsed = _parsed(stack_file_config(stack_file), str(stack_file))
    pair = pair_of(parsed, primary)
    world = read_world(parsed, pair, clients)
    plan = plan_after_auto(stack_file, primary, world, stack=stack)
    write_plan(plan.plan, out / f"failover-{primary}")
    write_failover(stack_file, primary, plan.standby)
    if world.database != "detached":
        write_failover_by(stack_file, primary)
    set_marker(parsed, primary, 1.0, clients)
    return plan, world


def main(args: Any, stack_file: Path, environ: Any, clients: ClientFactory = boto3_clients) -> int:
    """`make failover PRIMARY=<region> AFTER_AUTO=1` or `REARM=1` (operations/failover.py
    parses the arguments)."""
    try:
        if args.rearm:
            standby = rearm(stack_file, args.primary, clients)
            print(
                f"Cleared the automatic failover marker of {args.primary} in {standby}: its "
                "Region switch trigger is armed again (as long as its interlocks allow)."
            )
            return 0
        check_environment(environ, stack_file, args.primary)
        print(f"Reading what the Region switch plan of {args.primary} did...", file=sys.stderr)
        plan, world = after_auto(
            stack_file, args.primary, stack=args.stack, clients=clients, out=args.out
        )
    except FailoverError as error:
        print(f"error: {error}\nNothing was changed.", file=sys.stderr)
        return 2
    print(
        f"Wrote {stack_file} (failover: {plan.primary}: {plan.standby}"
        + (", failoverBy: region-switch)" if world.database != "detached" else ")")
    )
    print(after_auto_commands(plan, world))
    return 0
