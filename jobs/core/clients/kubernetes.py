"""Kubernetes API clients: in-cluster when running in a pod, else a kubeconfig.

The client's urllib3 pool is the one retry layer for Kubernetes: a dropped connection, a 429
(after its Retry-After) and a 5xx are tried RETRIES more times with backoff, whatever the verb
(a PATCH of a Secret is as safe to repeat as a GET). What comes out of a call has had its
retries (TransientError(retried=True)), so neither our callers nor the runner try it again: a
throttled list was 4 x 4 requests before, when urllib3 honoured Retry-After and
call_with_retry then repeated that.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from jobs.core.errors import EndpointDown, PermanentError, RetryLater, TransientError

if TYPE_CHECKING:
    from urllib3.util.retry import Retry

RETRYABLE = {429, 500, 502, 503, 504}
RETRIES = 3  # after the first request: 4 in all, as before
BACKOFF_SECONDS = 0.5  # urllib3 sleeps 0, 1, 2 s (or the server's Retry-After)


def kubernetes_api(kubeconfig: str | None = None, context: str | None = None) -> Any:
    from kubernetes import client, config  # heavy: only jobs that talk to a cluster pay for it

    configuration = client.Configuration()
    try:
        if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        else:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig, context=context, client_configuration=configuration
            )
    except config.ConfigException as exc:
        raise PermanentError(f"no Kubernetes configuration: {exc}") from None
    configuration.retries = retries()
    return client.ApiClient(configuration)


def retries() -> Retry:
    """urllib3's policy: answers the API server gives when busy are retried like lost connections;
    the last answer is handed back (not raised), so its Status still becomes our error."""
    from urllib3.util.retry import Retry

    return Retry(
        total=RETRIES,
        status_forcelist=sorted(RETRYABLE),
        allowed_methods=None,  # every verb: our calls are idempotent (check-then-act, patches)
        backoff_factor=BACKOFF_SECONDS,
        raise_on_status=False,
    )


def raw_json(response: Any, what: str) -> dict[str, Any]:
    """The body of a `_preload_content=False` call, or the API's Status turned into our errors.

    Raw JSON keeps big lists cheap: no model object per Secret.
    """
    body = response.data
    if response.status >= 400:
        try:
            status = json.loads(body)
            reason = f"{status.get('reason', '')}: {status.get('message', '')}".strip(": ")
        except ValueError:
            reason = body[:200].decode(errors="replace")
        if response.status in RETRYABLE:
            raise TransientError(f"{what}: HTTP {response.status} {reason}", retried=True)
        raise PermanentError(f"{what}: HTTP {response.status} {reason}")
    data: dict[str, Any] = json.loads(body)
    return data


def api_call(call: Any, what: str, missing_ok: bool = False) -> Any:
    """Call the client; connection problems and throttling, which its pool already retried,
    become TransientError(retried=True) (EndpointDown when the server cannot be reached).

    With `missing_ok`, a 404 answers None instead of raising.
    """
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        return call()
    except ApiException as exc:
        if missing_ok and exc.status == 404:
            return None
        if exc.status == 409:  # a conflict (stale resourceVersion, object in transition) clears by itself
            raise RetryLater(f"{what}: HTTP 409 {exc.reason}") from None
        if exc.status in RETRYABLE:
            raise TransientError(f"{what}: HTTP {exc.status} {exc.reason}", retried=True) from None
        raise PermanentError(f"{what}: HTTP {exc.status} {exc.reason}") from None
    except (HTTPError, OSError) as exc:
        if _unreachable(exc):  # the runner's breaker stops acting after a few of these
            raise EndpointDown(f"{what}: cannot connect to the API server ({type(exc).__name__})") from None
        raise TransientError(f"{what}: {type(exc).__name__}", retried=True) from None


def _unreachable(exc: BaseException) -> bool:
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    return isinstance(reason, NewConnectionError | ConnectTimeoutError | ConnectionRefusedError)
