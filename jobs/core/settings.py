"""The one settings file: YAML + `SECOPS_` environment (`__` between levels), validated up front.

Precedence, highest first: explicit overrides, environment, YAML file, defaults.
Unknown keys are errors. References are resolved before validation (refs.py).
"""

from __future__ import annotations

import contextvars
import logging
import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, create_model, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from jobs.core import logs, redact, yamlfile
from jobs.core.environment import unknown_variables
from jobs.core.errors import ConfigError
from jobs.core.refs import ReferenceErrors, resolve_tree
from notifications.settings import NotificationSettings, RepeatHours

ENV_PREFIX = "SECOPS_"
log = logging.getLogger("secops.settings")
_yaml_data: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("yaml_data", default=None)
#: False while a deployment generator reads settings: references stay as written (a generator
#: names what a run will read; it has no business reading the secrets themselves)
_resolving: contextvars.ContextVar[bool] = contextvars.ContextVar("resolving", default=True)
#: the least key or shared secret a public route verifies callers with: shorter, anyone could
#: guess it or brute-force it offline from one link or delivery they saw
MIN_SECRET_BYTES = 32
GENERATE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105 - a command, not a secret


def strong_secret(value: SecretStr | None) -> SecretStr | None:
    """A field validator: None (the feature is off) or UTF-8 text of at least MIN_SECRET_BYTES
    bytes besides surrounding whitespace (an empty variable, a `file:` holding a newline, a
    variable holding a byte that is no UTF-8 are refused: the routes encode the key strictly). A
    reference a generator leaves unresolved is checked when a run resolves it. The message
    never shows the value."""
    text = value.get_secret_value() if value is not None else None
    if text is None or (not _resolving.get() and text.startswith(("vault:", "file:"))):
        return value
    try:
        encoded = text.strip().encode("utf-8")
    except UnicodeEncodeError:  # a byte that is no UTF-8 in the environment reads as a lone surrogate
        raise ValueError("must be UTF-8 text: it holds a byte that is not (set it again)") from None
    if len(encoded) < MIN_SECRET_BYTES:
        raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes (generate one: {GENERATE_SECRET})")
    return value


class JobSettings(BaseModel):
    """What every job section accepts; job sections extend it."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(
        True,
        description="`python -m jobs schedule` runs this job on its crons; false leaves it out of the "
        "schedule (a run started by hand, by a CronJob or by a Lambda still runs)",
    )
    dry_run: bool | None = Field(None, description="plan only; default: true for destructive jobs, false otherwise")
    max_actions: int = Field(50, ge=0, description="guardrail: more planned actions stop the run (exit 3)")
    max_actions_percent: float = Field(
        20.0, ge=0, le=100, description="guardrail: more than this % of the inventory stops the run"
    )
    repeat_after_hours: dict[Literal["critical", "warning", "info"], RepeatHours | None] | None = Field(
        None, description="this job's alert repeat windows; default: notifications.repeat_after_hours"
    )


class VaultSettings(BaseModel):
    """The Vault (or OpenBao) that `vault:` references are read from."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, description="default: $VAULT_ADDR")
    token: SecretStr | None = Field(None, description="default: $VAULT_TOKEN; may be a file: reference")
    namespace: str | None = Field(None, description="Vault Enterprise / OpenBao namespace")
    ca_file: str | None = Field(None, description="CA bundle for a Vault with a private CA")
    timeout_seconds: float = Field(10.0, gt=0, description="per request")


