"""Slack: an incoming webhook, or a bot token (chat.postMessage + files_upload_v2) via slack-sdk.

slack-sdk's own retry handlers are off (`retry_handlers=[]`; by default it tries a dropped
connection twice): the router is the one retry layer for every channel, so a message is tried
`notifications.retry_attempts` times, not twice that.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError, SlackClientError

from jobs.core.errors import PermanentError, TransientError
from notifications.message import Message
from notifications.settings import SlackSettings

_EMOJI = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}
_RETRYABLE = {429, 500, 502, 503, 504}


def blocks_for(message: Message) -> list[dict[str, Any]]:
    """Block Kit within Slack's limits (header 150, section 3000, 10 fields)."""
    emoji = ":white_check_mark:" if message.resolved else _EMOJI.get(message.severity, "")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{emoji} {message.headline}"[:150]}},
    ]
    if message.body:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": message.body[:3000]}})
    if message.fields:
        fields = [{"type": "mrkdwn", "text": f"*{k}*\n{v}"[:2000]} for k, v in list(message.fields.items())[:10]]
        blocks.append({"type": "section", "fields": fields})
    context = f"{message.source} · {message.severity}"
    if message.dedup_key:
        context += f" · `{message.dedup_key}`"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return blocks


def _retry_after(headers: Any) -> float | None:
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class SlackNotifier:
    name = "slack"
    per_message = False

    def __init__(self, config: SlackSettings) -> None:
        self.config = config

    def send(self, message: Message) -> None:
        text = f"{message.headline}\n{message.body}"[:3000]
        blocks = blocks_for(message)
        try:
            if self.config.webhook_url is not None:
                self._via_webhook(text, blocks)
            else:
                self._via_bot(message, text, blocks)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = exc.response.get("error", "unknown_error")
            if status in _RETRYABLE or error == "ratelimited":
                raise TransientError(f"slack {error} (HTTP {status})", _retry_after(exc.response.headers)) from None
            raise PermanentError(f"slack {error} (HTTP {status})") from None
        except (SlackClientError, OSError) as exc:
            raise TransientError(f"slack unreachable: {type(exc).__name__}") from None

    def _via_webhook(self, text: str, blocks: list[dict[str, Any]]) -> None:
        assert self.config.webhook_url is not None
        client = WebhookClient(
            self.config.webhook_url.get_secret_value(), timeout=int(self.config.timeout_seconds), retry_handlers=[]
        )
        response = client.send(text=text, blocks=blocks)
        if response.status_code == 200:
            return
        what = f"slack webhook HTTP {response.status_code}: {response.body[:200]}"
        if response.status_code in _RETRYABLE:
            raise TransientError(what, _retry_after(response.headers))
        raise PermanentError(what)

    def _via_bot(self, message: Message, text: str, blocks: list[dict[str, Any]]) -> None:
        assert self.config.bot_token is not None and self.config.channel
        client = WebClient(
            token=self.config.bot_token.get_secret_value(),
            base_url=self.config.api_url,
            timeout=int(self.config.timeout_seconds),
            retry_handlers=[],
        )
        posted = client.chat_postMessage(channel=self.config.channel, text=text, blocks=blocks)
        if not message.attachments:
            return
        # uploads need the channel ID; chat.postMessage answers with it
        client.files_upload_v2(
            channel=posted["channel"],
            thread_ts=posted["ts"],
            file_uploads=[
                {"content": a.content, "filename": a.filename, "title": a.filename} for a in message.attachments
            ],
            request_file_info=False,
        )
