"""Joining stored and served certificates: links, superseded history, stale deployments."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from jobs.certificate_checker.join import join
from jobs.certificate_checker.model import Observation
from tests.certificate_checker.conftest import NOW
from tests.certificate_checker.test_rules import LEAF

OLD = replace(LEAF, fingerprint_sha256="old", not_after=NOW + timedelta(days=10))
NEW = replace(LEAF, fingerprint_sha256="new", not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=90))
WILD = replace(LEAF, fingerprint_sha256="wild", dns_names=("*.example.test",), not_after=NOW + timedelta(days=200))


def stored(resource: str, cert: object, source: str = "kubernetes", store: str = "") -> Observation:
    return Observation(resource, source, (cert,), extra={"store": store} if store else {})  # type: ignore[arg-type]


def served(resource: str, cert: object, host: str = "api.example.test") -> Observation:
    return Observation(resource, "endpoint", (cert,), hostname=host)  # type: ignore[arg-type]


def test_the_same_certificate_stored_and_served_is_linked() -> None:
    joined = join([stored("k8s:web/tls", OLD), served("endpoint:api:443", OLD)])
    assert joined.links == {"k8s:web/tls": ["endpoint:api:443"], "endpoint:api:443": ["k8s:web/tls"]}


def test_an_endpoint_serving_an_older_certificate_than_stored_is_stale() -> None:
    joined = join([stored("k8s:web/tls", NEW), served("endpoint:api:443", OLD)])
    assert joined.stale == {"endpoint:api:443": "k8s:web/tls"}


def test_a_stored_wildcard_counts_for_the_hostname() -> None:
    joined = join([stored("file:/etc/wild.pem#0", WILD, "file"), served("endpoint:api:443", NEW)])
    assert joined.stale == {"endpoint:api:443": "file:/etc/wild.pem#0"}


def test_serving_the_newest_or_a_newer_one_is_not_stale() -> None:
    assert join([stored("k8s:web/tls", NEW), served("endpoint:api:443", NEW)]).stale == {}
    assert join([stored("k8s:web/tls", OLD), served("endpoint:api:443", NEW)]).stale == {}
    assert join([stored("k8s:web/tls", NEW), served("endpoint:other:443", OLD, "other.test")]).stale == {}


def test_older_certificates_for_the_same_names_in_an_issuing_store_are_superseded() -> None:
    joined = join(
        [
            stored("vault:pki/01", OLD, "vault", "pki"),
            stored("vault:pki/02", NEW, "vault", "pki"),
            stored("vault:other/03", OLD, "vault", "other"),  # another mount is another store
            stored("k8s:a/tls", OLD),  # a Secret is a deployment, never history
        ]
    )
    assert joined.superseded == {"vault:pki/01": "vault:pki/02"}


def test_a_superseded_certificate_never_makes_an_endpoint_stale() -> None:
    older = replace(OLD, fingerprint_sha256="older", not_after=NOW + timedelta(days=5))
    joined = join([stored("vault:pki/01", older, "vault", "pki"), stored("vault:pki/02", OLD, "vault", "pki"),
                   served("endpoint:api:443", OLD)])  # fmt: skip
    assert joined.stale == {}
