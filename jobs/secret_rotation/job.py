"""secret-rotation: read KV v2 metadata, decide purely, warn owners, rotate what is due."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from jobs.core.clients.vault import section_client
from jobs.core.context import JobContext
from jobs.core.delivery import send_to_person
from jobs.core.errors import ConfigError
from jobs.core.job import BaseJob
from jobs.core.model import Action, Finding, Inventory, Outcome, OutcomeKind, Plan, Severity
from jobs.core.permissions import Permissions
from jobs.core.state import JournalEntry
from jobs.secret_rotation import plan as planning
from jobs.secret_rotation.model import ManagedSecret
from jobs.secret_rotation.policy import decide
from jobs.secret_rotation.settings import SecretRotationSettings
from jobs.secret_rotation.steps import CLOSED, Rotator, no_checkpoint
from jobs.secret_rotation.targets import Target, build
from jobs.secret_rotation.targets import permissions as target_permissions
from jobs.secret_rotation.vault_kv import Kv
from jobs.secret_rotation.vault_kv import permissions as kv_permissions
from notifications.message import Message

log = logging.getLogger("secops.secret_rotation")


class Job(BaseJob[ManagedSecret, SecretRotationSettings]):
    id = "secret-rotation"

    def __init__(self, ctx: JobContext[SecretRotationSettings]) -> None:
        super().__init__(ctx)
        self.parallel_actions = self.cfg.concurrency  # secrets are independent of each other
        self._open: dict[str, list[JournalEntry]] = {}
        self._warned: dict[str, dict[str, datetime]] = {}
        self._now: datetime | None = None

    def kv(self) -> Kv:
        import hvac

        v = self.cfg.vault
        return Kv(self.ctx.client("vault-kv", hvac.Client, lambda: section_client(v, self.ctx.settings.vault)), v.mount)

    # -- read ---------------------------------------------------------------------------
    def collect(self) -> Inventory[ManagedSecret]:
        try:
            kv = self.kv()
        except ValueError as exc:  # nothing to rotate without a Vault: a configuration error (exit 2)
            raise ConfigError(f"secret_rotation.vault.url: {exc}") from None
        secrets, errors = kv.inventory(self.cfg.vault.paths)
        secrets = [s for s in secrets if self.ctx.owns(s.resource)]
        self._open = self.ctx.state.open_operations(self.id, CLOSED)
        self._warned = self.ctx.state.warnings_sent(self.id, [s.resource for s in secrets])
        return Inventory(secrets, errors)

    # -- decide -------------------------------------------------------------------------
    def plan(self, items: Sequence[ManagedSecret], now: datetime) -> Plan:
        self._now = now
        force = bool(self.ctx.options.get("force"))
        decisions = [decide(s, self.cfg.policies, now, force, self._warned.get(s.resource)) for s in items]
        targets: dict[str, list[str]] = {}
        for t in self.cfg.targets:
            targets.setdefault(t.secret.strip("/"), []).append(t.kind)
        return planning.build(decisions, self._open, targets, self.cfg.vault.mount)

    # -- act ----------------------------------------------------------------------------
    def apply(self, action: Action) -> None:
        p = action.params
        if action.kind == "notify":
            self._notify(action)
        elif action.kind == "reconcile":
            self.kv().set_custom(p["path"], p["custom"])
        elif action.kind == "rotate":
            outcome = self.rotator().rotate(p["path"], p["type"], p["version"])
            log.info("rotated", extra={"fields": {"path": p["path"], "outcome": outcome}})
        elif action.kind == "resume":
            outcome, unchanged = self.rotator().resume(p["path"], p["type"], self._open[p["path"]])
            log.info("resumed", extra={"fields": {"path": p["path"], "outcome": outcome}})
            if unchanged and p["rotate_after"]:
                outcome = self.rotator().rotate(p["path"], p["type"], p["version"])
                log.info("rotated", extra={"fields": {"path": p["path"], "outcome": outcome}})

    def rotator(self) -> Rotator:
        from jobs.core.runner import ACTOR

        assert self._now is not None
        cfg = self.cfg
        return Rotator(
            kv=self.kv(),
            state=self.ctx.state,
            job_id=self.id,
            run_id=self.ctx.run_id,
            actor=ACTOR,
            now=self._now,
            targets_for=self.targets_for,
            rule_for=cfg.generation.__getitem__,
            test_attempts=cfg.test_attempts,
            test_backoff=cfg.test_backoff_seconds,
            rollout_timeout=cfg.rollout_timeout_seconds,
            lock_ttl=timedelta(minutes=cfg.lock_minutes),
            checkpoint=self.ctx.client("rotation-checkpoint", lambda: no_checkpoint),
        )

    def targets_for(self, path: str, secret_type: str) -> list[Target]:
        """The configured targets of `path`; they read the value under the type's data key."""
        key = self.cfg.generation[secret_type].key
        return [build(spec, key, self.ctx) for spec in self.cfg.targets if spec.secret.strip("/") == path]

    def _notify(self, action: Action) -> None:
        owner, entries = action.params["owner"], action.params["entries"]
        lines = [f"- {e['path']} ({e['type']}): {e['reason']}" for e in entries]
        message = Message(
            severity="warning",
            title=f"{len(entries)} of your secrets are due for rotation",
            body="\n".join(lines),
            source=self.id,
            fields={"owner": owner, "secrets": str(len(entries))},
            dedup_key=f"{self.id}:notify:{owner}",
            recipients=(owner,),
        )
        send_to_person(self.ctx.settings, message, lambda _: None)
        assert self._now is not None
        for e in entries:  # only once delivered
            self.ctx.state.record_warning(self.id, e["id"], e["key"], self._now, {"owner": owner})

    def outcome_findings(self, outcomes: Sequence[Outcome]) -> list[Finding]:
        return [
            Finding(
                "rotation_failed",
                Severity.CRITICAL,
                o.action.resource,
                o.error or "failed",
                {"type": o.action.details.get("type"), "action": o.action.kind},
            )
            for o in outcomes
            if o.action.kind in ("rotate", "resume") and o.outcome is OutcomeKind.FAILED
        ]

    def after_apply(self, run_id: str, outcomes: Sequence[Outcome]) -> None:
        assert self._now is not None
        before = self._now - timedelta(days=self.cfg.journal_days)
        pruned = self.ctx.state.prune_journal(self.id, CLOSED, before)
        if pruned:
            log.info("journal_pruned", extra={"fields": {"entries": pruned, "before": before.isoformat()}})

    def record_metrics(self, registry: Any, plan: Plan, outcomes: Sequence[Outcome]) -> None:
        from jobs.secret_rotation.metrics import record

        record(registry, plan, outcomes, self.ctx.state, self.id)


def permissions(cfg: SecretRotationSettings) -> Permissions:
    """Everything a run with `cfg` needs: the managed KV paths and each configured target."""
    return sum((target_permissions(t) for t in cfg.targets), kv_permissions(cfg.vault.mount, cfg.vault.paths))
