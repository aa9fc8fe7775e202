"""The text report of every job: an action's line and the counts come from its outcome."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs.core.model import Action, Outcome, OutcomeKind, RunError, RunResult, RunStatus
from jobs.core.report import WORDS, outcome_counts, render_text

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def result(*outcomes: Outcome, dry_run: bool = False, errors: tuple[RunError, ...] = ()) -> RunResult:
    return RunResult(
        job="secret-rotation",
        run_id="0123456789abcdef",
        started_at=NOW,
        completed_at=NOW,
        status=RunStatus.SUCCESS,
        dry_run=dry_run,
        summary={"total_checked": len(outcomes)},
        findings=[],
        outcomes=list(outcomes),
        alerts_sent=[],
        errors=list(errors),
    )


ROTATE = Action("rotate", "vault:secret/apps/payments/api", "41 days old (max 30)")
NOTIFY = Action("notify", "owner:sam@example.com", "1 secret due soon", destructive=False)


def test_a_dry_run_of_secret_rotation_says_would_rotate_and_never_rotated() -> None:
    text = render_text(result(Outcome(ROTATE, OutcomeKind.PLANNED), Outcome(NOTIFY, OutcomeKind.PLANNED), dry_run=True))
    assert "would rotate  vault:secret/apps/payments/api  (41 days old (max 30))" in text
    assert "would notify owner  owner:sam@example.com" in text
    assert "rotated" not in text and "notified" not in text and "applied" not in text
    assert text.splitlines()[0].startswith("secret-rotation success (dry run: nothing done")


def test_a_failed_rotation_says_rotation_failed_with_its_error() -> None:
    text = render_text(result(Outcome(ROTATE, OutcomeKind.FAILED, error="postgres: connection refused")))
    assert "rotation failed: postgres: connection refused  vault:secret/apps/payments/api" in text
    assert "actions: rotation failed 1" in text and text.splitlines()[0].endswith("run 01234567)")


def test_a_guardrail_stop_is_not_applied_and_each_action_says_not_done_and_why() -> None:
    skipped = Outcome(ROTATE, OutcomeKind.SKIPPED, reason="guardrail: nothing done")
    text = render_text(result(skipped, errors=(RunError("guardrail", "1 actions planned, max_actions is 0"),)))
    assert "(stopped by a guardrail: nothing done" in text.splitlines()[0]
    assert "not rotated: guardrail: nothing done  vault:secret/apps/payments/api" in text


@pytest.mark.parametrize("kind", sorted(WORDS))
def test_every_outcome_of_every_known_kind_has_its_own_words(kind: str) -> None:
    action = Action(kind, "r", "why")
    phrases = [outcome_counts([Outcome(action, o)]) for o in OutcomeKind]
    assert len(set(phrases)) == len(OutcomeKind) and phrases[0].startswith("would ")
    assert all(" failed" not in p for p in phrases if p != phrases[2])


def test_a_kind_without_words_still_reads_from_its_outcome() -> None:
    action = Action("archive", "tenant:a", "old")
    assert outcome_counts([Outcome(action, OutcomeKind.PLANNED), Outcome(action, OutcomeKind.DONE)]) == (
        "would archive 1, archive done 1"
    )
    assert outcome_counts([]) == "no actions"
