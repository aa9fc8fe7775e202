"""The alerts every job gets, on the series the runner pushes for every run (jobs.core.metrics).

Two depend on the job: `SecurityJobNotRunning` waits twice the job's own interval (per kind of
run: ttl-teardown's hourly warn-only run is watched apart from its daily teardown, and never
counts as one), `SecurityMetricsStale` twice the shortest interval of any of its runs. The
others hold for any job and are one rule each, so a job added later is covered with no edit.
Intervals are measured from the crons (intervals.py), never assumed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from jobs.core.alerting import Alert, Case, Runbook, series
from jobs.core.deploy.intervals import longest_gap
from jobs.core.errors import ConfigError
from jobs.core.registry import JobSpec

#: SecurityJobSlow: a run longer than this (seconds) is slow whatever the job
SLOW_SECONDS: Final = 600
#: where the jobs run on Kubernetes (the kustomize base's namespace), for the runbooks' commands
NAMESPACE: Final = "secops"
_NOW = 300  # seconds: when the promtool cases evaluate ("5m")


def modes(spec: JobSpec) -> dict[str | None, list[str]]:
    """The job's crons by kind of run: None for full runs, else the yielding options on."""
    found: dict[str | None, list[str]] = {}
    for schedule in spec.schedules:
        found.setdefault(spec.mode(schedule.args), []).append(schedule.cron)
    return found


def interval(spec: JobSpec, crons: list[str]) -> timedelta:
    """The longest gap between firings of `crons`; ConfigError naming the job when a cron is
    not one, or they never fire (a job that can never succeed cannot be alerted on)."""
    try:
        gap = longest_gap(crons)
    except ValueError as exc:
        raise ConfigError(f"job {spec.id}: {exc}") from None
    if gap is None:
        raise ConfigError(f"job {spec.id}: schedule {', '.join(crons)} never fires")
    return gap


def human(span: timedelta) -> str:
    """`2d`, `14h`, `1d12h30m`: Prometheus' duration notation, biggest unit first."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n)
    return text or "0m"


def _logs(job: str) -> str:
    return f"kubectl -n {NAMESPACE} logs -l app.kubernetes.io/name={job} --tail=200 --prefix"


NOT_RUNNING = Runbook(
    meaning="No run of the job (of this kind: `mode` is set for a lesser run, e.g. ttl-teardown's "
    "hourly `warn_only`) has succeeded for twice the longest gap between its scheduled runs. "
    "Either it is not scheduled at all (CronJob suspended or deleted, Lambda schedule disabled), "
    "every run since fails (SecurityJobFailed said so first), or a shard of it stopped.",
    checks=(
        "python -m jobs list",
        "python -m jobs audit --job <job_name> --since $(date -u -d '-7 days' +%FT%TZ)",
        f"kubectl -n {NAMESPACE} get cronjobs,jobs -l app.kubernetes.io/part-of=secops-jobs",
        _logs("<job_name>"),
        "time() - security_job_last_success_timestamp",
        "increase(security_job_runs_total[2d])",
    ),
    resolve=(
        "Unsuspend or redeploy the schedule (`kubectl apply -k cronjobs/overlays/prod`), or fix what "
        "makes every run fail, then run the job once by hand: `python -m jobs run <job_name>`.",
        'A series left by a shard layout that no longer runs (e.g. `shard="all"` from a manual run of a '
        "sharded job): delete its group, `curl -X DELETE <pushgateway>/metrics/job/<job_name>/shard/all`.",
    ),
)


def not_running(spec: JobSpec) -> list[Alert]:
    """Per kind of run: critical for the job's full runs, warning for a lesser mode."""
    found = []
    for mode, crons in modes(spec).items():
        window = 2 * interval(spec, crons)
        labels = {"job": spec.id, "job_name": spec.id, "shard": "all", **({"mode": mode} if mode else {})}
        selector = series("security_job_last_success_timestamp", {"job_name": spec.id, "mode": mode or ""})
        seconds = int(window.total_seconds())
        kind = f"{mode} runs" if mode else "runs"
        found.append(
            Alert(
                "SecurityJobNotRunning",
                f"time() - {selector} > {seconds}",
                "warning" if mode else "critical",
                f"{spec.id} has not succeeded for {human(window)}",
                f"No {kind} of {spec.id} (shard {{{{ $labels.shard }}}}) succeeded for more than {human(window)}, "
                f"twice the longest gap between its scheduled {kind} ({', '.join(crons)}).",
                NOT_RUNNING,
                fires=Case(
                    {series("security_job_last_success_timestamp", labels): f"{_NOW - seconds - 60}x10"}, (labels,)
                ),
                quiet=Case({series("security_job_last_success_timestamp", labels): f"{_NOW - seconds + 60}x10"}),
                labels={"job_name": spec.id},  # one rule per job: promtool refuses two alike
            )
        )
    return found


STALE = Runbook(
    meaning="The Pushgateway has had no push from the job for twice the shortest interval of its "
    "schedules: no run started at all, or runs cannot reach the Pushgateway (`pushgateway_url`). "
    "Every other alert on this job sees only its last push until this clears.",
    checks=(
        f"kubectl -n {NAMESPACE} get cronjobs -l app.kubernetes.io/part-of=secops-jobs",
        _logs("<job>") + " | grep metrics_push_failed",
        "time() - push_time_seconds",
        'up{job="pushgateway"}',
    ),
    resolve=(
        "Restore the schedule, or the network path and `pushgateway_url` the runs push to; the next run "
        "pushes again and the alert clears.",
    ),
)


