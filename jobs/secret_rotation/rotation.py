"""What one rotation is made of, apart from the steps that run it (steps.py): the facts it
gathers as it goes, how a type's new value is made, and the checkpoint a Rotator calls after
each step's journal entry is durable."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from jobs.secret_rotation.generate import Alphabet
from jobs.secret_rotation.journal import Operation
from jobs.secret_rotation.model import ManagedSecret
from jobs.secret_rotation.targets import Data, Target


def _nothing(step: str) -> None:
    """Production's checkpoint: the next step follows at once."""


@dataclass(frozen=True)
class Checkpoint:
    """Called with a step's name once that step's `after` entry is durable. Only the crash
    tests pass one that does something (it kills the process: tests/secret_rotation/crashing.py);
    it reaches the Rotator as the run's `rotation-checkpoint` client."""

    after: Callable[[str], None] = _nothing

    def __call__(self, step: str) -> None:
        self.after(step)


class Rule(Protocol):
    """How a type's new value is made (settings.Generation satisfies it)."""

    @property
    def length(self) -> int: ...

    @property
    def alphabet(self) -> Alphabet: ...

    @property
    def key(self) -> str: ...


@dataclass
class Rotation:
    """One rotation's facts: where it started, what it wrote, who consumes it."""

    op: Operation
    secret: ManagedSecret
    start: int
    old: Data
    targets: Sequence[Target]
    to: int = 0
    new: Data = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.secret.path
