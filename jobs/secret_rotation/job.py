"""secret-rotation: read KV v2 metadata, decide purely, warn owners, rotate what is due.

Nothing is carried on `self` between collect, plan and apply: each item carries its journal
and the warnings sent about it, and each action its instant and its typed parameters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from jobs.core.clients.vault import section_client
from jobs.core.context import JobContext
from jobs.core.delivery import send_to_person
from jobs.core.errors import ConfigError
from jobs.core.job import BaseJob, typed_action
from jobs.core.model import Action, Finding, Inventory, Outcome, OutcomeKind, Plan, Severity
from jobs.core.permissions import Permissions
from jobs.core.state.notices import record_warning, warnings_sent
from jobs.secret_rotation import plan as planning
from jobs.secret_rotation.actions import Notice, Reconcile, Resume, Rotate, RotationAction
from jobs.secret_rotation.journal_store import open_operations, prune_journal
from jobs.secret_rotation.model import Tracked
from jobs.secret_rotation.policy import decide
from jobs.secret_rotation.rotation import Checkpoint
from jobs.secret_rotation.settings import SecretRotationSettings
from jobs.secret_rotation.steps import CLOSED, Rotator
from jobs.secret_rotation.targets import Target, build
from jobs.secret_rotation.targets import permissions as target_permissions
from jobs.secret_rotation.vault_kv import Kv
from jobs.secret_rotation.vault_kv import permissions as kv_permissions
from notifications.message import Message

log = logging.getLogger("secops.secret_rotation")


class Job(BaseJob[Tracked, SecretRotationSettings]):
    id = "secret-rotation"

    def __init__(self, ctx: JobContext[SecretRotationSettings]) -> None:
        super().__init__(ctx)
        self.parallel_actions = self.cfg.concurrency  # secrets are independent of each other

    def kv(self) -> Kv:
        import hvac

        v = self.cfg.vault
        return Kv(self.ctx.client("vault-kv", hvac.Client, lambda: section_client(v, self.ctx.settings.vault)), v.mount)

    # -- read ---------------------------------------------------------------------------
    def collect(self) -> Inventory[Tracked]:
        try:
            kv = self.kv()
        except ValueError as exc:  # nothing to rotate without a Vault: a configuration error (exit 2)
            raise ConfigError(f"secret_rotation.vault.url: {exc}") from None
        secrets, errors = kv.inventory(self.cfg.vault.paths)
        secrets = [s for s in secrets if self.ctx.owns(s.resource)]
        journals = open_operations(self.ctx.state, self.id, CLOSED)
        warned = warnings_sent(self.ctx.state, self.id, [s.resource for s in secrets])
        items = [Tracked(s, tuple(journals.get(s.path, ())), warned.get(s.resource, {})) for s in secrets]
        return Inventory(items, errors)

    # -- decide -------------------------------------------------------------------------
    def plan(self, items: Sequence[Tracked], now: datetime) -> Plan:
        force = bool(self.ctx.options.get("force"))
        decisions = [decide(t.secret, self.cfg.policies, now, force, t.warned) for t in items]
        targets: dict[str, list[str]] = {}
        for t in self.cfg.targets:
            targets.setdefault(t.secret.strip("/"), []).append(t.kind)
        return planning.build(items, decisions, targets, self.cfg.vault.mount, now)

    # -- act ----------------------------------------------------------------------------
    def apply(self, action: Action) -> None:
        HANDLERS[action.kind](self, action)

    def _rotate(self, action: Action) -> None:
        a = typed_action(action, Rotate)
        outcome = self.rotator(a).rotate(a.path, a.secret_type, a.version)
        log.info("rotated", extra={"fields": {"path": a.path, "outcome": outcome}})

    def _resume(self, action: Action) -> None:
        a = typed_action(action, Resume)
        outcome, unchanged = self.rotator(a).resume(a.path, a.secret_type, a.entries)
        log.info("resumed", extra={"fields": {"path": a.path, "outcome": outcome}})
        if unchanged and a.rotate_after:
            self._rotate(action)

    def _reconcile(self, action: Action) -> None:
        a = typed_action(action, Reconcile)
        self.kv().set_custom(a.path, a.custom)

    def _notify(self, action: Action) -> None:
        a = typed_action(action, Notice)
        lines = [f"- {e['path']} ({e['type']}): {e['reason']}" for e in a.entries]
        message = Message(
            severity="warning",
            title=f"{len(a.entries)} of your secrets are due for rotation",
            body="\n".join(lines),
            source=self.id,
            fields={"owner": a.owner, "secrets": str(len(a.entries))},
            dedup_key=f"{self.id}:notify:{a.owner}",
            recipients=(a.owner,),
        )
        send_to_person(self.ctx.settings, message, self.ctx.sleep)
        for e in a.entries:  # only once delivered
            record_warning(self.ctx.state, self.id, e["id"], e["key"], a.at, {"owner": a.owner})

    def rotator(self, action: RotationAction) -> Rotator:
        from jobs.core.runtime import ACTOR

        cfg = self.cfg
        return Rotator(
            kv=self.kv(),
            state=self.ctx.state,
            job_id=self.id,
            run_id=self.ctx.run_id,
            actor=ACTOR,
            now=action.at,
            targets_for=self.targets_for,
            rule_for=cfg.generation.__getitem__,
            test_attempts=cfg.test_attempts,
            test_backoff=cfg.test_backoff_seconds,
            rollout_timeout=cfg.rollout_timeout_seconds,
            lock_ttl=timedelta(minutes=cfg.lock_minutes),
            checkpoint=self.ctx.client("rotation-checkpoint", Checkpoint, Checkpoint),
        )

    def targets_for(self, path: str, secret_type: str) -> list[Target]:
        """The configured targets of `path`; they read the value under the type's data key."""
        key = self.cfg.generation[secret_type].key
        return [build(spec, key, self.ctx) for spec in self.cfg.targets if spec.secret.strip("/") == path]

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
        """Closed rotations older than `journal_days` leave the journal, counted from the
        instant this run acted for (a run that did nothing has added nothing to prune)."""
        at = next((o.action.at for o in outcomes if isinstance(o.action, RotationAction)), None)
        if at is None:
            return
        before = at - timedelta(days=self.cfg.journal_days)
        pruned = prune_journal(self.ctx.state, self.id, CLOSED, before)
        if pruned:
            log.info("journal_pruned", extra={"fields": {"entries": pruned, "before": before.isoformat()}})

    def record_metrics(self, registry: Any, plan: Plan, outcomes: Sequence[Outcome]) -> None:
        from jobs.secret_rotation.metrics import record

        record(registry, plan, outcomes, self.ctx.state, self.id)


#: action kind → what applies it (house rule 4: a table, not an if-chain)
HANDLERS: Final[dict[str, Callable[[Job, Action], None]]] = {
    "rotate": Job._rotate,
    "resume": Job._resume,
    "reconcile": Job._reconcile,
    "notify": Job._notify,
}


def permissions(cfg: SecretRotationSettings) -> Permissions:
    """Everything a run with `cfg` needs: the managed KV paths and each configured target."""
    return sum((target_permissions(t) for t in cfg.targets), kv_permissions(cfg.vault.mount, cfg.vault.paths))
