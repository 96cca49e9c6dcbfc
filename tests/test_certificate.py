"""RegionalCertificate: ACM certificate in its region, each validation record owned exactly once."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from components.certificate import RegionalCertificate, RegionalCertificateArgs
from tests.conftest import assert_parented_under, inputs_of

COMPONENT = "erlmcp:components:RegionalCertificate"
CERT = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
ZONE_ID = "ZEXAMPLE123"


def _args(region: str, **overrides) -> RegionalCertificateArgs:
    values = {
        "region": region,
        "domain_name": f"{region}.erlmcp.io",
        "subject_alternative_names": ["erlmcp.io"],
        "zone_id": ZONE_ID,
        "tags": {"project": "erlmcp"},
    }
    values.update(overrides)
    return RegionalCertificateArgs(**values)


def _validation_record_names(stack, component_name: str) -> set[str]:
    prefix = f"{component_name}-validation-"
    return {r.name.removeprefix(prefix) for r in stack.of_type(RECORD) if r.name.startswith(prefix)}


def test_certificate_and_validation_live_in_the_given_region(record):
    stack = record(lambda: RegionalCertificate("eu-west-1-cert", _args("eu-west-1")))
    cert = stack.one(CERT, "eu-west-1-cert-certificate")
    validation = stack.one(VALIDATION, "eu-west-1-cert-validation")
    assert cert.region == "eu-west-1"
    assert validation.region == "eu-west-1"
    assert inputs_of(cert)["validationMethod"] == "DNS"
    assert inputs_of(cert)["domainName"] == "eu-west-1.erlmcp.io"
    assert inputs_of(cert)["subjectAlternativeNames"] == ["erlmcp.io"]
    assert inputs_of(cert)["tags"] == {"project": "erlmcp", "Name": "eu-west-1.erlmcp.io"}
    assert_parented_under(stack, COMPONENT, "eu-west-1-cert")


def test_route53_records_are_global(record):
    stack = record(lambda: RegionalCertificate("eu-west-1-cert", _args("eu-west-1")))
    records = stack.of_type(RECORD)
    assert records
    assert all("region" not in r.inputs for r in records)


def test_owns_one_validation_record_per_name_by_default(record):
    stack = record(lambda: RegionalCertificate("us-east-1-cert", _args("us-east-1")))
    assert _validation_record_names(stack, "us-east-1-cert") == {"us-east-1.erlmcp.io", "erlmcp.io"}
    cert = stack.one(CERT, "us-east-1-cert-certificate")
    options = {o["domainName"]: o for o in cert.outputs["domainValidationOptions"]}
    apex = inputs_of(stack.one(RECORD, "us-east-1-cert-validation-erlmcp.io"))
    # Matched by domain name, not by position in the (unordered) option set.
    assert apex["name"] == options["erlmcp.io"]["resourceRecordName"]
    assert apex["type"] == "CNAME"
    assert apex["records"] == [options["erlmcp.io"]["resourceRecordValue"]]
    assert apex["zoneId"] == ZONE_ID
    assert apex["allowOverwrite"] is False


def test_validation_lists_every_names_fqdn_and_depends_on_owned_records(record):
    stack = record(lambda: RegionalCertificate("us-east-1-cert", _args("us-east-1")))
    validation = stack.one(VALIDATION, "us-east-1-cert-validation")
    records = {r.urn: r for r in stack.of_type(RECORD)}
    fqdns = inputs_of(validation)["validationRecordFqdns"]
    assert len(fqdns) == 2
    assert all(not f.endswith(".") for f in fqdns)
    assert set(validation.property_dependencies["validationRecordFqdns"]) == set(records)
    cert = stack.one(CERT, "us-east-1-cert-certificate")
    assert inputs_of(validation)["certificateArn"] == cert.outputs["arn"]


def test_second_certificate_sharing_the_apex_references_without_creating(record):
    def build():
        owner = RegionalCertificate("us-east-1-cert", _args("us-east-1"))
        RegionalCertificate(
            "eu-west-1-cert",
            _args(
                "eu-west-1",
                validation_record_names=["eu-west-1.erlmcp.io"],
                validation_depends_on=list(owner.validation_records.values()),
            ),
        )

    stack = record(build)
    assert _validation_record_names(stack, "eu-west-1-cert") == {"eu-west-1.erlmcp.io"}
    apex_records = [r for r in stack.of_type(RECORD) if r.name.endswith("-validation-erlmcp.io")]
    assert [r.name for r in apex_records] == ["us-east-1-cert-validation-erlmcp.io"]

    owner_fqdns = inputs_of(stack.one(VALIDATION, "us-east-1-cert-validation"))
    other = stack.one(VALIDATION, "eu-west-1-cert-validation")
    apex_fqdn = inputs_of(apex_records[0])["name"].rstrip(".")
    assert apex_fqdn in owner_fqdns["validationRecordFqdns"]
    assert apex_fqdn in inputs_of(other)["validationRecordFqdns"]
    assert len(inputs_of(other)["validationRecordFqdns"]) == 2
    assert apex_records[0].urn in other.dependencies


def test_wildcard_shares_its_base_names_record(record):
    args = _args("us-east-1", domain_name="erlmcp.io", subject_alternative_names=["*.erlmcp.io"])
    stack = record(lambda: RegionalCertificate("apex-cert", args))
    assert _validation_record_names(stack, "apex-cert") == {"erlmcp.io"}
    assert (
        len(inputs_of(stack.one(VALIDATION, "apex-cert-validation"))["validationRecordFqdns"]) == 1
    )


def test_certificate_arn_comes_from_the_validation(record):
    def build():
        component = RegionalCertificate("us-east-1-cert", _args("us-east-1"))
        # A consumer of the ARN must wait for issuance, i.e. depend on the validation.
        aws.ssm.Parameter(
            "consumer", region="us-east-1", type="String", value=component.certificate_arn
        )

    stack = record(build)
    consumer = stack.named("consumer")
    validation = stack.one(VALIDATION, "us-east-1-cert-validation")
    assert consumer.property_dependencies["value"] == [validation.urn]


def test_rejects_owning_a_name_the_certificate_does_not_have():
    with pytest.raises(ValueError, match="not names of the certificate"):
        _args("us-east-1", validation_record_names=["other.example.com"])
