"""Fingerprints: keyed HMAC-SHA256, so the raw secret is never stored and a different secret on a
suppressed line is a new finding. Without a configured key a built-in one is used and the run
says so: fingerprints then resist nothing but accident (anyone can recompute them)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

#: the key used when `repo_scanner.fingerprint_key` is not set (CI on a laptop); reported
BUILT_IN_KEY = b"secops-jobs repo-scanner built-in fingerprint key: set repo_scanner.fingerprint_key"


@dataclass(frozen=True)
class Fingerprinter:
    key: bytes = BUILT_IN_KEY

    @property
    def built_in(self) -> bool:
        return self.key == BUILT_IN_KEY

    def of(self, *parts: str) -> str:
        """HMAC over the parts, each length-prefixed (no two part lists collide)."""
        mac = hmac.new(self.key, digestmod=hashlib.sha256)
        for part in parts:
            data = part.encode("utf-8", "surrogatepass")
            mac.update(len(data).to_bytes(8, "big"))
            mac.update(data)
        return mac.hexdigest()

    def secret(self, rule: str, path: str, secret: str) -> str:
        """A secret's fingerprint: rule + path + the secret itself (CONTRACT)."""
        return self.of("secret", rule, path, secret)

    def secret_id(self, rule: str, secret: str) -> str:
        """The same secret wherever it is: is it still present elsewhere? Never reported."""
        return self.of("secret-id", rule, secret)
