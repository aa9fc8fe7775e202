"""Rendering every tenant's bundle (PDF, CSV, JSON), in a process pool sized to the cores.

Rendering is pure (render.render, figures.csv/json: a report in, bytes out), so a pool
changes nothing but the time: the same bytes come back in the same order. The pool is
started with `spawn`, never `fork`: the runner's process has threads (logging, the state DB's,
an HTTP client's), and a forked child inherits their locks held.

Where a pool cannot start (AWS Lambda has no /dev/shm: creating its queues raises OSError; a
worker that dies), the bundles are rendered in this process instead, and the log says why:
slower, never missing.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING

from jobs.usage_report.model import Bundle, TenantReport

if TYPE_CHECKING:
    from jobs.usage_report.fonts import FontSet

log = logging.getLogger("secops.usage_report")

#: what a worker hands back: the PDF, the CSV and the JSON, or why they could not be made
Rendered = tuple[bytes, bytes, bytes] | str


def render_one(report: TenantReport, fonts: FontSet | None = None) -> Rendered:
    """One tenant's deliverables (a worker's task; in-process too), in `fonts` (the `font_dir`
    setting's; None: fonts.find()). A renderer's crash on one tenant's figures is that tenant's
    problem (its finding), never the other tenants'."""
    from jobs.usage_report import figures, render

    try:
        return render.render(report, fonts), figures.csv_bytes(report), figures.json_bytes(report)
    except Exception as exc:  # noqa: BLE001 - reported per tenant by the plan, scrubbed there
        return f"{type(exc).__name__}: {exc}"


def workers_for(setting: int, reports: int) -> int:
    """`render_workers` (0: the machine's cores), never more than there are reports."""
    cores = setting or os.cpu_count() or 1
    return max(1, min(cores, reports))


def context() -> BaseContext:
    """`spawn`: safe in a process with threads (never `fork`), and its workers end with the pool,
    where a fork server would stay resident for the rest of the run (~30 MB of the 1,000-tenant
    bench's peak). Each worker imports the renderer once; the start-up is logged."""
    return multiprocessing.get_context("spawn")


def render_all(
    reports: Sequence[TenantReport], setting: int, ctx: BaseContext | None = None, fonts: FontSet | None = None
) -> list[Bundle | str]:
    """Every report's bundle (or why it could not be rendered), in order: in a pool of
    `workers_for` processes, or in this process when one is enough or a pool cannot start; in
    `fonts` either way (a FontSet is picklable: each worker registers it once)."""
    workers = workers_for(setting, len(reports))
    started = time.monotonic()
    rendered: list[Rendered] | None = None
    if workers > 1:
        rendered = _pooled(reports, workers, ctx or context(), fonts)
    mode = "pool" if rendered is not None else "in_process"
    if rendered is None:
        rendered = [render_one(report, fonts) for report in reports]
    seconds = round(time.monotonic() - started, 3)
    log.info(
        "reports_rendered",
        extra={"fields": {"reports": len(reports), "mode": mode, "workers": workers, "seconds": seconds}},
    )
    return [
        parts if isinstance(parts, str) else Bundle(report, *parts)
        for report, parts in zip(reports, rendered, strict=True)
    ]


def _pooled(
    reports: Sequence[TenantReport], workers: int, ctx: BaseContext, fonts: FontSet | None
) -> list[Rendered] | None:
    """The pool's renderings, or None (logged) when it could not start or broke."""
    started = time.monotonic()
    try:
        with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            first = pool.submit(_ready)
            first.result()
            startup = round(time.monotonic() - started, 3)
            log.info("render_pool_started", extra={"fields": {"workers": workers, "seconds": startup}})
            chunk = max(1, len(reports) // (workers * 4))
            return list(pool.map(partial(render_one, fonts=fonts), reports, chunksize=chunk))
    except (OSError, BrokenProcessPool) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        log.warning("render_pool_unavailable", extra={"fields": {"reason": reason, "fallback": "in_process"}})
        return None


def _ready() -> bool:
    """A worker is up (the pool's start-up, measured apart from rendering)."""
    return True
