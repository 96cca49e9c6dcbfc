"""The configuration of the `erlmcp-state` stack: one pydantic model, checked before anything runs.

`Pulumi.state.yaml` holds it under the `erlmcp-state:` namespace. `load_config` turns it into a
`StateStoreConfig` or stops the program with a `pulumi.RunError` that names every bad key by its
path (`erlmcp-state:replicaRegion`) and the reason, the way the main stack's `regions/config/`
does: a misspelt key is an error, never a silent default, because a silently defaulted region or
alias here would put the state of every erlmcp stack somewhere nobody meant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import pulumi
from pulumi.runtime import config as pulumi_config
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from regions.aws_regions import why_not_deployable
from state_store.buckets import MAX_NONCURRENT_VERSIONS_KEPT

PROJECT = "erlmcp-state"
# Added to every taggable resource, on top of the configured tags; the config may not set it.
PROJECT_TAG = ("project", PROJECT)
DEFAULT_PRIMARY_REGION = "us-east-2"
DEFAULT_REPLICA_REGION = "us-west-2"
DEFAULT_KEY_ALIAS = "erlmcp-pulumi-state"
DEFAULT_NONCURRENT_VERSION_DAYS = 365

UNKNOWN_KEY = "unknown key (typo?); it would be silently ignored"
# `aws:region`, `aws:profile`... configure only default providers, which this stack disables.
PROVIDER_NAMESPACES = ("aws",)

_ACCOUNT_ID = re.compile(r"^\d{12}$")
# GitHub's own rules: an owner (user or organization) is 1-39 letters, digits or single inner
# hyphens; a repository name is 1-100 letters, digits, '.', '_' or '-'. No wildcard can pass.
_GITHUB_REPOSITORY = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}$"
)
# KMS alias names: letters, digits, '/', '_', '-'; `alias/aws/` is reserved for AWS managed keys.
_ALIAS_NAME = re.compile(r"^[A-Za-z0-9/_-]{1,250}$")
# AWS tag limits (same for S3, KMS and IAM): keys 1-128 characters, values at most 256, and the
# `aws:` prefix is reserved.
_TAG_KEY_MAX, _TAG_VALUE_MAX = 128, 256


class StateStoreConfigError(ValueError):
    """Bad stack configuration; the message names each key path and reason."""


def _deployable_region(name: str) -> str:
    reason = why_not_deployable(name)
    if reason:
        raise ValueError(reason)
    return name


def _account_id(value: str) -> str:
    if not _ACCOUNT_ID.match(value):
        raise ValueError(
            f"{value!r} is not a 12-digit AWS account id (quote it in YAML, so that leading "
            'zeros survive: accountId: "012345678901")'
        )
    return value


def _alias_name(value: str) -> str:
    if value.startswith("alias/"):
        raise ValueError(f"{value!r}: write the alias without its 'alias/' prefix")
    if value.startswith("aws/") or not _ALIAS_NAME.match(value):
        raise ValueError(
            f"{value!r} must be 1-250 letters, digits, '/', '_' or '-', and not under 'aws/' "
            "(reserved for AWS managed keys)"
        )
    return value


def _github_repository(value: str) -> str:
    if not _GITHUB_REPOSITORY.match(value) or value.split("/", 1)[1] in (".", ".."):
        raise ValueError(
            f"{value!r} is not one GitHub repository as `owner/name` (letters, digits, '-' in the "
            "owner; letters, digits, '.', '_', '-' in the name; no wildcard): the CI roles trust "
            "exactly this repository's tokens (state_store/github_oidc.py)"
        )
    return value


RegionName = Annotated[str, AfterValidator(_deployable_region)]


class StateStoreConfig(BaseModel):
    """Everything under `erlmcp-state:` in `Pulumi.state.yaml`."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    account_id: Annotated[str, AfterValidator(_account_id)]
    """The only account any provider may touch (the providers' `allowed_account_ids`), and part
    of every bucket name (bucket names are global across all accounts)."""
    primary_region: RegionName = DEFAULT_PRIMARY_REGION
    replica_region: RegionName = DEFAULT_REPLICA_REGION
    key_alias: Annotated[str, AfterValidator(_alias_name)] = DEFAULT_KEY_ALIAS
    """The alias of the multi-Region key in every key region, without `alias/`: the main stack's
    `secretsprovider: awskms://alias/<keyAlias>` names it."""
    key_replica_regions: list[RegionName] = Field(default_factory=list)
    """More replicas of the key (and its alias), without a state bucket: every region an
    operator's `AWS_REGION` may name, which is where the secrets provider looks for the key
    (state_store/key.py). A failover sets it to the standby, so: every region of the erlmcp
    stacks."""
    tags: dict[str, str] = Field(default_factory=dict)
    noncurrent_version_days: int = Field(default=DEFAULT_NONCURRENT_VERSION_DAYS, ge=1)
    """Days the newest `noncurrent_versions_kept` overwritten versions of a state file stay
    restorable."""
    noncurrent_versions_kept: int = Field(
        default=MAX_NONCURRENT_VERSIONS_KEPT, ge=1, le=MAX_NONCURRENT_VERSIONS_KEPT
    )
    """How many overwritten versions of each state file are kept that long; older ones expire a
    day after they were overwritten (state_store/buckets.py: one `pulumi up` writes thousands)."""
    github_repository: Annotated[str, AfterValidator(_github_repository)] | None = None
    """`owner/name` of the repository whose GitHub Actions may assume the CI roles
    (state_store/github_oidc.py: the preview role from its pull requests, the deploy role from
    its `production` environment). Without it the stack makes no CI roles."""
    autoscaling_service_role: Literal["create", "exists"]
    """Whether this stack makes the account's EC2 Auto Scaling service-linked role
    (state_store/account.py); no default, because AWS refuses to make it twice."""

    @field_validator("replica_region")
    @classmethod
    def _another_region(cls, value: str, info: ValidationInfo) -> str:
        primary = info.data.get("primary_region")
        if value == primary:
            raise ValueError(
                f"{value} is also primaryRegion: the replica must be another region, or losing "
                "that one region loses both copies of the state"
            )
        return value

    @field_validator("key_replica_regions")
    @classmethod
    def _more_regions(cls, regions: list[str], info: ValidationInfo) -> list[str]:
        bucket_regions = (info.data.get("primary_region"), info.data.get("replica_region"))
        for region in regions:
            if region in bucket_regions:
                raise ValueError(
                    f"{region} has a state bucket and its key already; list only other regions"
                )
        if len(set(regions)) != len(regions):
            raise ValueError("names a region twice")
        return regions

    @field_validator("tags")
    @classmethod
    def _valid_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        for key, value in tags.items():
            if key == PROJECT_TAG[0]:
                raise ValueError(
                    f"'{key}' is set by the program ({key}: {PROJECT_TAG[1]}); leave it out"
                )
            if not 1 <= len(key) <= _TAG_KEY_MAX or key.lower().startswith("aws:"):
                raise ValueError(
                    f"tag key {key!r} must be 1-{_TAG_KEY_MAX} characters and not start with "
                    "'aws:' (reserved by AWS)"
                )
            if len(value) > _TAG_VALUE_MAX:
                raise ValueError(f"the value of tag {key!r} is over {_TAG_VALUE_MAX} characters")
        return tags

    @property
    def regions(self) -> tuple[str, str]:
        """(primary, replica)."""
        return (self.primary_region, self.replica_region)

    @property
    def key_regions(self) -> tuple[str, ...]:
        """Every region the key is in: the primary key's, then its replicas'."""
        return (*self.regions, *self.key_replica_regions)

    @property
    def all_tags(self) -> dict[str, str]:
        """The tags every taggable resource gets: the configured ones and the project's."""
        return {**self.tags, PROJECT_TAG[0]: PROJECT_TAG[1]}


