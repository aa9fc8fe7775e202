"""The Kubernetes provider through the real client against the API fake."""

from __future__ import annotations

from datetime import UTC, datetime

from kubernetes import client as k8s

from jobs.ttl_teardown.model import Target
from jobs.ttl_teardown.providers.kubernetes import READERS, Cluster, delete
from tests.fakes.kubernetes import FakeKubernetes
from tests.ttl_teardown.fleet import K8S_LABELS

ANNOTATIONS = {"owner": "dana@example.com", "ttl": "7d"}


def cluster(fake: FakeKubernetes) -> Cluster:
    api = k8s.ApiClient(k8s.Configuration(host=fake.url))
    return Cluster({"core": k8s.CoreV1Api(api), "apps": k8s.AppsV1Api(api)}, page_size=2)


def test_labels_and_annotations_make_the_tags_and_the_clock_is_the_creation_timestamp(
    kubernetes_api: FakeKubernetes,
) -> None:
    meta = {"labels": K8S_LABELS, "annotations": ANNOTATIONS, "creationTimestamp": "2026-11-10T09:00:00Z"}
    for n in range(3):
        kubernetes_api.add("namespaces", {"metadata": {"name": f"pr-{n}", **meta}})
    kubernetes_api.add("deployments", {"metadata": {"name": "web", "namespace": "pr-1", **meta}})
    items = list(READERS["k8s:namespace"](cluster(kubernetes_api)))
    assert [i.id for i in items] == ["k8s:namespace/pr-0", "k8s:namespace/pr-1", "k8s:namespace/pr-2"]
    first = items[0]
    assert first.tag("owner") == "dana@example.com" and first.tag("ttl") == "7d" and first.tag("environment") == "dev"
    assert first.resource.clock_from_api and first.resource.api_created_at.isoformat() == "2026-11-10T09:00:00+00:00"  # type: ignore[union-attr]
    [deployment] = READERS["k8s:deployment"](cluster(kubernetes_api))
    assert (deployment.id, deployment.resource.namespace) == ("k8s:pr-1/deployment/web", "pr-1")
    assert len(kubernetes_api.calls("GET", "/api/v1/namespaces")) == 2  # paged by 2


def test_deleting_is_idempotent(kubernetes_api: FakeKubernetes) -> None:
    kubernetes_api.add("configmaps", {"metadata": {"name": "cfg", "namespace": "pr-9"}})
    c = cluster(kubernetes_api)
    target = Target("k8s:configmap", None, "pr-9/cfg", {"kind": "configmap", "namespace": "pr-9", "name": "cfg"})
    delete(c, target, "run-1")
    delete(c, target, "run-1")  # already gone: done
    assert kubernetes_api.get("configmaps", "pr-9", "cfg") is None
    namespace = {"kind": "namespace", "namespace": "pr-9", "name": "pr-9"}
    delete(c, Target("k8s:namespace", None, "pr-9", namespace), "run-1")
    assert kubernetes_api.get("namespaces", "", "pr-9") is None


def test_a_key_that_is_a_label_and_an_annotation_with_other_values_is_two_spellings(
    kubernetes_api: FakeKubernetes,
) -> None:
    from jobs.ttl_teardown.rules import History, Policy, Verdict, decide

    created = "2026-10-01T00:00:00Z"  # long expired
    labels = K8S_LABELS
    kubernetes_api.add(
        "namespaces",
        {"metadata": {"name": "pr-7", "labels": labels, "annotations": {**ANNOTATIONS, "environment": "prod"},
                      "creationTimestamp": created}},
    )  # fmt: skip
    [item] = READERS["k8s:namespace"](cluster(kubernetes_api))
    now = datetime(2026, 11, 23, tzinfo=UTC)
    decision = decide(item.resource, Policy(), History(), now)
    assert (decision.verdict, decision.reason) == (Verdict.KEEP, "environment=prod")
    assert decision.violations == (
        "conflicting spellings of environment: 'environment'='dev', annotation 'environment'='prod'",
    )


def test_one_unreadable_object_is_an_error_naming_it_and_the_others_are_read(kubernetes_api: FakeKubernetes) -> None:
    meta = {"labels": K8S_LABELS, "annotations": ANNOTATIONS, "creationTimestamp": "2026-11-10T09:00:00Z"}
    kubernetes_api.add("namespaces", {"metadata": {"name": "pr-1", **meta}})
    kubernetes_api.add("namespaces", {"metadata": {"name": "pr-2", **meta, "labels": ["not", "a", "map"]}})
    kubernetes_api.add(
        "namespaces", {"metadata": {"name": "pr-3", **meta, "creationTimestamp": "٢٠٢٦-11-10T09:00:00Z"}}
    )
    c = cluster(kubernetes_api)
    items = {i.name: i for i in READERS["k8s:namespace"](c)}
    assert sorted(items) == ["pr-1", "pr-3"]
    assert items["pr-3"].resource.api_created_at is None  # no clock: kept, "no creation time from the API"
    assert [(e.source, e.message.split(":")[0]) for e in c.errors] == [("k8s:namespace/pr-2", "unreadable")]
