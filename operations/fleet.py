"""What the live fleet should hold, derived from the stack config by the program's own rules: the
names a command needs to find each thing in AWS and Kubernetes, and what each should run.

Read-only commands (`make check`, `make restore-drill`) need no Pulumi CLI and no stack state:
every name here is derived from the config exactly as the program derives it, and
tests/test_fleet.py compares each with the recorded prod stack, so a change to the program's
naming shows there.

- EKS cluster: `erlmcp-<env>-<region>` (regions/region.py `ErlmcpRegion.cluster_name`);
- AWS Backup vault: `erlmcp-<env>-<region>` (regions/database_backups.py `build_vaults`);
- backup bucket: `<region>-backups-bucket-<7 random>`, Pulumi's auto-name of the logical name
  `<region>-backups-bucket` (components/backups.py);
- release namespace: `release.namespace`, and for a serving region's standby release
  `<namespace>-<primary>` (regions/region.py `hold_standby_copies`); StatefulSet
  `erlmcp-cluster` (components/release_names.py);
- database identifiers: the pair's lineage at its DR stage (regions/lineage.py);
- public names: `<region>.<domain>`, `standby-<primary>.<domain>` (components/dns.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from components.release_names import STATEFULSET_NAME
from offline.stacks import stack_file_of
from operations.stack_file import load_config, stack_config
from regions.config import DrPairConfig, StackConfig
from regions.database_backups import off_region_copy
from regions.databases import takes_writes
from regions.lineage import DatabaseCopy, lineage
from regions.names import standby_cache_group_id
from regions.rollout import region_version, release_pods, settled_version
from regions.standby import FENCED_PRIMARY_STAGES, standby_replicas


@dataclass(frozen=True)
class Release:
    """One erlmcp StatefulSet in a region's cluster."""

    region: str
    name: str
    """`own`, or `standby-of-<primary>`."""
    namespace: str
    pods: int
    """Pods the config sizes it to (an HPA may run more)."""
    versions: frozenset[str]
    """Versions its pods may run now (two during a canary)."""
    statefulset: str = STATEFULSET_NAME


@dataclass(frozen=True)
class Endpoint:
    """A public name and the release that answers it."""

    fqdn: str
    release: Release

    @property
    def expected_up(self) -> bool:
        """A release at 0 pods (a cold standby, a fenced primary) answers nothing, by design."""
        return self.release.pods > 0


@dataclass(frozen=True)
class WritingDatabase:
    """A copy that takes writes, so AWS Backup backs it up daily, into its own region's vault,
    with a copy into `partner`'s vault (regions/database_backups.py `plan_databases`)."""

    copy: DatabaseCopy
    partner: str | None
    pair: DrPairConfig | None


@dataclass(frozen=True)
class Replicating:
    """A DR copy that follows its writer (regions/alarms.py `replicating`)."""

    copy: DatabaseCopy
    pair: DrPairConfig


