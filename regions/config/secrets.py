"""Generated secrets by generation, and a rotation in progress (docs/rotate.md).

`erlmcp-infra:secrets` in the stack file:

    erlmcp-infra:secrets:
      generations: {erlang-cookie: 2, db-password: {us-east-1: 2}}
      rotation: {secret: redis-auth-token, region: us-east-1, to: 2, step: roll, wave: 1,
                 waves: [[us-east-1], [us-west-2]]}

Every secret the program generates has a generation (1 when not written: the value made when the
stack was created). The Erlang cookie and the JWT secret are the fleet's; a database password and
a Redis AUTH token belong to a serving region's own data (its database and cache, and the copies
its standby holds). A rotation raises one secret's generation by one, step by step: `prepare`
(the new value exists and its store accepts it beside the old one), `roll` (the releases that use
it restart onto it, one wave of regions at a time), `retire` (the store stops accepting the old
value); then the generation is raised and the rotation key removed. What each step renders is
regions/rotation.py; walking it is operations/rotate.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from regions.config.region import DrPairConfig, RegionConfig
from regions.config.values import AwsRegionName, _KeyedError, _Model

SecretName = Literal["db-password", "redis-auth-token", "erlang-cookie", "jwt-secret"]
SECRET_NAMES: tuple[SecretName, ...] = (
    "db-password",
    "redis-auth-token",
    "erlang-cookie",
    "jwt-secret",
)
REGIONAL_SECRETS: tuple[SecretName, ...] = ("db-password", "redis-auth-token")
"""Secrets of one serving region's own data; the others are the whole fleet's."""
RotationStep = Literal["prepare", "roll", "retire"]
Generation = Annotated[int, Field(ge=1)]
# The psql client the database-role Job runs: a repository pinned by digest, never a tag.
_PINNED_IMAGE = re.compile(r"^[a-z0-9.\-/:]+@sha256:[0-9a-f]{64}$")


def _pinned_image(image: str) -> str:
    if not _PINNED_IMAGE.match(image):
        raise ValueError(
            f"{image!r} is not an image pinned by digest like "
            "docker.io/library/postgres@sha256:<64 hex digits>"
        )
    return image


class SecretGenerations(_Model):
    """The generation in service of each secret (1 when not written)."""

    db_password: dict[AwsRegionName, Generation] = Field(default_factory=dict, alias="db-password")
    redis_auth_token: dict[AwsRegionName, Generation] = Field(
        default_factory=dict, alias="redis-auth-token"
    )
    erlang_cookie: Generation = Field(default=1, alias="erlang-cookie")
    jwt_secret: Generation = Field(default=1, alias="jwt-secret")

    def of(self, secret: SecretName, region: str | None = None) -> int:
        """The generation in service; `region` names the serving region of a regional secret."""
        value = getattr(self, secret.replace("-", "_"))
        if isinstance(value, dict):
            return int(value.get(region, 1))
        return int(value)


class SecretRotation(_Model):
    """One secret on its way from one generation to the next (`to`)."""

    secret: SecretName
    region: AwsRegionName | None = None
    """The serving region whose database password or Redis token rotates; absent for the
    fleet's secrets."""
    to: Generation
    step: RotationStep
    waves: list[Annotated[list[AwsRegionName], Field(min_length=1)]] = Field(min_length=1)
    """Regions whose releases restart together, in order (written when the rotation starts)."""
    wave: int = Field(default=0, ge=0)
    """During `roll`: the wave in progress (1-based); earlier waves are done."""

    @model_validator(mode="after")
    def _wave_in_range(self) -> SecretRotation:
        if self.step == "roll" and not 1 <= self.wave <= len(self.waves):
            raise _KeyedError(("wave",), f"a wave from 1 to {len(self.waves)} is expected")
        if self.step != "roll" and self.wave:
            raise _KeyedError(("wave",), f"only the roll step has a wave, not {self.step}")
        return self

    def rolled(self, host: str) -> bool:
        """Whether the releases hosted in `host` run the new value at this step."""
        if self.step == "retire":
            return True
        if self.step == "prepare":
            return False
        return any(host in wave for wave in self.waves[: self.wave])


