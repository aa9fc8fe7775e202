"""AWS Certificate Manager, per region: issued and imported certificates with their chains."""

from __future__ import annotations

from typing import Any

from jobs.certificate_checker.model import Observation
from jobs.certificate_checker.parse import cert_info, chain_break, split_bundle
from jobs.certificate_checker.settings import CertificateCheckerSettings
from jobs.core.clients.aws import aws_client
from jobs.core.context import JobContext
from jobs.core.job import Inventory, RunError

#: ListCertificates returns only RSA_1024 and RSA_2048 certificates unless told otherwise
KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
HAS_CERTIFICATE = {"ISSUED", "INACTIVE", "EXPIRED"}  # pending, failed and revoked ones carry none to judge


def observe(acm: Any, summary: dict[str, Any], region: str) -> Observation | RunError:
    arn = summary["CertificateArn"]
    answer = acm.get_certificate(CertificateArn=arn)
    pem = (answer.get("Certificate", "") + "\n" + answer.get("CertificateChain", "")).encode()
    parsed = list(split_bundle(pem))
    if not parsed or parsed[0].cert is None:
        return RunError(arn, parsed[0].error if parsed and parsed[0].error else "no certificate returned")
    certs = [p.cert for p in parsed if p.cert is not None]
    extra = {
        "store": region,
        "status": summary.get("Status"),
        "in_use": summary.get("InUse"),
        "type": summary.get("Type"),
    }
    return Observation(arn, "acm", tuple(cert_info(c) for c in certs), chain_error=chain_break(certs), extra=extra)


def read_region(acm: Any, region: str, ctx: JobContext) -> Inventory[Observation]:
    inventory: Inventory[Observation] = Inventory()
    pages = acm.get_paginator("list_certificates").paginate(
        Includes={"keyTypes": KEY_TYPES}, PaginationConfig={"PageSize": 100}
    )
    for page in pages:
        for summary in page.get("CertificateSummaryList", []):
            if summary.get("Status") not in HAS_CERTIFICATE or not ctx.owns(summary["CertificateArn"]):
                continue
            seen = observe(acm, summary, region)
            if isinstance(seen, RunError):
                inventory.errors.append(seen)
            else:
                inventory.items.append(seen)
    return inventory


def collect(cfg: CertificateCheckerSettings, ctx: JobContext) -> Inventory[Observation]:
    from botocore.exceptions import BotoCoreError, ClientError

    inventory: Inventory[Observation] = Inventory()
    regions: list[str | None] = list(cfg.acm.regions) or [None]  # None: $AWS_DEFAULT_REGION
    for region in regions:
        name = region or "default"
        acm = ctx.client(f"acm:{name}", lambda r=region: aws_client("acm", r))  # type: ignore[misc]
        try:
            part = read_region(acm, acm.meta.region_name, ctx)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            inventory.errors.append(RunError(f"acm:{name}", f"{error.get('Code')}: {error.get('Message')}"))
            continue
        except BotoCoreError as exc:
            inventory.errors.append(RunError(f"acm:{name}", f"{type(exc).__name__}: {exc}"))
            continue
        inventory.items.extend(part.items)
        inventory.errors.extend(part.errors)
    return inventory
