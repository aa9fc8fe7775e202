"""What usage-report reads and decides: plain frozen data, shared by every module of the job.

The flow: sources fill a `TenantUsage` per tenant (raw figures, as Prometheus, the control
plane and analytics gave them); `aggregate.aggregate` turns one into a `TenantReport` (every
number the PDF, the mail, the CSV and the JSON show, computed once); `render.render` turns a
report into PDF bytes. None of these types holds a credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: a chart's series: (instant, value) pairs in time order; a missing step is absent, not 0
Series = tuple[tuple[datetime, float], ...]

#: the series names a TenantUsage may carry (one range query each, for all tenants)
SERIES = ("calls", "errors", "latency_p50", "latency_p95", "latency_p99", "bytes_in", "bytes_out")


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; `kind` is "daily" or "weekly"."""

    kind: str
    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def days(self) -> float:
        return self.length.total_seconds() / 86400

    @property
    def previous(self) -> Period:
        """The period just before, of the same length (what the deltas compare with)."""
        return Period(self.kind, self.start - self.length, self.start)

    @property
    def label(self) -> str:
        """`2026-11-30` (daily) or `2026-W48` (weekly): file names, state keys, subjects."""
        if self.kind == "weekly":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return self.start.date().isoformat()

    @property
    def step(self) -> timedelta:
        """A chart's resolution: hourly for a day, six-hourly for a week."""
        return timedelta(hours=1) if self.kind == "daily" else timedelta(hours=6)


@dataclass(frozen=True)
class Tenant:
    """A row of the control plane's `tenants`, with its counts of active APIs, apps and users."""

    id: str
    name: str
    contacts: tuple[str, ...]  # contact_email split on commas, stripped, empty ones dropped
    locale: str = "en"  # "en" or "fr"; anything else is reported and rendered as "en"
    monthly_call_quota: int | None = None
    active: bool = True
    apis: int | None = None  # None: the count could not be read
    applications: int | None = None
    users: int | None = None


@dataclass(frozen=True)
class Window:
    """One tenant's raw Prometheus figures over one window (the period, or the one before).

    Every value is None when its query returned nothing for this tenant (no series)."""

    #: status code → calls; None: the calls query was not read (failed), never "no traffic"
    calls_by_code: Mapping[str, float] | None = field(default_factory=dict)
    bytes_in: float | None = None
    bytes_out: float | None = None
    latency_sum: float | None = None  # seconds, increase of _sum
    latency_count: float | None = None  # increase of _count
    latency_p50: float | None = None  # seconds, histogram_quantile over the window's increase
    latency_p95: float | None = None
    latency_p99: float | None = None


@dataclass(frozen=True)
class Breakdown:
    """Calls and failed calls of one API or one application over the period (unsorted)."""

    name: str
    calls: float
    errors: float


@dataclass(frozen=True)
class TenantUsage:
    """Everything read for one tenant and one period: the inventory item."""

    tenant: Tenant
    period: Period
    current: Window | None = None  # None: no series at all for this tenant (no traffic)
    previous: Window | None = None
    month_to_date_calls: float | None = None
    series: Mapping[str, Series] = field(default_factory=dict)  # SERIES names → points
    apis: tuple[Breakdown, ...] = ()
    applications: tuple[Breakdown, ...] = ()
    breakdown_source: str = "prometheus"  # or "gateway_analytics", or "" when neither had them
    #: the share of the period with samples (0..1); None: not measured (no series at all)
    completeness: float | None = None
    #: metric → the query that computed it (PromQL or SQL), for the appendix; same for every tenant
    methods: Mapping[str, str] = field(default_factory=dict)
    #: what could not be read for this tenant ("prometheus: timeout"): stated on the report
    problems: tuple[str, ...] = ()
    #: delivery channels already done for this tenant and period (state DB): not done again
    delivered: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Kpi:
    """A figure, the previous period's and the change in % (None when there is nothing to compare)."""

    value: float | None
    previous: float | None = None
    change_percent: float | None = None
    #: False: no figure exists for the previous period (the control plane's counts of APIs,
    #: applications and users are today's): no change is shown, not even "new"
    compared: bool = True


@dataclass(frozen=True)
class Note:
    """Something a report states in words: `key` names a sentence in locale.py, `values` fill it."""

    key: str  # e.g. "incomplete", "no_traffic", "quota_exceeded", "source_missing"
    values: Mapping[str, str | float] = field(default_factory=dict)


@dataclass(frozen=True)
class Quota:
    monthly: int
    period_allowance: float  # the monthly quota pro rata for the period's days
    period_used_percent: float | None  # None: the period's calls could not be counted
    month_to_date_calls: float | None
    month_used_percent: float | None
    runs_out_on: datetime | None  # at the period's rate; None when it does not this month
    exceeded: bool  # month to date over the monthly quota


#: KPI names, in the order tiles, the mail, the CSV and the JSON list them
KPIS = (
    "calls",
    "success",
    "failed",
    "error_rate",
    "mb_in",
    "mb_out",
    "mb_total",
    "latency_avg",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "apis",
    "applications",
    "users",
)


@dataclass(frozen=True)
class TenantReport:
    """Every figure of one tenant's report, computed once (aggregate.py), shown everywhere."""

    tenant: Tenant
    period: Period
    kpis: Mapping[str, Kpi]  # KPIS names; latency in milliseconds, sizes in MB (10^6 bytes), error_rate 0..1
    quota: Quota | None
    #: SERIES names → points in display units (latency_* in ms, bytes_* in MB, calls/errors as
    #: counts per step), time order, finite values only (a NaN point is dropped: a gap, and a Note)
    series: Mapping[str, Series]
    top_apis_by_calls: tuple[Breakdown, ...]
    top_apis_by_errors: tuple[Breakdown, ...]
    top_applications_by_calls: tuple[Breakdown, ...]
    top_applications_by_errors: tuple[Breakdown, ...]
    completeness: float | None
    no_traffic: bool
    #: what the report must state (data missing, quota exceeded, no traffic, a source unread),
    #: as keys and values: locale.py words them in the tenant's language
    notes: tuple[Note, ...] = ()
    #: metric → the query that computed it: the appendix "How these numbers are computed"
    #: (locale.py gives each metric's definition)
    methods: Mapping[str, str] = field(default_factory=dict)
    breakdown_source: str = "prometheus"
    problems: tuple[str, ...] = ()  # as read (TenantUsage.problems), for the appendix and the job
    #: the language the report is in ("en" or "fr": `locale.get(report.locale)`); a tenant's
    #: unrecognised locale is "en" and a Note says so
    locale: str = "en"
    #: completeness below the settings' `completeness_warning_below` (or unmeasured although the
    #: tenant had traffic): the job's warning finding for this tenant
    incomplete: bool = False


@dataclass(frozen=True)
class Bundle:
    """One tenant's deliverables, rendered once (in the plan's process pool) and handed to
    every delivery channel: the PDF, and the CSV and JSON of its figures for finance teams."""

    report: TenantReport
    pdf: bytes
    csv: bytes
    json: bytes

    def __repr__(self) -> str:  # an action's params are logged by nobody, but a repr of MBs helps nobody either
        return f"Bundle({self.report.tenant.id}, {self.report.period.label}, pdf={len(self.pdf)} bytes)"
