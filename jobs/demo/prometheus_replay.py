"""Recorded Prometheus answers on a loopback port: the usage-report demo where Prometheus is not
installed.

`Recorder` stands in front of the real (backfilled) Prometheus and keeps every answer it
relays; `Replayer` serves those answers again. A request is known by its path and its form
(the client POSTs `query`, `time` or `start`/`end`/`step`), so the demo's fixed `--now` makes
the same requests on every run. A request never recorded gets Prometheus' own error shape
(400 `bad_data`), which the source reports like any other refused query.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

Answers = dict[str, dict[str, Any]]  # request key → {"status": int, "body": JSON}


def request_key(path: str, form: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(sorted(form))}"


class _Handler(BaseHTTPRequestHandler):
    """Hands each request's path and form to the `_Server` that owns the listening socket."""

    protocol_version = "HTTP/1.1"
    server: _Listener

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        status, payload = self.server.owner.answer(parts.path, parse_qsl(parts.query) + parse_qsl(body), body)
        encoded = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (("Content-Type", "application/json"), ("Content-Length", str(len(encoded)))):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(encoded)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on the demo's terminal."""


class _Listener(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: _Server) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)


class _Server:
    """A threading HTTP server on 127.0.0.1:<free port> answering POST and GET via `answer`."""

    def __init__(self) -> None:
        self.server = _Listener(self)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, form: list[tuple[str, str]], body: str) -> tuple[int, Any]:
        raise NotImplementedError

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Replayer(_Server):
    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        super().__init__()

    def answer(self, path: str, form: list[tuple[str, str]], body: str) -> tuple[int, Any]:
        found = self.answers.get(request_key(path, form))
        if found is None:
            return 400, {"status": "error", "errorType": "bad_data", "error": "this request was not recorded"}
        return int(found["status"]), found["body"]


class Recorder(_Server):
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.answers: Answers = {}
        self.lock = threading.Lock()
        super().__init__()

    def answer(self, path: str, form: list[tuple[str, str]], body: str) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 - the loopback Prometheus the demo started
            self.upstream + path,
            data=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, payload = response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, json.loads(exc.read() or b"{}")
        with self.lock:
            self.answers[request_key(path, form)] = {"status": status, "body": payload}
        return status, payload


def load(path: Path) -> Answers:
    answers: Answers = json.loads(path.read_text())["answers"]
    return answers


def save(path: Path, answers: Answers, note: str) -> None:
    """Sorted and indented, series by their labels (Prometheus lists them in no fixed order):
    a re-recording that changes nothing changes no byte."""
    for answer in answers.values():
        data = answer["body"].get("data") if isinstance(answer["body"], dict) else None
        if isinstance(data, dict) and isinstance(data.get("result"), list):
            data["result"].sort(key=lambda series: json.dumps(series.get("metric"), sort_keys=True))
    document = {"note": note, "answers": dict(sorted(answers.items()))}
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
