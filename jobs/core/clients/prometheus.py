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
    #: (labels, why) of each series dropped for a malformed sample; labels {} when unreadable
    malformed: tuple[tuple[Mapping[str, str], str], ...] = ()
    #: Prometheus' `warnings` of a success (a partial response): the answer may be incomplete
    warnings: tuple[str, ...] = ()


class Malformed(ValueError):
    """One row of an answer that is not what the HTTP API documents: that series is dropped."""


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
        """`/api/v1/query` at `at`: one Sample per series of the vector; a malformed row is
        dropped and listed in `Result.malformed` (that series' problem, not the query's)."""
        data, warnings = self._post("/api/v1/query", {"query": query, "time": _stamp(at)}, metric)
        rows = _rows(data, "vector", metric)
        samples, nonfinite, malformed = [], [], []
        for row in rows:
            try:
                labels, value = _labels(row), _number(_pair(row.get("value"))[1])
            except Malformed as exc:
                malformed.append((_labels_or_none(row), str(exc)))
                continue
            samples.append(Sample(labels, value))
            if value is None:
                nonfinite.append(labels)
        return Result(tuple(samples), (), tuple(nonfinite), tuple(malformed), warnings)

    def range(self, query: str, start: datetime, end: datetime, step: float, metric: str) -> Result:
        """`/api/v1/query_range` from `start` to `end` (both evaluated) every `step` seconds."""
        form = {"query": query, "start": _stamp(start), "end": _stamp(end), "step": _seconds(step)}
        data, warnings = self._post("/api/v1/query_range", form, metric)
        series, nonfinite, malformed = [], [], []
        for row in _rows(data, "matrix", metric):
            try:
                labels, points = _labels(row), [_point(pair, start) for pair in _list(row.get("values"))]
            except Malformed as exc:
                malformed.append((_labels_or_none(row), str(exc)))
                continue
            series.append(Points(labels, tuple((t, v) for t, v in points if v is not None)))
            if any(v is None for _, v in points):
                nonfinite.append(labels)
        return Result((), tuple(series), tuple(nonfinite), tuple(malformed), warnings)

    def _post(self, path: str, form: dict[str, str], metric: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        form = {**form, "timeout": _seconds(self.timeout)}
        try:
            return call_with_retry(lambda: self._once(path, form, metric), self.retry, sleep=self.sleep)
        except _Refused as exc:
            raise EndpointDown(str(exc), self.where) from None

    def _once(self, path: str, form: dict[str, str], metric: str) -> tuple[dict[str, Any], tuple[str, ...]]:
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


def _answer(response: httpx.Response, metric: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The `data` and `warnings` of a success; a typed error naming Prometheus' errorType and
    error otherwise. A success whose `data` is not an object is a malformed answer: failed."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    status = response.status_code
    if status == 200 and body.get("status") == "success":
        data = body.get("data")
        if not isinstance(data, dict):
            raise QueryFailed(f"{metric}: Prometheus answered a malformed success (no data object)")
        warnings = body.get("warnings")
        told = [warnings] if isinstance(warnings, str) else warnings if isinstance(warnings, list) else []
        return data, tuple(scrub(str(w))[:300] for w in told if str(w).strip())
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


def _rows(data: Mapping[str, Any], kind: str, metric: str) -> list[Mapping[str, Any]]:
    """The result rows of a `kind` answer; the whole answer is malformed (the query failed)
    when it is another type or its result is not a list."""
    if data.get("resultType") != kind:
        raise QueryFailed(f"{metric}: Prometheus answered a {str(data.get('resultType'))[:40]}, not a {kind}")
    rows = data.get("result")
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise QueryFailed(f"{metric}: Prometheus answered a malformed {kind} (result is not a list)")
    return [row if isinstance(row, dict) else {"_": row} for row in rows]


def _labels(row: Mapping[str, Any]) -> Mapping[str, str]:
    labels = row.get("metric", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise Malformed("labels are not an object of strings")
    return labels


def _labels_or_none(row: Mapping[str, Any]) -> Mapping[str, str]:
    """A malformed row's labels when they are readable (to name its tenant), else {}."""
    try:
        return _labels(row)
    except Malformed:
        return {}


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise Malformed("no list of values")
    return value


def _pair(value: object) -> list[object]:
    if not isinstance(value, list) or len(value) != 2:
        raise Malformed("a sample is not a [time, value] pair")
    return value


def _point(pair: object, start: datetime) -> tuple[datetime, float | None]:
    stamp, value = _pair(pair)
    try:
        at = datetime.fromtimestamp(float(stamp), start.tzinfo)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        raise Malformed(f"timestamp {str(stamp)[:40]!r} is not a number") from None
    return at, _number(value)


def _number(text: object) -> float | None:
    """Prometheus' sample value (a string); None for NaN/Inf; Malformed for anything else."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = str(float(text))
    if not isinstance(text, str):
        raise Malformed(f"value {str(text)[:40]!r} is not a string")
    try:
        value = float(text)
    except ValueError:
        raise Malformed(f"value {text[:40]!r} is not a number") from None
    return value if math.isfinite(value) else None


def _stamp(at: datetime) -> str:
    return f"{at.timestamp():.3f}".rstrip("0").rstrip(".")


def _seconds(value: float) -> str:
    """Prometheus reads a duration parameter as float seconds too."""
    return f"{value:g}"
