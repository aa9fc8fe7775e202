"""Gateway analytics (OpenSearch or Elasticsearch `_search`): top APIs and applications for the
tenants whose Prometheus series lack the `api`/`application` labels.

One search per dimension for ALL the tenants, `size: 0` (no documents, only aggregations): terms
on the tenant, under it terms on the API (or application) with a `filter` sub-aggregation
counting the failed calls (status >= 400), over the period's [start, end). One document is one
call. Every tenant given gets a breakdown from here (empty when the index holds none of its
calls); the job keeps it only where Prometheus had none.

A top list cut short is said, never passed off as complete: `sum_other_doc_count` > 0 (calls
in APIs past the list), calls without the field, failed shards or a search that timed out are
each a problem of the tenants concerned. The list is as long as the bucket budget allows
(`BUCKET_BUDGET` over all tenants, at most `MAX_TERMS` each, never under 4 x top_n).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from jobs.core import redact
from jobs.core.clients.opensearch import opensearch_client, split_credentials
from jobs.core.context import JobContext
from jobs.core.errors import ConfigError
from jobs.core.model import RunError, iso
from jobs.usage_report.model import Breakdown, Period, Tenant
from jobs.usage_report.settings import GatewayAnalyticsSettings, UsageReportSettings
from jobs.usage_report.sources import Reading

SOURCE = "gateway_analytics"
#: buckets one search may build, well under OpenSearch's `search.max_buckets` (65,535)
BUCKET_BUDGET = 30_000
MAX_TERMS = 100
#: dimension → (the TenantUsage field, the settings field naming the document field)
DIMENSIONS = {"apis": "api_field", "applications": "application_field"}
_TENANT_PLACEHOLDER = "<the report's tenant>"


class SearchFailed(Exception):
    """The search could not be made or was refused; the message is scrubbed."""


def read(cfg: UsageReportSettings, ctx: JobContext[Any], period: Period, tenants: Sequence[Tenant]) -> Reading:
    section = cfg.gateway_analytics
    if section is None:
        raise ConfigError("usage_report.gateway_analytics: not set")
    ids = sorted({t.id for t in tenants})
    size = terms_size(len(ids), cfg.top_n)
    reading = Reading()
    if not ids:
        return reading
    from opensearchpy import OpenSearch  # the reports extra: only when analytics is configured

    client = ctx.client(SOURCE, OpenSearch, lambda: _client(section))
    for dimension in DIMENSIONS:
        body = search_body(section, period, ids, dimension, size)
        reading.methods[f"analytics_{dimension}"] = json.dumps(
            search_body(section, period, [_TENANT_PLACEHOLDER], dimension, size)
        )
        reading.queries += 1
        try:
            answer = _search(client, section, body)
        except SearchFailed as exc:
            reading.errors.append(RunError(SOURCE, f"{dimension}: {exc}"))
            for tenant_id in ids:
                reading.problems.setdefault(tenant_id, []).append(
                    f"gateway analytics: top {dimension} not read ({exc})"
                )
            continue
        _take(reading, dimension, ids, answer)
    return reading


def terms_size(tenants: int, top_n: int) -> int:
    """Terms per tenant: as many as the budget allows, so a tenant's list is complete as
    often as possible (and says so when it is not)."""
    return max(4 * top_n, min(MAX_TERMS, BUCKET_BUDGET // max(1, tenants)))


def search_body(
    section: GatewayAnalyticsSettings, period: Period, tenant_ids: Sequence[str], dimension: str, size: int
) -> dict[str, Any]:
    field = getattr(section, DIMENSIONS[dimension])
    return {
        "size": 0,
        "track_total_hits": True,
        "query": {
            "bool": {
                "filter": [
                    {"range": {section.time_field: {"gte": iso(period.start), "lt": iso(period.end)}}},
                    {"terms": {section.tenant_field: list(tenant_ids)}},
                ]
            }
        },
        "aggs": {
            "tenants": {
                "terms": {"field": section.tenant_field, "size": len(tenant_ids)},
                "aggs": {
                    "top": {
                        "terms": {"field": field, "size": size},
                        "aggs": {"errors": {"filter": {"range": {section.status_field: {"gte": 400}}}}},
                    }
                },
            }
        },
    }


def _client(section: GatewayAnalyticsSettings) -> Any:
    password = section.password.get_secret_value() if section.password else None
    return opensearch_client(
        section.url, section.username, password, section.timeout_seconds, section.ca_file, section.verify_tls
    )


def _search(client: Any, section: GatewayAnalyticsSettings, body: dict[str, Any]) -> Mapping[str, Any]:
    import opensearchpy

    try:
        answer = client.search(index=section.index, body=body)
    except opensearchpy.TransportError as exc:
        raise SearchFailed(_scrub(_refusal(exc, section), section)) from None
    except opensearchpy.OpenSearchException as exc:  # a body that is not JSON, a serializer error
        raise SearchFailed(_scrub(f"{type(exc).__name__}: {exc}", section)[:300]) from None
    if not isinstance(answer, Mapping):
        raise SearchFailed("the answer is not a JSON object")
    return answer


def _refusal(exc: Any, section: GatewayAnalyticsSettings) -> str:
    import opensearchpy

    host = split_credentials(section.url)[0]
    if isinstance(exc, opensearchpy.ConnectionTimeout):
        return f"no answer from {host} within {section.timeout_seconds:g} s (tried twice)"
    if isinstance(exc, opensearchpy.ConnectionError):
        cause = str(exc.info).rsplit(": ", 1)[-1][:120]  # urllib3 prefixes the pool's repr
        return f"could not reach {host} ({cause}; tried twice)"
    if isinstance(exc, opensearchpy.AuthenticationException):
        return "the credentials were refused (401): set usage_report.gateway_analytics.username/password"
    if isinstance(exc, opensearchpy.AuthorizationException):
        return f"not allowed to search {section.index!r} (403)"
    reason = _reason(exc.info) or str(exc.error)
    if isinstance(exc, opensearchpy.NotFoundError):
        return f"index {section.index!r} not found (404: {reason})"
    return f"the search was refused ({exc.status_code}: {reason})"


def _reason(info: Any) -> str:
    """The root cause's reason from an error body, cut to a readable length."""
    if not isinstance(info, Mapping) or not isinstance(info.get("error"), Mapping):
        return ""
    error = info["error"]
    causes = error.get("root_cause") or [error]
    cause = causes[0] if isinstance(causes, list) and causes and isinstance(causes[0], Mapping) else error
    text = f"{cause.get('type', '')}: {cause.get('reason', '')}".strip(": ")
    return text[:300]


