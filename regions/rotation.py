"""What every store and every release holds at each step of a secret rotation (the stack file's
`erlmcp-infra:secrets`, regions/config/secrets.py; the guide is docs/rotate.md).

Values by generation. Each secret has two pulumi-random RandomPasswords, two slots: slot `a`
is the resource the stack has always had (`erlang-cookie`, `<region>-db-password`, ...) and
holds the odd generations, slot `b` (`<name>-b`) the even ones. A slot takes a new generation
when its `keepers` change: terraform-provider-random (hashicorp/terraform-provider-random at
ad788e23) gives `keepers` the plan modifier `RequiresReplaceIfValuesNotNull`
(internal/provider/resource_password.go:570), and a replacement makes a new value; pulumi-random
serves that provider through the Plugin Framework bridge (pulumi/pulumi-random
provider/resources.go:49, `pf.ShimProvider`), so its diff is the provider's plan. Generation 1
has no keepers at all: the same modifier replaces a password whose state has no keepers as soon
as the config gives it one with a value (internal/planmodifiers/map/mapplanmodifiers.go: prior
state null, a value not null, lines 37-50, then `resp.RequiresReplace = true`, line 98; the
provider's test `TestAccResourcePassword_Keepers_Replace_NullMapToValue`,
resource_password_test.go:2461, asserts the result differs), so writing `generation: 1` into
today's passwords would have replaced every one of them. Two slots keep
the old value while the new one is taken up: a rotation replaces only the slot of the new
generation, whose previous value (two generations old) nothing uses any more.

Who uses what, step by step (`prepare`, `roll` wave by wave, `retire`):
- a release (the erlmcp pods of one namespace) gets the new value when its region's wave rolls;
  before that it keeps the old one, and its pods, which read secrets only at start
  (components/release_pod.py), restart onto the new one through the pod template's
  `erlmcp.io/secret-generations` annotation;
- the stores accept the new value from `prepare` on, and the old one until `retire`
  (`redis_token`, `database_credentials`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from regions.config import StackConfig
from regions.config.secrets import (
    REGIONAL_SECRETS,
    SECRET_NAMES,
    SecretName,
    SecretRotation,
    rotation_hosts,
)

Slot = Literal["a", "b"]
RESTART_ANNOTATION = "erlmcp.io/secret-generations"
"""On a release's pod template: the generation of each secret its pods run that is not the
first. A rolling restart onto a new value is a change of it."""


def slot_of(generation: int) -> Slot:
    return "a" if generation % 2 else "b"


def keepers_of(generation: int) -> dict[str, str] | None:
    """Generation 1 has none: adding keepers to today's passwords would replace them."""
    return None if generation == 1 else {"generation": str(generation)}


def rotation_of(stack: StackConfig, secret: SecretName, scope: str | None) -> SecretRotation | None:
    """The rotation in progress of this secret (and serving region, for a regional one)."""
    rotation = stack.secrets.rotation
    if rotation is None or rotation.secret != secret or rotation.region != scope:
        return None
    return rotation


def settled_generation(stack: StackConfig, secret: SecretName, scope: str | None) -> int:
    return stack.secrets.generation(secret, scope)


def slot_generations(stack: StackConfig, secret: SecretName, scope: str | None) -> dict[Slot, int]:
    """The generation each slot holds: the newest one and, once there is a second, the one
    before it (slot `b` does not exist before generation 2)."""
    rotation = rotation_of(stack, secret, scope)
    newest = rotation.to if rotation else settled_generation(stack, secret, scope)
    held = {slot_of(newest): newest}
    if newest > 1:
        held[slot_of(newest - 1)] = newest - 1
    return held


def generation_for(stack: StackConfig, secret: SecretName, scope: str | None, host: str) -> int:
    """The generation the releases hosted in region `host` run."""
    settled = settled_generation(stack, secret, scope)
    rotation = rotation_of(stack, secret, scope)
    if rotation is None or not rotation.rolled(host):
        return settled
    return rotation.to


def release_generations(stack: StackConfig, primary: str, host: str) -> dict[str, int]:
    """Every secret's generation in a release hosted in `host` that serves `primary`'s data."""
    return {
        secret: generation_for(stack, secret, primary if secret in REGIONAL_SECRETS else None, host)
        for secret in SECRET_NAMES
    }


def restart_annotation(generations: dict[str, int]) -> str | None:
    """`db-password=2,jwt-secret=3`; None while every secret is at generation 1, so the pod
    templates of a stack that never rotated stay as they were."""
    raised = [
        f"{secret}={generation}" for secret, generation in generations.items() if generation > 1
    ]
    return ",".join(raised) or None


# -- Redis ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedisToken:
    """What a primary's replication groups (its own and its Global Datastore secondary) are
    given: the token of `generation`, and how ElastiCache applies a change of it."""

    generation: int
    strategy: Literal["ROTATE", "SET"]


