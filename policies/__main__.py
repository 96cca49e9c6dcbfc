"""Serve the erlmcp policy pack to the Pulumi engine: `pulumi preview --policy-pack policies`."""

from pulumi_policy import PolicyPack

from erlmcp_policies import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL, PACK_NAME

PolicyPack(name=PACK_NAME, policies=ALL_POLICIES, enforcement_level=PACK_ENFORCEMENT_LEVEL)
