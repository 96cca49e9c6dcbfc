"""tags-required: every taggable AWS resource carries the required tags (see common.REQUIRED_TAGS).

Taggable: the type is in the generated TAGGABLE_AWS_TYPES list, or it is any other `aws:` type
whose inputs carry `tags`. Tags set through the provider's defaultTags count, as AWS applies them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from erlmcp_policies.common import config_value, entries, is_unknown, prop, schema
from erlmcp_policies.resources._taggable_types import TAGGABLE_AWS_TYPES


def _provider_default_tags(args: ResourceValidationArgs) -> dict[str, Any] | None:
    """The provider's defaultTags.tags; None when they cannot be known."""
    if args.provider is None:
        return {}
    default_tags = prop(args.provider.props, "defaultTags")
    if is_unknown(default_tags):
        return None
    if isinstance(default_tags, str):
        # Providers receive object-valued config JSON-encoded.
        try:
            default_tags = json.loads(default_tags)
        except ValueError:
            return {}
    tags = prop(default_tags, "tags")
    if is_unknown(tags):
        return None
    return dict(entries(tags)) if isinstance(tags, Mapping) else {}


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not args.resource_type.startswith("aws:"):
        return
    # Iterate keys: `in` would read the value, and an unknown value raises.
    has_tags_input = any(key == "tags" for key in args.props)
    if args.resource_type not in TAGGABLE_AWS_TYPES and not has_tags_input:
        return
    tags = prop(args.props, "tags")
    if is_unknown(tags):
        return
    defaults = _provider_default_tags(args)
    if defaults is None:
        return
    merged = {**defaults, **(dict(entries(tags)) if isinstance(tags, Mapping) else {})}
    required = [str(t) for t in config_value(args, "required_tags")]
    missing = [
        key
        for key in required
        if not is_unknown(merged.get(key))
        and not (isinstance(merged.get(key), str) and merged[key])
    ]
    if missing:
        report_violation(f"missing or empty tags: {', '.join(missing)}.")


POLICY = ResourceValidationPolicy(
    name="tags-required",
    description=(
        "Every taggable AWS resource names its service, environment, owner, cost center and "
        "manager in tags [erlmcp]"
    ),
    validate=_validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=schema("required_tags"),
)
