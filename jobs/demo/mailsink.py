"""A local SMTP sink for the demo (aiosmtpd, the sandbox extra): every message it accepts is a
`.eml` file under a folder, and nothing leaves the machine.

Named after its first recipient, so the demo's folder reads as "who got what" (a second mail to
the same address gets `-2`).
"""

from __future__ import annotations

import atexit
import re
import socket
from pathlib import Path
from typing import Any

from jobs.core.errors import DemoUnavailable


def start(folder: Path) -> tuple[str, int]:
    """(host, port) of a sink writing into `folder`; stopped when the process exits."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        raise DemoUnavailable("aiosmtpd is not installed (pip install 'secops-jobs[sandbox]')") from None
    folder.mkdir(parents=True, exist_ok=True)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            name = re.sub(r"[^A-Za-z0-9@._-]", "_", envelope.rcpt_tos[0] if envelope.rcpt_tos else "nobody")
            path, n = folder / f"{name}.eml", 1
            while path.exists():
                n += 1
                path = folder / f"{name}-{n}.eml"
            path.write_bytes(envelope.original_content or envelope.content)
            return "250 OK: kept in the demo's folder"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    atexit.register(controller.stop)
    return "127.0.0.1", port
