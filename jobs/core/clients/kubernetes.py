"""Kubernetes API clients: in-cluster when running in a pod, else a kubeconfig."""

from __future__ import annotations

import json
import os
from typing import Any

from jobs.core.errors import EndpointDown, PermanentError, RetryLater, TransientError

RETRYABLE = {429, 500, 502, 503, 504}


def kubernetes_api(kubeconfig: str | None = None, context: str | None = None) -> Any:
    from kubernetes import client, config  # heavy: only jobs that talk to a cluster pay for it

    try:
        if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config()  # type: ignore[no-untyped-call]
            return client.ApiClient()
        configuration = client.Configuration()
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=kubeconfig, context=context, client_configuration=configuration
        )
    except config.ConfigException as exc:
        raise PermanentError(f"no Kubernetes configuration: {exc}") from None
    return client.ApiClient(configuration)


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
        kind = TransientError if response.status in RETRYABLE else PermanentError
        raise kind(f"{what}: HTTP {response.status} {reason}")
    data: dict[str, Any] = json.loads(body)
    return data


def api_call(call: Any, what: str, missing_ok: bool = False) -> Any:
    """Call the client; connection problems and throttling become TransientError.

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
        kind = TransientError if exc.status in RETRYABLE else PermanentError
        raise kind(f"{what}: HTTP {exc.status} {exc.reason}") from None
    except (HTTPError, OSError) as exc:
        if _unreachable(exc):  # the runner's breaker stops acting after a few of these
            raise EndpointDown(f"{what}: cannot connect to the API server ({type(exc).__name__})") from None
        raise TransientError(f"{what}: {type(exc).__name__}") from None


def _unreachable(exc: BaseException) -> bool:
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    return isinstance(reason, NewConnectionError | ConnectTimeoutError | ConnectionRefusedError)
