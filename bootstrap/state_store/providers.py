"""The stack's AWS providers, all explicit: one per region, and one for IAM.

The stack file disables default providers (`pulumi:disable-default-providers: ["*"]`), so a
resource that names no provider (itself or through its component) fails at once instead of
landing in whatever region the operator's environment happens to name. Every regional resource
also states its `region` (pulumi-aws v7 per-resource region), and the tests check that the two
agree.

Each provider may touch only the configured account (`allowed_account_ids`): `pulumi up` with
credentials of another account, or with the stack file's placeholder account id, stops when the
providers are configured, before anything is changed. A provider validates its credentials
through its own region's STS when it is configured, so this stack cannot be updated while one of
its regions (the key's included) is down; nothing here needs changing then (README, "When
us-east-2 is down").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi_aws as aws

from state_store.config import StateStoreConfig

# IAM is a global service whose API is served from us-east-1 in the `aws` partition.
GLOBAL_SERVICES_REGION = "us-east-1"
GLOBAL_PROVIDER = "aws-global"


def regional_provider_name(region: str) -> str:
    """`aws-us-east-2`: the name the main stack gives its regional providers too."""
    return f"aws-{region}"


@dataclass(frozen=True)
class StateStoreProviders:
    regional: Mapping[str, aws.Provider]
    global_services: aws.Provider
    """For IAM, which has no region."""

    def for_region(self, region: str) -> aws.Provider:
        return self.regional[region]


def build_providers(config: StateStoreConfig) -> StateStoreProviders:
    allowed = [config.account_id]
    regional = {
        region: aws.Provider(
            regional_provider_name(region), region=region, allowed_account_ids=allowed
        )
        for region in config.key_regions
    }
    global_services = aws.Provider(
        GLOBAL_PROVIDER, region=GLOBAL_SERVICES_REGION, allowed_account_ids=allowed
    )
    return StateStoreProviders(regional=regional, global_services=global_services)