class Fleet:
    def __init__(self, stack: StackConfig) -> None:
        self.stack = stack
        self._copies = {
            primary: lineage(
                primary,
                stack.environment,
                stack.pair_of_primary(primary),
                stack.dr_stage(stack.pair_of_primary(primary)),
            ).copies
            for primary, region in stack.regions.items()
            if region.serving
        }

    @property
    def environment(self) -> str:
        return self.stack.environment

    @property
    def regions(self) -> list[str]:
        return sorted(self.stack.regions)

    def cluster_name(self, region: str) -> str:
        return f"erlmcp-{self.environment}-{region}"

    def vault_name(self, region: str) -> str:
        return f"erlmcp-{self.environment}-{region}"

    def backup_bucket_prefix(self, region: str) -> str:
        return f"{region}-backups-bucket-"

    def database_arn(self, copy: DatabaseCopy) -> str:
        """What AWS Backup selects (regions/databases.py `database_arn`): the instance for RDS,
        the cluster for Aurora."""
        kind = "cluster" if copy.mechanism == "aurora-global" else "db"
        return f"arn:aws:rds:{copy.region}:{self.stack.account_id}:{kind}:{copy.identifier}"

    # -- releases and their public names -------------------------------------------------------

    def releases(self, region: str) -> list[Release]:
        releases = []
        own = self._own_release(region)
        if own is not None:
            releases.append(own)
        pair = self.stack.pair_for_standby(region)
        if pair is not None:
            releases.append(self._standby_release(pair))
        return releases

    def _own_release(self, region: str) -> Release | None:
        stack = self.stack
        if not stack.regions[region].serving:
            return None
        stage = stack.dr_stage(stack.pair_of_primary(region))
        pods = 0 if stage in FENCED_PRIMARY_STAGES else release_pods(stack, region)
        template = region_version(stack, region, pods)
        versions = {template.version, settled_version(stack, region)}
        if template.partition:
            versions.add(stack.release.version)
        return Release(region, "own", stack.release.namespace, pods, frozenset(versions))

    def _standby_release(self, pair: DrPairConfig) -> Release:
        stack = self.stack
        namespace = stack.release.namespace
        if stack.regions[pair.standby].serving:
            namespace = f"{namespace}-{pair.primary}"
        pods = standby_replicas(stack.dr_stage(pair), pair, stack.regions[pair.primary])
        version = settled_version(stack, pair.primary)
        return Release(
            pair.standby, f"standby-of-{pair.primary}", namespace, pods, frozenset({version})
        )

    def endpoints(self, region: str) -> list[Endpoint]:
        """`<region>.<domain>` (its own release, or a pure standby's standby release) and, in a
        standby region, `standby-<primary>.<domain>`."""
        releases = self.releases(region)
        if not releases:
            return []
        endpoints = [Endpoint(f"{region}.{self.stack.domain}", releases[0])]
        pair = self.stack.pair_for_standby(region)
        if pair is not None:
            endpoints.append(Endpoint(f"standby-{pair.primary}.{self.stack.domain}", releases[-1]))
        return endpoints

    # -- data -----------------------------------------------------------------------------------

    def replicating(self, region: str) -> list[Replicating]:
        """The DR copies living in `region` that follow a writer: the copies whose lag the
        alarms watch there."""
        found = []
        for primary, copies in sorted(self._copies.items()):
            pair = self.stack.pair_of_primary(primary)
            for copy in copies:
                follows = copy.source is not None and not copy.promoted and not copy.retired
                if pair is not None and copy.region == region and follows:
                    found.append(Replicating(copy, pair))
        return found

    def databases_in(self, region: str, primary_first: str | None = None) -> list[DatabaseCopy]:
        """Every database copy the stack keeps in `region` (retired ones too: they exist), the
        copies of `primary_first` first."""
        copies = [
            copy
            for _, copies in sorted(self._copies.items())
            for copy in copies
            if copy.region == region
        ]
        return sorted(copies, key=lambda copy: copy.primary != primary_first)

    def standby_cache_groups(self, region: str) -> list[tuple[str, DrPairConfig]]:
        """The Global Datastore secondaries in `region` (normal stage only, as the cache lag
        alarm: regions/alarms.py `build_alarms`), by replication group id."""
        return [
            (standby_cache_group_id(self.environment, pair.primary), pair)
            for pair in self.stack.dr_pairs
            if pair.standby == region and self.stack.dr_stage(pair) == "normal"
        ]

    def writing_databases(self) -> list[WritingDatabase]:
        """Every copy that takes writes, with the region its backups are copied to (its pair's
        other region, or without a pair the region `off_region_copy` picks)."""
        found = []
        for primary, copies in sorted(self._copies.items()):
            pair = self.stack.pair_of_primary(primary)
            for copy in copies:
                if not takes_writes(copy):
                    continue
                if pair is not None:
                    partner = pair.standby if copy.region == pair.primary else pair.primary
                else:
                    partner = off_region_copy(self.stack, copy.region)
                found.append(WritingDatabase(copy, partner, pair))
        return found

    def backup_replications(self) -> list[tuple[str, str]]:
        """(source, destination) of each backup bucket replication: every pair's primary into
        its standby (regions/topology.py `replicate_backups_to`)."""
        return [(pair.primary, pair.standby) for pair in self.stack.dr_pairs]


def load_fleet(stack: str | None, config: Path | None) -> Fleet:
    """The fleet of the stack file a command is given (StackFileError when the program itself
    would refuse it)."""
    return Fleet(stack_config(load_config(stack_file_of(stack, config))))
