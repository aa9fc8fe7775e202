"""The one application service: a RunRequest in, (exit code, RunResult) out.

Every entry point turns what it is given into a RunRequest and calls `invoke`: the CLI its
argv (cli.py), the scheduler a Schedule (scheduler.py), the Lambda handler an event
(aws_lambda.py), the demo the sandbox it prepared (jobs/demo). A Schedule's args and an
event's args are the same thing, the command line's options by their long names, and become
a request through `request_from_options` only; nobody builds an argv for another to parse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from jobs.core import logs
from jobs.core.errors import ConfigError, UsageError
from jobs.core.model import RunResult, Severity, parse_instant
from jobs.core.registry import JOBS, JobOption, JobSpec
from jobs.core.resolve import load_settings
from jobs.core.runner import run_job
from jobs.core.runtime import RunOptions, Runtime, Shard

SEVERITY_CHOICES: Final = ("critical", "warning", "info")
#: options every job takes that are flags (True = given); `json` only matters to a terminal
RUN_FLAGS: Final = ("dry_run", "apply", "json")


@dataclass(frozen=True)
class RunRequest:
    """One run of one job, as every entry point asks for it."""

    spec: JobSpec
    options: RunOptions = field(default_factory=RunOptions)
    config: str | None = None  # --config; None: $SECOPS_CONFIG, else the built-in defaults
    #: the table whose sections the settings file may hold (the scheduler's, validated at start)
    jobs: Mapping[str, JobSpec] = field(default_factory=lambda: JOBS)


def invoke(request: RunRequest, runtime: Runtime | None = None) -> tuple[int, RunResult]:
    """Settings, then one run. ConfigError (exit 2, nothing done) when the job is not in this
    build or its settings are bad; each entry point reports it its own way (a line on stderr,
    a Lambda result, an alert)."""
    spec = request.spec
    if not spec.available:
        raise ConfigError(f"job {spec.id} is not available in this build")
    settings = load_settings(request.config, {**request.jobs, spec.id: spec})
    logs.configure(settings.log_level)
    result = run_job(spec, settings, request.options, runtime)
    return result.exit_code, result


def request_from_options(
    spec: JobSpec, options: Mapping[str, object], jobs: Mapping[str, JobSpec] | None = None
) -> RunRequest:
    """A Schedule's or a Lambda event's options, by the command line's long names (`config`,
    `dry_run`, `apply`, `now`, `fail_on`, `shard` and the job's own), as the request that
    command line makes. A flag is given by True; False and None leave an option out, as a flag
    not given. UsageError, worded as the command line words it, for what it would refuse."""
    given = {str(name): value for name, value in options.items() if value is not None and value is not False}
    _refuse_unknown(spec, given)
    dry_run, act, _ = (_is_given(spec, given, name) for name in RUN_FLAGS)
    if dry_run and act:
        first, second = sorted(("dry_run", "apply"), key=list(given).index)
        raise UsageError(spec.id, f"argument {_flag(second)}: not allowed with argument {_flag(first)}")
    fail_on = _value(spec, given, "fail_on", SEVERITY_CHOICES)
    shard = _value(spec, given, "shard")
    run_options = RunOptions(
        dry_run=True if dry_run else False if act else None,
        now=_now(spec, given),
        fail_on=Severity(fail_on) if fail_on else None,
        shard=Shard.parse(shard) if shard else None,
        job_args={
            o.name: _option(spec, given, o)
            for o in spec.options
            if (_is_given(spec, given, o.name) if o.kind == "flag" else o.name in given)
        },
    )
    return RunRequest(spec, run_options, _value(spec, given, "config"), jobs or JOBS)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _refuse_unknown(spec: JobSpec, given: Mapping[str, object]) -> None:
    known = {"config", "now", "fail_on", "shard", *RUN_FLAGS, *(o.name for o in spec.options)}
    unknown = [(name, value) for name, value in given.items() if name not in known]
    if unknown:
        words = [_flag(n) if v is True else f"{_flag(n)} {v}" for n, v in unknown]
        raise UsageError(spec.id, f"unrecognized arguments: {' '.join(words)}")


def _is_given(spec: JobSpec, given: Mapping[str, object], name: str) -> bool:
    """Whether a flag is given; UsageError when it holds anything but True."""
    if name not in given:
        return False
    if given[name] is not True:
        raise UsageError(spec.id, f"argument {_flag(name)}: takes no value, got {given[name]!r}")
    return True


def _value(spec: JobSpec, given: Mapping[str, object], name: str, choices: tuple[str, ...] = ()) -> str | None:
    """The text of a valued option; UsageError when it is a bare flag or not one of `choices`."""
    if name not in given:
        return None
    value = given[name]
    if value is True:
        raise UsageError(spec.id, f"argument {_flag(name)}: expected one argument")
    text = str(value)
    if choices and text not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise UsageError(spec.id, f"argument {_flag(name)}: invalid choice: {text!r} (choose from {allowed})")
    return text


def _option(spec: JobSpec, given: Mapping[str, object], option: JobOption) -> object:
    """A given job option's value as the command line would parse it."""
    if option.kind == "flag":
        return True
    if option.kind == "values":
        return _values(spec, given, option.name)
    return _value(spec, given, option.name, option.choices)


def _values(spec: JobSpec, given: Mapping[str, object], name: str) -> list[str]:
    """A repeatable option (`--repo A --repo B`): a list of texts, or one text for one value."""
    value = given[name]
    items = value if isinstance(value, list | tuple) else [value]
    if not items or any(item is True or item is None or isinstance(item, bool) for item in items):
        raise UsageError(spec.id, f"argument {_flag(name)}: expected one argument")
    return [str(item) for item in items]


def _now(spec: JobSpec, given: Mapping[str, object]) -> datetime | None:
    text = _value(spec, given, "now")
    try:
        return parse_instant(text) if text is not None else None
    except ValueError as exc:
        raise UsageError(spec.id, f"argument --now: {exc}") from None
