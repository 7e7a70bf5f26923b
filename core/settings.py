"""One typed settings object: the TOML file of DESIGN.md, overridden by ``HOTLINE_*`` variables.

Nothing is read at import; entry points call ``load_settings`` and pass the result down.
"""

from __future__ import annotations

import os
import re
import select
import stat
import string
import time
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from hotline.core.attribution import Attributions, CampaignConfig, check_campaigns
from hotline.core.dates import DateOrder
from hotline.core.emails import normalize_email
from hotline.core.errors import ConfigError, InvalidInput
from hotline.core.report_schedule import ReportSettings, check_schedules
from hotline.core.rules.config import EventRuleConfig, check_rule_references
from hotline.core.sla.config import (
    CalendarConfig,
    EscalationRuleConfig,
    SlaPolicyConfig,
    check_references,
    config_error,
)
from hotline.core.text import checked_text
from hotline.core.zones import known_zone

Security = Literal["ssl", "starttls", "none"]


def _is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _variable_name(value: str | None) -> str | None:
    """A ``*_env`` setting names an environment variable: ``""`` or ``"MY PASSWORD"`` could never be set,
    and the secret was "missing" at the first poll or call."""
    if value is not None and not _VARIABLE_NAME.fullmatch(value):
        raise ValueError(f"{value[:60]!r}: the name of an environment variable (letters, digits, _)")
    return value


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/hotline/config.toml``."""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config_home / "hotline" / "config.toml"


def _folder_key(name: str) -> str:
    """An IMAP folder name as the server compares it: INBOX in any case is INBOX (RFC 3501 5.1)."""
    return "INBOX" if name.upper() == "INBOX" else name


MAX_ACCOUNT_NAME = 100
"""What the database keeps of an account's name (its poll position, processed and failed records)."""


