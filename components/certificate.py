"""A DNS-validated ACM certificate in one region, with its Route 53 validation records.

Why validation records have exactly one owner
---------------------------------------------
ACM derives a DNS validation CNAME from the account and the domain name only: every certificate
in every region of one account that names `erlmcp.io` asks for the *same* record
(`_<hash>.erlmcp.io CNAME _<hash>.acm-validations.aws.`). The Terraform provider, whose engine
pulumi-aws runs, documents no way around this (hashicorp/terraform-provider-aws#13653: "The DNS
validation record values are assigned by the ACM API"), and the usual workaround in the wild,
`allow_overwrite = true` on every copy (terraform-aws-modules/terraform-aws-acm#11,
terraform-provider-aws#7918, #9666), makes several resources manage one DNS record: each
`up` rewrites it, and deleting any one certificate (say, a region is removed) deletes the record
that every other certificate still needs for ACM's managed renewal, which then fails silently
months later.

So each DNS name's validation record is owned once. `validation_record_names` says which of the
certificate's names this component creates records for; the caller gives a shared name (the apex)
to exactly one certificate, ideally the one in the most permanent region, and the others list the
validation fqdn without creating a record. The fqdn of a name this component does not own is read
from its *own* certificate's `domain_validation_options`: ACM gives it the same value. A
certificate that does not own a record can pass the owner's records in `validation_depends_on` so
that its `CertificateValidation` starts waiting only once the record exists. `allow_overwrite` is
set to False on purpose: a second owner is a bug and should fail loudly at creation.

Records are looked up in `domain_validation_options` by domain name, never by position: the
provider models that attribute as a set, whose order is not the order of the names given. A
wildcard (`*.erlmcp.io`) validates with the record of its base name (`erlmcp.io`), so the two share
one record here as well.

The number of names is known before anything runs, so one `aws.route53.Record` is declared per
name up front; only the record's name, type and value come from the certificate's outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

VALIDATION_RECORD_TTL = 60


def validation_key(domain: str) -> str:
    """The name whose validation record covers `domain` (a wildcard shares its base's record)."""
    return domain.removeprefix("*.")


@dataclass(frozen=True)
class RegionalCertificateArgs:
    region: str
    domain_name: str
    zone_id: pulumi.Input[str]
    subject_alternative_names: Sequence[str] = ()
    # Names (domain or SANs) whose validation records this certificate creates; None = all of them.
    validation_record_names: Sequence[str] | None = None
    # Resources (usually another certificate's validation records) to wait for before validating.
    validation_depends_on: Sequence[pulumi.Resource] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    global_provider: pulumi.ProviderResource | None = None
    """The AWS provider of the global services, for the Route 53 validation records (None: the
    one this component inherits)."""

    def __post_init__(self) -> None:
        if not self.region:
            raise ValueError("region must be given")
        if not self.domain_name:
            raise ValueError("domain_name must be given")
        if isinstance(self.subject_alternative_names, str):
            raise ValueError("subject_alternative_names must be a sequence of names, not a string")
        unknown = set(self.owned_keys()) - set(self.validation_keys())
        if unknown:
            raise ValueError(
                f"validation_record_names {sorted(unknown)} are not names of the certificate "
                f"{self.domain_name} (names: {self.validation_keys()})"
            )

    def validation_keys(self) -> list[str]:
        """Every distinct validation record name key of the certificate, in declaration order."""
        names = [self.domain_name, *self.subject_alternative_names]
        return list(dict.fromkeys(validation_key(n) for n in names))

    def owned_keys(self) -> list[str]:
        if self.validation_record_names is None:
            return self.validation_keys()
        if isinstance(self.validation_record_names, str):
            raise ValueError("validation_record_names must be a sequence of names, not a string")
        return list(dict.fromkeys(validation_key(n) for n in self.validation_record_names))


def _option_for(
    options: Sequence[aws.acm.outputs.CertificateDomainValidationOption], key: str
) -> aws.acm.outputs.CertificateDomainValidationOption:
    for option in options:
        if option.domain_name is not None and validation_key(option.domain_name) == key:
            return option
    raise ValueError(f"ACM returned no DNS validation option for {key}")


class RegionalCertificate(pulumi.ComponentResource):
    """An ACM certificate in `args.region`, validated through DNS records in `args.zone_id`."""

    certificate: aws.acm.Certificate
    validation: aws.acm.CertificateValidation
    validation_records: dict[str, aws.route53.Record]
    validation_record_fqdns: pulumi.Output[list[str]]
    certificate_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: RegionalCertificateArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("erlmcp:components:RegionalCertificate", name, None, opts)
        self._global_provider = args.global_provider
        self.certificate = aws.acm.Certificate(
            f"{name}-certificate",
            region=args.region,
            domain_name=args.domain_name,
            subject_alternative_names=list(args.subject_alternative_names),
            validation_method="DNS",
            tags={**args.tags, "Name": args.domain_name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        owned = args.owned_keys()
        self.validation_records = {
            key: self._validation_record(name, key, args.zone_id) for key in owned
        }
        self.validation_record_fqdns = pulumi.Output.all(
            *(self._validation_fqdn(key) for key in args.validation_keys())
        )
        self.validation = aws.acm.CertificateValidation(
            f"{name}-validation",
            region=args.region,
            certificate_arn=self.certificate.arn,
            validation_record_fqdns=self.validation_record_fqdns,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.validation_depends_on)),
        )
        # Taken from the validation, not the certificate, so consumers wait for issuance.
        self.certificate_arn = self.validation.certificate_arn
        self.register_outputs(
            {
                "certificate_arn": self.certificate_arn,
                "validation_record_fqdns": self.validation_record_fqdns,
            }
        )

    def _option(self, key: str) -> pulumi.Output[aws.acm.outputs.CertificateDomainValidationOption]:
        return self.certificate.domain_validation_options.apply(
            lambda options: _option_for(options, key)
        )

    def _validation_record(
        self, name: str, key: str, zone_id: pulumi.Input[str]
    ) -> aws.route53.Record:
        option = self._option(key)
        return aws.route53.Record(
            f"{name}-validation-{key}",
            zone_id=zone_id,
            name=option.apply(lambda o: o.resource_record_name),
            type=option.apply(lambda o: o.resource_record_type),
            records=[option.apply(lambda o: o.resource_record_value)],
            ttl=VALIDATION_RECORD_TTL,
            allow_overwrite=False,
            opts=pulumi.ResourceOptions(parent=self, provider=self._global_provider),
        )

    def _validation_fqdn(self, key: str) -> pulumi.Output[str]:
        record = self.validation_records.get(key)
        # Both spellings end without the root dot so that owners and non-owners list the same fqdn.
        if record is not None:
            return record.fqdn.apply(lambda fqdn: fqdn.rstrip("."))
        return self._option(key).apply(lambda o: (o.resource_record_name or "").rstrip("."))
