"""Days until each region's ACM certificate (`<region>.<domain>`, components/certificate.py)
expires, against `observability.alarms.certificateDaysToExpiry`, the threshold the certificate
alarm uses (regions/alarms.py `certificate_alarm`). ACM renews its certificates itself, so one
this close to expiry is one whose renewal is stuck (its validation record is gone). Under
`RENEWAL_DAYS` it is a warning: ACM starts renewing 60 days before expiry (ACM user guide,
"Managed certificate renewal"), so a certificate still this close has not been renewed yet.

The certificate is found by its domain name (ListCertificates, which by default lists RSA_2048
certificates: the program requests the default key algorithm) and read with
DescribeCertificate's `NotAfter`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from operations.check.findings import OK, RED, WARN, Finding

RENEWAL_DAYS = 60


def certificate_findings(
    acm: Any, region: str, fqdn: str, threshold_days: int, now: datetime
) -> list[Finding]:
    pages = acm.get_paginator("list_certificates").paginate()
    arns = [
        str(summary["CertificateArn"])
        for page in pages
        for summary in page["CertificateSummaryList"]
        if summary.get("DomainName") == fqdn
    ]
    if not arns:
        return [Finding(region, "certificate", fqdn, RED, "no ACM certificate for it")]
    findings = []
    for arn in arns:
        certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        not_after = certificate.get("NotAfter")
        if not_after is None:
            detail = f"not issued ({certificate.get('Status', '?')})"
            findings.append(Finding(region, "certificate", _subject(fqdn, arn), RED, detail))
            continue
        days = (not_after - now).total_seconds() / 86_400
        status = RED if days < threshold_days else WARN if days < RENEWAL_DAYS else OK
        detail = f"expires {not_after:%Y-%m-%d}, in {days:.0f} days (alarm under {threshold_days})"
        subject = _subject(fqdn, arn)
        findings.append(Finding(region, "certificate", subject, status, detail, round(days, 1)))
    return findings


def _subject(fqdn: str, arn: str) -> str:
    """The name, and which certificate (the first characters of its id)."""
    return f"{fqdn} ({arn.rsplit('/', 1)[-1][:8]})"
