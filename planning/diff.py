"""What changes between two plans, and loud warnings for stateful resources at risk: removed,
renamed (a new URN for the same thing) or replaced (an input whose change AWS, Kubernetes or the
provider can only apply by delete-and-create: planning/replacements.py), or moved to a provider
whose configuration change the engine carries out by replacing everything it manages.

A resource whose provider reference changes is, for the engine (pulumi/pulumi
pkg/resource/deploy/step_generator.go, `providerChanged`): unchanged when the new provider is an
alias of the old one; otherwise replaced only if the new provider's DiffConfig reports a
replacement, which the Terraform bridge does only for config keys marked ForcesProviderReplace
(pulumi-terraform-bridge pkg/tfbridge/provider.go, `configDiffer.DiffConfig`). pulumi-aws v7
marks none (provider/resources.go, `Config`: `region` has a default and nothing else), and
pulumi-random has no config. pulumi-kubernetes replaces when the cluster changes
(planning/kubernetes_config.py), for a move and for a change of the provider's own config alike.
Other packages are not known here, so a move between their providers counts as a replacement.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from planning.kubernetes_config import config_replaces
from planning.replacements import aws_filled_in, replacing_changes

# Resource type -> the input that names the real thing in AWS. A stateful resource whose URN
# changes while its identity stays is a rename: Pulumi would delete one and create another.
STATEFUL_IDENTITY = {
    "aws:rds/instance:Instance": "identifier",
    "aws:rds/cluster:Cluster": "clusterIdentifier",
    "aws:rds/globalCluster:GlobalCluster": "globalClusterIdentifier",
    "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": (
        "globalReplicationGroupIdSuffix"
    ),
    "aws:s3/bucket:Bucket": "bucket",
    "aws:kms/key:Key": "description",
    "aws:route53/zone:Zone": "name",
    "aws:rds/clusterInstance:ClusterInstance": "identifier",
    "aws:eks/cluster:Cluster": "name",
    # A vault holds the locked recovery points; it cannot even be deleted while it has any.
    "aws:backup/vault:Vault": "name",
    # DNSSEC: once the registrar holds the DS record, deleting the key-signing key or the zone's
    # signing takes the domain dark for validating resolvers (components/dnssec.py).
    "aws:route53/keySigningKey:KeySigningKey": "name",
    "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec": "hostedZoneId",
    # A region's metrics history: replacing the workspace starts it empty.
    "aws:amp/workspace:Workspace": "alias",
}


def _identity(resource: dict[str, Any]) -> Any:
    key = STATEFUL_IDENTITY.get(resource["type"])
    identity = resource["inputs"].get(key) if key else None
    # An auto-named resource (a bucket without `bucket`) is matched by where it lives.
    return identity if identity is not None else ("region", resource["region"])


# Packages whose provider config changes never replace the resources they manage (see above).
PROVIDERS_NEVER_REPLACING = frozenset({"aws", "random"})
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"


def _is_custom(resource: dict[str, Any]) -> bool:
    return not resource["type"].startswith(("erlmcp:", "pulumi:providers:"))


def _provider_urn(reference: str | None, package: str) -> str:
    """The provider's URN from a `urn::id` reference; None is the package's default provider."""
    if reference is None:
        return f"default provider of {package}"
    return reference.rsplit("::", 1)[0]


def provider_move(
    resource_before: dict[str, Any],
    resource_after: dict[str, Any],
    after: dict[str, Any],
    before: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """How the engine treats a changed provider reference; None when it did not change.
    `after` and `before`: the plans' resources by URN (without `before`, a package whose
    replacement depends on the old provider's config counts as replaced)."""
    if not _is_custom(resource_after) or resource_before["provider"] == resource_after["provider"]:
        return None
    package = resource_after["type"].split(":", 1)[0]
    old = _provider_urn(resource_before["provider"], package)
    new = _provider_urn(resource_after["provider"], package)
    new_provider = after.get(new, {})
    aliases = [
        a.get("spec", {}).get("name") or a.get("urn") for a in new_provider.get("aliases", [])
    ]
    if resource_before["provider"] is None:
        aliased = any(str(a).startswith("default") for a in aliases)
    else:
        aliased = old in aliases or old.rsplit("::", 1)[-1] in aliases
    if aliased or package in PROVIDERS_NEVER_REPLACING:
        replaces = False
    elif package == "kubernetes":
        replaces = _kubernetes_config_replaces((before or {}).get(old), after.get(new))
    else:
        replaces = True
    return {"from": old, "to": new, "aliased": aliased, "replaces": replaces}


def _kubernetes_config_replaces(old: dict[str, Any] | None, new: dict[str, Any] | None) -> bool:
    """The new provider's DiffConfig against the old one's inputs; a provider the plans do not
    show (a default provider: ambient config) cannot be compared, so it replaces."""
    if old is None or new is None:
        return True
    return bool(config_replaces(old["inputs"], new["inputs"]))


