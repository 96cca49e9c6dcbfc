"""One erlmcp region: what every region has, its own data when it serves, and standby copies.

A region is built in steps so that DR pairs can point either way (even at each other), and a
failback copy in the primary can follow the promoted standby: `ErlmcpRegion(...)` builds the
region's own infrastructure and cache; `build_databases` (regions/databases.py) builds every
copy of a primary's database (regions/lineage.py decides which), each in the region it lives in;
`hold_standby_copies` adds the cache secondary and the release a standby keeps for its primary;
`start_release` starts the region's own release on the copy it uses; `replicate_backups_to`
ships its backups to the partner. Every logical name starts with the region code, so a region's
resources keep their URNs whatever other regions are added, removed or reordered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi

from components.access_logs import AccessLogBucket, AccessLogBucketArgs, LoggedBucket
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
from components.lb_controller import LoadBalancerController, LoadBalancerControllerArgs
from components.network import Network, NetworkArgs
from components.paging import Paging, PagingArgs
from components.redis import (
    RedisCache,
    RedisCacheArgs,
    RedisGlobalDatastore,
    RedisGlobalDatastoreArgs,
)
from components.release import ErlmcpRelease
from components.release_args import ErlmcpReleaseArgs, HpaSettings, PodResources
from regions.backups import backup_writer_policy, lifecycle_rules
from regions.config import (
    DrPairConfig,
    HpaConfig,
    RegionConfig,
    StackConfig,
)
from regions.databases import Database
from regions.lineage import DatabaseCopy
from regions.names import cache_group_id, standby_cache_group_id
from regions.providers import StackProviders
from regions.restore import standby_stopped, switched_to_restored, writes_stopped
from regions.rollout import ReleaseVersion, region_version, release_pods, settled_version
from regions.rotation import (
    RESTART_ANNOTATION,
    database_user,
    redis_token,
    release_generations,
    restart_annotation,
)
from regions.secrets import SecretValues, database_master_password, secret_values
from regions.standby import (
    FENCED_PRIMARY_STAGES,
    SERVING_STANDBY_STAGES,
    standby_pods_can_be_ready,
    standby_replicas,
)

SERVICE_ACCOUNT = "erlmcp"
REGION_LABEL = "erlmcp.io/region"
"""On every object of a release, its pods included: the region the pods run in."""
REDIS_PORT = 6379
RETIRED_TAG = "dr-retired"  # the policy dr-serving-region-has-standby reads it
# The control-plane log group holds the Kubernetes audit log (who did what to the cluster), and
# one group holds all five log types. Audit trails are kept a year, 3 months of it at hand
# (PCI DSS v4 10.5.1; SOC 2 auditors ask for the same), as the VPC flow logs are
# (components/network.py); checkov's CKV_AWS_338 asks for a year too. Not the runbook's 30 days
# for application logs (§6.2): those say what erlmcp did, not who changed the platform.
CONTROL_PLANE_LOG_RETENTION_DAYS = 365


@dataclass(frozen=True)
class SharedSecrets:
    """Secrets every region must agree on: a JWT issued anywhere validates everywhere, and
    Erlang nodes of a failed-over release join with the same cookie. By generation: during a
    rotation the regions whose wave has rolled run the new one (regions/rotation.py)."""

    erlang_cookie: SecretValues
    jwt_secret: SecretValues


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
    providers: StackProviders
    """This region's children use its own AWS provider; IAM and Route 53 the global one."""
    rds_monitoring_role_arn: pulumi.Input[str] | None = None
    """The account's RDS Enhanced Monitoring role, for every database instance here."""


@dataclass(frozen=True)
class DataEndpoints:
    """Where a release finds its database and cache, and the credentials to use."""

    db_host: pulumi.Output[str]
    db_user: str
    db_password: pulumi.Output[str]
    redis_host: pulumi.Output[str]
    redis_auth_token: pulumi.Output[str]