def redis_token(stack: StackConfig, primary: str) -> RedisToken:
    """ROTATE from `prepare` on (the group accepts the old and the new token), SET at `retire`
    (only the new one). ModifyReplicationGroup's AuthTokenUpdateStrategy: ROTATE is the
    default, SET "allowed only after ROTATE"; terraform-provider-aws sends both on any change of
    either (internal/service/elasticache/replication_group.go:882-905, ApplyImmediately true),
    and its acceptance test sets the same token with SET to drop the previous one
    (replication_group_test.go:590-599). At rest a stack that never rotated keeps ROTATE, its
    input since creation; after a rotation it stays SET, so finishing changes nothing."""
    rotation = rotation_of(stack, "redis-auth-token", primary)
    if rotation is not None:
        return RedisToken(rotation.to, "SET" if rotation.step == "retire" else "ROTATE")
    settled = settled_generation(stack, "redis-auth-token", primary)
    return RedisToken(settled, "ROTATE" if settled == 1 else "SET")


# -- PostgreSQL: alternating users ------------------------------------------------------------


def database_user(master_user: str, generation: int) -> str:
    """Generation 1 is the master user (how the stack began); later generations alternate
    between two login roles, `<user>_b` (even) and `<user>_a` (odd), so that the role being
    given a new password is never the one the pods log in with."""
    if generation == 1:
        return master_user
    return f"{master_user}_{slot_of(generation)}"


@dataclass(frozen=True)
class RoleChange:
    """What the database-role Job does at a step: `enable` gives `role` the password of
    `generation` and lets it log in; `disable` stops `role` logging in; `reset-master` gives the
    master user (`role`) its own new password, where the writer takes no `password` input."""

    action: Literal["enable", "disable", "reset-master"]
    role: str
    generation: int


@dataclass(frozen=True)
class DatabaseCredentials:
    master_refreshed: bool
    """The master password is the dedicated `<region>-db-master-password` (from the retire of
    the first rotation on), not generation 1's value the pods once used."""
    role_change: RoleChange | None


def database_credentials(stack: StackConfig, primary: str) -> DatabaseCredentials:
    """The store side of a database password rotation.

    `prepare` (to g): a Job logging in as the master user creates or enables the role of g with
    g's password; the role of g-1 keeps working. `retire`: from generation 1, the master user
    was the pods' user, so its password changes: through the writer's `password` input (RDS
    ModifyDBInstance / ModifyDBCluster, in place), or, when the writer is a copy a failback
    made (`drPairs[].generation` > 1, regions/lineage.py), which takes no such input and kept
    the password it inherited, through a Job that logs in with it and sets the new one; later,
    a Job stops the role of g-1 logging in. Roles live in the database itself, so they reach an
    RDS replica or an Aurora secondary with the data, and the standby's release can roll onto
    them after the primary's."""
    rotation = rotation_of(stack, "db-password", primary)
    settled = settled_generation(stack, "db-password", primary)
    master = stack.release.database_user
    if rotation is None:
        return DatabaseCredentials(settled > 1, None)
    change = None
    if rotation.step == "prepare":
        change = RoleChange("enable", database_user(master, rotation.to), rotation.to)
    elif rotation.step == "retire" and settled > 1:
        change = RoleChange("disable", database_user(master, settled), settled)
    elif rotation.step == "retire" and not _writer_takes_password(stack, primary):
        change = RoleChange("reset-master", master, settled)
    refreshed = settled > 1 or rotation.step == "retire"
    return DatabaseCredentials(refreshed, change)


def _writer_takes_password(stack: StackConfig, primary: str) -> bool:
    """Only the original writer is given the master password (regions/databases.py)."""
    pair = stack.pair_of_primary(primary)
    return pair is None or pair.generation == 1


# -- the steps --------------------------------------------------------------------------------


def default_waves(stack: StackConfig, secret: SecretName, region: str | None) -> list[list[str]]:
    """One region per wave. A regional secret: its serving region, then its standby. The
    fleet's: the regions that only stand by first (their releases serve nothing), then the
    serving regions with the fewest pods first (the rollout's order, operations/rollout/plan.py
    `default_waves`), each in the stack file's order."""
    hosts = rotation_hosts(secret, region, stack.regions, stack.dr_pairs)
    if region is not None:
        return [[host] for host in hosts]
    order = list(stack.regions)
    ranked = sorted(
        hosts,
        key=lambda r: (stack.regions[r].serving, stack.regions[r].pods, order.index(r)),
    )
    return [[host] for host in ranked]


def retires_in_store(secret: SecretName) -> bool:
    """Whether the store must be told to stop accepting the old value (a retire step): the
    database and the cache do; the cookie and the JWT secret live only in the pods."""
    return secret in REGIONAL_SECRETS
