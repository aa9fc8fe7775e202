"""Random secrets of the real formats, made at test time from pieces.

No literal in this file matches a rule (push protection and our own scanner would flag it): each
prefix is joined from two halves, and the random body is drawn per test. `SECRET_FORMATS` maps
a rule id to a generator; `realistic(rule, value)` places a value in the syntax it is found in.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from typing import Final

ALNUM = string.ascii_letters + string.digits
UPPER32 = string.ascii_uppercase + "234567"


def _draw(rng: random.Random, alphabet: str, n: int) -> str:
    """A random body with at least one digit and one letter (a generated key has both)."""
    while True:
        body = "".join(rng.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in body) and any(c.isalpha() for c in body):
            return body


def join(*parts: str) -> str:
    return "".join(parts)


def aws_key_id(rng: random.Random) -> str:
    return join("AK", "IA", _draw(rng, UPPER32, 16))


def aws_secret(rng: random.Random) -> str:
    return _draw(rng, ALNUM + "/+", 40)


def github_token(rng: random.Random) -> str:
    return join("gh", rng.choice("pousr"), "_", _draw(rng, ALNUM, 36))


def github_fine_grained(rng: random.Random) -> str:
    return join("github", "_pat_", _draw(rng, ALNUM, 22), "_", _draw(rng, ALNUM, 59))


def gitlab_token(rng: random.Random) -> str:
    return join("gl", "pat-", _draw(rng, ALNUM + "_-", 20))


def slack_token(rng: random.Random) -> str:
    ids = f"{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}"
    return join("xo", "xb-", ids, "-", _draw(rng, ALNUM, 24))


def slack_webhook(rng: random.Random) -> str:
    path = f"T{_draw(rng, UPPER32, 8)}/B{_draw(rng, UPPER32, 10)}/{_draw(rng, ALNUM, 24)}"
    return join("https://hooks", ".slack.com/services/", path)


def vault_token(rng: random.Random) -> str:
    return join("hv", rng.choice("sb"), ".", _draw(rng, ALNUM + "_-", rng.choice((24, 95))))


def stripe_key(rng: random.Random) -> str:
    return join(rng.choice(("sk", "rk")), "_", rng.choice(("live", "test")), "_", _draw(rng, ALNUM, 24))


def google_api_key(rng: random.Random) -> str:
    return join("AI", "za", _draw(rng, ALNUM + "_-", 35))


def npm_token(rng: random.Random) -> str:
    return join("np", "m_", _draw(rng, ALNUM, 36))


def pypi_token(rng: random.Random) -> str:
    return join("pypi-AgEI", "cHlwaS5vcmc", _draw(rng, ALNUM + "_-", 70))


def sendgrid_key(rng: random.Random) -> str:
    return join("S", "G.", _draw(rng, ALNUM + "_-", 22), ".", _draw(rng, ALNUM + "_-", 43))


def jwt(rng: random.Random) -> str:
    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    claims = {"sub": _draw(rng, ALNUM, 12), "iat": rng.randrange(10**9, 2 * 10**9)}
    return ".".join((part({"alg": "HS256", "typ": "JWT"}), part(claims), _draw(rng, ALNUM + "_-", 43)))


PEM_KINDS: Final = ("RSA ", "EC ", "DSA ", "OPENSSH ", "", "ENCRYPTED ")


def private_key(rng: random.Random, kind: str | None = None) -> str:
    """A PEM block of random base64 (not a parseable key: the scanner reads its shape)."""
    kind = rng.choice(PEM_KINDS) if kind is None else kind
    body = base64.b64encode(rng.randbytes(rng.randrange(300, 900))).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    header = (
        ["Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC,0A1B2C3D4E5F6A7B", ""]
        if kind == "RSA " and rng.random() < 0.3
        else []
    )
    dashes = "-" * 5
    return "\n".join(
        [f"{dashes}BEGIN {kind}PRIVATE KEY{dashes}", *header, *lines, f"{dashes}END {kind}PRIVATE KEY{dashes}"]
    )


def password(rng: random.Random) -> str:
    return _draw(rng, ALNUM + "!#%+-_", rng.randrange(12, 24))


def api_key(rng: random.Random) -> str:
    return _draw(rng, ALNUM, rng.randrange(24, 48))


def db_url(rng: random.Random, scheme: str | None = None) -> tuple[str, str]:
    """A connection string and its password."""
    scheme = scheme or rng.choice(("postgresql", "postgres", "mysql", "mongodb", "mongodb+srv", "redis", "amqp"))
    secret = _draw(rng, ALNUM, rng.randrange(12, 24))
    user = "" if scheme == "redis" else rng.choice(("app", "svc_billing", "admin2"))
    return f"{scheme}://{user}:{secret}@db-{rng.randrange(100)}.internal:5432/main", secret


#: rule id → a random value it must find (connection strings: the password is the secret)
SECRET_FORMATS: Final[dict[str, Callable[[random.Random], str]]] = {
    "aws-access-key-id": aws_key_id,
    "github-token": github_token,
    "github-fine-grained-token": github_fine_grained,
    "gitlab-token": gitlab_token,
    "slack-token": slack_token,
    "slack-webhook-url": slack_webhook,
    "vault-token": vault_token,
    "stripe-secret-key": stripe_key,
    "google-api-key": google_api_key,
    "npm-token": npm_token,
    "pypi-token": pypi_token,
    "sendgrid-api-key": sendgrid_key,
    "jwt": jwt,
}
