"""The `erlmcp-state` stack: the key, a state bucket in each region, replication both ways, the
account's EC2 Auto Scaling service-linked role when it has none, and the outputs operators and
the main stack's README refer to."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.eks import account_autoscaling_role_arn
from state_store.account import autoscaling_service_role
from state_store.buckets import StateBucket, StateBucketArgs, backend_url, state_bucket_name
from state_store.config import StateStoreConfig
from state_store.github_oidc import GitHubCi, GitHubCiArgs
from state_store.key import StateKey, StateKeyArgs
from state_store.providers import StateStoreProviders, build_providers
from state_store.replication import StateReplication, StateReplicationArgs


@dataclass(frozen=True)
class StateStore:
    config: StateStoreConfig
    providers: StateStoreProviders
    key: StateKey
    buckets: dict[str, StateBucket]
    """By region."""
    autoscaling_role: aws.iam.ServiceLinkedRole | None
    """Made here only when the account had none (`autoscalingServiceRole: create`)."""
    ci: GitHubCi | None = None
    """The CI roles, when the config names the repository (`githubRepository`)."""


def build(config: StateStoreConfig) -> StateStore:
    providers = build_providers(config)
    tags = config.all_tags
    key = StateKey(
        "state-key",
        StateKeyArgs(
            primary_region=config.primary_region,
            replica_regions=config.key_regions[1:],
            alias_name=config.key_alias,
            account_id=config.account_id,
            providers=providers.regional,
            tags=tags,
        ),
    )
    buckets = {
        region: StateBucket(
            f"state-{region}",
            StateBucketArgs(
                region=region,
                account_id=config.account_id,
                kms_key_arn=key.arns[region],
                noncurrent_version_days=config.noncurrent_version_days,
                noncurrent_versions_kept=config.noncurrent_versions_kept,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(provider=providers.for_region(region)),
        )
        for region in config.regions
    }
    primary, replica = config.regions
    for source, destination in ((primary, replica), (replica, primary)):
        StateReplication(
            f"state-replication-{source}-to-{destination}",
            StateReplicationArgs(
                source=buckets[source],
                destination=buckets[destination],
                account_id=config.account_id,
                source_provider=providers.for_region(source),
                iam_provider=providers.global_services,
                tags=tags,
            ),
        )
    autoscaling_role = autoscaling_service_role(
        config.autoscaling_service_role, providers.global_services, tags
    )
    return StateStore(
        config=config,
        providers=providers,
        key=key,
        buckets=buckets,
        autoscaling_role=autoscaling_role,
        ci=github_ci(config, providers, key),
    )


def github_ci(
    config: StateStoreConfig, providers: StateStoreProviders, key: StateKey
) -> GitHubCi | None:
    """The OIDC provider and CI roles for `githubRepository`; none without it."""
    if config.github_repository is None:
        return None
    return GitHubCi(
        "ci",
        GitHubCiArgs(
            repository=config.github_repository,
            account_id=config.account_id,
            state_bucket_arns=[
                f"arn:aws:s3:::{state_bucket_name(config.account_id, region)}"
                for region in config.regions
            ],
            state_key_id=key.key_id,
            iam_provider=providers.global_services,
            tags=config.all_tags,
        ),
    )


def export(store: StateStore) -> None:
    """`backendUrls` and `buckets` by region; the secrets provider every erlmcp stack names; the
    multi-Region key's id and each region's key ARN."""
    pulumi.export(
        "backendUrls",
        {
            region: bucket.bucket_name.apply(lambda name, r=region: backend_url(name, r))
            for region, bucket in store.buckets.items()
        },
    )
    pulumi.export("buckets", {region: b.bucket_name for region, b in store.buckets.items()})
    pulumi.export("secretsProvider", f"awskms://{store.key.alias_name}")
    pulumi.export("keyId", store.key.key_id)
    pulumi.export("keyArns", store.key.arns)
    pulumi.export("primaryRegion", store.config.primary_region)
    pulumi.export("replicaRegion", store.config.replica_region)
    # AWS names the role, so its ARN is the same whether this stack made it or found it.
    pulumi.export(
        "autoscalingServiceRoleArn", account_autoscaling_role_arn(store.config.account_id)
    )
    if store.ci is not None:
        # The repository variables AWS_PREVIEW_ROLE_ARN and AWS_DEPLOY_ROLE_ARN
        # (docs/review-and-deploy.md).
        pulumi.export("ciPreviewRoleArn", store.ci.preview_role_arn)
        pulumi.export("ciDeployRoleArn", store.ci.deploy_role_arn)