def _scrub(text: str, section: GatewayAnalyticsSettings) -> str:
    if section.password:
        text = text.replace(section.password.get_secret_value(), redact.MASK)
    _, _, url_password = split_credentials(section.url)
    if url_password:
        text = text.replace(url_password, redact.MASK)
    return redact.scrub(text)


def _take(reading: Reading, dimension: str, ids: Sequence[str], answer: Mapping[str, Any]) -> None:
    """The answer's buckets as each tenant's breakdown, and what makes a list incomplete."""
    incomplete = _partial(answer)
    buckets = {str(b.get("key")): b for b in _buckets(_object(answer, "aggregations").get("tenants"))}
    for tenant_id in ids:
        fields = reading.fields.setdefault(tenant_id, {})
        bucket: Mapping[str, Any] = buckets.get(tenant_id, {})
        top = _object(bucket, "top")
        breakdowns = tuple(_breakdown(b) for b in _buckets(top))
        fields[dimension] = breakdowns
        fields["breakdown_source"] = SOURCE
        problems = [*incomplete, *_cut(dimension, bucket, top, breakdowns)]
        reading.problems.setdefault(tenant_id, []).extend(problems)


def _partial(answer: Mapping[str, Any]) -> list[str]:
    shards = _object(answer, "_shards")
    said: list[str] = []
    failed = shards.get("failed") or 0
    if failed:
        said.append(
            f"gateway analytics: {failed} of {shards.get('total', '?')} shards failed: the top lists may miss calls"
        )
    if answer.get("timed_out"):
        said.append("gateway analytics: the search timed out: the top lists may miss calls")
    return said


def _cut(dimension: str, bucket: Mapping[str, Any], top: Mapping[str, Any], listed: tuple[Breakdown, ...]) -> list[str]:
    said: list[str] = []
    other = int(top.get("sum_other_doc_count") or 0)
    if other > 0:
        said.append(
            f"gateway analytics: the top {dimension} list shows {len(listed)} entries;"
            f" {other} more calls went to {dimension} not listed"
        )
    unnamed = int(bucket.get("doc_count") or 0) - int(sum(b.calls for b in listed)) - other
    if unnamed > 0:
        said.append(f"gateway analytics: {unnamed} calls name no {dimension[:-1]} and are in no top {dimension} row")
    return said


def _buckets(aggregation: Any) -> list[Mapping[str, Any]]:
    if not isinstance(aggregation, Mapping) or not isinstance(aggregation.get("buckets"), list):
        return []
    return [b for b in aggregation["buckets"] if isinstance(b, Mapping)]


def _breakdown(bucket: Mapping[str, Any]) -> Breakdown:
    errors = _object(bucket, "errors")
    name = str(bucket.get("key_as_string", bucket.get("key", "")))
    return Breakdown(name or "(empty)", float(bucket.get("doc_count") or 0), float(errors.get("doc_count") or 0))


def _object(parent: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """`parent[key]` when it is a JSON object, else an empty one (an answer is read, not trusted)."""
    value = parent.get(key)
    return value if isinstance(value, Mapping) else {}
