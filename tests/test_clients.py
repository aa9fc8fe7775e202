"""Client factories reach real local services through the standard environment."""

from __future__ import annotations

import pytest

from jobs.core.clients import aws
from jobs.core.clients.aws import MAX_ATTEMPTS, aws_client
from jobs.core.clients.vault import vault_client
from tests import services


def test_aws_clients_follow_aws_endpoint_url_to_moto(moto: services.Moto, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    moto.reset()
    ec2 = aws_client("ec2", "eu-west-1")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.run_instances(
        ImageId=image,
        MinCount=2,
        MaxCount=2,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "environment", "Value": "dev"}]}],
    )
    found = ec2.describe_instances(Filters=[{"Name": "tag:environment", "Values": ["dev"]}])
    assert sum(len(r["Instances"]) for r in found["Reservations"]) == 2
    config = ec2.meta.config
    assert config.retries == {"mode": "adaptive", "total_max_attempts": MAX_ATTEMPTS + 1}  # retries + first call
    assert (config.connect_timeout, config.read_timeout) == (2, 30)  # a dead endpoint costs seconds


def test_clients_share_the_parsed_models_yet_each_reads_the_environment_when_it_is_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One model loader per process (a run makes a client per service and region), but the
    endpoint and credentials are still those of the environment at the time of each client."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "first")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "first-secret")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    first = aws_client("ec2", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "second")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2")
    second = aws_client("ec2", "us-east-1")
    assert first.meta.service_model is not None and second.meta.service_model is not None
    assert first.meta.service_model.api_version == second.meta.service_model.api_version
    assert (first.meta.endpoint_url, second.meta.endpoint_url) == ("http://127.0.0.1:1", "http://127.0.0.1:2")
    assert first._request_signer._credentials.access_key == "first"
    assert second._request_signer._credentials.access_key == "second"
    loaders = {id(aws._botocore_session().get_component("data_loader")) for _ in range(3)}
    assert len(loaders) == 1


def test_vault_client_needs_an_address_and_a_token() -> None:
    with pytest.raises(ValueError, match=r"set vault\.url and vault\.token"):
        vault_client(None, None)


def test_vault_client_talks_to_openbao(openbao: services.Vault) -> None:
    assert vault_client(openbao.url, openbao.token, timeout=5).is_authenticated()
    assert not vault_client(openbao.url, "wrong-token", timeout=5).is_authenticated()


def test_vault_clients_take_the_environment_proxies_and_ca_bundle_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/private-ca.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "vault.internal")
    session = vault_client("https://vault.example.test:8200", "t").adapter.session
    assert session.trust_env is False and session.verify == "/etc/ssl/private-ca.pem"
    assert session.proxies.get("https") == "http://proxy.internal:3128"
    bypassed = vault_client("https://vault.internal:8200", "t", ca_file="/etc/vault-ca.pem").adapter.session
    assert bypassed.proxies == {} and bypassed.verify == "/etc/vault-ca.pem"  # NO_PROXY and ca_file win


def test_plans_run_with_the_cyclic_collector_paused_and_it_comes_back() -> None:
    import gc

    from jobs.core.runner import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()