class SecretsConfig(_Model):
    generations: SecretGenerations = SecretGenerations()
    rotation: SecretRotation | None = None
    sql_client_image: Annotated[str, AfterValidator(_pinned_image)] | None = None
    """The psql image (`docker.io/library/postgres@sha256:...`, from `crane digest
    postgres:16`) of the Job that sets a database role's password; needed only while a
    database password rotates."""

    def generation(self, secret: SecretName, region: str | None = None) -> int:
        return self.generations.of(secret, region)


def check_secrets(
    secrets: SecretsConfig,
    regions: Mapping[str, RegionConfig],
    pairs: list[DrPairConfig],
    rollout_in_progress: bool,
) -> None:
    """The rules across the stack: regional generations name serving regions, and a rotation
    names its secret's scope, the next generation, and waves that cover every region whose
    releases use the secret, without a DR pair's two regions in one wave."""
    for secret in REGIONAL_SECRETS:
        for region in getattr(secrets.generations, secret.replace("-", "_")):
            if region not in regions or not regions[region].serving:
                raise _KeyedError(
                    ("secrets", "generations", secret, region),
                    f"{region} is not a serving region: only a serving region has its own {secret}",
                )
    rotation = secrets.rotation
    if rotation is None:
        return
    where = ("secrets", "rotation")
    if rollout_in_progress:
        raise _KeyedError(
            where,
            "a rollout is in progress: both restart pods wave by wave; finish the rollout first",
        )
    _check_scope(rotation, regions)
    current = secrets.generation(rotation.secret, rotation.region)
    if rotation.to != current + 1:
        raise _KeyedError(
            (*where, "to"),
            f"{rotation.secret} is at generation {current}: a rotation goes to {current + 1}",
        )
    _check_waves(rotation, regions, pairs)
    if rotation.secret == "db-password" and secrets.sql_client_image is None:
        raise _KeyedError(
            ("secrets", "sqlClientImage"),
            "a database password rotation sets database roles through a psql Job: give its "
            "image pinned by digest (docker.io/library/postgres@sha256:..., from `crane "
            "digest postgres:16`)",
        )


def _check_scope(rotation: SecretRotation, regions: Mapping[str, RegionConfig]) -> None:
    where = ("secrets", "rotation", "region")
    if rotation.secret not in REGIONAL_SECRETS:
        if rotation.region is not None:
            raise _KeyedError(where, f"{rotation.secret} is the whole fleet's: name no region")
        return
    if rotation.region is None:
        raise _KeyedError(where, f"{rotation.secret} belongs to a serving region: name it")
    if rotation.region not in regions or not regions[rotation.region].serving:
        raise _KeyedError(where, f"{rotation.region} is not a serving region")


def rotation_hosts(
    secret: SecretName,
    region: str | None,
    regions: Mapping[str, RegionConfig],
    pairs: list[DrPairConfig],
) -> list[str]:
    """The regions that run a release using the secret: the serving region and its standby for
    a regional secret, every region for the fleet's."""
    if region is None:
        return list(regions)
    standby = next((p.standby for p in pairs if p.primary == region), None)
    return [region] + ([standby] if standby else [])


def _check_waves(
    rotation: SecretRotation, regions: Mapping[str, RegionConfig], pairs: list[DrPairConfig]
) -> None:
    where = ("secrets", "rotation", "waves")
    named = [region for wave in rotation.waves for region in wave]
    twice = sorted({r for r in named if named.count(r) > 1})
    if twice:
        raise _KeyedError(where, f"{', '.join(twice)} in two waves")
    hosts = rotation_hosts(rotation.secret, rotation.region, regions, pairs)
    missing, extra = sorted(set(hosts) - set(named)), sorted(set(named) - set(hosts))
    if missing or extra:
        raise _KeyedError(
            where,
            f"the waves must name exactly the regions running a release that uses "
            f"{rotation.secret}: {', '.join(hosts)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; not using it: {', '.join(extra)}" if extra else ""),
        )
    for index, wave in enumerate(rotation.waves):
        for pair in pairs:
            if pair.primary in wave and pair.standby in wave:
                raise _KeyedError(
                    (*where, index),
                    f"{pair.primary} and {pair.standby} are a DR pair: one keeps the other's "
                    "standby release, so they restart in different waves",
                )
