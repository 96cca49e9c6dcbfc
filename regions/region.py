"""One erlmcp region: what every region has, its own data when it serves, and standby copies.

A region is built in two steps so that DR pairs can point either way (even at each other):
`ErlmcpRegion(...)` builds the region's own resources; afterwards `hold_standby_copies` adds the
copies of a partner's data that this region keeps for it, and `replicate_backups_to` ships this
region's backups to the partner. Every logical name starts with the region code, so a region's
resources keep their URNs whatever other regions are added, removed or reordered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_random as random

from components.aurora import (
    AuroraGlobalPrimary,
    AuroraGlobalPrimaryArgs,
    AuroraGlobalSecondary,
    AuroraGlobalSecondaryArgs,
    AuroraPlacement,
)
from components.backups import (
    BackupBucket,
    BackupBucketArgs,
    BucketReplication,
    BucketReplicationArgs,
)
from components.certificate import RegionalCertificate, RegionalCertificateArgs
from components.eks import EksCluster, EksClusterArgs
from components.irsa import ServiceAccountRole, ServiceAccountRoleArgs
from components.kms import RegionKey, RegionKeyArgs
from components.network import Network, NetworkArgs
from components.postgres import (
    PostgresPrimary,
    PostgresPrimaryArgs,
    PostgresReplica,
    PostgresReplicaArgs,
)
from components.redis import (
    RedisCache,
    RedisCacheArgs,
    RedisGlobalDatastore,
    RedisGlobalDatastoreArgs,
)
from components.release import ErlmcpRelease, ErlmcpReleaseArgs, HpaSettings, PodResources
from regions.backups import lifecycle_rules
from regions.config import DatabaseConfig, DrPairConfig, HpaConfig, RegionConfig, StackConfig

SERVICE_ACCOUNT = "erlmcp"
REDIS_PORT = 6379


@dataclass(frozen=True)
class SharedSecrets:
    """Secrets every region must agree on: a JWT issued anywhere validates everywhere, and
    Erlang nodes of a failed-over release join with the same cookie."""

    erlang_cookie: pulumi.Output[str]
    jwt_secret: pulumi.Output[str]


@dataclass(frozen=True)
class ErlmcpRegionArgs:
    region: str
    stack: StackConfig
    zone_id: pulumi.Input[str]
    secrets: SharedSecrets
    apex_validation_owner: RegionalCertificate | None
    """The certificate that created the apex domain's ACM validation record, or None when this
    region's certificate is that owner (ACM issues the same record in every region, so exactly
    one certificate may own it)."""


@dataclass(frozen=True)
class DataEndpoints:
    """Where a release finds its database and cache, and the credentials to use."""

    db_host: pulumi.Output[str]
    db_password: pulumi.Output[str]
    redis_host: pulumi.Output[str]
    redis_auth_token: pulumi.Output[str]


class ErlmcpRegion(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: ErlmcpRegionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("erlmcp:regions:Region", name, None, opts)
        self.region = args.region
        self.stack = args.stack
        self.config: RegionConfig = args.stack.regions[args.region]
        self.secrets = args.secrets
        self.tags = region_tags(args.stack, args.region)
        self.database_endpoints: dict[str, pulumi.Output[str]] = {}
        self.data: DataEndpoints | None = None
        self.postgres: PostgresPrimary | AuroraGlobalPrimary | None = None
        self.redis: RedisCache | None = None
        self.global_datastore: RedisGlobalDatastore | None = None
        self.release: ErlmcpRelease | None = None
        self.standby_release: ErlmcpRelease | None = None
        self.standby_replica: PostgresReplica | AuroraGlobalSecondary | None = None
        self.standby_cache: RedisCache | None = None

        self.key = RegionKey(
            f"{name}-key",
            RegionKeyArgs(
                region=args.region,
                description=f"erlmcp {args.stack.environment} {args.region}: data at rest",
                alias_name=f"erlmcp-{args.stack.environment}-{args.region}",
                tags=self.tags,
            ),
            opts=self._child(),
        )
        self.network = Network(
            f"{name}-network",
            NetworkArgs(
                region=args.region,
                cidr_block=self.config.vpc_cidr,
                cluster_name=self.cluster_name,
                flow_logs_kms_key_arn=self.key.key_arn,
                tags=self.tags,
            ),
            opts=self._child(),
        )
        self.eks = self._cluster()
        self.backups = BackupBucket(
            f"{name}-backups",
            BackupBucketArgs(
                region=args.region,
                kms_key_arn=self.key.key_arn,
                lifecycle_rules=lifecycle_rules(args.stack),
                tags=self.tags,
            ),
            opts=self._child(),
        )
        self.certificate = RegionalCertificate(
            f"{name}-certificate",
            RegionalCertificateArgs(
                region=args.region,
                domain_name=self.fqdn,
                # The wildcard covers standby-<region>.<domain>, the name DNS fails over to.
                subject_alternative_names=[args.stack.domain, f"*.{args.stack.domain}"],
                zone_id=args.zone_id,
                validation_record_names=[self.fqdn]
                + ([args.stack.domain] if args.apex_validation_owner is None else []),
                validation_depends_on=[]
                if args.apex_validation_owner is None
                else [args.apex_validation_owner.validation_records[args.stack.domain]],
                tags=self.tags,
            ),
            opts=self._child(),
        )
        self.service_role = self._service_account_role(args.stack.release.namespace)

        if self.config.serving:
            self._own_data()
            self.release = self._release(
                f"{name}-erlmcp",
                namespace=args.stack.release.namespace,
                replicas=self.config.pods,
                hpa=self.config.hpa,
                data=self.data,
                service_role=self.service_role,
            )
            if args.stack.pair_of_primary(args.region):
                self.global_datastore = RedisGlobalDatastore(
                    f"{name}-redis-global",
                    RedisGlobalDatastoreArgs(
                        region=args.region,
                        global_replication_group_id_suffix=f"erlmcp-{args.stack.environment}-{name}",
                        primary_replication_group_id=self.redis.replication_group_id,
                        description=f"erlmcp {args.stack.environment} cache of {args.region}",
                    ),
                    opts=self._child(),
                )

        self.register_outputs(
            {
                "region": args.region,
                "cluster_name": self.eks.cluster_name,
                "backup_bucket": self.backups.bucket_name,
            }
        )

    # -- names -------------------------------------------------------------------------------

    @property
    def cluster_name(self) -> str:
        return f"erlmcp-{self.stack.environment}-{self.region}"

    @property
    def fqdn(self) -> str:
        return f"{self.region}.{self.stack.domain}"

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _data_placement(self) -> dict[str, Any]:
        """Where this region's databases and caches live, their key, and who may reach them."""
        return {
            "region": self.region,
            "vpc_id": self.network.vpc_id,
            "subnet_ids": self.network.private_subnet_ids,
            "client_security_group_ids": {"eks-cluster": self.eks.cluster_security_group_id},
            "kms_key_arn": self.key.key_arn,
            "tags": self.tags,
        }

    # -- what every region has ---------------------------------------------------------------

    def _cluster(self) -> EksCluster:
        nodes = self.config.nodes
        return EksCluster(
            f"{self.region}-eks",
            EksClusterArgs(
                region=self.region,
                cluster_name=self.cluster_name,
                kubernetes_version=self.config.kubernetes_version,
                private_subnet_ids=self.network.private_subnet_ids,
                kms_key_arn=self.key.key_arn,
                public_access_cidrs=list(self.stack.api_access_cidrs),
                node_instance_types=nodes.instance_types,
                node_min_size=nodes.min_size,
                node_desired_size=nodes.desired_size,
                node_max_size=nodes.max_size,
                node_disk_size_gb=nodes.disk_size_gb,
                tags=self.tags,
            ),
            opts=self._child(),
        )

    def _service_account_role(self, namespace: str, suffix: str = "") -> ServiceAccountRole:
        """What erlmcp pods may do in AWS: write and read their ETS and config backups."""
        env = self.stack.environment
        policy = pulumi.Output.all(self.backups.bucket_arn, self.key.key_arn).apply(
            lambda arns: json.dumps(backup_writer_policy(arns[0], arns[1], env, self.region))
        )
        return ServiceAccountRole(
            f"{self.region}-erlmcp-irsa{suffix}",
            ServiceAccountRoleArgs(
                oidc_provider_arn=self.eks.oidc_provider_arn,
                oidc_issuer=self.eks.oidc_issuer_url,
                namespace=namespace,
                service_account=SERVICE_ACCOUNT,
                policy_document=policy,
                tags=self.tags,
            ),
            opts=self._child(),
        )

    # -- a serving region's own data ---------------------------------------------------------

    def _own_data(self) -> None:
        database = self.config.database
        cache = self.config.cache
        assert database is not None and cache is not None  # the config model guarantees both
        backups = self.stack.backups
        db_password = random.RandomPassword(
            f"{self.region}-db-password",
            length=40,
            special=False,  # RDS rejects '/', '@', '"' and spaces; length makes up for it
            opts=self._child(),
        )
        redis_token = random.RandomPassword(
            f"{self.region}-redis-auth-token",
            length=64,
            special=False,  # ElastiCache AUTH tokens allow only a few symbols
            opts=self._child(),
        )
        self.postgres = self._primary_database(database, db_password.result)
        self.redis = RedisCache(
            f"{self.region}-redis",
            RedisCacheArgs(
                **self._data_placement(),
                replication_group_id=f"erlmcp-{self.stack.environment}-{self.region}",
                node_type=cache.node_type,
                engine_version=cache.engine_version,
                num_cache_clusters=cache.nodes,
                auth_token=redis_token.result,
                snapshot_retention_days=backups.cache_snapshots.retention_days,
                snapshot_window=backups.cache_snapshots.window,
                maintenance_window="sun:05:00-sun:06:00",
            ),
            opts=self._child(),
        )
        self.database_endpoints["primary"] = self.postgres.address
        self.data = DataEndpoints(
            db_host=self.postgres.address,
            db_password=db_password.result,
            redis_host=self.redis.primary_endpoint_address,
            redis_auth_token=redis_token.result,
        )

    def _primary_database(
        self, database: DatabaseConfig, password: pulumi.Output[str]
    ) -> PostgresPrimary | AuroraGlobalPrimary:
        """RDS PostgreSQL, or the writer of an Aurora Global Database when this region's DR pair
        asks for one."""
        backups = self.stack.backups.database
        identifier = f"erlmcp-{self.stack.environment}-{self.region}"
        common = {
            "engine_version": database.engine_version,
            "instance_class": database.instance_class,
            "database_name": self.stack.release.database_name,
            "username": self.stack.release.database_user,
            "password": password,
            "backup_retention_days": backups.retention_days,
            "backup_window": backups.window,
            "maintenance_window": "sun:04:00-sun:05:00",
        }
        pair = self.stack.pair_of_primary(self.region)
        if pair is not None and pair.database == "aurora-global":
            return AuroraGlobalPrimary(
                f"{self.region}-aurora",
                AuroraGlobalPrimaryArgs(
                    placement=AuroraPlacement(
                        **self._data_placement(),
                        availability_zones=self.network.availability_zones,
                    ),
                    global_cluster_identifier=f"{identifier}-global",
                    cluster_identifier=identifier,
                    **common,
                ),
                opts=self._child(),
            )
        return PostgresPrimary(
            f"{self.region}-postgres",
            PostgresPrimaryArgs(
                **self._data_placement(),
                identifier=identifier,
                allocated_storage_gb=database.allocated_storage_gb,
                max_allocated_storage_gb=database.max_allocated_storage_gb,
                multi_az=database.multi_az,
                **common,
            ),
            opts=self._child(),
        )

    def _standby_database(
        self, primary: ErlmcpRegion, pair: DrPairConfig, prefix: str
    ) -> PostgresReplica | AuroraGlobalSecondary:
        """The copy of `primary`'s database kept here, promoted when the pair has failed over."""
        source = primary.config.database
        assert source is not None and primary.postgres is not None
        promoted = self.stack.failed_over(pair)
        identifier = f"erlmcp-{self.stack.environment}-{primary.region}"
        retention = self.stack.backups.database.retention_days
        if isinstance(primary.postgres, AuroraGlobalPrimary):
            return AuroraGlobalSecondary(
                f"{prefix}-aurora",
                AuroraGlobalSecondaryArgs(
                    placement=AuroraPlacement(
                        **self._data_placement(),
                        availability_zones=self.network.availability_zones,
                    ),
                    global_cluster_identifier=primary.postgres.global_cluster_id,
                    cluster_identifier=f"{identifier}-secondary",
                    engine_version=source.engine_version,
                    instance_class=source.instance_class,
                    backup_retention_days=retention,
                    promoted=promoted,
                ),
                # AWS adds a secondary only once the writer is available.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[primary.postgres]),
            )
        return PostgresReplica(
            f"{prefix}-postgres",
            PostgresReplicaArgs(
                **self._data_placement(),
                identifier=f"{identifier}-replica",
                source_instance_arn=primary.postgres.instance_arn,
                engine_version=source.engine_version,
                instance_class=source.instance_class,
                backup_retention_days=retention,
                promoted=promoted,
            ),
            opts=self._child(),
        )

    def _release(
        self,
        name: str,
        *,
        namespace: str,
        replicas: int,
        hpa: HpaConfig | None,
        data: DataEndpoints,
        service_role: ServiceAccountRole,
    ) -> ErlmcpRelease:
        release = self.stack.release
        pod = self.config.pod
        return ErlmcpRelease(
            name,
            ErlmcpReleaseArgs(
                provider=self.eks.provider,
                namespace=namespace,
                region=self.region,
                environment=self.stack.environment,
                image=release.image,
                version=release.version,
                replicas=replicas,
                hpa=HpaSettings(hpa.min_replicas, hpa.max_replicas, hpa.target_cpu_percent)
                if hpa
                else None,
                resources=PodResources(
                    cpu_request=pod.cpu_request,
                    memory_request=pod.memory_request,
                    cpu_limit=pod.cpu_limit,
                    memory_limit=pod.memory_limit,
                ),
                db_host=data.db_host,
                db_name=release.database_name,
                db_user=release.database_user,
                db_password=data.db_password,
                redis_host=data.redis_host,
                redis_auth_token=data.redis_auth_token,
                erlang_cookie=self.secrets.erlang_cookie,
                jwt_secret=self.secrets.jwt_secret,
                log_level=release.log_level,
                otel_endpoint=release.otel_endpoint,
                service_account_role_arn=service_role.role_arn,
                tls_certificate_arn=self.certificate.certificate_arn,
                labels={"erlmcp.io/region": self.region},
            ),
            opts=self._child(),
        )

    # -- disaster recovery -------------------------------------------------------------------

    def hold_standby_copies(self, primary: ErlmcpRegion, pair: DrPairConfig) -> None:
        """Keep `primary`'s data here: a database replica, a cache secondary, and a release
        pointed at them, with `pair.standby_pods` warm pods until a failover gives it the
        primary's pods and HPA."""
        source = primary.config
        assert source.cache is not None
        assert primary.redis is not None and primary.global_datastore is not None
        assert primary.data is not None
        prefix = f"{self.region}-standby-of-{primary.region}"
        failed_over = self.stack.failed_over(pair)
        replica = self._standby_database(primary, pair, prefix)
        cache = RedisCache(
            f"{prefix}-redis",
            RedisCacheArgs(
                **self._data_placement(),
                replication_group_id=f"erlmcp-{self.stack.environment}-{primary.region}-dr",
                node_type=source.cache.node_type,
                engine_version=source.cache.engine_version,
                num_cache_clusters=source.cache.nodes,
                auth_token=primary.data.redis_auth_token,
                snapshot_retention_days=self.stack.backups.cache_snapshots.retention_days,
                snapshot_window=self.stack.backups.cache_snapshots.window,
                maintenance_window="sun:05:00-sun:06:00",
                global_replication_group_id=primary.global_datastore.global_replication_group_id,
            ),
            opts=self._child(),
        )
        self.database_endpoints[f"replica-of-{primary.region}"] = replica.address
        # A region that serves its own release keeps the standby one apart in its own namespace.
        namespace = self.stack.release.namespace
        service_role = self.service_role
        if self.config.serving:
            namespace = f"{namespace}-{primary.region}"
            service_role = self._service_account_role(namespace, suffix=f"-{primary.region}")
        self.standby_release = self._release(
            f"{prefix}-erlmcp",
            namespace=namespace,
            replicas=primary.config.pods if failed_over else pair.standby_pods,
            hpa=primary.config.hpa if failed_over else None,
            data=DataEndpoints(
                db_host=replica.address,
                db_password=primary.data.db_password,
                redis_host=cache.primary_endpoint_address,
                redis_auth_token=primary.data.redis_auth_token,
            ),
            service_role=service_role,
        )
        self.standby_replica = replica
        self.standby_cache = cache

    def replicate_backups_to(self, standby: ErlmcpRegion) -> None:
        BucketReplication(
            f"{self.region}-backups-to-{standby.region}",
            BucketReplicationArgs(
                region=self.region,
                source=self.backups,
                destination=standby.backups,
                replication_time_control=self.stack.backups.replication_time_control,
                tags=self.tags,
            ),
            opts=self._child(),
        )

    @property
    def dns_release(self) -> ErlmcpRelease:
        """The release behind `<region>.<domain>`: its own, or for a pure standby its 0-pod one."""
        release = self.release or self.standby_release
        if release is None:
            raise ValueError(f"{self.region} runs no erlmcp release")
        return release


def region_tags(stack: StackConfig, region: str) -> dict[str, str]:
    return {
        **stack.tags,
        "service": "erlmcp",
        "environment": stack.environment,
        "region": region,
        "managed-by": "pulumi",
    }


def backup_writer_policy(bucket_arn: str, key_arn: str, environment: str, region: str) -> dict:
    """erlmcp writes ETS snapshots and config copies to its region's bucket, and nothing else."""
    prefixes = [f"{environment}/ets/", f"{environment}/config/"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListOwnPrefixes",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn,
                "Condition": {"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}},
            },
            {
                "Sid": "ReadWriteOwnPrefixes",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": [f"{bucket_arn}/{p}*" for p in prefixes],
            },
            {
                "Sid": "UseRegionKeyThroughS3",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
        ],
    }
