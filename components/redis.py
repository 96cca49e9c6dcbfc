"""ElastiCache for Redis OSS: one regional replication group, and the Global Datastore that links
a primary group to secondaries in other regions.

What a Global Datastore secondary may and may not set (checked, not guessed)
-------------------------------------------------------------------------------
The provider (terraform-provider-aws `internal/service/elasticache/replication_group.go`, which
pulumi-aws v7 bridges) declares `global_replication_group_id` as ConflictsWith `engine`,
`engine_version`, `node_type`, `parameter_group_name`, `at_rest_encryption_enabled`,
`transit_encryption_enabled`, `transit_encryption_mode`, `num_node_groups`,
`security_group_names`, `snapshot_arns` and `snapshot_name`: the Global Datastore dictates them,
and the secondary inherits the primary's encryption in transit and at rest (the provider's
`GlobalReplicationGroupID_full` acceptance test checks exactly that inheritance). `kms_key_id` and
`auth_token` are *not* in that list and are sent in CreateReplicationGroup for a secondary too:

* `kms_key_id` is set on a secondary. KMS keys are regional, so the secondary's disks can only be
  encrypted with a key of its own region; without one AWS falls back to its service-owned key.
  Community modules that build secondaries pass it (terraform-aws-modules/terraform-aws-elasticache
  #71; umotif-public/terraform-aws-elasticache-redis nulls every conflicting argument on a
  secondary but passes `kms_key_id` and `auth_token`).
* `auth_token` is set on a secondary, with the *same* value as the primary's: a Global Datastore
  has one `AuthTokenEnabled` flag for all members (API `GlobalReplicationGroup`), and clients must
  keep working unchanged after a secondary is promoted.
* `automatic_failover_enabled` and `multi_az_enabled` stay True on a secondary; the provider does
  not send automatic failover on create for a member (the datastore's setting applies) but
  validates that Multi-AZ implies it, as its acceptance test configures.

AUTH token update strategy
--------------------------
`auth_token_update_strategy` is "not used during initial create" (provider docs): the
CreateReplicationGroup API takes no strategy (hashicorp/terraform-provider-aws#45674). It matters
when the token changes: the provider sends ModifyReplicationGroup with the token and the strategy
whenever either changes, ApplyImmediately true (internal/service/elasticache/replication_group.go
lines 882-905). ROTATE makes the group accept the old and the new token; SET, "allowed only
after ROTATE", keeps only the token given, as the provider's acceptance test does to drop the
previous one (replication_group_test.go lines 590-599). A rotation gives both in turn
(regions/rotation.py `redis_token`, docs/rotate.md). Whether a linked Global Datastore member
accepts a token change is not documented: AWS rejects other ModifyReplicationGroup calls on
members ("Cluster [..] is part of a global cluster [..]. Request rejected.",
hashicorp/terraform-provider-aws#27875, #22528) and ModifyGlobalReplicationGroup has no token
parameter; docs/rotate.md says what the operator does if a member refuses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.client_access import check_client_groups, client_security_group

REDIS_PORT = 6379
MIN_REDIS_MAJOR = 7
MIN_CACHE_CLUSTERS = 2  # a primary and one replica: the least that failover and Multi-AZ accept
MAX_CACHE_CLUSTERS = 6  # a primary and five replicas, ElastiCache's limit without sharding
MAX_SNAPSHOT_RETENTION_DAYS = 35
AUTH_TOKEN_UPDATE_STRATEGIES = ("ROTATE", "SET")

# ElastiCache's rules for a replication group id (the provider validates the same).
_GROUP_ID = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
_ENGINE_VERSION = re.compile(r"^(\d+)\.(\d+)(\.\d+)?$")
_DAILY_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
_WEEKLY_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-"
    r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_GLOBAL_SUFFIX = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def _validate_group_id(value: str) -> None:
    if not _GROUP_ID.match(value) or "--" in value or value.endswith("-"):
        raise ValueError(
            f"replication_group_id {value!r} must be 1-40 characters of lowercase letters, digits "
            "and single hyphens, start with a letter and not end with a hyphen"
        )


def engine_major(engine_version: str) -> int:
    """The major version of an ElastiCache Redis OSS version string such as "7.1"."""
    found = _ENGINE_VERSION.match(engine_version)
    if not found:
        raise ValueError(f'engine_version {engine_version!r} must be major.minor, e.g. "7.1"')
    return int(found.group(1))


@dataclass(frozen=True)
class RedisCacheArgs:
    """One ElastiCache for Redis OSS replication group, primary or Global Datastore secondary.

    `client_security_group_ids` maps a stable label (it names the ingress rule, so it must not
    change) to a security group allowed to reach port 6379; nothing else is.
    `kms_key_arn` must be a key in `region`. A secondary (`global_replication_group_id` set) takes
    engine, version, node type, parameter group and encryption flags from the Global Datastore:
    `node_type` and `engine_version` are then validated but not sent.
    """

    region: str
    replication_group_id: str
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    client_security_group_ids: Mapping[str, pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]
    node_type: str
    engine_version: str
    maintenance_window: str
    auth_token: pulumi.Input[str]
    num_cache_clusters: int = 2
    auth_token_update_strategy: str = "ROTATE"
    snapshot_retention_days: int = 7
    snapshot_window: str = "03:00-04:00"
    global_replication_group_id: pulumi.Input[str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True

    def __post_init__(self) -> None:
        if not self.region:
            raise ValueError("region must be given")
        _validate_group_id(self.replication_group_id)
        if engine_major(self.engine_version) < MIN_REDIS_MAJOR:
            raise ValueError(
                f"engine_version {self.engine_version!r} is below Redis {MIN_REDIS_MAJOR}"
            )
        if not MIN_CACHE_CLUSTERS <= self.num_cache_clusters <= MAX_CACHE_CLUSTERS:
            raise ValueError(
                f"num_cache_clusters {self.num_cache_clusters} must be between "
                f"{MIN_CACHE_CLUSTERS} (automatic failover and Multi-AZ need a replica) and "
                f"{MAX_CACHE_CLUSTERS}"
            )
        if self.auth_token_update_strategy not in AUTH_TOKEN_UPDATE_STRATEGIES:
            raise ValueError(
                f"auth_token_update_strategy {self.auth_token_update_strategy!r} must be one of "
                f"{', '.join(AUTH_TOKEN_UPDATE_STRATEGIES)}"
            )
        if not 1 <= self.snapshot_retention_days <= MAX_SNAPSHOT_RETENTION_DAYS:
            raise ValueError(
                f"snapshot_retention_days {self.snapshot_retention_days} must be between 1 and "
                f"{MAX_SNAPSHOT_RETENTION_DAYS} (0 would turn backups off)"
            )
        if not _DAILY_WINDOW.match(self.snapshot_window):
            raise ValueError(f"snapshot_window {self.snapshot_window!r} must be hh:mm-hh:mm")
        if not _WEEKLY_WINDOW.match(self.maintenance_window):
            raise ValueError(
                f"maintenance_window {self.maintenance_window!r} must be ddd:hh:mm-ddd:hh:mm"
            )
        check_client_groups(self.client_security_group_ids)

    @property
    def is_secondary(self) -> bool:
        return self.global_replication_group_id is not None


class RedisCache(pulumi.ComponentResource):
    """A Multi-AZ, encrypted, AUTH-protected Redis replication group reachable only from the
    given client security groups."""

    replication_group_id: pulumi.Output[str]
    arn: pulumi.Output[str]
    primary_endpoint_address: pulumi.Output[str]
    reader_endpoint_address: pulumi.Output[str]
    port: pulumi.Output[int]
    security_group_id: pulumi.Output[str]
    member_clusters: pulumi.Output[list[str]]
    """The group's cache clusters, one node each (`<group>-001`, ...): the `CacheClusterId` of
    its per-node metrics."""

    def __init__(
        self, name: str, args: RedisCacheArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:components:RedisCache", name, None, opts)
        self._name = name
        self._args = args

        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            region=args.region,
            description=f"Subnets of {args.replication_group_id}",
            subnet_ids=args.subnet_ids,
            tags=self._tags(f"{args.replication_group_id}-subnets"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        security_group = client_security_group(
            self,
            name,
            region=args.region,
            vpc_id=args.vpc_id,
            port=REDIS_PORT,
            service="Redis",
            clients=args.client_security_group_ids,
            tags=args.tags,
        )
        parameter_group = None if args.is_secondary else self._parameter_group()
        group = self._replication_group(subnet_group, security_group, parameter_group)

        self.replication_group_id = group.replication_group_id
        self.arn = group.arn
        self.primary_endpoint_address = group.primary_endpoint_address
        self.reader_endpoint_address = group.reader_endpoint_address
        self.port = group.port.apply(lambda port: port or REDIS_PORT)
        self.security_group_id = security_group.id
        self.member_clusters = group.member_clusters.apply(lambda ids: sorted(ids or []))
        self.register_outputs(
            {
                "replication_group_id": self.replication_group_id,
                "arn": self.arn,
                "primary_endpoint_address": self.primary_endpoint_address,
                "reader_endpoint_address": self.reader_endpoint_address,
                "port": self.port,
                "security_group_id": self.security_group_id,
                "member_clusters": self.member_clusters,
            }
        )

    def _tags(self, name_tag: str) -> dict[str, str]:
        return {**self._args.tags, "Name": name_tag}

    def _parameter_group(self) -> aws.elasticache.ParameterGroup:
        # An owned group (not default.redis7) can be tuned in place later; AWS's defaults can't.
        args = self._args
        return aws.elasticache.ParameterGroup(
            f"{self._name}-params",
            region=args.region,
            family=f"redis{engine_major(args.engine_version)}",
            description=f"Parameters of {args.replication_group_id}",
            tags=self._tags(f"{args.replication_group_id}-params"),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _replication_group(
        self,
        subnet_group: aws.elasticache.SubnetGroup,
        security_group: aws.ec2.SecurityGroup,
        parameter_group: aws.elasticache.ParameterGroup | None,
    ) -> aws.elasticache.ReplicationGroup:
        args = self._args
        role = "secondary" if args.is_secondary else "primary"
        return aws.elasticache.ReplicationGroup(
            f"{self._name}-group",
            region=args.region,
            replication_group_id=args.replication_group_id,
            description=f"Redis {args.replication_group_id} ({role})",
            port=REDIS_PORT,
            num_cache_clusters=args.num_cache_clusters,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            subnet_group_name=subnet_group.name,
            security_group_ids=[security_group.id],
            kms_key_id=args.kms_key_arn,
            # Secret here too, not only because the SDK marks this input: the component promises it.
            auth_token=pulumi.Output.secret(args.auth_token),
            auth_token_update_strategy=args.auth_token_update_strategy,
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window=args.snapshot_window,
            maintenance_window=args.maintenance_window,
            final_snapshot_identifier=f"{args.replication_group_id}-final",
            apply_immediately=False,
            tags=self._tags(args.replication_group_id),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            **self._role_specific_args(parameter_group),
        )

    def _role_specific_args(
        self, parameter_group: aws.elasticache.ParameterGroup | None
    ) -> dict[str, object]:
        """A primary states engine, version, node type, parameters and encryption; a secondary
        states only which Global Datastore it joins (see the module docstring)."""
        args = self._args
        if args.is_secondary:
            return {"global_replication_group_id": args.global_replication_group_id}
        assert parameter_group is not None
        return {
            "engine": "redis",
            "engine_version": args.engine_version,
            "node_type": args.node_type,
            "parameter_group_name": parameter_group.name,
            "at_rest_encryption_enabled": True,
            "transit_encryption_enabled": True,
        }


@dataclass(frozen=True)
class RedisGlobalDatastoreArgs:
    """The Global Datastore around `primary_replication_group_id`, managed from `region`, the
    primary's region."""

    region: str
    global_replication_group_id_suffix: str
    primary_replication_group_id: pulumi.Input[str]
    description: str
    protect: bool = True

    def __post_init__(self) -> None:
        if not self.region:
            raise ValueError("region must be given")
        if not _GLOBAL_SUFFIX.match(self.global_replication_group_id_suffix):
            raise ValueError(
                f"global_replication_group_id_suffix {self.global_replication_group_id_suffix!r} "
                "must be lowercase letters, digits and hyphens"
            )


