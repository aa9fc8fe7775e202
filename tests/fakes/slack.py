"""Slack: incoming webhooks and the Web API methods we call (docs.slack.dev reference).

Web API answers are HTTP 200 with {"ok": false, "error": ...} for API errors, and
429 with Retry-After when rate limited; webhooks answer 200 "ok" or 4xx with a text error.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.fakes.base import FakeServer, Request, Response

VALID_TOKEN = "xoxb-test-0123456789-abcdefghij"


class FakeSlack(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.channels = {"#alerts": "C0ALERTS01", "C0ALERTS01": "C0ALERTS01"}
        self.webhook_posts: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}
        self.completed: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self.route("POST", r"/services/(?P<hook>[A-Za-z0-9/]+)")(self._webhook)
        self.route("POST", r"/api/chat\.postMessage")(self._post_message)
        self.route("POST", r"/api/files\.getUploadURLExternal")(self._upload_url)
        self.route("POST", r"/upload/(?P<file_id>F\w+)")(self._upload)
        self.route("POST", r"/api/files\.completeUploadExternal")(self._complete)

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/services/T000/B000/XXXXSECRETHOOK"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def _webhook(self, request: Request) -> Response:
        try:
            payload = request.json()
        except ValueError:
            return Response(400, "invalid_payload")
        if not payload.get("text") and not payload.get("blocks"):
            return Response(400, "no_text")
        self.webhook_posts.append(payload)
        return Response(200, "ok")

    def _auth(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {VALID_TOKEN}":
            return Response(200, {"ok": False, "error": "invalid_auth"})
        return None

    def _post_message(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        payload = (
            request.json() if request.headers.get("content-type", "").startswith("application/json") else request.form()
        )
        channel = self.channels.get(payload.get("channel", ""))
        if channel is None:
            return Response(200, {"ok": False, "error": "channel_not_found"})
        ts = f"1700000000.{next(self._ids):06d}"
        self.messages.append({**payload, "channel_id": channel, "ts": ts})
        return Response(200, {"ok": True, "channel": channel, "ts": ts, "message": {"text": payload.get("text")}})

    def _upload_url(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        form = request.form()
        if not form.get("filename") or not form.get("length"):
            return Response(200, {"ok": False, "error": "invalid_arguments"})
        file_id = f"F{next(self._ids):08d}"
        return Response(200, {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id})

    def _upload(self, request: Request) -> Response:
        self.uploads[request.groups["file_id"]] = request.body
        return Response(200, f"OK - {len(request.body)}")

    def _complete(self, request: Request) -> Response:
        if denied := self._auth(request):
            return denied
        form = request.form()
        files = json.loads(form.get("files", "[]"))
        if any(f["id"] not in self.uploads for f in files):
            return Response(200, {"ok": False, "error": "file_not_found"})
        self.completed.append({**form, "files": files})
        return Response(200, {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]})
