"""The local outbox: one JSON line per message; the embedded default channel."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from jobs.core.errors import PermanentError
from notifications.message import Message
from notifications.settings import FileSettings


class FileNotifier:
    name = "file"
    per_message = True

    def __init__(self, config: FileSettings | None) -> None:
        self.path = Path((config or FileSettings()).path)

    def send(self, message: Message) -> None:
        line = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "kind": "resolve" if message.resolved else "alert",
            "severity": message.severity,
            "source": message.source,
            "title": message.title,
            "body": message.body,
            "fields": dict(message.fields),
            "dedup_key": message.dedup_key,
            "recipients": list(message.recipients),
            "attachments": [
                {"filename": a.filename, "bytes": len(a.content), "sha256": hashlib.sha256(a.content).hexdigest()}
                for a in message.attachments
            ],
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line, sort_keys=True) + "\n")
        except OSError as exc:
            raise PermanentError(f"outbox {self.path}: {exc.strerror or exc}") from None