class RedisGlobalDatastore(pulumi.ComponentResource):
    """An ElastiCache Global Datastore: one primary replication group replicated to secondaries.

    Facts the design rests on: replication to secondaries is asynchronous (a promoted secondary
    may miss the last writes); promotion is manual, ElastiCache never fails over across regions on
    its own (FailoverGlobalReplicationGroup is an operator action); a datastore has at most two
    secondary regions. Engine, version, node type, parameter group and encryption are inherited
    from the primary group when the datastore is created; none is restated here, so an engine
    upgrade of the linked groups is made on this resource, not on the members. Joining gives the
    primary an AWS-made `global-datastore-*` parameter group; the provider suppresses that diff.
    After a manual promotion the roles in the program (which group states the engine) must be
    swapped to match before the next update.
    """

    global_replication_group_id: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: RedisGlobalDatastoreArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("erlmcp:components:RedisGlobalDatastore", name, None, opts)
        datastore = aws.elasticache.GlobalReplicationGroup(
            f"{name}-datastore",
            region=args.region,
            global_replication_group_id_suffix=args.global_replication_group_id_suffix,
            primary_replication_group_id=args.primary_replication_group_id,
            global_replication_group_description=args.description,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.global_replication_group_id = datastore.global_replication_group_id
        self.arn = datastore.arn
        self.register_outputs(
            {"global_replication_group_id": self.global_replication_group_id, "arn": self.arn}
        )
