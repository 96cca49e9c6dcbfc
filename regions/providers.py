"""Every provider the stack uses, made explicitly: one AWS provider per region, one for the
global services, one for pulumi-random. The stack disables default providers
(`pulumi:disable-default-providers: ["*"]`), so a resource that names none fails at once.

Why per region: a failover runs while a region is down (README "Failover while a region is
down"), and the Pulumi engine configures every provider of the program even under `--target`
(pulumi/pulumi pkg/resource/deploy/step_generator.go: providers are "implicitly targeted", around
line 1287; providers/registry.go `Same` calls `Configure`, line 861). A provider's configure is
the one call it makes on its own: pulumi-aws validates the credentials through STS in the
provider's region (pulumi-aws provider/config.go `validateCredentials`, skipped only by
`skipCredentialsValidation`), and terraform-provider-aws looks up the account id
(aws-sdk-go-base aws_config.go `GetAwsAccountIDAndPartition`: STS, or IAM and STS when
credentials validation is skipped, none when `skip_requesting_account_id` is set too). So each
region's provider depends on that region's STS only, and the provider of a failed-over primary
makes no call at all: it skips both, and with them `allowed_account_ids`, which needs the account
id (aws-sdk-go-base config.go `VerifyAccountIDAllowed` refuses an empty one). Its resources are
not touched while it is down (the failover command targets the standby region only).

Skipping those calls does not keep the credential chain out of the region. aws-sdk-go-base
`GetAwsConfig` (aws_config.go line 114) resolves it in `getCredentialsProvider` through
`config.LoadDefaultConfig` (credentials.go line 70), loaded with the provider's own region
(`config.WithRegion(c.Region)`, aws_config.go line 401); a profile's `role_arn` and a web identity
then call STS with that config (aws-sdk-go-v2 config/resolve_credentials.go, `credsFromAssumeRole`
and `assumeWebIdentity`: `sts.NewFromConfig(*cfg)`), in the failed region. `sts_region` moves only
the STS client aws-sdk-go-base builds itself (clients.go `stsClient`, lines 28-37): the provider's
own `assume_role` and `assume_role_with_web_identity` blocks (credentials.go lines 134 and 180)
and the account lookups. The chain's calls follow it only with a custom STS endpoint as well
(endpoints.go lines 46-61). (hashicorp/aws-sdk-go-base v2 at commit 71dcf8a; v2.0.0-beta.52, which
terraform-provider-aws of 2024-04 pins, has the same code, and that provider passes `region` and
`sts_region` on in internal/conns/config.go lines 99 and 134-136.) So the unreachable provider
gets `sts_region` = the standby, for any role the provider itself assumes, and `make failover`
insists on static session credentials taken through the standby's STS
(operations/failover_environment.py).

A failback stage means the region answers again (docs/failover.md "Failback by config": step 1
starts once it is healthy) and its first step creates databases there: from then on its provider
validates the credentials and checks the account like any other.

Global services (IAM, Route 53) are served from us-east-1 in the `aws` partition; their provider
is that region's, and skips its calls too when us-east-1 is the failed primary.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from regions.config import StackConfig

# Where IAM and Route 53 take API calls in the commercial partition (iam.amazonaws.com and
# route53.amazonaws.com are both us-east-1 endpoints), and the region DNSSEC's signing key and
# Route 53 query logs must live in.
GLOBAL_SERVICES_REGION = "us-east-1"
GLOBAL_PROVIDER = "aws-global"


def regional_provider_name(region: str) -> str:
    return f"aws-{region}"


def default_provider_name(package: str) -> str:
    """The name the engine gives the default provider of `package` at the version this SDK
    installs: `default_7_51_1`, pre-release parts joined with `_` too (pulumi/pulumi
    pkg/resource/deploy/providers/provider.go, `DefaultName`); `default` without a version."""
    try:
        version = metadata.version(f"pulumi_{package}")
    except metadata.PackageNotFoundError:
        return "default"
    return "default_" + version.replace(".", "_").replace("-", "_")


@dataclass(frozen=True)
class AwsProviderSettings:
    """What decides a provider's configure-time calls."""

    region: str
    account_id: str
    unreachable: bool
    """The region is a failed-over primary, still down: configure without any call into it."""
    sts_region: str | None = None
    """Where the provider's own STS calls go while `unreachable`: the standby's region."""

    def arguments(self) -> dict[str, object]:
        if self.unreachable:
            return {
                "region": self.region,
                "skip_credentials_validation": True,
                "skip_requesting_account_id": True,
                **({"sts_region": self.sts_region} if self.sts_region else {}),
            }
        # Credentials are validated through this region's own STS, and a wrong account stops
        # the update before it changes anything.
        return {"region": self.region, "allowed_account_ids": [self.account_id]}


def is_unreachable(stack: StackConfig, region: str) -> bool:
    """A failed-over primary whose failback has not begun: the region may still be down."""
    return region in stack.failover and region not in stack.failback


def settings_for(stack: StackConfig, region: str) -> AwsProviderSettings:
    unreachable = is_unreachable(stack, region)
    return AwsProviderSettings(
        region=region,
        account_id=stack.account_id,
        unreachable=unreachable,
        sts_region=stack.failover[region] if unreachable else None,
    )


@dataclass(frozen=True)
class StackProviders:
    regional: dict[str, aws.Provider]
    global_services: aws.Provider
    random: random.Provider

    def for_region(self, region: str) -> list[pulumi.ProviderResource]:
        """What a region's component hands its children: its AWS provider and pulumi-random."""
        return [self.regional[region], self.random]

    def for_global(self) -> list[pulumi.ProviderResource]:
        return [self.global_services, self.random]


def build_providers(stack: StackConfig) -> StackProviders:
    regional = {
        region: aws.Provider(
            regional_provider_name(region), **settings_for(stack, region).arguments()
        )
        for region in sorted(stack.regions)
    }
    # Global resources (and, before this module, every resource) were on the default provider,
    # whose region was us-east-1. The alias makes this provider that one's successor, so the
    # engine sees no provider change for them (step_generator.go `providerChanged`: an aliased
    # provider is "no change"). Resources moving to a regional provider get a provider whose
    # config differs only in settings pulumi-aws does not mark ForcesProviderReplace (none are:
    # pulumi-aws provider/resources.go `Config`), so DiffConfig reports an update and the engine
    # diffs them as usual: their inputs, `region` included, are unchanged.
    global_services = aws.Provider(
        GLOBAL_PROVIDER,
        **settings_for(stack, GLOBAL_SERVICES_REGION).arguments(),
        opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name=default_provider_name("aws"))]),
    )
    random_provider = random.Provider(
        "random",
        opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name=default_provider_name("random"))]),
    )
    return StackProviders(
        regional=regional, global_services=global_services, random=random_provider
    )
