"""Tenant ids as one safe path segment: for S3 keys, file names and attachment names.

A tenant id comes from the control plane and is untrusted here: `../x`, `a/b`, a NUL, an
accent, 10,000 characters. `segment` turns any id into ONE segment of printable ASCII that is
never `.` or `..`, never starts with a dot (no hidden file, no traversal), has no separator and
fits a file name (255 bytes). It is injective, so two tenants can never share a file or a key
(one reading the other's report): an id already safe is kept as it is; any other character is
percent-encoded (`%` and `~` included), and only a segment too long is cut and ends with
`~` + a SHA-256 of the whole id, `~` appearing in no other segment.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

from jobs.core.errors import PermanentError
from jobs.usage_report.model import Period

#: longest segment kept whole; a longer one is cut to _CUT and gets `~` + 16 hex digits
MAX_SEGMENT = 200
_CUT = MAX_SEGMENT - 17
_ESCAPE = re.compile(r"%[0-9A-F]{0,2}$")  # a cut must not split a %XX escape


def segment(raw: str) -> str:
    """`raw` as a single, safe, injective path segment (see the module's docstring)."""
    if raw == "":
        raise PermanentError("tenant id is empty: no file or key can name it")
    encoded = quote(raw, safe="", errors="surrogatepass").replace("~", "%7E")  # quote keeps A-Z a-z 0-9 _ . - ~
    if encoded.startswith("."):
        encoded = "%2E" + encoded[1:]
    if len(encoded) <= MAX_SEGMENT:
        return encoded
    head = _ESCAPE.sub("", encoded[:_CUT])
    return f"{head}~{hashlib.sha256(raw.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


def relative(tenant_id: str, period: Period) -> tuple[str, str, str]:
    """`(<tenant>, <period kind>, <period label>)`: where a report's files go below the
    directory or the bucket's prefix (e.g. `acme/weekly/2026-W48` + `.pdf`, `.csv`, `.json`)."""
    return segment(tenant_id), segment(period.kind), segment(period.label)
