"""opensearch-py clients: URL, basic auth, TLS, timeout and the one retry layer in one place.

The client's own retries are the only ones (`max_retries=1`: one more try on a connection
error, a timeout, 429 or a 5xx gateway answer); nothing above it retries a search again.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from jobs.core import redact

#: statuses the client tries once more: throttled, or a proxy in front of a restarting node
RETRY_ON_STATUS = (429, 502, 503, 504)


def opensearch_client(
    url: str,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 30.0,
    ca_file: str | None = None,
    verify_tls: bool = True,
) -> Any:
    """A client for `url`. Credentials written into the URL (`https://user:pw@host:9200`)
    are taken out of it and sent as basic auth, so no URL the client logs or an error quotes
    carries them; the password is registered for scrubbing either way."""
    from opensearchpy import OpenSearch  # the reports extra: only when analytics is configured

    host, url_user, url_password = split_credentials(url)
    username, password = username or url_user, password or url_password
    if password:
        redact.register(password)
    # the client logs every failed request with a traceback through `opensearch`; the source
    # reports its failures itself, once, scrubbed
    logging.getLogger("opensearch").addHandler(logging.NullHandler())
    return OpenSearch(
        hosts=[host],
        http_auth=(username, password or "") if username else None,
        timeout=timeout,
        max_retries=1,
        retry_on_timeout=True,
        retry_on_status=RETRY_ON_STATUS,
        verify_certs=verify_tls,
        ca_certs=ca_file,
        ssl_show_warn=verify_tls,
    )


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """(`url` without its user and password, the user, the password)."""
    parts = urlsplit(url.strip())
    if parts.username is None and parts.password is None:
        return url.strip(), None, None
    netloc = parts.hostname or ""
    if ":" in netloc:  # an IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    user = unquote(parts.username) if parts.username else None
    return bare, user, unquote(parts.password) if parts.password else None
