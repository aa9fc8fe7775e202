"""What a job instance receives: settings, its own section, state, options, clients."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jobs.core.settings import JobSettings, Settings
from jobs.core.state import StateStore


@dataclass
class JobContext:
    settings: Settings
    job_settings: JobSettings
    state: StateStore
    run_id: str
    dry_run: bool
    options: Mapping[str, Any] = field(default_factory=dict)
    clients: dict[str, Any] = field(default_factory=dict)
    owns: Callable[[str], bool] = field(default=lambda key: True)  # --shard: is this key ours?

    def client(self, name: str, factory: Callable[[], Any]) -> Any:
        """An injected client if a test handed one in, else one built once by `factory`."""
        if name not in self.clients:
            self.clients[name] = factory()
        return self.clients[name]