def stale(spec: JobSpec) -> Alert:
    window = 2 * interval(spec, [s.cron for s in spec.schedules])
    seconds = int(window.total_seconds())
    pushed = series("push_time_seconds", {"job": spec.id, "instance": "", "shard": "all"})
    return Alert(
        "SecurityMetricsStale",
        f'time() - max by (job) (push_time_seconds{{job="{spec.id}"}}) > {seconds}',
        "warning",
        f"No metrics from {spec.id} for {human(window)}",
        f"The Pushgateway has had no push from {spec.id} for more than {human(window)}, twice its "
        "shortest scheduled interval: its runs are not starting or cannot push.",
        STALE,
        fires=Case({pushed: f"{_NOW - seconds - 60}x10"}, ({"job": spec.id},)),  # `max by (job)` keeps only job
        quiet=Case({pushed: f"{_NOW - seconds + 60}x10"}),
        labels={"job_name": spec.id},
    )


_RUN = {"job": "certificate-checker", "job_name": "certificate-checker", "shard": "all"}
_NEVER = {"job": "usage-report", "job_name": "usage-report", "shard": "all"}
_LAST_RUN = "security_job_last_run_timestamp"
_LAST_SUCCESS = "security_job_last_success_timestamp"

FAILED = Runbook(
    meaning="The last run of the job (this shard, this kind of run) did not succeed: its status was "
    "`failure` or `partial` (exit code 1 or 3), so part of its work was not done. The run result's "
    "`errors` name the source (a Vault, an AWS region, a consumer, the state DB) and why.",
    checks=(
        "python -m jobs audit --job <job_name> --since $(date -u -d '-1 day' +%FT%TZ) --json",
        _logs("<job_name>") + ' | grep -E \'"level": "(error|warning)"\'',
        "python -m jobs run <job_name> --dry-run --json | jq '.status, .errors'",
        'increase(security_job_runs_total{status=~"failure|partial"}[1d])',
        "security_job_state_db_up == 0",
    ),
    resolve=(
        "Fix what the errors name (credentials, reachability, a bad setting: `--config` errors exit 2), "
        "then run the job again; the alert clears with the next successful run of the same shard and mode.",
    ),
)

FINDINGS = Runbook(
    meaning="The last run of the job reported critical findings (an expiring certificate, a leaked "
    "secret, a resource past its ttl...). The job has already notified its critical channels itself; "
    "this alert keeps them visible until a run no longer finds them.",
    checks=(
        "python -m jobs run <job_name> --dry-run --json | jq '.findings[] | select(.severity == \"critical\")'",
        "python -m jobs audit --job <job_name> --since $(date -u -d '-1 day' +%FT%TZ)",
        'security_job_findings{severity="critical"} > 0',
    ),
    resolve=("Resolve each finding as its message says; the next run that finds none clears the alert.",),
)

SLOW = Runbook(
    meaning=f"The last run of the job took more than {SLOW_SECONDS} s. Slow sources (an endpoint that "
    "times out, AWS throttling, a lock waited for) or a grown inventory; a run this slow risks its "
    "deadline (`activeDeadlineSeconds`, the Lambda timeout) and overlapping the next schedule.",
    checks=(
        "security_job_duration_seconds",
        "histogram_quantile(0.95, sum by (job_name, le) (increase(security_job_run_duration_seconds_bucket[7d])))",
        _logs("<job_name>") + " | grep -E 'retry|timeout|run_waiting'",
    ),
    resolve=(
        "Remove or fix the slow source (timeouts are per source in the settings), or split the job into "
        "shards (`Schedule.shards`: an Indexed Job on Kubernetes, a Step Functions Map on Lambda).",
    ),
)


def every_job() -> list[Alert]:
    """One rule each, for any job that pushes the runner's series."""
    run, success = series(_LAST_RUN, _RUN), series(_LAST_SUCCESS, _RUN)
    return [
        Alert(
            "SecurityJobFailed",
            f"{_LAST_RUN} > {_LAST_SUCCESS} or ({_LAST_RUN} unless {_LAST_SUCCESS})",
            "warning",
            "The last run of {{ $labels.job_name }} failed",
            "The last run of {{ $labels.job_name }} (shard {{ $labels.shard }}) ended in failure or partial: "
            "it has not succeeded since it started.",
            FAILED,
            fires=Case({run: "200x10", success: "100x10", series(_LAST_RUN, _NEVER): "50x10"}, (_RUN, _NEVER)),
            quiet=Case({run: "100x10", success: "150x10"}),
        ),
        Alert(
            "SecurityCriticalFindings",
            'security_job_findings{severity="critical"} > 0',
            "warning",
            "{{ $labels.job_name }} reported critical findings",
            "The last run of {{ $labels.job_name }} (shard {{ $labels.shard }}) reported critical findings; "
            "its own notifications carry the details.",
            FINDINGS,
            fires=Case({series("security_job_findings", {**_RUN, "severity": "critical"}): "3x10"}, (_RUN,)),
            quiet=Case(
                {
                    series("security_job_findings", {**_RUN, "severity": "critical"}): "0x10",
                    series("security_job_findings", {**_RUN, "severity": "warning"}): "4x10",
                }
            ),
        ),
        Alert(
            "SecurityJobSlow",
            f"security_job_duration_seconds > {SLOW_SECONDS}",
            "warning",
            "{{ $labels.job_name }} runs slowly",
            f"The last run of {{{{ $labels.job_name }}}} (shard {{{{ $labels.shard }}}}) took more than "
            f"{SLOW_SECONDS} seconds.",
            SLOW,
            fires=Case({series("security_job_duration_seconds", _RUN): f"{SLOW_SECONDS + 1}x10"}, (_RUN,)),
            quiet=Case({series("security_job_duration_seconds", _RUN): f"{SLOW_SECONDS}x10"}),
        ),
    ]
