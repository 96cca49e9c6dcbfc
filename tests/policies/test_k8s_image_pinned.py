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
        "ghcr.io/seanchatmangpt/erlmcp:3.0.0",
        "registry.local:5000/erlmcp:3.0.0",
        f"ghcr.io/seanchatmangpt/erlmcp@{DIGEST}",
        f"ghcr.io/seanchatmangpt/erlmcp:latest@{DIGEST}",
    ],
)
def test_explicit_tag_or_digest_passes(analyze_resource, image):
    assert messages(analyze_resource(TYPE, daemonset(image)), POLICY) == []


def test_latest_tag_is_a_mandatory_violation(analyze_resource):
    [found] = only(
        analyze_resource(TYPE, daemonset("ghcr.io/seanchatmangpt/erlmcp:latest")), POLICY
    )
    assert found.detail == (
        "container 'c0' image 'ghcr.io/seanchatmangpt/erlmcp:latest' uses the 'latest' tag."
    )
    assert found.enforcement_level == "mandatory"


@pytest.mark.parametrize("image", ["erlmcp", "registry.local:5000/erlmcp"])
def test_untagged_image_is_a_violation(analyze_resource, image):
    assert messages(analyze_resource(TYPE, daemonset(image)), POLICY) == [
        f"container 'c0' image '{image}' has no tag (means 'latest')."
    ]


def test_missing_image_is_a_violation(analyze_resource):
    spec = {"spec": {"containers": [{"name": "app"}]}}
    assert messages(analyze_resource("kubernetes:core/v1:Pod", spec), POLICY) == [
        "container 'app' names no image."
    ]


def test_unknown_image_is_not_a_violation(analyze_resource):
    assert only(analyze_resource(TYPE, daemonset(UNKNOWN)), POLICY) == []
