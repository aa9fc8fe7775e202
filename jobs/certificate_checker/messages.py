"""cryptography's errors in words an operator reads: no Rust debug structures.

The Rust parser reports `ParseError { kind: ShortData { needed: 3 }, location: ["RawCertificate::tbs_cert",
"TbsCertificate::validity"] }` and the verifier `AlgorithmIdentifier { oid: DefinedByMarker(PhantomData<...>),
params: RsaWithSha1(Some(())) }`; both become a short sentence naming what and where.
"""

from __future__ import annotations

import re

MAX_LENGTH = 200
_PARSE_ERROR = re.compile(r"ParseError \{ kind: (?P<kind>\w+)(?P<rest>.*?)(?:, location: \[(?P<where>[^\]]*)\])? \}")
_ALGORITHM = re.compile(r"AlgorithmIdentifier \{.*?params: (?P<params>\w+).*\}")
_DEBUG = re.compile(r"\w+ \{ [^{}]* \}|\w+\([^()]*\)")  # what is left of other Rust Debug output
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _words(camel: str) -> str:
    return _CAMEL.sub(" ", camel).lower()


def _location(text: str | None) -> str:
    """`"RawCertificate::tbs_cert", "TbsCertificate::validity"` → `tbs_cert.validity`."""
    if not text:
        return ""
    parts = [p.strip().strip('"').rpartition("::")[2] for p in text.split(",")]
    path = ".".join(p for p in parts if p)
    return f" at {path}" if path else ""


def plain(exc: BaseException) -> str:
    """One line for any exception cryptography raises while reading or verifying a certificate."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    if match := _PARSE_ERROR.search(text):
        detail = f"{_words(match['kind'])}{_location(match['where'])}"
        text = f"malformed ASN.1 ({detail})"
    elif match := _ALGORITHM.search(text):
        text = _ALGORITHM.sub(_words(match["params"]), text)
    text = text.removeprefix("error parsing asn1 value: ")
    for _ in range(3):  # nested structures: innermost first
        text = _DEBUG.sub("…", text)
    text = text or type(exc).__name__
    return text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 1] + "…"
