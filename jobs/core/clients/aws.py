"""boto3 clients with the timeouts and retries every AWS call here needs.

Endpoints and credentials come from the standard AWS environment (`AWS_ENDPOINT_URL`,
`AWS_DEFAULT_REGION`, profiles, instance roles), so tests point at moto's server and
production at AWS without a setting of ours.

botocore is the one retry layer for AWS: its adaptive mode retries one call (not a whole
action, whose other calls already succeeded) and, once throttled, slows every later call of the
client to the rate AWS accepts, which no retry wrapped around it can do. What comes out of a
client has had its retries (TransientError(retried=True)), so the runner does not run the
action again: one throttled delete is 3 calls, not 3 x 4.

An endpoint that is down must cost an action seconds, not half a minute: botocore retries
connection errors with the same attempts and backoff as throttling, so 8 retries waited
~33 s per call against a dead endpoint. 2 retries (3 calls, botocore's standard) and a 2 s
connect timeout bound it to ~3 s when refused and ~9 s when black-holed; a dead endpoint
trips the runner's breaker.
"""

from __future__ import annotations

from typing import Any

CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 30
MAX_ATTEMPTS = 2  # retries after the first call (botocore's `max_attempts` key)


def endpoint_down(exc: BaseException) -> bool:
    """The endpoint could not be reached at all (refused, connect timeout, proxy), as opposed
    to an answer (an API error) or a slow one (read timeout)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError

    return isinstance(exc, BotoConnectionError)


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
    return boto3.session.Session(botocore_session=_botocore_session()).client(service, config=config)


_loader: Any = None


def _botocore_session() -> Any:
    """A fresh botocore session (one per client: sessions are not thread-safe, and credentials
    and endpoints are read from the environment as the client is made) sharing one data loader,
    so each service's model JSON is parsed once per process, not once per client: ec2's takes
    ~0.5 s, and a run across regions and types makes a client per (service, region)."""
    import botocore.session

    global _loader
    session = botocore.session.Session()
    if _loader is None:
        _loader = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _loader)
    return session
