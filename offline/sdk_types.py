"""From an engine type token to the Python SDK class that registers it, and its property names.

`aws:eks/cluster:Cluster` -> `pulumi_aws.eks.Cluster`; `kubernetes:networking.k8s.io/v1:...`
-> `pulumi_kubernetes.networking.v1....`; `random:index/randomPassword:RandomPassword` ->
`pulumi_random.RandomPassword`. Used by the benchmark's floor and by tools/force_new.py.
"""

from __future__ import annotations

import functools
import importlib
import keyword

from pulumi import _types as pulumi_types


@functools.cache
def resource_class(type_: str) -> type:
    """The SDK class of a resource type token; ImportError/AttributeError when there is none."""
    package, module, name = type_.split(":")
    if package == "kubernetes":  # apps/v1, networking.k8s.io/v1 -> apps.v1, networking.v1
        group, version = module.split("/")
        parts = [group.split(".")[0], version]
    else:  # eks/cluster -> eks; index/... -> the package itself
        folder = module.rsplit("/", 1)[0]
        parts = [] if folder == "index" else folder.split("/")
        # A module named after a Python keyword gets a trailing underscore (pulumi_aws.lambda_).
        parts = [f"{part}_" if keyword.iskeyword(part) else part for part in parts]
    return getattr(importlib.import_module(".".join([f"pulumi_{package}", *parts])), name)


def engine_names(cls: type) -> dict[str, str]:
    """A resource class's properties: Python name -> engine (camelCase) name."""
    return pulumi_types._py_to_pulumi_names_from_py_properties(cls)
