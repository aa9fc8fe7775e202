"""Properties of the policy renderers (jobs/core/deploy/policies.py), over generated grants
including hostile ones: nothing is widened (what each document allows is exactly what was
declared, read back from the document itself), the same grants in any order render the same
bytes, no grant renders as allow-nothing, Sids are unique and alphanumeric, and a Vault path or
purpose that would break the HCL is refused (ConfigError naming it) or kept on its line."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.core.deploy import policies
from jobs.core.errors import ConfigError
from jobs.core.permissions import AwsGrant, KubernetesGrant, Permissions, VaultGrant
from tests.grants import PATH_LINE, rbac_rules, read_vault_policy

PROFILE = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

hostile = st.text(min_size=0, max_size=20)  # any code point: quotes, braces, newlines, non-ASCII
word = st.text(st.characters(min_codepoint=ord("a"), max_codepoint=ord("z")), min_size=1, max_size=8)
action = st.builds(lambda s, a: f"{s}:{a.capitalize()}", word, word) | hostile.filter(bool)
resource = st.sampled_from(["*", "arn:aws:s3:::audit/ttl/*", "arn:aws:acm:eu-west-1:*:certificate/*"]) | hostile
aws_grant = st.builds(AwsGrant, st.lists(action, max_size=4).map(tuple), resource, hostile)
label = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?", fullmatch=True)
k8s_grant = st.builds(
    KubernetesGrant,
    st.sampled_from(["", "apps", "batch"]),
    st.lists(st.sampled_from(["secrets", "deployments", "namespaces", "pods"]), max_size=3).map(tuple),
    st.lists(st.sampled_from(["get", "list", "patch", "update", "delete"]), max_size=3).map(tuple),
    hostile,
    st.just("") | label,
    st.lists(label | hostile.filter(bool), max_size=3).map(tuple),
)
vault_path = st.sampled_from(["secret/data/apps/*", "pki/certs", "secret/data/équipe/smtp", "kv/+/x"]) | hostile
capabilities = st.lists(st.sampled_from(sorted(policies.VAULT_CAPABILITIES)), max_size=4).map(tuple)
vault_grant = st.builds(VaultGrant, vault_path, capabilities, hostile)


# -- IAM -------------------------------------------------------------------------------------------
def allowed_pairs(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(action, resource) pairs the document allows, read back from its statements."""
    return {(a, s["Resource"]) for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}


@PROFILE
@given(st.lists(aws_grant, max_size=12), st.data())
def test_iam_allows_each_action_exactly_on_the_resources_declared_with_it_in_any_order(
    grants: list[AwsGrant], data: st.DataObject
) -> None:
    document = policies.iam_policy(Permissions(aws=tuple(grants)))
    assert allowed_pairs(document) == {(a, g.resource) for g in grants for a in g.actions}
    again = policies.iam_policy(Permissions(aws=tuple(data.draw(st.permutations(grants)))))
    assert json.dumps(again) == json.dumps(document)
    sids = [s["Sid"] for s in document["Statement"]]
    assert len(set(sids)) == len(sids) and all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids), sids
    if not allowed_pairs(document):  # nothing declared (or only empty grants): an explicit deny
        assert document["Statement"] == [{"Sid": "NothingNeeded", "Effect": "Deny", "Action": "*", "Resource": "*"}]
    json.loads(json.dumps(document))  # plain JSON all the way down


def test_an_empty_declaration_allows_nothing_anywhere() -> None:
    assert policies.iam_policy(Permissions())["Statement"] == [
        {"Sid": "NothingNeeded", "Effect": "Deny", "Action": "*", "Resource": "*"}
    ]
    assert policies.rbac(Permissions(), "job", "secops") == [policies.rbac(Permissions(), "job", "secops")[0]]
    assert policies.rbac(Permissions(), "job", "secops")[0]["kind"] == "ServiceAccount"
    assert read_vault_policy(policies.vault_policy(Permissions())) == {}


# -- RBAC ------------------------------------------------------------------------------------------
Allowed = set[tuple[str, str, str, str, tuple[str, ...]]]


def rbac_allows(objects: list[dict[str, Any]], namespace: str, job: str) -> Allowed:
    """(namespace or "" for all, group, resource, verb, names) for every rule the bindings of the
    job's ServiceAccount give it, read back as the authorizer reads them."""
    return {
        (g.namespace, g.api_group, r, v, g.names)
        for g in rbac_rules(objects, job, namespace)
        for r in g.resources
        for v in g.verbs
    }


