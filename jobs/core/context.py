"""What a job instance receives: settings, its own section (typed as the job declares it),
state, options, the shard it owns and the clients of the run."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from typing_extensions import TypeVar as DefaultTypeVar

from jobs.core.errors import ConfigError
from jobs.core.settings import JobSettings, Settings
from jobs.core.state.engine import StateStore

#: a job's settings section. Covariant (the context is frozen), so a context of a job's own
#: section is also a context of `JobSettings`, which is what a bare `JobContext` means.
CfgT = DefaultTypeVar("CfgT", bound=JobSettings, covariant=True, default=JobSettings)
SectionT = TypeVar("SectionT", bound=JobSettings)
ClientT = TypeVar("ClientT")


@dataclass(frozen=True)
class JobContext(Generic[CfgT]):
    settings: Settings
    job_settings: CfgT
    state: StateStore
    run_id: str
    dry_run: bool
    options: Mapping[str, Any] = field(default_factory=dict)
    #: the run's clients by name: those a test handed in (Runtime.clients), then those built
    #: once by `client`. Values are checked against the kind the caller names, never trusted.
    clients: dict[str, object] = field(default_factory=dict)
    #: --shard: whether this run's shard owns a key. The one place the shard is decided: `collect`
    #: asks it once per unit it reads (a file, an endpoint, a serial, a resource id), before reading
    #: more, so shards split the reading too; nothing filters again afterwards. Every certificate
    #: of a file goes with its file.
    owns: Callable[[str], bool] = field(default=lambda key: True)
    #: the run's sleep (Runtime.sleep): what a job's own retries wait with (an owner's mail
    #: refused by the server), so a test or the scheduler's shutdown is not held by a real sleep
    sleep: Callable[[float], None] = field(default=time.sleep)
    #: the run's instant (`--now`, else when it started): what a job whose reading depends on
    #: time asks (usage-report's period) in `collect`, which takes no `now` of its own
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def outside_a_run(
        cls,
        settings: Settings,
        section: str,
        destructive: bool,
        model: type[SectionT],
        clients: Mapping[str, object] | None = None,
        state: StateStore | None = None,
    ) -> JobContext[SectionT]:
        """For a job's own subcommands (explain, extend): the same settings, state and clients.
        `state`: a store already migrated that the caller keeps (a public route's, one per cold
        start: http_route.state_once); else one is built for this context."""
        if state is None:
            state = StateStore(settings.state_db_url, settings.state_retry_seconds)
            if settings.state_auto_migrate:
                state.upgrade(datetime.now(UTC))
        job = settings.job_settings(section, destructive)
        if not isinstance(job, model):
            raise ConfigError(f"{section}: settings are a {type(job).__name__}, not a {model.__name__}")
        return JobContext(settings, job, state, run_id="cli", dry_run=False, clients=dict(clients or {}))

    def client(self, name: str, kind: type[ClientT], factory: Callable[[], ClientT]) -> ClientT:
        """The client named `name`: one a test handed in, else one built once by `factory`.

        Typed by `kind`, checked at run time rather than cast: a client handed in under the
        wrong name fails here, naming it, not as an AttributeError deep in an adapter."""
        found = self.clients.get(name)
        if found is None:
            found = self.clients[name] = factory()
        if not isinstance(found, kind):
            raise TypeError(f"client {name!r} is a {type(found).__name__}, expected a {kind.__name__}")
        return found