class ErlmcpRegion(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: ErlmcpRegionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            "erlmcp:regions:Region",
            name,
            None,
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(providers=args.providers.for_region(args.region))
            ),
        )
        self.region = args.region
        self.global_provider = args.providers.global_services
        self.stack = args.stack
        self.config: RegionConfig = args.stack.regions[args.region]
        self.secrets = args.secrets
        self.rds_monitoring_role_arn = args.rds_monitoring_role_arn
        self.tags = region_tags(args.stack, args.region)
        self.database_endpoints: dict[str, pulumi.Output[str]] = {}
        self.db_password: pulumi.Output[str] | None = None
        """The database master user's password (what RDS or Aurora is given)."""
        self.redis_auth_token: pulumi.Output[str] | None = None
        """The AUTH token the region's replication groups are given."""
        self.db_secrets: SecretValues | None = None
        self.redis_secrets: SecretValues | None = None
        self.database: Database | None = None
        """The copy of its own data this region's release uses (set by `build_databases`)."""
        self.redis: RedisCache | None = None
        self.global_datastore: RedisGlobalDatastore | None = None
        self.release: ErlmcpRelease | None = None
        self.standby_release: ErlmcpRelease | None = None
        self.standby_database: Database | None = None
        """The copy of its primary's data this standby region holds (set by `build_databases`)."""
        self.standby_cache: RedisCache | None = None
        self.database_copies: dict[DatabaseCopy, Database] = {}
        """Every copy of this region's own data, wherever it lives (set by `build_databases`)."""
        self.backup_replications: dict[str, BucketReplication] = {}
        """Standby region -> the replication of this region's backups into it."""

        self.key = RegionKey(
            f"{name}-key",
            RegionKeyArgs(
                region=args.region,
                description=f"erlmcp {args.stack.environment} {args.region}: data at rest",
                alias_name=f"erlmcp-{args.stack.environment}-{args.region}",
                account_id=args.stack.account_id,
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
                availability_zones=self.config.availability_zones,
                flow_logs_kms_key_arn=self.key.key_arn,
                tags=self.tags,
                global_provider=self.global_provider,
            ),
            opts=self._child(),
        )
        self.eks = self._cluster()
        # Makes the releases' NLBs; they come after it and go before it (its finalizer deletes
        # the NLB of a Service being deleted).
        self.lb_controller = LoadBalancerController(
            f"{name}-lb-controller",
            LoadBalancerControllerArgs(
                cluster_name=self.eks.cluster_name,
                region=args.region,
                vpc_id=self.network.vpc_id,
                oidc_provider_arn=self.eks.oidc_provider_arn,
                oidc_issuer=self.eks.oidc_issuer_url,
                provider=self.eks.provider,
                global_provider=self.global_provider,
                tags=self.tags,
            ),
            opts=self._child(),
        )
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
        self.access_logs = AccessLogBucket(
            f"{name}-access-logs",
            AccessLogBucketArgs(
                region=args.region,
                sources=[
                    LoggedBucket(self.backups.bucket_name, self.backups.bucket_arn, "backups/")
                ],
                expire_days=args.stack.backups.access_logs.expire_days,
                account_id=args.stack.account_id,
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
                global_provider=self.global_provider,
            ),
            opts=self._child(),
        )
        self.service_role = self._service_account_role(args.stack.release.namespace)
        self.paging = self._paging()

        if self.config.serving:
            self._own_cache()
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

    def _paging(self) -> Paging:
        """The region's page and ticket topics: its alarms and alert manager publish there, and
        nothing of another region does (a region's alert path survives any other's loss)."""
        endpoints = self.stack.pager_endpoints
        return Paging(
            f"{self.region}-paging",
            PagingArgs(
                region=self.region,
                topic_name_prefix=self.cluster_name,
                kms_key_arn=self.key.key_arn,
                account_id=self.stack.account_id,
                alarm_name_prefix=f"{self.cluster_name}-",
                endpoints=endpoints.urls() if endpoints else {},
                tags=self.tags,
            ),
            opts=self._child(),
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

    def data_placement(self, copy: DatabaseCopy | None = None) -> dict[str, Any]:
        """Where this region's databases and caches live, their key, and who may reach them. A
        copy a failback left behind is tagged as retired, so that people and policies see it
        serves nobody."""
        tags = self.tags
        if copy is not None and copy.retired:
            tags = {**tags, RETIRED_TAG: f"generation-{copy.generation}"}
        return {
            "region": self.region,
            "vpc_id": self.network.vpc_id,
            "subnet_ids": self.network.private_subnet_ids,
            "client_security_group_ids": {"eks-cluster": self.eks.cluster_security_group_id},
            "kms_key_arn": self.key.key_arn,
            "tags": tags,
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
                log_retention_days=CONTROL_PLANE_LOG_RETENTION_DAYS,
                addons=self.config.addons,
                tags=self.tags,
                global_provider=self.global_provider,
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
            # IAM only: the global services' provider.
            opts=pulumi.ResourceOptions(parent=self, providers=[self.global_provider]),
        )

    # -- a serving region's own data ---------------------------------------------------------

    def _own_cache(self) -> None:
        """The region's cache, and the secrets of its data (every copy of its database uses the
        same master password: replicas and Aurora secondaries inherit it)."""
        cache = self.config.cache
        assert cache is not None  # the config model guarantees it for a serving region
        self.db_secrets = secret_values(
            self.stack, "db-password", self.region, f"{self.region}-db-password", self._child()
        )
        self.redis_secrets = secret_values(
            self.stack,
            "redis-auth-token",
            self.region,
            f"{self.region}-redis-auth-token",
            self._child(),
        )
        self.db_password = database_master_password(self, self.db_secrets)
        token = redis_token(self.stack, self.region)
        self.redis_auth_token = self.redis_secrets.value(token.generation)
        self.redis_auth_token_strategy = token.strategy
        backups = self.stack.backups
        self.redis = RedisCache(
            f"{self.region}-redis",
            RedisCacheArgs(
                **self.data_placement(),
                replication_group_id=cache_group_id(self.stack.environment, self.region),
                node_type=cache.node_type,
                engine_version=cache.engine_version,
                num_cache_clusters=cache.nodes,
                auth_token=self.redis_auth_token,
                auth_token_update_strategy=token.strategy,
                snapshot_retention_days=backups.cache_snapshots.retention_days,
                snapshot_window=backups.cache_snapshots.window,
                maintenance_window="sun:05:00-sun:06:00",
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
        generations: dict[str, int],
        service_role: ServiceAccountRole,
        version: ReleaseVersion,
        starts_from_zero: bool = False,
        await_ready: bool = True,
    ) -> ErlmcpRelease:
        """`generations`: the generation of each secret the release's pods run."""
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
                version=version.version,
                image_digest=release.image_digests[version.version],
                update_partition=version.partition,
                min_ready_seconds=release.min_ready_seconds,
                ready_timeout_minutes=release.ready_timeout_minutes,
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
                db_user=data.db_user,
                db_password=data.db_password,
                redis_host=data.redis_host,
                redis_auth_token=data.redis_auth_token,
                erlang_cookie=self.secrets.erlang_cookie.value(generations["erlang-cookie"]),
                jwt_secret=self.secrets.jwt_secret.value(generations["jwt-secret"]),
                pod_annotations=_restart_annotations(generations),
                log_level=release.log_level,
                otel_endpoint=release.otel_endpoint,
                service_account_role_arn=service_role.role_arn,
                tls_certificate_arn=self.certificate.certificate_arn,
                labels={REGION_LABEL: self.region},
                # The region's managed Prometheus collector scrapes from its private subnets.
                metrics_scraper_cidrs=self.network.private_subnet_cidrs,
                starts_from_zero=starts_from_zero,
                await_ready=await_ready,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.lb_controller]),
        )

    # -- disaster recovery -------------------------------------------------------------------

    def start_release(self) -> None:
        """This serving region's own erlmcp release, on the copy of its data it uses. While its
        pair is failed over (and until the failback cutover) it runs no pods: its database is
        stale, and pods answering `/health` would draw traffic back to it (split brain)."""
        assert self.database is not None and self.db_password is not None
        assert self.redis is not None and self.redis_auth_token is not None
        stage = self.stack.dr_stage(self.stack.pair_of_primary(self.region))
        fenced = stage in FENCED_PRIMARY_STAGES or writes_stopped(self.stack, self.region)
        self.database_endpoints["primary"] = self.database.address
        replicas = 0 if fenced else release_pods(self.stack, self.region)
        generations = release_generations(self.stack, self.region, self.region)
        self.release = self._release(
            f"{self.region}-erlmcp",
            namespace=self.stack.release.namespace,
            replicas=replicas,
            version=region_version(self.stack, self.region, replicas),
            hpa=None if fenced else self.config.hpa,
            # The cutover (or a restore's switch) brings the fenced release back from 0; the
            # pair's next generation hands it to the HPA.
            starts_from_zero=stage == "cutover" or switched_to_restored(self.stack, self.region),
            data=self.data_credentials(
                self.database.address, self.redis.primary_endpoint_address, generations
            ),
            generations=generations,
            service_role=self.service_role,
        )

    def data_credentials(
        self,
        db_host: pulumi.Output[str],
        redis_host: pulumi.Output[str],
        generations: dict[str, int],
    ) -> DataEndpoints:
        """This serving region's database and cache as a release of its data reaches them,
        with the credentials of the generations it runs (a release hosted in its standby
        region rolls onto a new one in a later wave)."""
        assert self.db_secrets is not None and self.redis_secrets is not None
        return DataEndpoints(
            db_host=db_host,
            db_user=database_user(self.stack.release.database_user, generations["db-password"]),
            db_password=self.db_secrets.value(generations["db-password"]),
            redis_host=redis_host,
            redis_auth_token=self.redis_secrets.value(generations["redis-auth-token"]),
        )

    def hold_standby_copies(self, primary: ErlmcpRegion, pair: DrPairConfig) -> None:
        """Keep `primary`'s data here: a cache secondary, and a release pointed at it and at the
        database copy `build_databases` made here. The release runs `pair.standby_pods` warm
        pods; a failover gives it the primary's pods and HPA; failback drains it to 0."""
        source = primary.config
        assert source.cache is not None and self.standby_database is not None
        assert primary.redis is not None and primary.global_datastore is not None
        assert primary.db_password is not None and primary.redis_auth_token is not None
        prefix = f"{self.region}-standby-of-{primary.region}"
        stage = self.stack.dr_stage(pair)
        cache = RedisCache(
            f"{prefix}-redis",
            RedisCacheArgs(
                **self.data_placement(),
                replication_group_id=standby_cache_group_id(self.stack.environment, primary.region),
                node_type=source.cache.node_type,
                engine_version=source.cache.engine_version,
                num_cache_clusters=source.cache.nodes,
                # A Global Datastore's members share one token: the secondary is given what the
                # primary group is, at the same step of a rotation (regions/rotation.py).
                auth_token=primary.redis_auth_token,
                auth_token_update_strategy=primary.redis_auth_token_strategy,
                snapshot_retention_days=self.stack.backups.cache_snapshots.retention_days,
                snapshot_window=self.stack.backups.cache_snapshots.window,
                maintenance_window="sun:05:00-sun:06:00",
                global_replication_group_id=primary.global_datastore.global_replication_group_id,
            ),
            opts=self._child(),
        )
        self.database_endpoints[f"replica-of-{primary.region}"] = self.standby_database.address
        # A region that serves its own release keeps the standby one apart in its own namespace.
        namespace = self.stack.release.namespace
        service_role = self.service_role
        if self.config.serving:
            namespace = f"{namespace}-{primary.region}"
            service_role = self._service_account_role(namespace, suffix=f"-{primary.region}")
        serving = stage in SERVING_STANDBY_STAGES
        generations = release_generations(self.stack, primary.region, self.region)
        self.standby_release = self._release(
            f"{prefix}-erlmcp",
            namespace=namespace,
            replicas=0
            if standby_stopped(self.stack, primary.region)
            else standby_replicas(stage, pair, primary.config),
            # The primary's settled version: a failover never changes what runs.
            version=ReleaseVersion(settled_version(self.stack, primary.region)),
            hpa=primary.config.hpa if serving else None,
            # A cold standby (0 warm pods) is brought up from 0 by the failover itself, unless the
            # Region switch plan's EKS scaling already did (its HPA then takes the count over).
            starts_from_zero=stage == "failover"
            and pair.standby_pods == 0
            and not self.stack.promoted_by_region_switch(pair),
            await_ready=standby_pods_can_be_ready(pair, stage),
            data=primary.data_credentials(
                self.standby_database.address, cache.primary_endpoint_address, generations
            ),
            generations=generations,
            service_role=service_role,
        )
        self.standby_cache = cache

    def replicate_backups_to(self, standby: ErlmcpRegion) -> None:
        self.backup_replications[standby.region] = BucketReplication(
            f"{self.region}-backups-to-{standby.region}",
            BucketReplicationArgs(
                region=self.region,
                source=self.backups,
                destination=standby.backups,
                replication_time_control=self.stack.backups.replication_time_control,
                tags=self.tags,
                global_provider=self.global_provider,
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


def _restart_annotations(generations: dict[str, int]) -> dict[str, str]:
    """The pod template's record of the secret generations its pods run: a rolling restart when
    one changes (pods read secrets only at start). Empty while all are the first."""
    text = restart_annotation(generations)
    return {RESTART_ANNOTATION: text} if text else {}


def region_tags(stack: StackConfig, region: str) -> dict[str, str]:
    return {
        **stack.tags,
        "service": "erlmcp",
        "environment": stack.environment,
        "region": region,
        "managed-by": "pulumi",
    }
