"""OpenSearch `_search` (docs.opensearch.org: Search API, bucket aggregations, error responses).

`POST|GET /<index>[,<index>...]/_search` with a JSON body: `size`, `track_total_hits`, a
`query` of `bool.filter`/`bool.must` over `range`, `terms`, `term`, `match_all`; aggregations
`terms` (field, size; buckets by doc_count desc then key asc, with `doc_count_error_upper_bound`
and `sum_other_doc_count`) and `filter`, nested through `aggs`/`aggregations`. One document is
one stored dict per index; dates compare as instants.

The answer: `{took, timed_out, _shards: {total, successful, skipped, failed[, failures]},
hits: {total: {value, relation}, max_score, hits}, aggregations}`; `hits.total` is exact with
`track_total_hits: true`, else capped at 10,000 with relation `gte`.

Errors as OpenSearch writes them, `{"error": {"root_cause": [...], "type", "reason", ...},
"status"}`: 404 `index_not_found_exception` for a concrete index that does not exist (a
wildcard matching nothing is an empty answer, `allow_no_indices`); 400
`search_phase_execution_exception` ("all shards failed", `phase: query`, `failed_shards`) for a
terms aggregation on a text field; 400 `parsing_exception` for an unknown query or
aggregation; 401 `Unauthorized` (text, `WWW-Authenticate: Basic realm="OpenSearch Security"`)
when credentials are set and the request lacks them or has others.
"""

from __future__ import annotations

import base64
import fnmatch
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.fakes.base import FakeServer, Request, Response

Doc = dict[str, Any]


class QueryError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.body = status, body
        super().__init__(body["error"]["reason"])


class FakeOpenSearch(FakeServer):
    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        super().__init__()
        self.indices: dict[str, list[Doc]] = {}
        self.text_fields: dict[str, set[str]] = {}  # index → fields mapped as `text` (no fielddata)
        self.credentials = (username, password) if username else None
        self.failed_shards = 0  # > 0: answers 200 with that many failed shards out of 5
        self.route("POST", r"/(?P<index>[^/_][^/]*)/_search")(self._search)
        self.route("GET", r"/(?P<index>[^/_][^/]*)/_search")(self._search)
        self._routes = list(self.routes)

    def reset(self) -> None:
        """Back to a server with no index and no fault (a module shares one server: starting
        and stopping one per test costs half a second each)."""
        with self.lock:
            self.indices.clear()
            self.text_fields.clear()
            self.failed_shards = 0
            self.requests.clear()
            self.faults.clear()
            self.routes[:] = self._routes

    def index(self, name: str, docs: list[Doc], text_fields: frozenset[str] = frozenset()) -> None:
        self.indices.setdefault(name, []).extend(docs)
        self.text_fields[name] = set(text_fields)

    def searches(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.calls(path_regex=r".*/_search$")]

    def dispatch(self, request: Request) -> Response:
        if self.credentials and not self._authorised(request):
            with self.lock:
                self.requests.append(request)
            return Response(
                401,
                "Unauthorized",
                {"WWW-Authenticate": 'Basic realm="OpenSearch Security"', "Content-Type": "text/plain"},
            )
        return super().dispatch(request)

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return (user, password) == self.credentials

    def _search(self, request: Request) -> Response:
        try:
            docs, shards = self._resolve(request.groups["index"])
            body = request.json() or {}
            return Response(200, self._answer(body, docs, shards))
        except QueryError as exc:
            return Response(exc.status, exc.body)
        except ValueError as exc:
            return Response(400, _error(400, "parse_exception", f"request body is not JSON: {exc}"))

    def _resolve(self, expression: str) -> tuple[list[Doc], int]:
        docs: list[Doc] = []
        names: list[str] = []
        for part in expression.split(","):
            matched = [n for n in self.indices if fnmatch.fnmatchcase(n, part)]
            if not matched and "*" not in part:
                raise QueryError(404, _not_found(part))
            names += matched
        for name in names:
            docs += [(doc | {"_index": name}) for doc in self.indices[name]]
        return docs, max(1, len(names))

    def _answer(self, body: dict[str, Any], docs: list[Doc], indices: int) -> dict[str, Any]:
        matched = [d for d in docs if _matches(body.get("query", {"match_all": {}}), d)]
        total = len(matched)
        exact = body.get("track_total_hits") is True
        hits = {
            "total": {
                "value": total if exact else min(total, 10_000),
                "relation": "eq" if exact or total <= 10_000 else "gte",
            },
            "max_score": None,
            "hits": [
                {"_index": d["_index"], "_source": {k: v for k, v in d.items() if k != "_index"}}
                for d in matched[: body.get("size", 10)]
            ],
        }
        aggs = body.get("aggs") or body.get("aggregations") or {}
        answer: dict[str, Any] = {
            "took": 1,
            "timed_out": False,
            "_shards": self._shards(indices),
            "hits": hits,
        }
        if aggs:
            answer["aggregations"] = {name: self._aggregate(spec, matched) for name, spec in aggs.items()}
        return answer

    def _shards(self, indices: int) -> dict[str, Any]:
        total = 5 * indices
        shards: dict[str, Any] = {
            "total": total,
            "successful": total - self.failed_shards,
            "skipped": 0,
            "failed": self.failed_shards,
        }
        if self.failed_shards:
            shards["failures"] = [
                {
                    "shard": n,
                    "index": "gateway",
                    "node": "fake",
                    "reason": {"type": "node_not_connected_exception", "reason": "[fake] disconnected"},
                }
                for n in range(self.failed_shards)
            ]
        return shards

    def _aggregate(self, spec: dict[str, Any], docs: list[Doc]) -> dict[str, Any]:
        subs = spec.get("aggs") or spec.get("aggregations") or {}
        kinds = [k for k in spec if k not in ("aggs", "aggregations", "meta")]
        if kinds == ["terms"]:
            return self._terms(spec["terms"], docs, subs)
        if kinds == ["filter"]:
            inside = [d for d in docs if _matches(spec["filter"], d)]
            return {"doc_count": len(inside), **{n: self._aggregate(s, inside) for n, s in subs.items()}}
        raise QueryError(
            400, _error(400, "parsing_exception", f"Unknown aggregation type [{kinds[0] if kinds else ''}]")
        )

    def _terms(self, terms: dict[str, Any], docs: list[Doc], subs: dict[str, Any]) -> dict[str, Any]:
        field = terms["field"]
        if any(field in fields for fields in self.text_fields.values()):
            raise QueryError(400, _text_field(field))
        groups: dict[Any, list[Doc]] = {}
        for doc in docs:
            for value in _values(doc, field):
                groups.setdefault(value, []).append(doc)
        ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), str(kv[0])))
        size = int(terms.get("size", 10))
        shown, rest = ordered[:size], ordered[size:]
        buckets = [
            {"key": key, "doc_count": len(group), **{n: self._aggregate(s, group) for n, s in subs.items()}}
            for key, group in shown
        ]
        return {
            "doc_count_error_upper_bound": 0,
            "sum_other_doc_count": sum(len(group) for _, group in rest),
            "buckets": buckets,
        }