def _on_replaced_provider(
    resource: dict[str, Any], providers_replaced: dict[str, list[str]]
) -> dict[str, Any] | None:
    """A resource that keeps its provider reference while that provider is replaced: the
    replacement's new id changes the reference, and the engine replaces the resource too."""
    provider = resource["provider"]
    if not _is_custom(resource) or provider is None:
        return None
    urn = provider.rsplit("::", 1)[0]
    if urn not in providers_replaced:
        return None
    return {"from": urn, "to": urn, "aliased": False, "replaces": True}


def _replaced_kubernetes_providers(
    before: dict[str, Any], after: dict[str, Any]
) -> dict[str, list[str]]:
    """Kubernetes providers (URN -> the inputs that force it) whose own config change replaces
    them, and with them everything they manage."""
    return {
        urn: forcing
        for urn in before.keys() & after.keys()
        if after[urn]["type"] == KUBERNETES_PROVIDER
        and (forcing := config_replaces(before[urn]["inputs"], after[urn]["inputs"]))
    }


def diff_plans(
    old: dict[str, Any], new: dict[str, Any], allow_replace: Iterable[str] = ()
) -> dict[str, Any]:
    """Added, removed and changed resources; every replacement with the inputs that force it;
    warnings for stateful resources removed, renamed or replaced (`allow_replace`: URNs whose
    replacement was decided on purpose; they are listed, not warned about)."""
    allowed = set(allow_replace)
    before = {r["urn"]: r for r in old["resources"]}
    after = {r["urn"]: r for r in new["resources"]}
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    changed, replaced = [], []
    providers_replaced = _replaced_kubernetes_providers(before, after)
    for urn in sorted(before.keys() & after.keys()):
        keys = before[urn]["inputs"].keys() | after[urn]["inputs"].keys()
        inputs = sorted(
            k for k in keys if before[urn]["inputs"].get(k) != after[urn]["inputs"].get(k)
        )
        move = provider_move(before[urn], after[urn], after, before) or _on_replaced_provider(
            after[urn], providers_replaced
        )
        if not inputs and move is None:
            continue
        type_ = after[urn]["type"]
        if type_ == KUBERNETES_PROVIDER:
            forcing: list[str] | None = providers_replaced.get(urn, [])
        else:
            forcing = replacing_changes(
                type_,
                before[urn]["inputs"],
                after[urn]["inputs"],
                also=after[urn].get("replaceOnChanges", ()),
                filled_in=aws_filled_in(before[urn], old["resources"]),
            )
        if move is not None and move["replaces"]:
            forcing = [*(forcing or []), "provider"]
        entry: dict[str, Any] = {"urn": urn, "inputs": inputs}
        if move is not None:
            entry["provider"] = move
        if forcing:
            entry["replacedBy"] = forcing
            replaced.append(
                {
                    "urn": urn,
                    "type": type_,
                    "because": forcing,
                    "stateful": type_ in STATEFUL_IDENTITY,
                    "allowed": urn in allowed,
                }
            )
        elif forcing is None:
            entry["replacedBy"] = None  # no replacement rules known for this type
        changed.append(entry)
    warnings = [
        f"STATEFUL RESOURCE REPLACED: {r['urn']} ({r['type']}): changing "
        f"{', '.join(r['because'])} makes the provider delete it and create a new one (its data "
        "is lost). Revert the change, or allow it by name with ALLOW_REPLACE=<urn>."
        for r in replaced
        if r["stateful"] and not r["allowed"]
    ]
    return {
        "added": added,
        "removed": removed,
        "changed": changed,
        "replaced": replaced,
        "warnings": warnings + _stateful_warnings(before, after, added, removed),
    }


def blocks_the_plan(diff: dict[str, Any]) -> bool:
    """A stateful replacement nobody allowed: `make plan` fails on it."""
    return any(r["stateful"] and not r["allowed"] for r in diff.get("replaced", []))


def _stateful_warnings(
    before: dict[str, Any], after: dict[str, Any], added: list[str], removed: list[str]
) -> list[str]:
    arrivals = {
        (after[u]["type"], _identity(after[u])): u
        for u in added
        if after[u]["type"] in STATEFUL_IDENTITY
    }
    warnings = []
    for urn in removed:
        resource = before[urn]
        if resource["type"] not in STATEFUL_IDENTITY:
            continue
        successor = arrivals.get((resource["type"], _identity(resource)))
        if successor:
            warnings.append(
                f"STATEFUL RESOURCE RENAMED: {urn} -> {successor}. Pulumi would delete it and "
                "create another (data loss); add an alias with the old name instead."
            )
        else:
            warnings.append(
                f"STATEFUL RESOURCE REMOVED: {urn} ({resource['type']}) would be deleted."
            )
    return warnings
