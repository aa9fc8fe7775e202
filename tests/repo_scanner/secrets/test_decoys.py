"""What looks like a secret and is not: none of it is reported."""

from __future__ import annotations

import hashlib
import random
import uuid

import pytest

from jobs.repo_scanner.scanners.secrets.engine import Engine
from tests.repo_scanner.secrets import samples
from tests.repo_scanner.secrets.conftest import found

EXAMPLE_KEY_ID = samples.join("AKIA", "IOSFODNN7", "EXAMPLE")  # AWS's documented example
EXAMPLE_SECRET = samples.join("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCY", "EXAMPLEKEY")

PLACEHOLDERS = [
    "${DB_PASSWORD}",
    "{{ vault_db_password }}",
    "{{password}}",
    "<your-password>",
    "<PASSWORD>",
    "changeme",
    "change_me_please",
    "CHANGEME123",
    "xxxxxxxxxxxxxxxx",
    "XXXXXXXX-XXXX",
    "aaaaaaaaaaaaaaaaaaaa",
    "1234567890abcdef",
    "abcdefghijklmnop",
    "your-api-key",
    "your_api_key_here",
    "YOUR_TOKEN",
    "%(password)s",
    "$API_KEY",
    "os.environ['API_KEY']",
    "settings.SECRET_KEY",
    "********",
    "replace-me",
    "dummy-secret-value-1",
    "None",
    "null",
    "password123",
]


@pytest.mark.parametrize("value", PLACEHOLDERS)
@pytest.mark.parametrize("key", ["password", "api_key", "client_secret", "token"])
def test_placeholders_are_not_secrets(engine: Engine, key: str, value: str) -> None:
    for text in (f"{key} = {value}\n", f'{key} = "{value}"\n', f"{key}: {value}\n", f'"{key}": "{value}",\n'):
        assert found(engine, "settings.cfg", text) == [], text


def test_aws_documented_example_keys_are_not_reported(engine: Engine) -> None:
    text = f"[default]\naws_access_key_id = {EXAMPLE_KEY_ID}\naws_secret_access_key = {EXAMPLE_SECRET}\n"
    assert found(engine, "credentials", text) == []


def test_format_placeholders_of_each_token_are_not_reported(engine: Engine) -> None:
    text = "\n".join(
        [
            samples.join("gh", "p_") + "x" * 36,
            samples.join("xo", "xb-") + "XXXXXXXXXXXX-XXXXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX",
            samples.join("https://hooks", ".slack.com/services/") + "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            samples.join("sk", "_live_") + "0" * 24,
            "postgres://user:password@localhost:5432/app",
            "postgresql://scott:tiger@localhost/test",
            "mysql://root:root@127.0.0.1/db",
            "amqp://guest:guest@rabbit:5672/",
            "redis://:${REDIS_PASSWORD}@cache:6379",
            "mongodb://<user>:<password>@cluster0.example.net/db",
            "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
        ]
    )
    assert found(engine, "README.md", text) == []


def test_lockfile_integrity_hashes_uuids_and_git_shas_are_not_secrets(engine: Engine, rng: random.Random) -> None:
    sha512 = hashlib.sha512(rng.randbytes(32)).digest()
    import base64

    integrity = "sha512-" + base64.b64encode(sha512).decode()
    sha = hashlib.sha1(rng.randbytes(8)).hexdigest()
    request_id = str(uuid.UUID(int=rng.getrandbits(128)))
    lock = f'{{\n  "packages": {{\n    "node_modules/left-pad": {{\n      "integrity": "{integrity}",\n      "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz"\n    }}\n  }}\n}}\n'
    text = "\n".join(
        [
            f"commit {sha}",
            f"requests @ git+https://github.com/psf/requests@{sha}",
            f'"requestId": "{request_id}"',
            f'"ClientToken": "{request_id}"',
            f"token_hash = {sha[:16]}",
            f"checksum: {hashlib.sha256(rng.randbytes(8)).hexdigest()}",
            f"uuid = {request_id}",
        ]
    )
    assert found(engine, "package-lock.json", lock) == []
    assert found(engine, "notes.txt", text) == []


def test_code_that_reads_a_secret_is_not_a_secret(engine: Engine) -> None:
    code = """
password = os.environ["DB_PASSWORD"]
api_key = settings.STRIPE_API_KEY
token = self._refresh_token()
secret_key: Optional[str] = None
client_secret = get_secret("billing/client")
if password == confirm_password:
    pass
kwargs["password"] = user_password
const apiKey = process.env.API_KEY;
password := os.Getenv("PASSWORD")
'password' => $password,
access_token: List[V1LocalObjectReference]
"""
    assert found(engine, "app.py", code) == []
