"""A file on disk for VM and compose setups: `KEY=value` lines or a single value, written
atomically (temporary file, fsync, rename) with mode 0600."""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from jobs.core.errors import PermanentError
from jobs.core.permissions import Permissions
from jobs.secret_rotation.targets import Data


class SecretFile:
    def __init__(self, spec: Any, value_key: str, ctx: Any) -> None:
        self.spec, self.path, self.value_key = spec, Path(spec.path), value_key
        self.name = f"file:{spec.path}"

    def render(self, data: Data) -> str:
        if self.spec.format == "value":
            key = self.spec.key or self.value_key  # default: the value that rotates
            if key not in data:
                raise PermanentError(f"{self.name}: the secret has no key {key!r}")
            return data[key] + "\n"
        return "".join(f"{self.spec.prefix}{k.upper()}={v}\n" for k, v in sorted(data.items()))

    def check(self, current: Data) -> None:
        self.render(current)  # the keys it needs exist; a missing file is created by set

    def set(self, new: Data) -> None:
        text = self.render(new)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
                Path(tmp).replace(self.path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    Path(tmp).unlink()
        except OSError as exc:
            raise PermanentError(f"{self.name}: cannot write: {exc.strerror}") from None

    restore = set  # the old value is set like any other

    def test(self, new: Data) -> None:
        try:
            written = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PermanentError(f"{self.name}: cannot read back: {exc.strerror}") from None
        if written != self.render(new):
            raise PermanentError(f"{self.name}: read back a different value")

    def holds(self, data: Data) -> bool:
        try:
            return self.path.read_text(encoding="utf-8") == self.render(data)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise PermanentError(f"{self.name}: cannot read back: {exc.strerror}") from None

    def restart(self, at: datetime) -> None:
        """Nothing to restart: whoever reads the file reads it again."""

    def wait_ready(self, deadline: float) -> None:
        """Nothing to wait for."""


def permissions(spec: Any) -> Permissions:
    """None that Vault, Kubernetes or AWS grant: the process must be able to write the file
    and its folder (a temporary file is renamed over it)."""
    return Permissions()