class _YamlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return (_yaml_data.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_yaml_data.get() or {})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        case_sensitive=False,
        env_parse_none_str="null",
    )

    state_db_url: str = Field(
        "sqlite:///./secops-state.db",
        description="run history, alert and warning state; a PostgreSQL URL in production",
    )
    state_auto_migrate: bool = Field(True, description="upgrade the state schema at start-up")
    state_retry_seconds: float = Field(
        60.0, gt=0, le=3600, description="a locked or unreachable state DB is waited out this long, then the run stops"
    )
    run_lock_ttl_minutes: int = Field(
        360, ge=1, description="a run lock older than this is taken over (crashed holder)"
    )
    run_lock_wait_minutes: float = Field(
        30.0, ge=0, description="a full run waits this long for a yielding one (warn-only) to release the lock"
    )
    pushgateway_url: str | None = Field(None, description="metrics are pushed at the end of every run")
    pushgateway_timeout_seconds: float = Field(5.0, gt=0, description="a slow Pushgateway never holds a run longer")
    metrics_textfile: str | None = Field(
        None, description="also write the run's series for node_exporter; {job} is replaced by the job id"
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="JSON lines on stderr, readable on a TTY"
    )
    vault: VaultSettings = Field(default_factory=VaultSettings, description="where vault: references are read")
    notifications: NotificationSettings = Field(
        default_factory=NotificationSettings, description="channels and routing by severity"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlSource(settings_cls))

    @model_validator(mode="before")
    @classmethod
    def _resolve_references(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not _resolving.get():
            return data
        vault_cfg = resolve_tree(data.get("vault") or {}, {})
        return resolve_tree(data, vault_cfg if isinstance(vault_cfg, dict) else {})

    def job_settings(self, section: str, destructive: bool) -> JobSettings:
        """The section of one job, with the dry-run default its kind implies."""
        found = getattr(self, section, None)
        job = found if isinstance(found, JobSettings) else JobSettings()
        if job.dry_run is None:
            job = job.model_copy(update={"dry_run": destructive})
        return job


_models: dict[tuple[tuple[str, type[JobSettings]], ...], type[Settings]] = {}


def settings_model(sections: Mapping[str, type[JobSettings]]) -> type[Settings]:
    """Settings plus one section per job (the model it is handed for it), so unknown keys are
    caught everywhere. The caller knows the jobs (resolve.sections); this module does not."""
    key = tuple(sorted(sections.items(), key=lambda pair: pair[0]))
    if key not in _models:
        fields: dict[str, Any] = {
            section: (model, Field(default_factory=model, description=f"the {section.replace('_', '-')} job"))
            for section, model in sections.items()
        }
        _models[key] = create_model("Settings", __base__=Settings, **fields)
    return _models[key]


def read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        data = yamlfile.read(path)
    except yamlfile.YamlProblem as exc:
        raise ConfigError(f"--config {path}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"--config {path}: top level must be a mapping of keys")
    return data


def read_settings(
    path: str | os.PathLike[str] | None,
    sections: Mapping[str, type[JobSettings]],
    *,
    resolve_references: bool = True,
    **overrides: Any,
) -> Settings:
    """Settings with `sections` from `path` (or $SECOPS_CONFIG), the environment and
    `overrides`; ConfigError if bad. Most callers want resolve.load_settings (the job table's).
    `resolve_references=False` leaves every `vault:`/`file:` reference as written."""
    path = path or os.environ.get("SECOPS_CONFIG") or None
    token = _yaml_data.set(read_yaml(path) if path else {})
    resolving = _resolving.set(resolve_references)
    try:
        settings = settings_model(sections)(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None
    finally:
        _yaml_data.reset(token)
        _resolving.reset(resolving)
    _register_secret_fields(settings)
    for unknown in unknown_variables(os.environ, type(settings), ENV_PREFIX):
        logs.ensure_configured()
        log.warning(
            "unknown_environment_variable",
            extra={"fields": {"variable": unknown.variable, "closest": unknown.closest, "message": unknown.message}},
        )
    return settings


def describe(exc: ValidationError) -> list[str]:
    """One line per bad value, naming the key (and its environment variable when set)."""
    lines: list[str] = []
    for err in exc.errors(include_url=False):
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, ReferenceErrors):
            lines.extend(cause.problems)
            continue
        key = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        env_name = ENV_PREFIX + key.replace(".", "__").upper()
        source = f" (from ${env_name})" if env_name in os.environ else ""
        shown = "" if err.get("type") == "extra_forbidden" else _show_input(key, err.get("input"))
        lines.append(f"{key or 'settings'}{source}: {message}{shown}")
    return lines


def _show_input(key: str, value: Any) -> str:
    """The bad value, where it cannot be a secret: never for a key we do not know (a misspelt
    `tokne:` holds what `token:` would), nor for one whose name says it is secret."""
    if not isinstance(value, str | int | float | bool) or (isinstance(value, str) and len(value) > 80):
        return ""
    if any(word in key.lower() for word in ("token", "password", "secret", "key", "url", "dsn")):
        return ""
    return f" (got {redact.scrub(repr(value))})"


def _register_secret_fields(model: BaseModel) -> None:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, SecretStr):
            redact.register(value.get_secret_value())
        elif isinstance(value, BaseModel):
            _register_secret_fields(value)