# --- errors -----------------------------------------------------------------------------------


def _format_path(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return f"{PROJECT}:{text}" if text else PROJECT


# What to set a required key to, when the key is missing.
_REQUIRED_HINTS = {
    "autoscalingServiceRole": "`create` if the account has no EC2 Auto Scaling service-linked "
    "role (`aws iam get-role --role-name AWSServiceRoleForAutoScaling` answers NoSuchEntity), "
    "`exists` if it has one",
}


def _message(item: Mapping[str, Any]) -> str:
    if item["type"] == "extra_forbidden":
        return UNKNOWN_KEY
    if item["type"] == "missing":
        hint = _REQUIRED_HINTS.get(str(item["loc"][-1]))
        return f"required: {hint}" if hint else "required, and has no default"
    return str(item["msg"]).removeprefix("Value error, ")


def parse_config(raw: Mapping[str, Any]) -> StateStoreConfig:
    """Validate the project's values (keys without the namespace); every problem in one error."""
    try:
        return StateStoreConfig.model_validate(dict(raw))
    except ValidationError as error:
        problems = [f"{_format_path(tuple(i['loc']))}: {_message(i)}" for i in error.errors()]
        raise StateStoreConfigError("\n".join(problems)) from None


# --- loading ----------------------------------------------------------------------------------


def _decode(value: Any) -> Any:
    # Structured config reaches the program as JSON text; plain strings ("365") stay strings.
    if isinstance(value, str) and value[:1] in ("{", "["):
        return json.loads(value)
    return value


def engine_config() -> dict[str, Any]:
    """Every config value the engine handed the program, by full key (`namespace:key`)."""
    return {**pulumi_config.get_config_env(), **pulumi_config.CONFIG.get()}


def namespace_problems(values: Mapping[str, Any]) -> list[str]:
    """Keys nobody would read: a misspelt namespace, and `aws:` keys, which configure only
    default providers; the stack file disables those (`pulumi:disable-default-providers`), so
    that a resource created without its explicit provider fails instead of reaching whatever
    region the operator's environment names."""
    problems: list[str] = []
    for key in sorted(values):
        namespace = key.split(":", 1)[0]
        if namespace in PROVIDER_NAMESPACES:
            problems.append(
                f"{key}: no provider reads it (every provider is explicit, and AWS credentials "
                "come from the environment); remove it"
            )
        elif namespace not in (PROJECT, "pulumi"):
            problems.append(
                f"{key}: unknown config namespace {namespace!r} (typo of {PROJECT!r}?); only "
                f"{PROJECT} and pulumi are read"
            )
    return problems


def project_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """This project's values without the namespace, structured ones decoded."""
    prefix = f"{PROJECT}:"
    return {
        key.removeprefix(prefix): _decode(value)
        for key, value in values.items()
        if key.startswith(prefix)
    }


def load_config(values: Mapping[str, Any] | None = None) -> StateStoreConfig:
    """Parse this stack's config or stop the program, naming each bad key, before any resource."""
    values = engine_config() if values is None else values
    problems = namespace_problems(values)
    try:
        config = parse_config(project_values(values))
    except StateStoreConfigError as error:
        problems.append(str(error))
    if problems:
        raise pulumi.RunError("invalid stack configuration:\n" + "\n".join(problems))
    return config
