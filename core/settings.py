"""One typed settings object: the TOML file of DESIGN.md, overridden by ``HOTLINE_*`` variables.

Nothing is read at import; entry points call ``load_settings`` and pass the result down.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from hotline.core.errors import ConfigError
from hotline.core.sla.config import (
    CalendarConfig,
    EscalationRuleConfig,
    SlaPolicyConfig,
    check_references,
    config_error,
)

Security = Literal["ssl", "starttls", "none"]


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/hotline/config.toml``."""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config_home / "hotline" / "config.toml"


class MailAccount(BaseModel):
    """One support mailbox: where to fetch (IMAP), where to send (SMTP), which queue its tickets go to."""

    name: str
    imap_host: str
    imap_port: int = 993
    imap_security: Security = "ssl"
    username: str
    password_env: str | None = None
    """Name of the environment variable holding the password: secrets never live in the file."""
    folder: str = "INBOX"
    processed_folder: str | None = None
    """Move processed mail here; without it, processed mail is flagged \\Seen and left in place."""
    failed_folder: str = "Failed"
    queue: str = "Support"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: Security = "starttls"
    smtp_username: str | None = None
    from_address: str
    acknowledge: bool = True
    verp: bool = False
    """Send with the envelope sender ``local+bounce-<outbox id>@domain`` (VERP), so that a bounce names
    the message it reports even when it quotes none of it; the server must deliver ``+`` addresses."""
    ca_file: str | None = None
    """Extra CA bundle to verify the servers' certificates with (certificates are always verified)."""

    def password(self) -> SecretStr | None:
        """The password from ``password_env``, if that variable is set."""
        if self.password_env and self.password_env in os.environ:
            return SecretStr(os.environ[self.password_env])
        return None


class MailSettings(BaseModel):
    accounts: list[MailAccount] = Field(default_factory=list)
    max_message_bytes: int = 25 * 1024 * 1024
    """Incoming: attachments beyond this size are left out (the ticket notes what was left out)."""
    max_outgoing_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    """Outgoing: a reply whose text and attachments would be larger on the wire is refused (many
    servers take no more than 10 to 25 MB)."""
    acknowledgements_per_sender_per_day: int = 3
    """Cap on acknowledgements to one address a day: two auto-answering systems cannot loop."""
    batch_size: int = 50


class Settings(BaseSettings):
    """Everything hotline can be told; ``HOTLINE_<FIELD>`` variables override the file."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="forbid", env_nested_delimiter="__")

    database_url: str | None = None
    """SQLAlchemy URL; default the embedded SQLite database under ``$XDG_DATA_HOME/hotline``."""
    operator: str | None = None
    """Login of the acting operator; default the OS login name."""
    now: str | None = None
    """A fixed ISO-8601 instant for the clock (tests and replays)."""
    timezone: str = "Europe/Moscow"
    """Where the call centre is: dates on screen, birthdays and reports use it."""
    default_region: str = "RU"
    """Country for phone numbers typed without a country code: the one place it is set (the entry points
    pass it down; no function has a default of its own)."""
    screen_pop_max_age_seconds: float = Field(default=30.0, gt=0, le=3600)
    """A screen pop older than this when a console would show it is not a live call: it goes to the
    missed-calls list instead of opening the card with a running timer."""
    mail: MailSettings = Field(default_factory=MailSettings)
    calendars: dict[str, CalendarConfig] = Field(default_factory=dict)
    sla: list[SlaPolicyConfig] = Field(default_factory=list)
    escalation: list[EscalationRuleConfig] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        import phonenumbers

        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {value!r}: a two-letter country code such as RU, GB or US")
        return region

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def operator_login(self) -> str:
        """The acting login: ``--operator``/``HOTLINE_OPERATOR``, else the OS login name."""
        if self.operator:
            return self.operator
        import getpass

        return getpass.getuser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init arguments (see load_settings), below explicit overrides.
        return (init_settings, env_settings)


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Read the TOML file (the default one may be missing; a named one must exist), apply the
    environment and then ``overrides`` (command-line options; ``None`` values are ignored).

    Every problem is a ``ConfigError`` naming the file and the section or rule.
    """
    path = Path(config_file) if config_file else default_config_path()
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"not valid TOML: {error}", where=str(path)) from None
        except OSError as error:
            raise ConfigError(f"cannot read: {error.strerror}", where=str(path)) from None
    elif config_file:
        raise ConfigError("no such configuration file", where=str(path))
    env_keys = {key.removeprefix("HOTLINE_").lower() for key in os.environ if key.startswith("HOTLINE_")}
    for key in env_keys & set(data):
        data.pop(key)  # the environment overrides the file
    data.update({key: value for key, value in overrides.items() if value is not None})
    try:
        settings = Settings(**data)
    except ValidationError as error:
        raise config_error(error, source=str(path), data=data) from None
    check_references(
        calendars=settings.calendars, sla=settings.sla, escalation=settings.escalation, source=str(path)
    )
    return settings
