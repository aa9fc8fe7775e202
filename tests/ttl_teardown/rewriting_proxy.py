"""A loopback HTTP proxy in front of moto that edits its answers: what real AWS sends and moto
cannot (a tag without `Value`, one malformed record, one operation denied or throttled)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Rewrite = Callable[[bytes, bytes], bytes]  # (request body, response body) → response body
Deny = Callable[[bytes], bool]  # request body → answer `refusal` (403 UnauthorizedOperation) instead
DENIED = (
    b"<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized"
    b"</Message></Error></Errors><RequestID>1</RequestID></Response>"
)


@contextmanager
def rewriting_proxy(
    target: str, rewrite: Rewrite, deny: Deny = lambda _: False, refusal: tuple[int, bytes] = (403, DENIED)
) -> Iterator[str]:
    host, port = target.removeprefix("http://").split(":")

    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if deny(body):
                status, headers, payload = refusal[0], [("Content-Type", "text/xml")], refusal[1]
            else:
                upstream = http.client.HTTPConnection(host, int(port), timeout=60)
                upstream.request(self.command, self.path, body, dict(self.headers))
                answer = upstream.getresponse()
                status, headers, payload = answer.status, answer.getheaders(), rewrite(body, answer.read())
                upstream.close()
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
