"""Enough of the Kubernetes API for the official client (kubernetes.io API reference).

Namespaces, Secrets, ConfigMaps, Services, Deployments, StatefulSets: list (all or per
namespace, labelSelector, limit/continue), get, create, replace (resourceVersion
conflicts), patch (strategic merge, merge and JSON patch), delete. Errors are `Status`
objects with the real reasons (NotFound 404, AlreadyExists 409, Conflict 409, Gone 410).
Objects are complete, because client 37.x validates what it deserialises.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jobs.core.permissions import KubernetesGrant
from tests.fakes.base import FakeServer, Request, Response


@dataclass(frozen=True)
class Kind:
    kind: str
    plural: str
    api: str  # "v1" or "apps/v1"
    namespaced: bool = True

    @property
    def prefix(self) -> str:
        return "/api/v1" if self.api == "v1" else f"/apis/{self.api}"


KINDS = {
    k.plural: k
    for k in (
        Kind("Namespace", "namespaces", "v1", namespaced=False),
        Kind("Secret", "secrets", "v1"),
        Kind("ConfigMap", "configmaps", "v1"),
        Kind("Service", "services", "v1"),
        Kind("Deployment", "deployments", "apps/v1"),
        Kind("StatefulSet", "statefulsets", "apps/v1"),
    )
}
WORKLOADS = {"deployments", "statefulsets"}


def status(code: int, reason: str, message: str, name: str = "", kind: str = "") -> Response:
    return Response(
        code,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "details": {"name": name, "kind": kind},
            "code": code,
        },
    )


def merge_patch(target: Any, patch: Any, strategic: bool) -> Any:
    """RFC 7386 merge patch; strategic merge also merges lists of named objects by name."""
    if not isinstance(patch, dict):
        if strategic and isinstance(patch, list) and isinstance(target, list) and _named(patch) and _named(target):
            merged = {item["name"]: item for item in target}
            for item in patch:
                merged[item["name"]] = merge_patch(merged.get(item["name"], {}), item, strategic)
            return list(merged.values())
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value, strategic)
    return result


def _named(items: list[Any]) -> bool:
    return all(isinstance(i, dict) and "name" in i for i in items)


def json_patch(target: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    doc = copy.deepcopy(target)
    for op in operations:
        *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].lstrip("/").split("/")]
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if op["op"] in ("add", "replace"):
            if isinstance(node, list):
                node.insert(len(node) if last == "-" else int(last), op["value"])
            else:
                node[last] = op["value"]
        elif op["op"] == "remove":
            del node[int(last) if isinstance(node, list) else last]
        else:
            raise ValueError(f"unsupported op {op['op']}")
    return doc


def selector_matches(selector: str, labels: dict[str, str]) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


class FakeKubernetes(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.stuck_rollouts: set[tuple[str, str]] = set()  # (namespace, name) never become ready
        #: RBAC as the API server's authorizer applies it: None allows everything, a list of rules
        #: answers 403 Forbidden to every request no rule allows
        self.rbac: list[KubernetesGrant] | None = None
        self._rv = itertools.count(1000)
        for kind in KINDS.values():
            base = kind.prefix
            if kind.namespaced:
                self.route("GET", f"{base}/{kind.plural}")(self._lister(kind, all_namespaces=True))
                collection = f"{base}/namespaces/(?P<ns>[^/]+)/{kind.plural}"
            else:
                collection = f"{base}/{kind.plural}"
            self.route("GET", collection)(self._lister(kind, all_namespaces=False))
            self.route("POST", collection)(self._creator(kind))
            item = collection + "/(?P<name>[^/]+)"
            self.route("GET", item)(self._getter(kind))
            self.route("PUT", item)(self._replacer(kind))
            self.route("PATCH", item)(self._patcher(kind))
            self.route("DELETE", item)(self._deleter(kind))

    def dispatch(self, request: Request) -> Response:
        denied = self._forbidden(request) if self.rbac is not None else None
        if denied is None:
            return super().dispatch(request)
        with self.lock:
            self.requests.append(request)
        return denied

    def _forbidden(self, request: Request) -> Response | None:
        """403 unless a rule allows the request's verb on its resource (group, namespace, name)."""
        group, ns, plural, name = _attributes(request.path)
        verb = {"GET": "get" if name else "list", "POST": "create", "PUT": "update"}.get(request.method)
        verb = verb or request.method.lower()
        for rule in self.rbac or []:
            if (
                rule.api_group == group
                and plural in rule.resources
                and verb in rule.verbs
                and rule.namespace in ("", ns)
                and (not rule.names or name in rule.names)
            ):
                return None
        where = f' in the namespace "{ns}"' if ns else " at the cluster scope"
        message = f'{plural} "{name}" is forbidden: cannot {verb} resource "{plural}" in API group "{group}"{where}'
        return status(403, "Forbidden", message, name, plural)

    # -- test helpers ---------------------------------------------------------------
    def add(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        kind = KINDS[plural]
        ns = obj.get("metadata", {}).get("namespace", "") if kind.namespaced else ""
        if kind.namespaced and ("namespaces", "", ns) not in self.objects:
            self.add("namespaces", {"metadata": {"name": ns}})
        stored = self._complete(kind, copy.deepcopy(obj), ns)
        self.objects[(plural, ns, stored["metadata"]["name"])] = stored
        return stored

    def get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.objects.get((plural, namespace if KINDS[plural].namespaced else "", name))

    # -- object shape ---------------------------------------------------------------
    def _complete(
        self, kind: Kind, obj: dict[str, Any], ns: str, previous: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        obj["kind"], obj["apiVersion"] = kind.kind, kind.api
        meta = obj.setdefault("metadata", {})
        old_meta = (previous or {}).get("metadata", {})
        if kind.namespaced:
            meta["namespace"] = ns
        meta["uid"] = old_meta.get("uid") or str(uuid.uuid4())
        meta["creationTimestamp"] = meta.get("creationTimestamp") or old_meta.get("creationTimestamp") or _now()
        meta["resourceVersion"] = str(next(self._rv))
        meta.setdefault("labels", {})
        meta.setdefault("annotations", {})
        if kind.plural == "secrets":
            obj.setdefault("type", "Opaque")
            data = dict(obj.get("data") or {})
            for key, value in (obj.pop("stringData", None) or {}).items():
                data[key] = base64.b64encode(value.encode()).decode()
            obj["data"] = data
        elif kind.plural == "namespaces":
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
        elif kind.plural == "services":
            obj.setdefault("spec", {}).setdefault("ports", [{"port": 80, "protocol": "TCP", "targetPort": 80}])
        elif kind.plural in WORKLOADS:
            self._complete_workload(obj, ns, previous)
        return obj

    def _complete_workload(self, obj: dict[str, Any], ns: str, previous: dict[str, Any] | None) -> None:
        meta, spec = obj["metadata"], obj.setdefault("spec", {})
        name = meta["name"]
        labels = spec.get("selector", {}).get("matchLabels") or {"app": name}
        spec.setdefault("replicas", 1)
        spec.setdefault("selector", {"matchLabels": labels})
        template = spec.setdefault("template", {})
        template.setdefault("metadata", {}).setdefault("labels", labels)
        containers = template.setdefault("spec", {}).setdefault("containers", [])
        if not containers:
            containers.append({"name": name, "image": "registry.local/app:1"})
        if obj["kind"] == "StatefulSet":
            spec.setdefault("serviceName", name)
        old_generation = (previous or {}).get("metadata", {}).get("generation", 0)
        spec_changed = previous is None or previous.get("spec") != spec
        meta["generation"] = old_generation + 1 if spec_changed else old_generation
        replicas = spec["replicas"]
        if (ns, name) in self.stuck_rollouts and previous is not None:
            old = dict(previous.get("status") or {})
            obj["status"] = {**old, "updatedReplicas": 0, "unavailableReplicas": replicas}
            return
        obj["status"] = {
            "observedGeneration": meta["generation"],
            "replicas": replicas,
            "readyReplicas": replicas,
            "updatedReplicas": replicas,
            "availableReplicas": replicas,
        }

    # -- handlers -------------------------------------------------------------------
    def _ns(self, kind: Kind, request: Request) -> str:
        return request.groups.get("ns", "") if kind.namespaced else ""

    def _missing_namespace(self, kind: Kind, ns: str) -> Response | None:
        if kind.namespaced and ("namespaces", "", ns) not in self.objects:
            return status(404, "NotFound", f'namespaces "{ns}" not found', ns, "namespaces")
        return None

    def _lister(self, kind: Kind, all_namespaces: bool) -> Any:
        def handle(request: Request) -> Response:
            ns = "" if all_namespaces else self._ns(kind, request)
            selected = sorted(
                (key, obj)
                for key, obj in self.objects.items()
                if key[0] == kind.plural
                and (all_namespaces or key[1] == ns)
                and selector_matches(request.query.get("labelSelector", ""), obj["metadata"].get("labels") or {})
            )
            start = 0
            if token := request.query.get("continue"):
                try:
                    start = int(json.loads(base64.b64decode(token))["start"])
                except (ValueError, KeyError):
                    return status(410, "Expired", "The provided continue parameter is too old")
            limit = int(request.query.get("limit") or 0)
            page = selected[start : start + limit] if limit else selected[start:]
            meta: dict[str, Any] = {"resourceVersion": str(next(self._rv))}
            if limit and start + limit < len(selected):
                meta["continue"] = base64.b64encode(json.dumps({"start": start + limit}).encode()).decode()
                meta["remainingItemCount"] = len(selected) - start - limit
            items = [{k: v for k, v in obj.items() if k not in ("kind", "apiVersion")} for _, obj in page]
            return Response(200, {"kind": f"{kind.kind}List", "apiVersion": kind.api, "metadata": meta, "items": items})

        return handle

    def _creator(self, kind: Kind) -> Any:
        def handle(request: Request) -> Response:
            ns = self._ns(kind, request)
            if missing := self._missing_namespace(kind, ns):
                return missing
            body = request.json()
            name = body.get("metadata", {}).get("name")
            if not name:
                return status(
                    422, "Invalid", f"{kind.kind} is invalid: metadata.name: Required value", kind=kind.plural
                )
            if (kind.plural, ns, name) in self.objects:
                return status(409, "AlreadyExists", f'{kind.plural} "{name}" already exists', name, kind.plural)
            body.get("metadata", {}).pop("resourceVersion", None)
            stored = self._complete(kind, body, ns)
            self.objects[(kind.plural, ns, name)] = stored
            return Response(201, stored)

        return handle

    def _current(self, kind: Kind, request: Request) -> tuple[tuple[str, str, str], dict[str, Any] | None]:
        key = (kind.plural, self._ns(kind, request), request.groups["name"])
        return key, self.objects.get(key)

    def _not_found(self, kind: Kind, name: str) -> Response:
        return status(404, "NotFound", f'{kind.plural} "{name}" not found', name, kind.plural)

    def _getter(self, kind: Kind) -> Any:
        def handle(request: Request) -> Response:
            _, obj = self._current(kind, request)
            return Response(200, obj) if obj else self._not_found(kind, request.groups["name"])

        return handle

    def _replacer(self, kind: Kind) -> Any:
        def handle(request: Request) -> Response:
            key, obj = self._current(kind, request)
            if obj is None:
                return self._not_found(kind, key[2])
            body = request.json()
            wanted = body.get("metadata", {}).get("resourceVersion")
            if wanted and wanted != obj["metadata"]["resourceVersion"]:
                return status(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on {kind.plural} "{key[2]}": the object has been modified; '
                    "please apply your changes to the latest version and try again",
                    key[2],
                    kind.plural,
                )
            self.objects[key] = self._complete(kind, body, key[1], previous=obj)
            return Response(200, self.objects[key])

        return handle

    def _patcher(self, kind: Kind) -> Any:
        def handle(request: Request) -> Response:
            key, obj = self._current(kind, request)
            if obj is None:
                return self._not_found(kind, key[2])
            content_type = request.headers.get("content-type", "")
            body = request.json()
            if "json-patch" in content_type:
                patched = json_patch(obj, body)
            else:
                patched = merge_patch(obj, body, strategic="strategic" in content_type)
            patched.get("metadata", {}).pop("resourceVersion", None)
            self.objects[key] = self._complete(kind, patched, key[1], previous=obj)
            return Response(200, self.objects[key])

        return handle

    def _deleter(self, kind: Kind) -> Any:
        def handle(request: Request) -> Response:
            key, obj = self._current(kind, request)
            if obj is None:
                return self._not_found(kind, key[2])
            del self.objects[key]
            if kind.plural == "namespaces":
                for other in [k for k in self.objects if k[1] == key[2]]:
                    del self.objects[other]
            return Response(
                200,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Success",
                    "details": {"name": key[2], "kind": kind.plural, "uid": obj["metadata"]["uid"]},
                },
            )

        return handle


def _attributes(path: str) -> tuple[str, str, str, str]:
    """(API group, namespace, resource, name) of a request path, as RBAC sees it."""
    parts = path.strip("/").split("/")
    group, rest = ("", parts[2:]) if parts[0] == "api" else (parts[1], parts[3:])
    ns = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        ns, rest = rest[1], rest[2:]
    return group, ns, rest[0], rest[1] if len(rest) > 1 else ""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
