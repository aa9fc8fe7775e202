"""AWS Certificate Manager, per region: issued and imported certificates with their chains."""

from __future__ import annotations

from typing import Any

from jobs.certificate_checker.model import Observation
from jobs.certificate_checker.parse import stored_chain
from jobs.certificate_checker.settings import CertificateCheckerSettings
from jobs.core.clients.aws import aws_client
from jobs.core.context import JobContext
from jobs.core.model import Inventory, RunError
from jobs.core.permissions import AwsGrant, Permissions

#: ListCertificates returns only RSA_1024 and RSA_2048 certificates unless told otherwise
KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
HAS_CERTIFICATE = {"ISSUED", "INACTIVE", "EXPIRED"}  # pending, failed and revoked ones carry none to judge


def observe(acm: Any, summary: dict[str, Any], region: str) -> tuple[Observation | None, list[RunError]]:
    arn = summary["CertificateArn"]
    answer = acm.get_certificate(CertificateArn=arn)
    pem = (answer.get("Certificate", "") + "\n" + answer.get("CertificateChain", "")).encode()
    extra = {
        "store": region,
        "status": summary.get("Status"),
        "in_use": summary.get("InUse"),
        "type": summary.get("Type"),
    }
    return stored_chain(arn, "acm", pem, "", extra)


def read_region(acm: Any, region: str, ctx: JobContext) -> Inventory[Observation]:
    from botocore.exceptions import ClientError

    inventory: Inventory[Observation] = Inventory()
    pages = acm.get_paginator("list_certificates").paginate(
        Includes={"keyTypes": KEY_TYPES}, PaginationConfig={"PageSize": 100}
    )
    for page in pages:
        for summary in page.get("CertificateSummaryList", []):
            if summary.get("Status") not in HAS_CERTIFICATE or not ctx.owns(summary["CertificateArn"]):
                continue
            try:
                seen, errors = observe(acm, summary, region)
            except ClientError as exc:  # one certificate deleted or denied since the listing
                inventory.errors.append(RunError(summary["CertificateArn"], _client_error(exc)))
                continue
            inventory.errors.extend(errors)
            inventory.items.extend([seen] if seen is not None else [])
    return inventory


def _client_error(exc: Any) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code')}: {error.get('Message')}"


def collect(cfg: CertificateCheckerSettings, ctx: JobContext) -> Inventory[Observation]:
    from botocore.client import BaseClient
    from botocore.exceptions import BotoCoreError, ClientError

    inventory: Inventory[Observation] = Inventory()
    regions: list[str | None] = list(cfg.acm.regions) or [None]  # None: $AWS_DEFAULT_REGION
    for region in regions:
        name = region or "default"
        acm = ctx.client(f"acm:{name}", BaseClient, lambda r=region: aws_client("acm", r))  # type: ignore[misc]
        try:
            part = read_region(acm, acm.meta.region_name, ctx)
        except ClientError as exc:
            inventory.errors.append(RunError(f"acm:{name}", _client_error(exc)))
            continue
        except BotoCoreError as exc:
            inventory.errors.append(RunError(f"acm:{name}", f"{type(exc).__name__}: {exc}"))
            continue
        inventory.items.extend(part.items)
        inventory.errors.extend(part.errors)
    return inventory


def permissions(cfg: CertificateCheckerSettings) -> Permissions:
    """The listing (no resource-level ARN) and each certificate's body and chain, in the
    configured regions (any, when none is: the default region is the environment's)."""
    regions = list(cfg.acm.regions) or ["*"]
    return Permissions.of(
        [AwsGrant(("acm:ListCertificates",), "*", "the certificates of each region")]
        + [
            AwsGrant(("acm:GetCertificate",), f"arn:aws:acm:{region}:*:certificate/*", "a certificate and its chain")
            for region in regions
        ]
    )
