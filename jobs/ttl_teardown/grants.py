"""What a ttl-teardown run needs, from the settings it runs with: the grants of every AWS type
and Kubernetes kind it is configured to consider, plus the job's own calls (the Price List API
when prices are refreshed, the audit bucket when one is set).

The deployment generators (jobs.core.deploy) read this through the job table, so a type added to
TYPES, or a kind to KINDS, is permitted in every generated policy without anyone editing one.
"""

from __future__ import annotations

from jobs.core.permissions import AwsGrant, Permissions
from jobs.ttl_teardown.providers.aws.types import TYPES
from jobs.ttl_teardown.providers.kubernetes import KINDS
from jobs.ttl_teardown.settings import TtlTeardownSettings


def permissions(cfg: TtlTeardownSettings) -> Permissions:
    """A disabled provider reads nothing and needs nothing; a type left out of `types` neither."""
    declared = Permissions()
    if cfg.aws.enabled:
        for kind in cfg.aws.types:
            declared += TYPES[kind].permissions()
        if cfg.cost.refresh:
            declared += Permissions((AwsGrant(("pricing:GetProducts",), "*", "refresh on-demand prices"),))
    if cfg.kubernetes.enabled:
        for kind in cfg.kubernetes.kinds:
            declared += KINDS[kind].permissions()
    if cfg.audit.s3_bucket:
        resource = f"arn:aws:s3:::{cfg.audit.s3_bucket}/{cfg.audit.s3_prefix}*"  # the key is prefix + date/run
        declared += Permissions((AwsGrant(("s3:PutObject",), resource, "write the run's audit to S3"),))
    return declared
