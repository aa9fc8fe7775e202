"""The Prometheus client's error handling, retries and NaN mapping.

Prometheus' documented error shapes (400 bad_data, 422 execution, 503 on a timeout or an
abort, `{"status": "error", "errorType": ..., "error": ...}`) are answered by an
httpx.MockTransport; a refused port and a loopback server that accepts and never answers
are real sockets.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobs.core.clients.prometheus import PrometheusClient, QueryFailed, QueryUnavailable
from jobs.core.errors import EndpointDown
from tests import services

AT = datetime(2026, 12, 1, tzinfo=UTC)
VECTOR = {"status": "success", "data": {"resultType": "vector", "result": []}}


def _error(status: int, kind: str, error: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"status": "error", "errorType": kind, "error": error}, headers=headers)


def _client(answers: list[httpx.Response], sleeps: list[float] | None = None, **kw: Any) -> PrometheusClient:
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    slept = sleeps if sleeps is not None else []
    return PrometheusClient(
        "http://prometheus.test", 5, transport=httpx.MockTransport(handler), sleep=slept.append, **kw
    )


def test_bad_data_is_permanent_and_names_the_metric_and_prometheus_error() -> None:
    client = _client([_error(400, "bad_data", 'parse error at char 5: unexpected "}"')])
    with pytest.raises(QueryFailed) as caught:
        client.instant("sum(", AT, "latency_p95")
    assert str(caught.value) == (
        'latency_p95: Prometheus query failed (HTTP 400, bad_data): parse error at char 5: unexpected "}"'
    )
    assert caught.value.error_type == "bad_data"
    assert client.requests == 1  # not retried: the same query fails the same way


def test_an_execution_error_is_permanent_too() -> None:
    client = _client([_error(422, "execution", "many-to-many matching not allowed")])
    with pytest.raises(QueryFailed, match="HTTP 422, execution"):
        client.instant("x", AT, "calls")
    assert client.requests == 1


def test_a_full_query_queue_is_retried_after_its_retry_after() -> None:
    sleeps: list[float] = []
    answers = [_error(503, "unavailable", "query queue full", **{"Retry-After": "2"}), httpx.Response(200, json=VECTOR)]
    client = _client(answers, sleeps)
    assert client.instant("x", AT, "calls").samples == ()
    assert client.requests == 2 and sleeps == [2.0]


def test_throttling_and_5xx_are_retried_a_bounded_number_of_times() -> None:
    sleeps: list[float] = []
    client = _client([httpx.Response(429, text="slow down"), httpx.Response(502, text="bad gateway")], sleeps)
    with pytest.raises(
        QueryUnavailable, match="bytes_in: Prometheus query failed \\(HTTP 502\\): bad gateway"
    ) as caught:
        client.instant("x", AT, "bytes_in")
    assert client.requests == 3 and len(sleeps) == 2  # one layer: three attempts in all
    assert caught.value.retried  # no layer above tries it again


def test_nan_and_infinities_come_back_as_none_and_are_listed() -> None:
    result = {
        "resultType": "vector",
        "result": [
            {"metric": {"tenant": "a"}, "value": [1796083200, "NaN"]},
            {"metric": {"tenant": "b"}, "value": [1796083200, "+Inf"]},
            {"metric": {"tenant": "c"}, "value": [1796083200, "0.25"]},
        ],
    }
    got = _client([httpx.Response(200, json={"status": "success", "data": result})]).instant("x", AT, "latency_p50")
    assert [(s.labels["tenant"], s.value) for s in got.samples] == [("a", None), ("b", None), ("c", 0.25)]
    assert got.nonfinite == ({"tenant": "a"}, {"tenant": "b"})


def test_a_range_query_keeps_finite_points_only() -> None:
    matrix = {
        "resultType": "matrix",
        "result": [{"metric": {"tenant": "a"}, "values": [[1796079600, "1"], [1796083200, "NaN"]]}],
    }
    client = _client([httpx.Response(200, json={"status": "success", "data": matrix})])
    got = client.range("x", AT, AT, 3600, "latency_p99")
    assert got.series[0].values == ((datetime(2026, 11, 30, 23, tzinfo=UTC), 1.0),)
    assert got.nonfinite == ({"tenant": "a"},)


def test_the_header_secret_never_reaches_an_error() -> None:
    secret = "Bearer pr0m-" + "9f8e7d6c5b4a"

    def echo(request: httpx.Request) -> httpx.Response:  # a proxy that quotes what it refused
        return _error(400, "bad_data", f"refused Authorization: {request.headers['Authorization']}")

    client = PrometheusClient(
        "http://prometheus.test", 5, {"Authorization": secret}, transport=httpx.MockTransport(echo)
    )
    with pytest.raises(QueryFailed) as caught:
        client.instant("x", AT, "calls")
    assert secret not in str(caught.value) and "pr0m-" not in str(caught.value)
    assert "refused Authorization: ***" in str(caught.value)
    assert secret not in repr(client.__dict__.get("_http"))


def test_a_refused_connection_is_endpoint_down_after_the_retries() -> None:
    port = services.free_port()  # nothing listens there
    sleeps: list[float] = []
    client = PrometheusClient(f"http://127.0.0.1:{port}", 2, sleep=sleeps.append)
    with pytest.raises(EndpointDown, match=f"calls: Prometheus unreachable at http://127.0.0.1:{port}"):
        client.instant("x", AT, "calls")
    assert client.requests == 3 and len(sleeps) == 2


def test_a_query_that_stalls_times_out_and_is_transient(stalling: str) -> None:
    sleeps: list[float] = []
    client = PrometheusClient(stalling, 0.2, sleep=sleeps.append)
    with pytest.raises(QueryUnavailable, match=r"latency_p95: Prometheus query timed out after 0\.2s"):
        client.instant("x", AT, "latency_p95")
    assert client.requests == 3


def test_the_queries_are_posted_form_encoded_with_prometheus_own_timeout() -> None:
    seen: list[httpx.Request] = []

    def keep(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=VECTOR)

    query = 'sum by (tenant) (x{tenant=~"' + "|".join(f"t{i}" for i in range(3000)) + '"})'
    PrometheusClient("http://p.test/", 7.5, transport=httpx.MockTransport(keep)).instant(query, AT, "calls")
    [request] = seen
    assert request.method == "POST" and str(request.url) == "http://p.test/api/v1/query"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form == {"query": query, "time": "1796083200", "timeout": "7.5"}


@pytest.fixture
def tls_prometheus(tmp_path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """An HTTPS loopback server under a self-signed CA answering an empty vector; it keeps
    the Authorization headers it got."""
    cert, key = services.self_signed(tmp_path)
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps(VECTOR).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", str(cert), seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_private_ca_is_trusted_through_ca_file_only(tls_prometheus: tuple[str, str, list[str]]) -> None:
    url, ca_file, seen = tls_prometheus
    trusted = PrometheusClient(url, 5, {"Authorization": "Bearer tls-t0ken-7"}, ca_file=ca_file)
    assert trusted.instant("up", AT, "calls").samples == ()
    assert seen == ["Bearer tls-t0ken-7"]  # the settings' headers are sent
    untrusted = PrometheusClient(url, 5)
    with pytest.raises(QueryFailed, match=r"calls: Prometheus at https://127\.0\.0\.1:\d+ failed TLS verification: "):
        untrusted.instant("up", AT, "calls")
    assert untrusted.requests == 1  # not retried: the certificate will not change in a second
