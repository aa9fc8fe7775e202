"""boto3 clients with the timeouts and retries every AWS call here needs.

Endpoints and credentials come from the standard AWS environment (`AWS_ENDPOINT_URL`,
`AWS_DEFAULT_REGION`, profiles, instance roles), so tests point at moto's server and
production at AWS without a setting of ours. Adaptive retries back off on throttling
instead of skipping a batch.
"""

from __future__ import annotations

from typing import Any

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30
MAX_ATTEMPTS = 8


def aws_client(service: str, region: str | None = None, max_attempts: int = MAX_ATTEMPTS) -> Any:
    import boto3  # heavy: only jobs that talk to AWS pay for it
    from botocore.config import Config

    config = Config(
        region_name=region,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        user_agent_extra="secops-jobs",
    )
    return boto3.session.Session().client(service, config=config)
