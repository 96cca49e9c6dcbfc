"""s3-tls-only-policy: the bucket policy denies every request made without TLS."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from erlmcp_policies.common import contains_unknown, is_unknown, prop, resource_policy
from erlmcp_policies.resources._s3 import POLICY_TYPES, any_of

_ARN_PREFIX = "arn:aws:s3:::"


def _plain(value: Any) -> Any:
    """A proxied policy document (object form of the input) as plain data."""
    if isinstance(value, Mapping):
        return {k: _plain(prop(value, k)) for k in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(v) for v in value]
    return value


def _has_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return False


def _denies_insecure_transport(statement: Any) -> bool:
    if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if not (
        principal == "*" or (isinstance(principal, Mapping) and "*" in any_of(principal.get("AWS")))
    ):
        return False
    if not {"s3:*", "*"} & set(any_of(statement.get("Action"))):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator in ("Bool", "BoolIfExists"):
        values = condition.get(operator)
        if isinstance(values, Mapping):
            secure = [str(v).lower() for v in any_of(values.get("aws:SecureTransport"))]
            if secure == ["false"]:
                return _covers_bucket_and_objects(any_of(statement.get("Resource")))
    return False


def _covers_bucket_and_objects(resources: list[Any]) -> bool:
    names = [r for r in resources if isinstance(r, str)]
    if "*" in names:
        return True
    bucket = any(n.startswith(_ARN_PREFIX) and "/" not in n for n in names)
    objects = any(n.startswith(_ARN_PREFIX) and n.endswith("/*") for n in names)
    return bucket and objects


def _validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    document = prop(args.props, "policy")
    if is_unknown(document):
        return
    if isinstance(document, str):
        if contains_unknown(document):
            return  # an unknown interpolated into the JSON text
        try:
            document = json.loads(document)
        except ValueError:
            report_violation("the bucket policy is not valid JSON.")
            return
    else:
        document = _plain(document)
        if _has_unknown(document):
            return
    statements = any_of(document.get("Statement")) if isinstance(document, Mapping) else []
    if not any(_denies_insecure_transport(s) for s in statements):
        report_violation(
            "no statement denies insecure transport: add Effect Deny, Principal '*', Action "
            "'s3:*' on the bucket and its objects (arn and arn/*) with Condition "
            "Bool aws:SecureTransport 'false'."
        )


POLICY = resource_policy(
    name="s3-tls-only-policy",
    description=(
        "Backups never travel in clear text: the bucket policy denies requests without TLS "
        "[AWS FSBP S3.5; CKV_AWS_379]"
    ),
    types=POLICY_TYPES,
    validate=_validate,
)
