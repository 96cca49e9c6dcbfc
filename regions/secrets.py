"""The program's generated secrets: each secret's RandomPasswords by generation (the two slots of
regions/rotation.py), and the database-role Job a password rotation step runs.

Every value comes from pulumi-random and stays secret (the RandomPassword's `result` is a secret
output); the stack file holds only generation numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pulumi
import pulumi_random as random

from components.postgres_roles import PostgresRoleJob, PostgresRoleJobArgs
from regions.config import StackConfig
from regions.config.secrets import SecretName
from regions.rotation import Slot, database_credentials, keepers_of, slot_generations

if TYPE_CHECKING:
    from regions.region import ErlmcpRegion

# Lengths and alphabets as the stack has always made them (changing either would replace the
# passwords): no symbols, for RDS (no '/', '@', '"' or space) and ElastiCache AUTH (few symbols).
LENGTHS: dict[SecretName, int] = {
    "db-password": 40,
    "redis-auth-token": 64,
    "erlang-cookie": 48,
    "jwt-secret": 64,
}
MASTER_PASSWORD_LENGTH = 40


class SecretValues:
    """One secret's values, by generation, in one scope (the fleet, or a serving region)."""

    def __init__(
        self,
        name: str,
        secret: SecretName,
        generations: Mapping[Slot, int],
        opts: pulumi.ResourceOptions,
    ) -> None:
        self.name = name
        self._values: dict[int, pulumi.Output[str]] = {}
        for slot, generation in sorted(generations.items()):
            keepers = keepers_of(generation)
            self._values[generation] = random.RandomPassword(
                name if slot == "a" else f"{name}-b",
                length=LENGTHS[secret],
                special=False,
                # Absent, not empty, at generation 1: today's passwords get no new input.
                **({"keepers": keepers} if keepers else {}),
                opts=opts,
            ).result

    def value(self, generation: int) -> pulumi.Output[str]:
        if generation not in self._values:
            held = ", ".join(map(str, sorted(self._values)))
            raise ValueError(f"{self.name} holds generations {held}, not {generation}")
        return self._values[generation]


def secret_values(
    stack: StackConfig,
    secret: SecretName,
    scope: str | None,
    name: str,
    opts: pulumi.ResourceOptions,
) -> SecretValues:
    return SecretValues(name, secret, slot_generations(stack, secret, scope), opts)


def database_master_password(region: ErlmcpRegion, values: SecretValues) -> pulumi.Output[str]:
    """The master user's password: generation 1's value while the pods may still log in as the
    master user; from the retire of the first rotation on, a value of its own that no pod
    ever held (RDS changes it in place: ModifyDBInstance / ModifyDBCluster MasterUserPassword)."""
    if not database_credentials(region.stack, region.region).master_refreshed:
        return values.value(1)
    return random.RandomPassword(
        f"{region.region}-db-master-password",
        length=MASTER_PASSWORD_LENGTH,
        special=False,
        opts=pulumi.ResourceOptions(parent=region),
    ).result


def change_database_roles(region: ErlmcpRegion) -> PostgresRoleJob | None:
    """The Job of a database password rotation's step, in the serving region's own release
    namespace, against the database its release writes to; None when the step has none."""
    stack = region.stack
    change = database_credentials(stack, region.region).role_change
    if change is None:
        return None
    assert region.database is not None and region.db_password is not None
    assert region.db_secrets is not None and region.release is not None
    image = stack.secrets.sql_client_image
    assert image is not None  # the config model requires it during a password rotation
    # Logged in as the master user: with its password, or, to reset it, with the one it had.
    login, new_password = region.db_password, None
    if change.action == "enable":
        new_password = region.db_secrets.value(change.generation)
    elif change.action == "reset-master":
        login, new_password = region.db_secrets.value(1), region.db_password
    return PostgresRoleJob(
        f"{region.region}-db-roles",
        PostgresRoleJobArgs(
            provider=region.eks.provider,
            namespace=region.release.namespace,
            job_name=f"erlmcp-db-role-{change.action}-g{change.generation}",
            image=image,
            host=region.database.address,
            database=stack.release.database_name,
            master_user=stack.release.database_user,
            master_password=login,
            action=change.action,
            role=change.role,
            role_password=new_password,
            labels={"erlmcp.io/region": region.region},
        ),
        opts=pulumi.ResourceOptions(parent=region, depends_on=[region.release]),
    )
