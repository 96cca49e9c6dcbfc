"""The resource-policy folder: one policy per module, all listed, named and justified alike."""

from __future__ import annotations

import importlib
import pkgutil
import re

from pulumi_policy import EnforcementLevel

import erlmcp_policies.resources as resources_package
from erlmcp_policies.resources import RESOURCE_POLICIES

CONTROL = re.compile(r"\[(AWS FSBP [^\]]+|CKV[^\]]+|erlmcp)\]$")
AREAS = ("s3-", "rds-", "elasticache-", "eks-", "kms-", "k8s-", "tags-", "iam-")


def policy_modules() -> list[str]:
    return [
        m.name
        for m in pkgutil.iter_modules(resources_package.__path__)
        if not m.name.startswith("_")
    ]


def test_every_module_exports_one_listed_policy():
    listed = {id(p) for p in RESOURCE_POLICIES}
    modules = policy_modules()
    for name in modules:
        module = importlib.import_module(f"erlmcp_policies.resources.{name}")
        assert id(module.POLICY) in listed, name
        assert module.POLICY.name.replace("-", "_") == name, name
    assert len(RESOURCE_POLICIES) == len(modules)


def test_names_are_unique_kebab_case_and_prefixed_by_area():
    names = [p.name for p in RESOURCE_POLICIES]
    assert len(set(names)) == len(names)
    for name in names:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", name), name
        assert name.startswith(AREAS), name


def test_each_description_ends_with_the_control_it_mirrors():
    for policy in RESOURCE_POLICIES:
        assert CONTROL.search(policy.description), policy.name


def test_all_are_mandatory_but_rds_iam_authentication():
    levels = {p.name: p.enforcement_level for p in RESOURCE_POLICIES}
    assert levels.pop("rds-iam-authentication") == EnforcementLevel.ADVISORY
    assert set(levels.values()) == {EnforcementLevel.MANDATORY}
