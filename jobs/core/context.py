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
    #: --shard: whether this run's shard owns a key. The one place the shard is decided: `collect`
    #: asks it once per unit it reads (a file, an endpoint, a serial, a resource id), before reading
    #: more, so shards split the reading too; nothing filters again afterwards. Every certificate
    #: of a file goes with its file.
    owns: Callable[[str], bool] = field(default=lambda key: True)

    @classmethod
    def outside_a_run(
        cls, settings: Settings, section: str, destructive: bool, clients: dict[str, Any] | None = None
    ) -> JobContext:
        """For a job's own subcommands (explain, extend): the same settings, state and clients."""
        state = StateStore(settings.state_db_url)
        if settings.state_auto_migrate:
            from datetime import UTC, datetime

            state.upgrade(datetime.now(UTC))
        job = settings.job_settings(section, destructive)
        return cls(settings, job, state, run_id="cli", dry_run=False, clients=clients or {})

    def client(self, name: str, factory: Callable[[], Any]) -> Any:
        """An injected client if a test handed one in, else one built once by `factory`."""
        if name not in self.clients:
            self.clients[name] = factory()
        return self.clients[name]
