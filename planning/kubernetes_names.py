"""What the Kubernetes API server (and Helm) refuses in an object's names, labels and annotations.

kubernetes-validate checks manifests against the OpenAPI schema, which says nothing of these:
the API server's validation does (kubernetes/apimachinery; lines from eed236ce, 2026-07-23):

- names: a DNS-1123 subdomain (at most 253 characters) for most kinds; a DNS-1123 label (63) for
  a Namespace (`pkg/api/validation/generic.go`:69 `ValidateNamespaceName = NameIsDNSLabel`);
  a DNS-1035 label (63, starting with a letter) for a Service (kubernetes/kubernetes
  `pkg/apis/core/validation/validation.go` `ValidateServiceName = NameIsDNS1035Label`);
  (`pkg/api/validate/content/dns.go`:23-64 for the three formats);
- label keys and annotation keys: an optional DNS-1123 subdomain prefix and `/`, then a name of
  at most 63 characters (`pkg/api/validate/content/kube.go`:24-66 `IsLabelKey`); label values:
  empty or at most 63 such characters (`kube.go`:74-88 `IsLabelValue`); annotations at most
  256 KiB in all (`pkg/api/validation/objectmeta.go`:39 `TotalAnnotationSizeLimitB`);
- a Helm release's name: at most 53 characters, DNS-1123 subdomain characters (helm
  `pkg/chartutil/validate_name.go` `maxReleaseNameLen = 53`, `ValidateReleaseName`).

Labels and annotations are checked where the API server validates object metadata: the object's
own `metadata`, and a workload's pod template (`spec.template.metadata`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from offline.recorder import RecordedResource, RecordedStack, reveal
from planning.provider_checks import Violation

_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL = (re.compile(f"^{_LABEL}$"), 63, "a DNS-1123 label")
DNS1123_SUBDOMAIN = (re.compile(rf"^{_LABEL}(\.{_LABEL})*$"), 253, "a DNS-1123 subdomain")
DNS1035_LABEL = (re.compile("^[a-z]([-a-z0-9]*[a-z0-9])?$"), 63, "a DNS-1035 label")
HELM_RELEASE = (DNS1123_SUBDOMAIN[0], 53, "a Helm release name")
_QUALIFIED_NAME = re.compile("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
ANNOTATIONS_LIMIT = 256 * 1024
_QUALIFIED_CHARACTERS = "alphanumerics, '-', '_' or '.', starting and ending alphanumeric"

SOURCES = {
    "Namespace": "kubernetes/apimachinery pkg/api/validation/generic.go:69",
    "Service": "kubernetes/kubernetes pkg/apis/core/validation/validation.go ValidateServiceName",
    "Release": "helm pkg/chartutil/validate_name.go ValidateReleaseName",
}
DEFAULT_SOURCE = "kubernetes/apimachinery pkg/api/validate/content/dns.go:64"
METADATA_SOURCE = "kubernetes/apimachinery pkg/api/validate/content/kube.go"


def name_format(kind: str) -> tuple[re.Pattern[str], int, str]:
    return {
        "Namespace": DNS1123_LABEL,
        "Service": DNS1035_LABEL,
        "Release": HELM_RELEASE,
    }.get(kind, DNS1123_SUBDOMAIN)


def format_problem(value: str, form: tuple[re.Pattern[str], int, str]) -> str | None:
    pattern, limit, what = form
    if len(value) > limit:
        return f"must be {what}: at most {limit} characters (it has {len(value)})"
    if not pattern.match(value):
        return f"must be {what}: lowercase letters, digits and '-'" + (
            ", '.' between labels" if limit == 253 else ""
        )
    return None


def key_problem(key: str) -> str | None:
    """A label or annotation key: `[prefix/]name`."""
    prefix, _, name = key.rpartition("/")
    if prefix:
        problem = format_problem(prefix, DNS1123_SUBDOMAIN)
        if problem:
            return f"its prefix {problem}"
    if not name or len(name) > 63:
        return "its name part must be 1 to 63 characters"
    if not _QUALIFIED_NAME.match(name):
        return (
            "its name part must be alphanumerics, '-', '_' or '.', starting and ending alphanumeric"
        )
    return None


def label_value_problem(value: str) -> str | None:
    if len(value) > 63:
        return f"a label value must be at most 63 characters (it has {len(value)})"
    if value and not _QUALIFIED_NAME.match(value):
        return (
            "a label value must be alphanumerics, '-', '_' or '.', starting and ending alphanumeric"
        )
    return None


def _metadata_blocks(inputs: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "metadata", inputs.get("metadata") or {}
    template = (inputs.get("spec") or {}).get("template")
    if isinstance(template, dict):
        yield "spec.template.metadata", template.get("metadata") or {}


def check_object(resource: RecordedResource) -> list[Violation]:
    kind = resource.type.split(":")[-1]
    inputs = reveal(resource.inputs)
    found = []

    def violation(argument: str, value: Any, rule: str, source: str) -> None:
        shown = value if isinstance(value, str) and len(value) <= 80 else f"{str(value)[:77]}..."
        found.append(Violation(resource.urn, argument, repr(shown), rule, source))

    name = inputs.get("name") if kind == "Release" else (inputs.get("metadata") or {}).get("name")
    if name is None:
        # pulumi-kubernetes auto-names it `<resource name>-<8 random characters>`
        # (provider/pkg/metadata/naming.go `AssignNameIfAutonamable`).
        name = f"{resource.name}-abcd1234"
    if isinstance(name, str):
        problem = format_problem(name, name_format(kind))
        if problem:
            where = "name" if kind == "Release" else "metadata.name"
            violation(where, name, problem, SOURCES.get(kind, DEFAULT_SOURCE))
    for where, metadata in _metadata_blocks(inputs):
        for key, value in (metadata.get("labels") or {}).items():
            problem = key_problem(key) or (
                label_value_problem(value) if isinstance(value, str) else None
            )
            if problem:
                violation(f"{where}.labels[{key!r}]", value, problem, METADATA_SOURCE)
        annotations = metadata.get("annotations") or {}
        for key in annotations:
            problem = key_problem(key)
            if problem:
                violation(f"{where}.annotations[{key!r}]", key, problem, METADATA_SOURCE)
        size = sum(len(k) + len(str(v)) for k, v in annotations.items())
        if size > ANNOTATIONS_LIMIT:
            violation(
                f"{where}.annotations",
                f"{size} bytes",
                f"annotations must total at most {ANNOTATIONS_LIMIT} bytes",
                "kubernetes/apimachinery pkg/api/validation/objectmeta.go:39",
            )
    return found


def check_kubernetes(stack: RecordedStack) -> list[Violation]:
    return [
        violation
        for resource in stack.resources
        if resource.type.startswith("kubernetes:") and not resource.is_provider
        for violation in check_object(resource)
    ]
