"""The typed error tree: each class maps to one runner behaviour and exit code."""

from __future__ import annotations


class SecopsError(Exception):
    """Base of every error the runner knows how to report."""


class ConfigError(SecopsError):
    """Bad usage or settings: exit 2, nothing was done.

    `problems` holds one line per bad value, each naming the key.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class UsageError(ConfigError):
    """A command line, a schedule's or a Lambda event's options that the command line refuses:
    exit 2, one line naming the option (`detail` is argparse's own wording, e.g. "argument
    --now: 'x' is not an ISO 8601 instant"), nothing done."""

    def __init__(self, prog: str, detail: str) -> None:
        self.detail = detail
        super().__init__(f"{prog}: {detail} (see --help)")


class TransientError(SecopsError):
    """Worth retrying with backoff (timeouts, throttling, 5xx), by exactly one layer.

    `retried`: a layer already spent its attempts on it (the client library's own, such as
    botocore's, or a `call_with_retry`), so no layer above tries again. Without it a throttled
    AWS call was retried by botocore and the whole action again by the runner: 3 x 4 calls.
    """

    def __init__(self, message: str, retry_after: float | None = None, retried: bool = False) -> None:
        self.retry_after = retry_after
        self.retried = retried
        super().__init__(message)


class RetryLater(TransientError):
    """Blocked by another action of the same run (a security group still in use by an
    instance being terminated): retried after the other actions, a few passes at most."""


class PermanentError(SecopsError):
    """Retrying will not help: recorded on the item, the next item goes on."""


class GuardrailTripped(SecopsError):
    """A destructive plan is larger than the configured limits: exit 3, nothing done."""


class EndpointDown(TransientError):
    """The service could not be reached at all (connection refused, connect timeout): the
    client's own retries are spent, and the next action would most likely wait the same way.
    The runner stops acting after a few of these in a row (apply.Breaker)."""

    def __init__(self, message: str, endpoint: str = "") -> None:
        self.endpoint = endpoint
        super().__init__(message, retried=True)


class StateUnavailable(SecopsError):
    """The state DB could not be read or written within its retry budget. Nothing may be done
    that would go unrecorded, so the action (or the run) that needed it stops."""


class DemoUnavailable(SecopsError):
    """What one job's demo needs is not installed; the message says what to install. No exit
    code of its own: `python -m jobs demo` prints it, skips that job and goes on (exit 0)."""
