"""Backups: database and cache snapshots, the AWS Backup vault, S3 object retention."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from regions.config.values import TimeWindow, _KeyedError, _Model


class ObjectRetention(_Model):
    expire_days: int = Field(ge=1)
    noncurrent_expire_days: int | None = Field(default=None, ge=1)
    glacier_after_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _glacier_minimum(self) -> ObjectRetention:
        # Glacier classes bill a 90-day minimum; moving objects that expire sooner costs more.
        if self.glacier_after_days is not None and (
            self.expire_days - self.glacier_after_days < 90
        ):
            raise _KeyedError(
                ("glacierAfterDays",),
                f"{self.glacier_after_days} leaves less than Glacier's 90-day minimum storage "
                f"before expireDays {self.expire_days}",
            )
        return self


class DatabaseBackups(_Model):
    """RDS automated backups: a daily snapshot in `window` plus point-in-time recovery."""

    window: TimeWindow = "02:00-02:30"
    retention_days: int = Field(default=30, ge=7, le=35)


class CacheSnapshots(_Model):
    window: TimeWindow = "03:00-04:00"
    retention_days: int = Field(default=7, ge=1, le=35)


class AccessLogRetention(_Model):
    """S3 server access logs of the backup buckets (components/access_logs.py)."""

    expire_days: int = Field(default=90, ge=1, le=3650)


class VaultLockConfig(_Model):
    """Backup Vault Lock in compliance mode (components/aws_backup.py)."""

    min_retention_days: int = Field(default=7, ge=1)
    max_retention_days: int = Field(default=365, ge=1)
    # AWS Backup's 72-hour cooling-off: the lock cannot become immutable sooner.
    changeable_for_days: int = Field(default=3, ge=3)


class BackupVaultConfig(_Model):
    """Daily AWS Backup recovery points of the databases, copied to the DR partner's vault."""

    start_hour_utc: int = Field(default=5, ge=0, le=23)
    retention_days: int = Field(default=35, ge=1)
    lock: VaultLockConfig = VaultLockConfig()

    @model_validator(mode="after")
    def _retention_within_lock(self) -> BackupVaultConfig:
        lock = self.lock
        if lock.min_retention_days > lock.max_retention_days:
            raise _KeyedError(
                ("lock", "minRetentionDays"),
                f"{lock.min_retention_days} is above maxRetentionDays {lock.max_retention_days}",
            )
        if not lock.min_retention_days <= self.retention_days <= lock.max_retention_days:
            raise _KeyedError(
                ("retentionDays",),
                f"{self.retention_days} is outside the vault lock's "
                f"{lock.min_retention_days}..{lock.max_retention_days} days; every backup job "
                "into the locked vault would fail",
            )
        return self


class BackupsConfig(_Model):
    database: DatabaseBackups = DatabaseBackups()
    vault: BackupVaultConfig = BackupVaultConfig()
    access_logs: AccessLogRetention = AccessLogRetention()
    cache_snapshots: CacheSnapshots = CacheSnapshots()
    objects: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")], ObjectRetention] = Field(
        min_length=1
    )
    replication_time_control: bool = True
