"""The erlmcp release every region runs, and a rollout of a new version in waves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from regions.config.region import RegionConfig
from regions.config.values import AwsRegionName, _image_repository, _KeyedError, _Model


class ReleaseConfig(_Model):
    image: Annotated[str, AfterValidator(_image_repository)] = Field(pattern=r"^[a-z0-9.\-/:@]+$")
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    # version -> the manifest digest the registry serves for `<image>:<version>`. A tag can be
    # pushed again; a digest cannot, so every node runs the bytes that were reviewed.
    image_digests: dict[str, Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]] = Field(
        min_length=1
    )
    namespace: str = Field(default="erlmcp-prod", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    log_level: Literal["debug", "info", "notice", "warning", "error"] = "info"
    otel_endpoint: str = "http://otel-collector.observability:4317"
    database_name: str = Field(default="erlmcp", pattern=r"^[a-z][a-z0-9_]*$")
    database_user: str = Field(default="erlmcp", pattern=r"^[a-z][a-z0-9_]*$")
    min_ready_seconds: int = Field(default=30, ge=0, le=3600)
    """A new pod counts as available only after being Ready this long (StatefulSet field): a
    pod that crashes soon after its first Ready stops the roll before the next pod."""
    ready_timeout_minutes: int = Field(default=10, ge=1, le=120)
    """How long `pulumi up` waits for a release's updated pods to be Ready before it fails."""

    @field_validator("version")
    @classmethod
    def _pinned(cls, version: str) -> str:
        if version == "latest":
            raise ValueError("pin a release version; 'latest' makes rollouts unreproducible")
        return version

    @model_validator(mode="after")
    def _version_has_digest(self) -> ReleaseConfig:
        if self.version not in self.image_digests:
            raise _KeyedError(
                ("imageDigests",),
                f"no digest for version {self.version!r}: add `{self.version}: sha256:<digest>` "
                f"(the digest of {self.image}:{self.version}, e.g. from `crane digest` or "
                "`docker buildx imagetools inspect`)",
            )
        return self


class RolloutConfig(_Model):
    """A new erlmcp version going region by region (docs/rollout.md "Rolling out a new version"):
    regions of the waves before `wave` run `version`; the regions of `wave` run it on
    `canaryPods` pods (their highest ordinals), or on every pod when that is 0; later waves keep
    `release.version`. Rollback is the previous config, applied by a plain `pulumi up`."""

    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    waves: list[Annotated[list[AwsRegionName], Field(min_length=1)]] = Field(min_length=1)
    wave: int = Field(ge=1)
    canary_pods: int = Field(default=0, ge=0)
    soak_minutes: float = Field(default=15, ge=0)
    """How long the rollout driver (operations/rollout/) watches a step's health before the
    next."""
    live_pods: dict[AwsRegionName, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    """During a canary: the pods each of the wave's regions ran when the canary began, read from
    the cluster by the driver. An HPA owns the count, and the partition must leave `canaryPods`
    of the pods that run, not of the configured ones (regions/rollout.py `release_pods`)."""

    @model_validator(mode="after")
    def _waves(self) -> RolloutConfig:
        if self.wave > len(self.waves):
            raise _KeyedError(("wave",), f"there are {len(self.waves)} waves, not {self.wave}")
        seen: set[str] = set()
        for index, wave in enumerate(self.waves):
            for region in wave:
                if region in seen:
                    raise _KeyedError(("waves", index), f"{region} is in two waves")
                seen.add(region)
        return self

    def wave_of(self, region: str) -> int | None:
        """The 1-based wave a region is in."""
        return next((i + 1 for i, wave in enumerate(self.waves) if region in wave), None)


def _check_rollout(
    regions: Mapping[str, RegionConfig], release: ReleaseConfig, rollout: RolloutConfig | None
) -> None:
    if rollout is None:
        return
    if rollout.version == release.version:
        raise _KeyedError(("rollout", "version"), f"the fleet already runs {release.version}")
    if rollout.version not in release.image_digests:
        raise _KeyedError(
            ("rollout", "version"),
            f"release.imageDigests has no digest for {rollout.version} "
            "(docs/config.md 'Image digests')",
        )
    for index, wave in enumerate(rollout.waves):
        for region in wave:
            if region not in regions:
                raise _KeyedError(("rollout", "waves", index), f"{region} is not under 'regions'")
            if not regions[region].serving:
                raise _KeyedError(
                    ("rollout", "waves", index),
                    f"{region} is a standby: its standby releases follow their primaries",
                )
    missing = sorted(
        set(r for r, c in regions.items() if c.serving)
        - {region for wave in rollout.waves for region in wave}
    )
    if missing:
        raise _KeyedError(("rollout", "waves"), f"{', '.join(missing)} in no wave")
    current = rollout.waves[rollout.wave - 1]
    _check_live_pods(regions, rollout, current)
    for region in current:
        pods = rollout.live_pods.get(region, regions[region].pods)
        if rollout.canary_pods and rollout.canary_pods * 2 > pods:
            raise _KeyedError(
                ("rollout", "canaryPods"),
                f"{rollout.canary_pods} of {region}'s {pods} pods is more than half a region",
            )


def _check_live_pods(
    regions: Mapping[str, RegionConfig], rollout: RolloutConfig, current: list[str]
) -> None:
    """Live counts belong to the canary in progress, and must be counts its regions can run: in
    the HPA's range, or the configured count where no HPA scales the region (then anything
    else means something outside Pulumi scaled it, and `pulumi up` would scale it back)."""
    if rollout.live_pods and not rollout.canary_pods:
        raise _KeyedError(
            ("rollout", "livePods"),
            "only a canary takes its partition from the live count; the full step (canaryPods "
            "0) updates every pod",
        )
    for region, count in rollout.live_pods.items():
        path = ("rollout", "livePods", region)
        if region not in current:
            raise _KeyedError(path, f"{region} is not in wave {rollout.wave}, the canary's")
        config = regions[region]
        hpa = config.hpa
        if hpa is None and count != config.pods:
            raise _KeyedError(
                path,
                f"{region} runs {count} pods but has no HPA and is configured with "
                f"{config.pods}: something else scaled it; `pulumi up` first",
            )
        if hpa is not None and not hpa.allows(count):
            raise _KeyedError(
                path,
                f"{count} pods lies outside {region}'s HPA range {hpa.range_text}: the cluster "
                "is not what the stack file describes; find out why before rolling out",
            )
