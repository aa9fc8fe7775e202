"""A stand-in for the secrets engine with the same `scan_text` API: AWS access key ids only.
History is about which commits and lines are read; what counts as a secret is the engine's
business (tests/repo_scanner/secrets/)."""

from __future__ import annotations

import re

from jobs.repo_scanner.scanners.secrets.match import Match

AKIA = re.compile(r"AKIA[0-9A-Z]{16}")
#: random-looking ids (the real engine ignores EXAMPLE and sequential keys)
KEY_1 = "AKIA4QWX7ZP2MBN6RT3K"
KEY_2 = "AKIA9HJD3LKS8VQ1ZE5W"
KEY_3 = "AKIA2TYU6PLM4XCV8BN1"


class TinyEngine:
    def __init__(self) -> None:
        self.calls = 0

    def scan_text(self, path: str, text: str) -> list[Match]:
        self.calls += 1
        return [
            Match("aws-access-key-id", "AWS access key id", "secret:key", text.count("\n", 0, m.start()) + 1, m.group())
            for m in AKIA.finditer(text)
        ]
