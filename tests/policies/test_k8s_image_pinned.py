"""k8s-image-pinned, through the analyzer's Analyze."""

from __future__ import annotations

import pytest

from tests.policies.conftest import UNKNOWN, messages, only

POLICY = "k8s-image-pinned"
TYPE = "kubernetes:apps/v1:DaemonSet"
DIGEST = "sha256:" + "a" * 64


def daemonset(*images: object) -> dict:
    containers = [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]
    return {"spec": {"template": {"spec": {"containers": containers}}}}


def test_prod_stack_passes(prod_report):
    assert prod_report.by_policy(POLICY) == []


@pytest.mark.parametrize(
    "image",
    [
        f"ghcr.io/seanchatmangpt/erlmcp@{DIGEST}",
        f"ghcr.io/seanchatmangpt/erlmcp:3.0.0@{DIGEST}",
        f"registry.local:5000/erlmcp:latest@{DIGEST}",
    ],
)
def test_an_image_pinned_by_digest_passes(analyze_resource, image):
    assert messages(analyze_resource(TYPE, daemonset(image)), POLICY) == []


@pytest.mark.parametrize(
    "image",
    [
        "ghcr.io/seanchatmangpt/erlmcp:3.0.0",
        "ghcr.io/seanchatmangpt/erlmcp:latest",
        "registry.local:5000/erlmcp",
        "erlmcp",
        "ghcr.io/seanchatmangpt/erlmcp@sha256:abc",
        f"ghcr.io/seanchatmangpt/erlmcp@{DIGEST}-not-the-end",
    ],
)
def test_an_image_without_a_digest_is_a_mandatory_violation(analyze_resource, image):
    [found] = only(analyze_resource(TYPE, daemonset(image)), POLICY)
    assert found.detail == (
        f"container 'c0' image '{image}' is not pinned by digest (a tag can be pushed again); "
        "name it <image>:<tag>@sha256:<digest>."
    )
    assert found.enforcement_level == "mandatory"


def test_missing_image_is_a_violation(analyze_resource):
    spec = {"spec": {"containers": [{"name": "app"}]}}
    assert messages(analyze_resource("kubernetes:core/v1:Pod", spec), POLICY) == [
        "container 'app' names no image."
    ]


def test_unknown_image_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(TYPE, daemonset(UNKNOWN)), POLICY) == []
