"""Random values of every secret format the repo scanner covers, and decoys that only look alike.

Each generator takes the corpus' seeded `random.Random`, so the same seed gives the same values
every run. Values follow each issuer's documented shape (prefix, alphabet, length) with random
bodies: nothing sequential, nothing `EXAMPLE`-like, so a scanner that is right ignores none of
them. Multi-line private keys are PEM with a realistic DER start (what `MIIE...` looks like
after base64) and line width. The decoys are what real trees hold that must stay quiet:
placeholders, the documentation keys, template variables, lockfile integrity hashes, UUIDs and
commit ids, public keys.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from urllib.parse import quote

ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def password(rng: random.Random) -> str:
    """What people type as a password: letters, digits and a few symbols, 12 to 24 long. No
    quote, `$`, `\\`, `#` or space, so every syntax can hold it without escaping."""
    symbols = "!@%^*-_+=.~"
    body = [rng.choice(ALNUM) for _ in range(rng.randint(11, 22))]
    for _ in range(rng.randint(1, 3)):
        body.insert(rng.randrange(len(body)), rng.choice(symbols))
    return "".join(body)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(rng: random.Random) -> str:
    header = {"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}
    claims = {
        "sub": str(rng.randint(10**6, 10**9)),
        "name": rng.choice(["svc-billing", "deploy-bot", "alice", "etl"]),
        "iat": rng.randint(1_600_000_000, 1_750_000_000),
        "scope": rng.choice(["read write", "admin", "api"]),
    }
    parts = [json.dumps(header, separators=(",", ":")), json.dumps(claims, separators=(",", ":"))]
    signature = rng.randbytes(64 if header["alg"] != "HS256" else 32)
    return ".".join([*(b64url(p.encode()) for p in parts), b64url(signature)])


def host(rng: random.Random) -> str:
    return rng.choice(
        [
            "db",
            "db.internal",
            "10.0.3.17",
            "prod-db.cluster-c9x.eu-west-1.rds.amazonaws.com",
            "mongo-0.mongo",
            "cache.prod.svc",
            "mq.internal",
        ]
    )


def user(rng: random.Random) -> str:
    return rng.choice(["app", "admin", "billing", "svc_report", "etl", "deploy", "root"])


def url(scheme: str, port: int, path: str) -> Callable[[random.Random], str]:
    def make(rng: random.Random) -> str:
        who = "" if scheme == "redis" and rng.random() < 0.5 else user(rng)  # redis://:pw@host is common
        at = "" if scheme == "mongodb+srv" else f":{port}"
        return f"{scheme}://{who}:{quote(password(rng), safe='-_.~')}@{host(rng)}{at}{path}"

    return make


def aws_secret(rng: random.Random) -> str:
    return pick(rng, B64, 40)


def slack_bot(rng: random.Random) -> str:
    return f"xoxb-{rng.randint(10**10, 10**12)}-{rng.randint(10**11, 10**13)}-{pick(rng, ALNUM, 24)}"


def slack_user(rng: random.Random) -> str:
    parts = [rng.randint(10**10, 10**12), rng.randint(10**10, 10**12), rng.randint(10**11, 10**13)]
    return "xoxp-" + "-".join(map(str, parts)) + "-" + pick(rng, "0123456789abcdef", 32)


def slack_webhook(rng: random.Random) -> str:
    team, channel = pick(rng, UPPER_ALNUM, 10), pick(rng, UPPER_ALNUM, 10)
    return f"https://hooks.slack.com/services/T{team}/B{channel}/{pick(rng, ALNUM, 24)}"


def github_fine_grained(rng: random.Random) -> str:
    return f"github_pat_11{pick(rng, UPPER_ALNUM, 20)}_{pick(rng, ALNUM, 59)}"


def vault_service(rng: random.Random) -> str:
    return "hvs.CAES" + pick(rng, URLSAFE, rng.randint(88, 100))


def vault_batch(rng: random.Random) -> str:
    return "hvb.AAAAAQ" + pick(rng, URLSAFE, rng.randint(134, 150))


def pypi(rng: random.Random) -> str:
    return "pypi-AgEIcHlwaS5vcmc" + pick(rng, URLSAFE, rng.randint(150, 200))


def prefixed(prefix: str, alphabet: str, n: int) -> Callable[[random.Random], str]:
    return lambda rng: prefix + pick(rng, alphabet, n)


def api_key(rng: random.Random) -> str:
    """A vendor-neutral API key as services hand them out: hex, base62 or base64url."""
    return rng.choice(
        [lambda: pick(rng, "0123456789abcdef", 32), lambda: pick(rng, ALNUM, 40), lambda: pick(rng, URLSAFE, 43)]
    )()


# -- private keys: (BEGIN label, DER prefix, DER length, line width, extra header lines) -------
KEYS: dict[str, tuple[str, bytes, int, int]] = {
    "private-key-rsa": ("RSA PRIVATE KEY", bytes.fromhex("308204a40201000282010100"), 1190, 64),
    "private-key-ec": ("EC PRIVATE KEY", bytes.fromhex("30770201010420"), 121, 64),
    "private-key-dsa": ("DSA PRIVATE KEY", bytes.fromhex("308203560201000282010100"), 854, 64),
    "private-key-openssh": ("OPENSSH PRIVATE KEY", b"openssh-key-v1\x00\x00\x00\x00\x04none", 400, 70),
    "private-key-pkcs8": (
        "PRIVATE KEY",
        bytes.fromhex("308204bd020100300d06092a864886f70d0101010500048204a7"),
        1217,
        64,
    ),
    "private-key-encrypted": ("ENCRYPTED PRIVATE KEY", bytes.fromhex("30820526305006092a864886f70d01050d"), 1322, 64),
}


def pem(kind: str, rng: random.Random) -> str:
    label, start, size, width = KEYS[kind]
    body = base64.b64encode(start + rng.randbytes(size - len(start))).decode()
    lines = [body[i : i + width] for i in range(0, len(body), width)]
    head = [f"-----BEGIN {label}-----"]
    if kind == "private-key-encrypted" and rng.random() < 0.5:  # the legacy OpenSSL form
        head = [
            "-----BEGIN RSA PRIVATE KEY-----",
            "Proc-Type: 4,ENCRYPTED",
            f"DEK-Info: AES-256-CBC,{pick(rng, '0123456789ABCDEF', 32)}",
            "",
        ]
        label = "RSA PRIVATE KEY"
    return "\n".join([*head, *lines, f"-----END {label}-----"])


def key_maker(kind: str) -> Callable[[random.Random], str]:
    return lambda rng: pem(kind, rng)


# kind -> (value generator, the words of the names it is assigned to)
SECRETS: dict[str, tuple[Callable[[random.Random], str], list[str]]] = {
    "aws-access-key-id": (
        prefixed("AKIA", string.ascii_uppercase + "234567", 16),
        ["aws access key id", "access key id", "aws key"],
    ),
    "aws-secret-access-key": (aws_secret, ["aws secret access key", "aws secret key", "secret access key"]),
    "github-classic": (prefixed("ghp_", ALNUM, 36), ["github token", "gh token", "git token"]),
    "github-fine-grained": (github_fine_grained, ["github token", "github pat", "ci token"]),
    "github-oauth": (prefixed("gho_", ALNUM, 36), ["github oauth token", "gh auth token", "oauth token"]),
    "gitlab-pat": (prefixed("glpat-", URLSAFE, 20), ["gitlab token", "gitlab private token", "ci job token"]),
    "slack-bot": (slack_bot, ["slack bot token", "slack token", "bot token"]),
    "slack-user": (slack_user, ["slack user token", "slack token", "slack api token"]),
    "slack-webhook": (slack_webhook, ["slack webhook url", "webhook url", "alerts webhook"]),
    "jwt": (jwt, ["auth token", "bearer token", "session jwt", "id token"]),
    "vault-service": (vault_service, ["vault token", "vault auth token"]),
    "vault-batch": (vault_batch, ["vault token", "vault batch token"]),
    "conn-postgres": (url("postgresql", 5432, "/billing"), ["database url", "sqlalchemy database uri", "pg dsn"]),
    "conn-mysql": (url("mysql", 3306, "/shop"), ["database url", "mysql url", "db uri"]),
    "conn-mongodb": (url("mongodb", 27017, "/events?authSource=admin"), ["mongo uri", "mongodb url", "mongo url"]),
    "conn-mongodb-srv": (url("mongodb+srv", 0, "/app?retryWrites=true"), ["mongo uri", "atlas uri"]),
    "conn-redis": (url("redis", 6379, "/0"), ["redis url", "cache url", "celery result backend"]),
    "conn-amqp": (url("amqp", 5672, "/vhost"), ["broker url", "amqp url", "celery broker url"]),
    "password": (password, ["password", "db password", "admin password", "smtp password", "passwd", "db pass"]),
    "api-key": (api_key, ["api key", "secret key", "client secret", "api token", "access token", "app secret"]),
    "stripe-secret": (prefixed("sk_live_", ALNUM, 24), ["stripe secret key", "stripe api key", "stripe key"]),
    "stripe-restricted": (prefixed("rk_live_", ALNUM, 24), ["stripe restricted key", "stripe key"]),
    "google-api-key": (prefixed("AIza", URLSAFE, 35), ["google api key", "maps api key", "firebase api key"]),
    "npm-token": (prefixed("npm_", ALNUM, 36), ["npm token", "npm auth token", "node auth token"]),
    "pypi-token": (pypi, ["pypi token", "pypi api token", "twine password"]),
    **{kind: (key_maker(kind), ["private key", "ssh key", "tls key", "signing key"]) for kind in KEYS},
}


def uuid(rng: random.Random) -> str:
    h = pick(rng, "0123456789abcdef", 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{rng.choice('89ab')}{h[17:20]}-{h[20:]}"


def sha(n: int) -> Callable[[random.Random], str]:
    return lambda rng: pick(rng, "0123456789abcdef", n)


# kind -> (value generator, names): assignments that must NOT be reported
DECOYS: dict[str, tuple[Callable[[random.Random], str], list[str]]] = {
    "placeholder": (
        lambda rng: rng.choice(
            [
                "changeme",
                "your-password-here",
                "<password>",
                "xxxxxxxxxxxxxxxx",
                "********",
                "REPLACE_ME",
                "your_api_key_here",
                "<YOUR_API_KEY>",
                "TODO",
                "dummy",
                "none",
            ]
        ),
        ["password", "api key", "secret key", "db password", "auth token"],
    ),
    "aws-example": (
        lambda rng: rng.choice(
            [
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "AKIA" + pick(rng, string.ascii_uppercase + "234567", 9) + "EXAMPLE",
            ]
        ),
        ["aws access key id", "aws secret access key"],
    ),
    "template-variable": (
        lambda rng: rng.choice(
            [
                "${DB_PASSWORD}",
                "${{ secrets.API_TOKEN }}",
                "{{ vault_db_password }}",
                "{{ .Values.db.password }}",
                "$(cat /run/secrets/db_password)",
                "%(password)s",
                "${env:STRIPE_KEY}",
                "<%= ENV['API_KEY'] %>",
                "$SMTP_PASSWORD",
            ]
        ),
        ["password", "api key", "db password", "stripe secret key", "smtp password"],
    ),
    "conn-without-password": (
        lambda rng: rng.choice(
            [
                "postgresql://app@db:5432/app",
                "postgresql://app:${PGPASSWORD}@db/app",
                "redis://localhost:6379/0",
                "mongodb://mongo-0.mongo:27017/events",
                "mysql://root:password@localhost/test",
                "amqp://app:changeme@mq:5672/",
                "postgres://{user}:{password}@{host}/{db}",
            ]
        ),
        ["database url", "redis url", "mongo uri", "broker url"],
    ),
    "uuid": (uuid, ["trace id", "correlation id", "tenant id", "client id", "request id", "instance uuid"]),
    "git-sha": (sha(40), ["commit", "rev", "revision", "git sha", "base commit"]),
    "content-hash": (sha(64), ["sha256", "checksum", "digest", "etag"]),
    "not-a-secret": (
        lambda rng: rng.choice(
            [
                "3600",
                "Bearer",
                "X-API-Key",
                "prod/billing/db",
                "true",
                "",
                "https://auth.example.com/oauth/token",
                "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            ]
        ),
        [
            "password reset timeout",
            "token type",
            "api key header",
            "secret name",
            "password required",
            "password",
            "token url",
            "password hasher",
        ],
    ),
}