def declared_k8s(grants: list[KubernetesGrant]) -> Allowed:
    return {
        (g.namespace, g.api_group, r, v, tuple(sorted(set(g.names))))
        for g in grants
        for r in g.resources
        for v in g.verbs
    }


@PROFILE
@given(st.lists(k8s_grant, max_size=10), st.data())
def test_rbac_keeps_every_rule_in_its_namespace_with_its_names_in_any_order(
    grants: list[KubernetesGrant], data: st.DataObject
) -> None:
    objects = policies.rbac(Permissions(kubernetes=tuple(grants)), "job", "secops")
    assert rbac_allows(objects, "secops", "job") == declared_k8s(grants)
    again = policies.rbac(Permissions(kubernetes=tuple(data.draw(st.permutations(grants)))), "job", "secops")
    assert json.dumps(again) == json.dumps(objects)
    if not declared_k8s(grants):
        assert [o["kind"] for o in objects] == ["ServiceAccount"]


@given(st.text(max_size=70).filter(lambda s: s and not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", s)))
def test_a_namespace_kubernetes_cannot_hold_is_refused_by_name(namespace: str) -> None:
    grant = KubernetesGrant("", ("secrets",), ("list",), "", namespace)
    with pytest.raises(ConfigError, match=re.escape(repr(namespace))):
        policies.rbac(Permissions(kubernetes=(grant,)), "job", "secops")


# -- Vault -----------------------------------------------------------------------------------------
def writable(path: str) -> bool:
    """What HCL holds verbatim between quotes on one line (the spec, not the code's list)."""
    return bool(PATH_LINE.fullmatch(f'path "{path}" {{')) and path.isprintable()


@PROFILE
@given(st.lists(vault_grant, max_size=10), st.data(), hostile)
def test_each_vault_path_gets_exactly_the_union_declared_on_it_or_is_refused_by_name(
    grants: list[VaultGrant], data: st.DataObject, title: str
) -> None:
    declared: dict[str, set[str]] = defaultdict(set)
    for g in grants:
        if g.capabilities:
            declared[g.path].update(g.capabilities)
    unsafe = [p for p in declared if not writable(p)]
    if unsafe:
        with pytest.raises(ConfigError) as refused:
            policies.vault_policy(Permissions(vault=tuple(grants)), title)
        assert any(repr(p) in str(refused.value) for p in unsafe), str(refused.value)
        return
    text = policies.vault_policy(Permissions(vault=tuple(grants)), title)
    assert read_vault_policy(text) == {p: sorted(c) for p, c in declared.items()}
    assert policies.vault_policy(Permissions(vault=tuple(data.draw(st.permutations(grants)))), title) == text


def test_a_purpose_that_tries_to_end_its_comment_stays_a_comment() -> None:
    sneaky = VaultGrant("secret/data/a", ("read",), 'x\npath "sys/*" { capabilities = ["sudo"] }\u2028#')
    text = policies.vault_policy(Permissions(vault=(sneaky,)), "t\r\nitle")
    assert read_vault_policy(text) == {"secret/data/a": ["read"]}


def test_an_unknown_capability_is_refused_by_path() -> None:
    with pytest.raises(ConfigError, match="secret/data/a"):
        policies.vault_policy(Permissions(vault=(VaultGrant("secret/data/a", ("read", '"sudo"')),)))


def test_ten_thousand_grants_render_quickly_and_completely() -> None:
    aws = tuple(AwsGrant((f"s3:Get{i % 50}",), f"arn:aws:s3:::bucket-{i}/*") for i in range(10_000))
    kube = tuple(KubernetesGrant("", ("secrets",), ("get",), "", f"ns-{i % 300}", (f"s{i}",)) for i in range(10_000))
    vault = tuple(VaultGrant(f"secret/data/app-{i}/*", ("read",)) for i in range(10_000))
    started = time.monotonic()
    document = policies.iam_policy(Permissions(aws=aws))
    objects = policies.rbac(Permissions(kubernetes=kube), "job", "secops")
    text = policies.vault_policy(Permissions(vault=vault))
    assert time.monotonic() - started < 10
    assert len(allowed_pairs(document)) == 10_000 and len(read_vault_policy(text)) == 10_000
    assert len(rbac_allows(objects, "secops", "job")) == 10_000
