"""Acting on alert decisions: route messages, record what went out, report what did not.

The decisions themselves are pure (alerts.py); this is the runner's side-effecting half.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from jobs.core.alerts import decide_alerts, message_for, record_after_send
from jobs.core.context import JobContext
from jobs.core.model import Finding, RunError, RunResult
from jobs.core.retry import RetryPolicy, call_with_retry
from jobs.core.settings import Settings
from jobs.core.state.alerts import alert_states, save_alert
from notifications.base import build_notifier
from notifications.message import Message
from notifications.router import Delivery, Router

log = logging.getLogger("secops.delivery")


def router_for(settings: Settings, sleep: Callable[[float], None]) -> Router:
    cfg = settings.notifications
    routes = cfg.effective_routes()
    channels = {c for chans in routes.values() for c in chans}
    notifiers = {name: build_notifier(name, getattr(cfg, name)) for name in channels}
    return Router(routes, notifiers, RetryPolicy(attempts=cfg.retry_attempts, base_delay=1.0), sleep)


def deliver(settings: Settings, result: RunResult, messages: list[Message], sleep: Callable[[float], None]) -> Delivery:
    """Send, and put what was sent and what failed on the run result."""
    delivery = router_for(settings, sleep).deliver(messages)
    for channel in delivery.sent:
        if channel not in result.alerts_sent:
            result.alerts_sent.append(channel)
    result.errors.extend(RunError(f"notify:{channel}", error) for channel, error in delivery.errors)
    return delivery


def send_alerts(
    job_id: str,
    ctx: JobContext,
    result: RunResult,
    resolve_missing: bool,
    sleep: Callable[[float], None],
    group: Callable[[Finding], str | None] = lambda finding: None,
) -> None:
    """Send what changed since the last alerts, then remember what was delivered."""
    now = result.started_at
    previous = alert_states(ctx.state, job_id, result.shard)
    repeat = ctx.job_settings.repeat_after_hours or ctx.settings.notifications.repeat_after_hours
    decisions = decide_alerts(result.findings, previous, now, repeat, resolve_missing)
    if not decisions:
        return
    messages = [message_for(job_id, d, group(d.finding) if d.finding else None) for d in decisions]
    delivery = deliver(ctx.settings, result, messages, sleep)
    for index in sorted(delivery.delivered):
        decision = decisions[index]
        save_alert(ctx.state, job_id, result.shard, decision.key, record_after_send(decision, now))
    log.info("alerts_sent", extra={"fields": {"decisions": len(decisions), "delivered": len(delivery.delivered)}})


def send_to_person(settings: Settings, message: Message, sleep: Callable[[float], None]) -> str:
    """A message for the people in `message.recipients` (an owner's warning): by e-mail when
    e-mail is configured, else into the outbox. Raises when it could not be delivered.

    The one retry layer for owner mail: `notifications.retry_attempts` tries with backoff, as
    for alerts; what it gives up on is marked retried, so the runner does not send it again."""
    cfg = settings.notifications
    channel = "email" if cfg.email is not None else "file"
    notifier = build_notifier(channel, getattr(cfg, channel))
    policy = RetryPolicy(attempts=cfg.retry_attempts, base_delay=1.0)
    call_with_retry(lambda: notifier.send(message), policy, sleep)
    return channel


def alert_guardrail(
    job_id: str, settings: Settings, result: RunResult, why: str, sleep: Callable[[float], None]
) -> None:
    message = Message(
        severity="critical",
        title=f"{job_id}: guardrail stopped the run",
        body=why,
        source=job_id,
        dedup_key=f"{job_id}:guardrail",
    )
    deliver(settings, result, [message], sleep)
