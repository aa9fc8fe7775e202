"""A small Prometheus HTTP API client (httpx): instant and range queries, nothing else.

POST form-encoded (a PromQL text over every tenant is long), one timeout per query (httpx's,
and Prometheus' own `timeout` parameter so the server stops too), the settings' extra headers
(secret values: never logged, never in an error), a CA bundle, and ONE layer of bounded
retries (call_with_retry) for what may pass: a connection refused or reset, a timeout, a 5xx,
a 429 or a 503 (Prometheus' "query queue full"), honouring Retry-After. A 400 `bad_data` or a
422 `execution` error is permanent: the same query fails the same way. Every error names the
metric the query is for and Prometheus' `errorType`/`error`.

Prometheus writes sample values as strings, and "NaN", "+Inf", "-Inf" among them (a
histogram_quantile without observations is NaN): they come back as None, their labels listed
in `Result.nonfinite`, so no NaN reaches a figure unannounced.
"""

from __future__ import annotations

import math
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from jobs.core.errors import EndpointDown, PermanentError, TransientError
from jobs.core.redact import register, scrub
from jobs.core.retry import RetryPolicy, call_with_retry

#: tried three times in all: a report run makes ~30 queries and must not wait minutes on one
RETRY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=10.0)
MAX_RETRY_AFTER = 30.0


class QueryFailed(PermanentError):
    """Prometheus refused or could not run the query (400 bad_data, 422 execution, ...)."""

    def __init__(self, message: str, error_type: str = "") -> None:
        self.error_type = error_type
        super().__init__(message)


class QueryUnavailable(TransientError):
    """Worth another try: a timeout, a 5xx, a 429/503 (query queue full)."""


class _Refused(TransientError):
    """Connection refused or not made in time: retried here, then EndpointDown."""


@dataclass(frozen=True)
class Sample:
    labels: Mapping[str, str]
    value: float | None  # None: Prometheus answered NaN or an infinity


@dataclass(frozen=True)
class Points:
    labels: Mapping[str, str]
    values: tuple[tuple[datetime, float], ...]  # finite points only, in time order


@dataclass(frozen=True)
class Result:
    samples: tuple[Sample, ...] = ()  # an instant query's vector
    series: tuple[Points, ...] = ()  # a range query's matrix
    nonfinite: tuple[Mapping[str, str], ...] = field(default=())  # labels of the NaN/Inf values


class PrometheusClient:
    """One client per run; `requests` counts the HTTP requests made (retries included)."""

    def __init__(
        self,
        url: str,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        ca_file: str | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy = RETRY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        for value in (headers or {}).values():
            register(value)  # an Authorization value never reaches a log line or an error
        parts = urlsplit(url)
        if parts.password:
            register(parts.password)
        self.url = url.rstrip("/")
        #: what errors name: the URL without its user and password
        self.where = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])).rstrip("/")
        self.timeout = timeout
        self.retry = retry
        self.sleep = sleep
        self.requests = 0
        self._lock = threading.Lock()  # the source runs a few queries at once
        self._http = httpx.Client(
            headers=dict(headers or {}),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            verify=ssl.create_default_context(cafile=ca_file) if ca_file else True,
            transport=transport,
        )

    def __enter__(self) -> PrometheusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def instant(self, query: str, at: datetime, metric: str) -> Result:
        """`/api/v1/query` at `at`: one Sample per series of the vector."""
        data = self._post("/api/v1/query", {"query": query, "time": _stamp(at)}, metric)
        if data.get("resultType") != "vector":
            raise QueryFailed(f"{metric}: Prometheus answered a {data.get('resultType')}, not a vector")
        samples, nonfinite = [], []
        for row in data.get("result") or []:
            value = _number(row["value"][1])
            samples.append(Sample(row["metric"], value))
            if value is None:
                nonfinite.append(row["metric"])
        return Result(samples=tuple(samples), nonfinite=tuple(nonfinite))

    def range(self, query: str, start: datetime, end: datetime, step: float, metric: str) -> Result:
        """`/api/v1/query_range` from `start` to `end` (both evaluated) every `step` seconds."""
        form = {"query": query, "start": _stamp(start), "end": _stamp(end), "step": _seconds(step)}
        data = self._post("/api/v1/query_range", form, metric)
        series, nonfinite = [], []
        for row in data.get("result") or []:
            points = [(datetime.fromtimestamp(float(t), start.tzinfo), _number(v)) for t, v in row["values"]]
            series.append(Points(row["metric"], tuple((t, v) for t, v in points if v is not None)))
            if any(v is None for _, v in points):
                nonfinite.append(row["metric"])
        return Result(series=tuple(series), nonfinite=tuple(nonfinite))

    def _post(self, path: str, form: dict[str, str], metric: str) -> dict[str, Any]:
        form = {**form, "timeout": _seconds(self.timeout)}
        try:
            return call_with_retry(lambda: self._once(path, form, metric), self.retry, sleep=self.sleep)
        except _Refused as exc:
            raise EndpointDown(str(exc), self.where) from None

    def _once(self, path: str, form: dict[str, str], metric: str) -> dict[str, Any]:
        with self._lock:
            self.requests += 1
        try:
            response = self._http.post(self.url + path, data=form)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            if _tls(exc):  # a certificate refused now is refused on every try: say so, once
                raise QueryFailed(
                    f"{metric}: Prometheus at {self.where} failed TLS verification: {_why(exc)}"
                ) from None
            raise _Refused(f"{metric}: Prometheus unreachable at {self.where}: {_why(exc)}") from None
        except httpx.TimeoutException:
            raise QueryUnavailable(f"{metric}: Prometheus query timed out after {self.timeout:g}s") from None
        except httpx.TransportError as exc:
            raise QueryUnavailable(f"{metric}: Prometheus connection failed: {_why(exc)}") from None
        return _answer(response, metric)


def _answer(response: httpx.Response, metric: str) -> dict[str, Any]:
    """The `data` of a success; a typed error naming Prometheus' errorType and error otherwise."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    status = response.status_code
    if status == 200 and body.get("status") == "success":
        return dict(body.get("data") or {})
    kind = str(body.get("errorType") or "")
    detail = scrub(str(body.get("error") or response.text[:200] or response.reason_phrase))
    message = f"{metric}: Prometheus query failed (HTTP {status}{', ' + kind if kind else ''}): {detail}"
    if status in (429, 503) or status >= 500 or kind in ("timeout", "unavailable"):
        raise QueryUnavailable(message, _retry_after(response))
    raise QueryFailed(message, kind)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return min(float(value), MAX_RETRY_AFTER) if value.isdigit() else None


def _tls(exc: BaseException) -> bool:
    """Whether a connection failed on the certificate (ca_file, a private CA), not the network."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _why(exc: Exception) -> str:
    return scrub(str(exc) or type(exc).__name__)


def _number(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None


def _stamp(at: datetime) -> str:
    return f"{at.timestamp():.3f}".rstrip("0").rstrip(".")


def _seconds(value: float) -> str:
    """Prometheus reads a duration parameter as float seconds too."""
    return f"{value:g}"
