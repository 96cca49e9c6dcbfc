"""What the shell that runs a failover needs from its environment while a region is down: the
stack's secrets key in a region that answers, and AWS credentials that need nothing from the
failed region.

**The secrets key.** Pulumi opens the stack's `secretsprovider` URL (and the checkpoint's, which
records the same URL) with gocloud's `awskms` opener, which takes the URL's `region` parameter
or else the AWS SDK's default chain, AWS_REGION first (bootstrap/state_store/key.py has the
sources). The key exists only in the regions the `erlmcp-state` stack replicates it into
(`bootstrap/Pulumi.state.yaml`), so the region the URL resolves to must be one of them and not
a failed one.

**Credentials.** The failed region's provider skips its own STS calls, but the credential chain
is still resolved in the provider's region (regions/providers.py has the aws-sdk-go-base lines):
a profile with `role_arn`, or a web identity, calls STS in the failed region, and the engine
configures that provider even under `--target`. Static session credentials in the environment
are used as they are (aws-sdk-go-v2 config/resolve_credentials.go `resolveCredentialChain`:
environment keys come before a web identity and the profile), unless a profile is named as
well: aws-sdk-go-base then uses the profile ("The Profile is now used instead of the
environment variable credentials", credentials.go lines 47-51; pulumi-aws fills the provider's
`profile` from AWS_PROFILE, provider/resources.go `Config`). So: the three variables of a
session taken through the standby's STS, and no profile or web identity beside them.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

from offline.stacks import REPO_ROOT, stack_file_config

STATE_PROJECT_DIR = REPO_ROOT / "bootstrap"
STATE_STACK_FILE = STATE_PROJECT_DIR / "Pulumi.state.yaml"

SESSION_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
# Each makes the SDK take credentials from somewhere that may call STS in the failed region.
CHAIN_VARIABLES = {
    "AWS_PROFILE": "a profile is used instead of the session's keys",
    "AWS_DEFAULT_PROFILE": "a profile is used instead of the session's keys",
    "AWS_WEB_IDENTITY_TOKEN_FILE": "a web identity calls STS in each provider's region",
    "AWS_ROLE_ARN": "a web identity calls STS in each provider's region",
}


def secrets_provider_of(stack_file: Path) -> str | None:
    """The stack file's top-level `secretsprovider` (None: Pulumi's default, not a KMS key)."""
    document = yaml.safe_load(Path(stack_file).read_text(encoding="utf-8")) or {}
    value = document.get("secretsprovider")
    return str(value) if value else None


def secrets_key_regions(state_stack_file: Path = STATE_STACK_FILE) -> frozenset[str]:
    """Every region the `erlmcp-state` stack puts the secrets key in, read with its own config
    model (the `state_store` package, from bootstrap/ as the Pulumi CLI runs it)."""
    if str(STATE_PROJECT_DIR) not in sys.path:
        sys.path.append(str(STATE_PROJECT_DIR))
    from state_store.config import parse_config, project_values

    config = parse_config(project_values(stack_file_config(state_stack_file)))
    return frozenset(config.key_regions)


def secrets_key_region(url: str, aws_region: str | None) -> str | None:
    """Where gocloud's awskms keeper sends Decrypt: the URL's `region`, else AWS_REGION."""
    pinned = parse_qs(urlsplit(url).query).get("region")
    return pinned[0] if pinned else aws_region


def secrets_key_problems(
    url: str | None, key_regions: Collection[str], aws_region: str | None, down: Collection[str]
) -> list[str]:
    """Why the stack's secrets could not be decrypted with AWS_REGION=`aws_region` while the
    `down` regions are; nothing for a secrets provider that is no AWS KMS key."""
    if not url or urlsplit(url).scheme != "awskms":
        return []
    region = secrets_key_region(url, aws_region)
    regions = ", ".join(sorted(key_regions))
    if region is None:
        return [f"the secrets provider {url} takes its region from AWS_REGION, which is not set"]
    if region in down:
        return [
            f"the secrets provider {url} would look for its key in {region}, which is down "
            f"(the key is in: {regions})"
        ]
    if region not in key_regions:
        return [
            f"the secrets provider {url} would look for its key in {region}, which has no "
            f"replica of it (the key is in: {regions}); add {region} to keyReplicaRegions in "
            f"bootstrap/Pulumi.state.yaml and update that stack"
        ]
    return []


def credentials_problems(environ: Mapping[str, str]) -> list[str]:
    """Why the environment's AWS credentials might need the failed region's STS."""
    problems = [f"{name} is not set" for name in SESSION_VARIABLES if not environ.get(name)]
    problems += [
        f"{name} is set: {why}" for name, why in CHAIN_VARIABLES.items() if environ.get(name)
    ]
    return problems


def environment_problems(
    environ: Mapping[str, str],
    *,
    secrets_provider: str | None,
    key_regions: Collection[str],
    down: Collection[str],
) -> list[str]:
    """Everything the failover's shell lacks: credentials and the secrets key's region."""
    return credentials_problems(environ) + secrets_key_problems(
        secrets_provider, key_regions, environ.get("AWS_REGION"), down
    )


def credentials_commands(standby: str) -> str:
    """How to take static session credentials through the standby region's STS (the endpoint is
    named, so no CLI default can send the call to the global endpoint in us-east-1)."""
    sts = f"--region {standby} --endpoint-url https://sts.{standby}.amazonaws.com"
    query = "--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text"
    read = "read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN"
    return f"""\
   From a role (base credentials that need nothing from the failed region, e.g. IAM Identity
   Center in another region):
     {read} <<< "$(
       aws sts assume-role {sts} \\
         --role-arn <role-arn> --role-session-name failover \\
         {query})"
   From a web identity (CI):
     {read} <<< "$(
       aws sts assume-role-with-web-identity {sts} \\
         --role-arn "$AWS_ROLE_ARN" --web-identity-token "$(cat "$AWS_WEB_IDENTITY_TOKEN_FILE")" \\
         --role-session-name failover \\
         {query})"
   Then keep only those, with the standby as the SDK's region (where the secrets key is read):
     export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION={standby}
     unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN
     aws sts get-caller-identity {sts}"""
