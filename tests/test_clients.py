"""Client factories reach real local services through the standard environment."""

from __future__ import annotations

import pytest

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
    assert (config.connect_timeout, config.read_timeout) == (5, 30)


def test_vault_client_needs_an_address_and_a_token() -> None:
    with pytest.raises(ValueError, match=r"set vault\.url and vault\.token"):
        vault_client(None, None)


def test_vault_client_talks_to_openbao(openbao: services.Vault) -> None:
    assert vault_client(openbao.url, openbao.token, timeout=5).is_authenticated()
    assert not vault_client(openbao.url, "wrong-token", timeout=5).is_authenticated()