def _values(doc: Doc, field: str) -> list[Any]:
    value: Any = doc.get(field)
    if value is None and "." in field:
        value = doc
        for part in field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def _in_range(value: Any, bounds: dict[str, Any]) -> bool:
    checks: dict[str, Callable[[Any, Any], bool]] = {
        "gte": lambda v, b: v >= b,
        "gt": lambda v, b: v > b,
        "lte": lambda v, b: v <= b,
        "lt": lambda v, b: v < b,
    }
    value = _comparable(value)
    try:
        return all(checks[op](value, _comparable(bound)) for op, bound in bounds.items() if op in checks)
    except TypeError:
        return False


def _matches(query: dict[str, Any], doc: Doc) -> bool:
    [(kind, spec)] = query.items()
    if kind == "match_all":
        return True
    if kind == "bool":
        clauses = [*spec.get("filter", []), *spec.get("must", [])]
        clauses = [clauses] if isinstance(clauses, dict) else clauses
        return all(_matches(c, doc) for c in clauses) and not any(_matches(c, doc) for c in spec.get("must_not", []))
    if kind == "range":
        [(field, bounds)] = spec.items()
        return any(_in_range(v, bounds) for v in _values(doc, field))
    if kind == "terms":
        [(field, wanted)] = spec.items()
        return bool(set(map(str, _values(doc, field))) & set(map(str, wanted)))
    if kind == "term":
        [(field, wanted)] = spec.items()
        wanted = wanted.get("value") if isinstance(wanted, dict) else wanted
        return str(wanted) in map(str, _values(doc, field))
    raise QueryError(400, _error(400, "parsing_exception", f"unknown query [{kind}]"))


def _error(status: int, kind: str, reason: str, **extra: Any) -> dict[str, Any]:
    cause = {"type": kind, "reason": reason, **extra}
    return {"error": {"root_cause": [cause], **cause}, "status": status}


def _not_found(index: str) -> dict[str, Any]:
    return _error(
        404,
        "index_not_found_exception",
        f"no such index [{index}]",
        **{"index": index, "resource.id": index, "resource.type": "index_or_alias", "index_uuid": "_na_"},
    )


def _text_field(field: str) -> dict[str, Any]:
    reason = (
        f"Text fields are not optimised for operations that require per-document field data like aggregations"
        f" and sorting, so these operations are disabled by default. Please use a keyword field instead."
        f" Alternatively, set fielddata=true on [{field}] in order to load field data by uninverting the inverted index."
    )
    cause = {"type": "illegal_argument_exception", "reason": reason}
    return {
        "error": {
            "root_cause": [cause],
            "type": "search_phase_execution_exception",
            "reason": "all shards failed",
            "phase": "query",
            "grouped": True,
            "failed_shards": [{"shard": 0, "index": "gateway", "node": "fake", "reason": cause}],
            "caused_by": cause,
        },
        "status": 400,
    }