class MailAccount(BaseModel):
    """One support mailbox: where to fetch (IMAP), where to send (SMTP), which queue its tickets go to.

    An unknown key is an error (a misspelt ``password_env`` must not pass as "no password"); a password
    written in the file is refused; plaintext (``security = "none"``) only to a loopback host.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    imap_host: str
    imap_port: int = Field(default=993, ge=1, le=65535)
    """A TCP port (``-5`` or ``99999`` passed ``config check`` as ok and failed at the first poll)."""
    imap_security: Security = "ssl"
    username: str
    password_env: str | None = None
    """Name of the environment variable holding the password: secrets never live in the file."""
    folder: str = "INBOX"
    processed_folder: str | None = None
    """Move processed mail here; without it, processed mail is flagged \\Seen and left in place."""
    failed_folder: str = "Failed"
    queue: str = "Support"  # queues.MAIL_DEFAULT_QUEUE (not imported: the settings load before the models)
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Security = "starttls"
    smtp_username: str | None = None
    from_address: str
    acknowledge: bool = True
    verp: bool = False
    """Send with the envelope sender ``local+bounce-<outbox id>@domain`` (VERP), so that a bounce names
    the message it reports even when it quotes none of it; the server must deliver ``+`` addresses."""
    ca_file: str | None = None
    """Extra CA bundle to verify the servers' certificates with (certificates are always verified)."""

    _password_env = field_validator("password_env")(classmethod(lambda cls, v: _variable_name(v)))

    @field_validator("name")
    @classmethod
    def _a_name_to_tell_it_by(cls, value: str) -> str:
        """The account's key in the database (its poll position, the UIDs it took in): printable, not
        blank, within the 100 characters the database keeps."""
        if not value.strip():
            raise ValueError("an account needs a name (it keys its poll position in the database)")
        try:
            checked_text(value, what="a mail account's name", at_most=MAX_ACCOUNT_NAME)
        except InvalidInput as error:
            raise ValueError(error.message) from None
        if value != value.strip():  # --account NAME chooses it: typed plainly
            raise ValueError(f"{value!r}: no spaces around it")
        return value

    @field_validator("from_address")
    @classmethod
    def _one_address(cls, value: str) -> str:
        """What replies and acknowledgements go out from: one plain address (a display name, or none,
        left replies refused and acknowledgements refused by the SMTP server, run after run)."""
        try:
            normalize_email(value)
        except InvalidInput as error:
            raise ValueError(error.message) from None
        return value

    @field_validator("queue")
    @classmethod
    def _a_queue_name(cls, value: str) -> str:
        """A name no queue can have failed every message polled, each moved to the failed folder."""
        from hotline.core.services.queues import checked_queue_name

        try:
            checked_queue_name(value)
        except InvalidInput as error:
            raise ValueError(error.message) from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _no_inline_password(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("password" in data or "smtp_password" in data):
            raise ValueError(
                "a password never lives in the configuration file: name the environment variable that"
                " holds it with password_env"
            )
        return data

    @model_validator(mode="after")
    def _plaintext_only_to_loopback(self) -> MailAccount:
        for kind, host, security in (
            ("imap", self.imap_host, self.imap_security),
            ("smtp", self.smtp_host, self.smtp_security),
        ):
            if security == "none" and host is not None and not _is_loopback(host):
                raise ValueError(
                    f'{kind}_security = "none" sends the password in clear: only to a loopback host,'
                    f" not {host!r} (use ssl or starttls)"
                )
        return self

    @model_validator(mode="after")
    def _moves_out_of_the_polled_folder(self) -> MailAccount:
        """Mail moved into the folder it came from gets a new UID and is taken in again by the next
        poll: a new ticket every poll for mail without a Message-ID. INBOX is one name in any case."""
        polled = _folder_key(self.folder)
        for key, target in (
            ("processed_folder", self.processed_folder),
            ("failed_folder", self.failed_folder),
        ):
            if target is not None and _folder_key(target) == polled:
                raise ValueError(
                    f"{key} {target!r} is the polled folder: mail moved there would come in again"
                )
        return self

    def password(self) -> SecretStr | None:
        """The password from ``password_env``, if that variable is set."""
        if self.password_env and self.password_env in os.environ:
            return SecretStr(os.environ[self.password_env])
        return None


class MailSettings(BaseModel):
    """``[mail]``: an unknown key is an error (``[[mail.account]]`` must not pass as "no accounts", with its
    inline password unseen)."""

    model_config = ConfigDict(extra="forbid")

    accounts: list[MailAccount] = Field(default_factory=list)
    max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    """Incoming: attachments beyond this size are left out (the ticket notes what was left out)."""
    max_outgoing_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    """Outgoing: a reply whose text and attachments would be larger on the wire is refused (many
    servers take no more than 10 to 25 MB)."""
    acknowledgements_per_sender_per_day: int = Field(default=3, ge=0, le=1000)
    """Cap on acknowledgements to one address a day: two auto-answering systems cannot loop."""
    batch_size: int = Field(default=50, ge=1, le=10_000)
    """Messages fetched from the server in one go (fewer when they are big)."""

    @field_validator("accounts")
    @classmethod
    def _names_apart(cls, accounts: list[MailAccount]) -> list[MailAccount]:
        """Two accounts of one name would share one poll position and one record of the UIDs taken in:
        the second mailbox's mail under UIDs the first took in would be passed over for good."""
        seen: dict[str, int] = {}
        for index, account in enumerate(accounts):
            key = account.name.strip().casefold()
            if key in seen:
                raise ValueError(f"{account.name!r} names two accounts ({seen[key]} and {index})")
            seen[key] = index
        return accounts


class AmiSettings(BaseModel):
    """Asterisk's Manager Interface (``manager.conf``): where ``hotline call listen`` connects."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = "hotline"
    secret_env: str = "HOTLINE_AMI_SECRET"  # noqa: S105 (a variable name)
    """Name of the environment variable holding the AMI secret: secrets never live in the file."""
    _secret_env = field_validator("secret_env")(classmethod(lambda cls, v: _variable_name(v)))
    originate_channel: str = "PJSIP/{extension}"
    """The operator's phone that click-to-dial rings first (``{extension}`` is replaced)."""
    originate_context: str = "from-internal"
    """The dialplan context the client's number is dialled in once the operator answers."""
    reconnect_max_seconds: float = Field(default=30.0, gt=0, le=3600)
    """The longest wait between reconnection attempts (the back-off doubles from one second)."""

    @field_validator("username", "originate_channel", "originate_context")
    @classmethod
    def _one_line(cls, value: str) -> str:
        """What goes into an AMI action as it is: a line break (or any control character) cannot be sent,
        so the login was retried for ever and every dial ended "failed"."""
        if not value.strip():
            raise ValueError("empty")
        bad = next((char for char in value if not char.isprintable()), None)
        if bad is not None:
            raise ValueError(f"{value!r}: holds U+{ord(bad):04X}, which no AMI action can carry")
        return value

    @field_validator("originate_channel")
    @classmethod
    def _only_the_extension(cls, value: str) -> str:
        """``{extension}`` is the one field: ``{ext}`` or ``{0}`` passed and every dial then failed as
        "internal error" with a traceback in the listener's log."""
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
        except ValueError as error:
            raise ValueError(f"{value!r}: {error}") from None
        if any(name != "extension" for name in fields):
            raise ValueError(f"{value!r}: the one field is {{extension}}, as in PJSIP/{{extension}}")
        return value

    def secret(self) -> SecretStr | None:
        """The secret from ``secret_env``, if that variable is set."""
        value = os.environ.get(self.secret_env)
        return SecretStr(value) if value is not None else None


class WebhookApiSettings(BaseModel):
    """The cloud PBX's own API, for click-to-dial (``[pbx.webhook.api]``; Zadarma's callback for now).

    The key may sit in the file (it names the account, like the AMI's username); the secret never does:
    it comes from ``secret_env``, by default the webhook's (Zadarma signs its notifications with the
    same API secret). Plain ``http`` only to a loopback host.
    """

    model_config = ConfigDict(extra="forbid")

    url: str = "https://api.zadarma.com"
    """Where the API is (``https://api-sandbox.zadarma.com`` for Zadarma's sandbox)."""
    key: str
    """The API key (the public half of the pair in Zadarma's personal account)."""
    secret_env: str | None = None
    """Name of the environment variable holding the API secret; default the webhook's ``secret_env``."""
    _secret_env = field_validator("secret_env")(classmethod(lambda cls, v: _variable_name(v)))
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    """A request not answered in this time fails (and the dial request ends failed)."""

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secret(cls, data: Any) -> Any:
        if isinstance(data, dict) and "secret" in data:
            raise ValueError(
                "a secret never lives in the configuration file: name the environment variable that"
                " holds it with secret_env"
            )
        return data

    @field_validator("key")
    @classmethod
    def _plain_key(cls, value: str) -> str:
        import re

        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,128}", value):
            raise ValueError("the API key as Zadarma shows it: letters and digits only")
        return value

    @field_validator("url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        url = urlsplit(value.strip())
        try:
            url.port  # noqa: B018 (a bad port raises here)
        except ValueError:
            raise ValueError(f"not a URL: {value!r}") from None
        if url.scheme not in ("https", "http") or not url.hostname:
            raise ValueError(f"an https:// URL is needed, not {value!r}")
        if url.query or url.fragment or url.username or url.password:
            raise ValueError(f"only the scheme, host, port and path: {value!r}")
        if url.scheme == "http" and not _is_loopback(url.hostname):
            raise ValueError(f"plain http sends the signed requests in clear: use https, not {value!r}")
        return value.strip().rstrip("/")

    def secret(self, default_env: str) -> SecretStr | None:
        """The API secret from ``secret_env`` (else ``default_env``), if that variable is set."""
        value = os.environ.get(self.secret_env or default_env)
        return SecretStr(value) if value else None


class WebhookSettings(BaseModel):
    """The HTTP endpoint a cloud PBX posts call events to (``hotline call listen --webhook``)."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    """Loopback by default: put a TLS reverse proxy in front to take events from the internet."""
    port: int = Field(default=8765, ge=0, le=65535)
    secret_env: str = "HOTLINE_PBX_WEBHOOK_SECRET"  # noqa: S105 (a variable name)
    """Name of the environment variable holding the shared secret the signatures are made with."""
    _secret_env = field_validator("secret_env")(classmethod(lambda cls, v: _variable_name(v)))
    format: Literal["hotline", "zadarma"] = "hotline"
    """``hotline``: the JSON shape in the README; ``zadarma``: Zadarma's PBX call notifications."""
    max_age_seconds: int = Field(default=300, ge=1, le=86_400)
    """A signed request older (or newer) than this is refused as a replay."""
    api: WebhookApiSettings | None = None
    """The PBX's API (``[pbx.webhook.api]``): with it, ``call listen --webhook`` dials (click-to-dial)."""

    @model_validator(mode="after")
    def _api_is_zadarmas(self) -> WebhookSettings:
        if self.api is not None and self.format != "zadarma":
            raise ValueError('api: Zadarma\'s callback API, for format = "zadarma" only')
        return self

    def secret(self) -> SecretStr | None:
        """The shared secret from ``secret_env``, if that variable is set."""
        value = os.environ.get(self.secret_env)
        return SecretStr(value) if value else None


class PbxSettings(BaseModel):
    """The phone system: which operator sits at which extension, and the adapters' connections."""

    model_config = ConfigDict(extra="forbid")

    extensions: dict[str, str] = Field(default_factory=dict)
    """Extension → operator login (``"101" = "olga"``): whose console pops when that phone rings."""
    timezone: str | None = None
    """The PBX's local time zone (CDR files carry local times); default the call centre's ``timezone``."""
    ami: AmiSettings = Field(default_factory=AmiSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)

    @field_validator("extensions")
    @classmethod
    def _extensions(cls, value: dict[str, str]) -> dict[str, str]:
        """An extension is 1 to 32 printable characters without spaces: an empty one (``"" = "olga"``)
        popped its operator for every webhook event that named no extension."""
        for extension in value:
            if (
                not 1 <= len(extension) <= 32
                or not extension.isprintable()
                or extension != "".join(extension.split())
            ):
                raise ValueError(
                    f"{extension[:40]!r}: an extension is 1 to 32 characters, no space or control"
                )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            known_zone(value)
        return value

    def operator_for(self, extension: str | None) -> str | None:
        """The login mapped to ``extension``; ``None`` for an extension nobody sits at."""
        return self.extensions.get(extension.strip()) if extension else None

    def extension_of(self, login: str) -> str | None:
        """The extension mapped to ``login`` (click-to-dial rings it first)."""
        return next((ext for ext, mapped in self.extensions.items() if mapped == login), None)


class DatabaseSettings(BaseModel):
    """``[database]``: how a process holds its PostgreSQL connections (SQLite ignores the pool sizes).

    Many consoles on one server go through PgBouncer in transaction mode (``pooler = "transaction"``):
    a server connection is then lent for one transaction only, so nothing hotline does may outlive its
    transaction (no session ``SET``, session advisory locks, prepared statements or ``LISTEN``). The
    live-update watcher's ``LISTEN`` needs a session: it connects to ``listen_url``, the server itself.
    """

    model_config = ConfigDict(extra="forbid")

    pooler: Literal["none", "transaction"] = "none"
    """``transaction``: ``database_url`` points to a transaction pooler (PgBouncer ``pool_mode =
    transaction``); then ``listen_url`` is required."""
    listen_url: str | None = None
    """A direct PostgreSQL URL (not through the pooler) for the one ``LISTEN`` connection of the
    live-update watcher."""
    relay_socket: str | None = None
    """PostgreSQL: the Unix socket of this host's ``hotline live relay`` (one ``LISTEN`` connection for
    every console of the host); an absolute path in a folder the admin made (``/run/hotline/live.sock``).
    Default: ``$XDG_RUNTIME_DIR/hotline/live.sock`` (a single-user host)."""
    pool_size: int = Field(default=1, ge=0, le=100)
    """Connections a process keeps open while idle. A console runs one unit of work at a time on its
    screen (its live updates wait on their own connection), so one is kept: 500 idle consoles cost
    500 server connections at most without a pooler, and none behind one."""
    max_overflow: int = Field(default=8, ge=0, le=100)
    """Connections opened beyond ``pool_size`` for a burst (a background read beside the screen's)
    and closed as soon as they are given back."""
    pool_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    """How long a unit of work waits for a free connection before failing (never forever)."""

    @field_validator("listen_url")
    @classmethod
    def _postgres_listen_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(
            ("postgresql://", "postgres://", "postgresql+psycopg://")
        ):
            raise ValueError("listen_url must be a postgresql:// URL (LISTEN exists only on PostgreSQL)")
        return value

    @field_validator("relay_socket")
    @classmethod
    def _socket_path(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if "\0" in value or not value.startswith("/") or value.endswith("/"):
            raise ValueError(
                "relay_socket must be the absolute path of a socket file (/run/hotline/live.sock)"
            )
        if len(value.encode("utf-8", "surrogateescape")) > 107:
            raise ValueError("relay_socket is longer than a Unix socket path may be (107 bytes)")
        return value

    @model_validator(mode="after")
    def _listen_behind_pooler(self) -> DatabaseSettings:
        if self.pooler == "transaction" and self.listen_url is None:
            raise ValueError(
                'pooler = "transaction" needs listen_url, a direct URL to the server: LISTEN cannot work'
                " through a transaction pooler"
            )
        return self


class Settings(BaseSettings):
    """Everything hotline can be told; ``HOTLINE_<FIELD>`` variables override the file."""

    # An empty variable is not set, as click reads the options' variables (``HOTLINE_NOW=`` is no clock).
    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_", extra="forbid", env_nested_delimiter="__", env_ignore_empty=True
    )

    database_url: str | None = None
    """SQLAlchemy URL; default the embedded SQLite database under ``$XDG_DATA_HOME/hotline``."""
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    """``[database]``: connection pools, a transaction pooler in front of PostgreSQL, the listen URL."""
    operator: str | None = None
    """``--operator``: act as this login; honoured only for an admin (SQLite) or the system account
    (PostgreSQL), see ``core.identity``."""
    pg_role_prefix: str = "hotline"
    """PostgreSQL: the group roles are ``<prefix>_operator``, ``_supervisor``, ``_admin`` and ``_system``
    (the system account: cron, the PBX)."""
    now: str | None = None
    """A fixed ISO-8601 instant for the clock (tests and replays)."""
    timezone: str = "Europe/Moscow"
    """Where the call centre is: dates on screen, birthdays and reports use it."""
    default_region: str = "RU"
    """Country for phone numbers typed without a country code: the one place it is set (the entry points
    pass it down; no function has a default of its own)."""
    date_order: DateOrder = "dmy"
    """How people here write dates: ``dmy`` (16.01.1999), ``mdy`` (01/16/1999) or ``ymd`` (1999-01-16);
    the console's forms read typed dates this way (a four-digit year first is always ISO)."""
    screen_pop_max_age_seconds: float = Field(default=30.0, gt=0, le=3600)
    """A screen pop older than this when a console would show it is not a live call: it goes to the
    missed-calls list instead of opening the card with a running timer."""
    mail: MailSettings = Field(default_factory=MailSettings)
    calendars: dict[str, CalendarConfig] = Field(default_factory=dict)
    sla: list[SlaPolicyConfig] = Field(default_factory=list)
    escalation: list[EscalationRuleConfig] = Field(default_factory=list)
    contract_warning_days: int = Field(default=30, ge=0, le=3650)
    """Warn of contracts ending within this many days (``reminders due`` makes reminders of them)."""
    rules: list[EventRuleConfig] = Field(default_factory=list)
    """Event rules (``[[rules]]``): on an event, when the conditions hold, do the actions."""
    sources: list[str] = Field(default_factory=list)
    """How clients hear about us ("TV", "search", "a friend"): the list the forms offer."""
    campaigns: list[CampaignConfig] = Field(default_factory=list)
    """Advertising campaigns: code, dates, cost and the numbers printed in them."""
    reports: ReportSettings = Field(default_factory=ReportSettings)
    """Reports mailed by ``hotline report send``: recipients, subject and period per schedule."""
    pbx: PbxSettings = Field(default_factory=PbxSettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        known_zone(value)
        return value

    @field_validator("pg_role_prefix")
    @classmethod
    def _plain_prefix(cls, value: str) -> str:
        """The start of a role name PostgreSQL takes whole (``<prefix>_supervisor`` within 63 bytes) and a
        DBA types unquoted: a long one or a quote passed ``config check`` and failed ``db grants``."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,51}", value):
            raise ValueError(
                f"{value[:60]!r}: 1 to 52 lower-case letters, digits and underscores, no digit first"
            )
        return value

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        import phonenumbers

        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {value!r}: a two-letter country code such as RU, GB or US")
        return region

    @model_validator(mode="after")
    def _pooler_needs_postgres(self) -> Settings:
        url = self.database_url or ""
        if self.database.pooler != "none" and not url.startswith(("postgresql", "postgres://")):
            raise ValueError(
                f'[database] pooler = "{self.database.pooler}" needs a postgresql:// database_url'
            )
        return self

    @property
    def attributions(self) -> Attributions:
        """The sources and campaigns, with the checks the faces apply to what they are given."""
        return Attributions(sources=tuple(self.sources), campaigns=tuple(self.campaigns))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def pbx_zone(self) -> ZoneInfo:
        """The PBX's local time zone (CDR times), the call centre's unless ``[pbx] timezone`` says."""
        return ZoneInfo(self.pbx.timezone or self.timezone)

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


_TOML_AT = re.compile(r"^(?P<reason>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$")
_TOML_AT_END = re.compile(r"^(?P<reason>.*) \(at end of document\)$")


def _syntax_error(error: tomllib.TOMLDecodeError, path: Path, text: str) -> ConfigError:
    """``FILE:LINE: not valid TOML: reason (column N)``, as every other file's mistake is named: the line
    was only inside the message's parentheses."""
    if found := _TOML_AT.match(str(error)):
        reason = f"not valid TOML: {found['reason']} (column {found['column']})"
        return ConfigError(reason, where=f"{path}:{found['line']}")
    if found := _TOML_AT_END.match(str(error)):  # an unclosed string or table: where the file ends
        reason = f"not valid TOML: {found['reason']} (at the end of the file)"
        return ConfigError(reason, where=f"{path}:{len(text.splitlines()) or 1}")
    return ConfigError(f"not valid TOML: {error}", where=str(path))


def _variables_at_fault(error: ValidationError, data: dict[str, Any]) -> str | None:
    """The ``HOTLINE_*`` variables the refused values came from, when none came from the file or an
    option: a bad variable was reported as the configuration file's, which did not hold the setting."""
    environment = {name.upper(): name for name in os.environ}
    names: set[str] = set()
    for problem in error.errors():
        loc = [str(part) for part in problem["loc"]]
        if not loc or loc[0] in data:
            return None
        candidates = ("HOTLINE_" + "__".join(loc[:depth]).upper() for depth in range(len(loc), 0, -1))
        name = next((environment[c] for c in candidates if c in environment), None)
        if name is None:
            return None
        names.add(name)
    return ", ".join(sorted(names)) or None


CONFIG_MAX_BYTES = 4 << 20
"""A configuration file is text a person wrote: ``/dev/zero`` was read until the memory ran out."""
PIPE_WAIT_SECONDS = 10.0
"""How long a pipe (``--config <(render)``, a FIFO) has to deliver the whole file: one nobody wrote to hung
every command, cron's included."""


def _read_config(path: Path) -> bytes:
    """The file's bytes, at most ``CONFIG_MAX_BYTES``; a pipe or a device is read without blocking."""
    if stat.S_ISREG(path.stat().st_mode):
        with path.open("rb") as stream:
            raw = stream.read(CONFIG_MAX_BYTES + 1)
    else:
        raw = _read_stream(path)
    if len(raw) > CONFIG_MAX_BYTES:
        raise ConfigError(f"more than {CONFIG_MAX_BYTES >> 20} MB: not a configuration file", where=str(path))
    return raw


def _read_stream(path: Path) -> bytes:
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if os.isatty(descriptor):
            raise ConfigError("a terminal, not a configuration file", where=str(path))
        is_pipe = stat.S_ISFIFO(os.fstat(descriptor).st_mode)
        deadline = time.monotonic() + PIPE_WAIT_SECONDS
        chunks: list[bytes] = []
        size = 0
        while size <= CONFIG_MAX_BYTES:
            try:
                chunk: bytes | None = os.read(descriptor, 1 << 16)
            except BlockingIOError:  # a writer is there, with nothing to say yet
                chunk = None
            if chunk:
                chunks.append(chunk)
                size += len(chunk)
                continue
            if chunk == b"" and (size or not is_pipe):
                break  # the end of what was written; a device's empty read is its end (/dev/null)
            if time.monotonic() >= deadline:
                raise ConfigError(
                    f"nothing came through the pipe in {PIPE_WAIT_SECONDS:g} s"
                    if not size
                    else f"the pipe was not closed within {PIPE_WAIT_SECONDS:g} s",
                    where=str(path),
                )
            if chunk is None:
                select.select([descriptor], [], [], 0.1)
            else:
                time.sleep(0.05)  # no writer yet: wait a little for one to open the pipe
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def check_config_name(config_file: Path | str | None) -> None:
    """A named configuration file has a name: ``--config " "`` was a file named " " (``config init`` wrote
    one in the current folder) and ": no such configuration file" for every other command."""
    if config_file is not None and not str(config_file).strip():
        raise ConfigError(
            "a blank file name: name the configuration file or leave --config out", where="--config"
        )


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Read the TOML file (the default one may be missing; a named one must exist), apply the
    environment and then ``overrides`` (command-line options; ``None`` values are ignored).

    Every problem is a ``ConfigError`` naming the file and the section or rule.
    """
    check_config_name(config_file)
    path = Path(config_file) if config_file else default_config_path()
    data: dict[str, Any] = {}
    if path.exists():
        try:
            raw = _read_config(path)
            text = raw.decode("utf-8-sig")  # Notepad writes a byte order mark
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise _syntax_error(error, path, text) from None
        except UnicodeDecodeError as error:  # a windows-1251 comment, say: the line it is on
            line = raw[: error.start].count(b"\n") + 1
            raise ConfigError("not valid TOML: not UTF-8 text", where=f"{path}:{line}") from None
        except RecursionError:  # arrays in arrays past the interpreter's depth: it was a traceback
            raise ConfigError("not valid TOML: nested too deeply", where=str(path)) from None
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
        source = _variables_at_fault(error, data) or str(path)
        raise config_error(error, source=source, data=data) from None
    check_references(
        calendars=settings.calendars, sla=settings.sla, escalation=settings.escalation, source=str(path)
    )
    check_rule_references(rules=settings.rules, calendars=settings.calendars, source=str(path))
    problem = check_campaigns(settings.sources, settings.campaigns) or check_schedules(
        settings.reports, accounts=[account.name for account in settings.mail.accounts]
    )
    if problem:
        raise ConfigError(problem, where=str(path))
    return settings
