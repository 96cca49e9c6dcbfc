"""The hosted zone and the health checks the latency records fail over on."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from regions.config.values import _KeyedError, _Model


class HealthCheckConfig(_Model):
    port: int = Field(default=443, ge=1, le=65535)
    path: str = Field(default="/health", pattern=r"^/")
    interval_seconds: Literal[10, 30] = 30
    failure_threshold: int = Field(default=3, ge=1, le=10)


class DnsConfig(_Model):
    zone_id: str | None = Field(default=None, pattern=r"^Z[A-Z0-9]+$")
    delegated: bool = True
    """Whether the domain's registrar points at the hosted zone's name servers. False is the
    first stage of a fresh account: only the zone is built (and its name servers exported),
    because every certificate waits for DNS validation through it (75 minutes, then the update
    fails: terraform-provider-aws internal/service/acm/certificate_validation.go, Create
    timeout) and everything that needs a certificate waits with it (README "First deployment")."""
    health_check: HealthCheckConfig = HealthCheckConfig()

    @model_validator(mode="after")
    def _existing_zone_is_delegated(self) -> DnsConfig:
        if self.zone_id is not None and not self.delegated:
            raise _KeyedError(
                ("delegated",),
                "an existing zone (zoneId) is already delegated; the zone-only stage is for a "
                "zone this stack creates",
            )
        return self
