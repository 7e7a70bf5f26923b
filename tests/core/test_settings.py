"""The settings are the one place the default phone region is set, checked and spelled one way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hotline.core.errors import ConfigError
from hotline.core.settings import load_settings


def test_the_region_is_a_country_code_in_capitals(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('default_region = " gb "\n', encoding="utf-8")
    assert load_settings(config).default_region == "GB"
    assert load_settings(tmp_path / "config.toml", default_region="kz").default_region == "KZ"


@pytest.mark.parametrize("region", ["", "XX", "Russia", "R U"])
def test_an_unknown_region_names_the_file_and_the_field(tmp_path: Path, region: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'default_region = "{region}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert error.value.where == str(config)
    assert "default_region: unknown region" in str(error.value)


REPOSITORY = Path(__file__).parents[2]
# The mail intake's own default goes with the mail work on issue 11; then this set is empty.


def _region_defaults(path: Path) -> list[str]:
    """``file:function(parameter)`` or ``file:Class.field`` for every region given a default in ``path``."""
    found = []
    place = path.relative_to(REPOSITORY).as_posix()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            positional = node.args.posonlyargs + node.args.args
            pairs = list(
                zip(positional[len(positional) - len(node.args.defaults) :], node.args.defaults, strict=True)
            )
            pairs += [
                (arg, d)
                for arg, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                if d is not None
            ]
            found += [f"{place}:{node.name}({arg.arg})" for arg, _ in pairs if "region" in arg.arg]
        elif isinstance(node, ast.ClassDef):
            found += [
                f"{place}:{node.name}.{item.target.id}"
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                if "region" in item.target.id and item.value is not None
            ]
    return found


def test_the_settings_alone_default_the_region() -> None:
    """No function or option falls back on a region of its own: the entry points pass the settings' one."""
    found = [
        entry
        for face in ("core", "cli", "tui", "mailbox")
        for path in sorted((REPOSITORY / face).rglob("*.py"))
        for entry in _region_defaults(path)
    ]
    assert sorted(set(found)) == ["core/settings.py:Settings.default_region"]


_ACCOUNT = """
[[mail.accounts]]
name = "support"
imap_host = "{host}"
username = "support@example.com"
from_address = "support@example.com"
imap_security = "{security}"
{extra}
"""


@pytest.mark.parametrize(
    ("host", "security", "extra", "says"),
    [
        (
            "imap.example.com",
            "ssl",
            'password = "hunter2"',
            "a password never lives in the configuration file",
        ),
        (
            "imap.example.com",
            "ssl",
            'pasword_env = "HOTLINE_PW"',
            "mail.accounts.0.pasword_env: Extra inputs",
        ),
        ("imap.example.com", "none", "", 'imap_security = "none" sends the password in clear'),
        (
            "10.0.0.5",
            "ssl",
            'smtp_host = "smtp.example.com"\nsmtp_security = "none"',
            "only to a loopback host",
        ),
    ],
)
def test_mail_secrets_and_plaintext_are_config_errors(tmp_path, host, security, extra, says) -> None:
    from hotline.core.errors import ConfigError
    from hotline.core.settings import load_settings

    path = tmp_path / "config.toml"
    path.write_text(_ACCOUNT.format(host=host, security=security, extra=extra), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"mail\.accounts") as error:
        load_settings(path)
    assert says in str(error.value)
    assert str(path) in str(error.value)
    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize(
    "extra", ["imap_port = -5", "imap_port = 0", "smtp_port = 65536", 'smtp_host = "s"\nsmtp_port = 99999']
)
def test_a_mail_port_outside_1_to_65535_is_a_config_error(tmp_path, extra) -> None:
    """``config check`` said "ok" for them; the first poll or send failed on the socket."""
    path = tmp_path / "config.toml"
    path.write_text(_ACCOUNT.format(host="imap.example.com", security="ssl", extra=extra), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"mail\.accounts\.0\.(imap|smtp)_port") as error:
        load_settings(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.53"])
def test_plaintext_to_loopback_is_fine(tmp_path, host) -> None:
    from hotline.core.settings import load_settings

    path = tmp_path / "config.toml"
    path.write_text(_ACCOUNT.format(host=host, security="none", extra=""), encoding="utf-8")
    assert load_settings(path).mail.accounts[0].imap_host == host


@pytest.mark.parametrize(
    ("text", "says"),
    [
        # singular: the account (and its inline password) was silently no account at all
        (
            '[[mail.account]]\nname = "support"\nimap_host = "imap.example.com"\nusername = "u"\n'
            'from_address = "s@example.com"\npassword = "hunter2"\n',
            "mail.account: Extra inputs are not permitted",
        ),
        ('[mail]\npassword = "hunter2"\n', "mail.password: Extra inputs are not permitted"),
        ('[reports]\nacount = "support"\n', "reports.acount: Extra inputs are not permitted"),
        (
            '[reports.schedules.weekly]\nreport = "performance"\nperiodd = "last-month"\n',
            "reports.schedules.weekly.periodd: Extra inputs are not permitted",
        ),
        (
            'sources = ["TV"]\n[[campaigns]]\ncode = "TV-NOV"\nsource = "TV"\ncosts = 100\n',
            "campaigns.0.costs: Extra inputs are not permitted",
        ),
    ],
)
def test_an_unknown_key_in_a_section_is_a_config_error(tmp_path: Path, text: str, says: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert error.value.where == str(config)
    assert says in str(error.value)


def test_a_file_nested_past_the_interpreters_depth_is_not_valid_toml(tmp_path: Path) -> None:
    """It was a RecursionError traceback from the TOML parser, for every command."""
    config = tmp_path / "config.toml"
    config.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert error.value.where == str(config)
    assert "not valid TOML: nested too deeply" in str(error.value)


@pytest.mark.parametrize(
    ("content", "line", "says"),
    [
        (
            b'timezone = "UTC"\n\n[database]\npool_size = = 3\n',
            4,
            "not valid TOML: Invalid value (column 13)",
        ),
        (b'timezone = "UTC"\na = 1\na = 2\n', 3, "not valid TOML: Cannot overwrite a value (column 6)"),
        (
            b'timezone = "UTC"\nname = "open',
            2,
            "not valid TOML: Unterminated string (at the end of the file)",
        ),
        ('timezone = "UTC"\n# Настройки\n'.encode("cp1251"), 2, "not valid TOML: not UTF-8 text"),
    ],
    ids=["bad value", "key twice", "unclosed string", "windows-1251"],
)
def test_a_toml_mistake_names_the_file_and_its_line(
    tmp_path: Path, content: bytes, line: int, says: str
) -> None:
    """``config.toml: not valid TOML: Invalid value (at line 4, column 13)``: the line was only in the
    parentheses (a windows-1251 comment not at all), where every other file's mistake is ``FILE:LINE``."""
    config = tmp_path / "config.toml"
    config.write_bytes(content)
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert error.value.where == f"{config}:{line}"
    assert error.value.message == says


@pytest.mark.parametrize(
    ("names", "says"),
    [
        (["support", "support"], "mail.accounts: 'support' names two accounts (0 and 1)"),
        (["support", "Support"], "mail.accounts: 'Support' names two accounts (0 and 1)"),
        (["  "], "mail.accounts.0.name"),
        ([""], "mail.accounts.0.name"),
        (["sup\x1b[31mport"], "mail.accounts.0.name"),
        (["s" * 101], "mail.accounts.0.name"),
    ],
)
def test_a_mail_account_name_that_cannot_tell_accounts_apart_is_a_config_error(tmp_path, names, says) -> None:
    """Two accounts of one name (a block copied for a second mailbox, its name left) shared one poll
    position and one record of taken-in UIDs: the second mailbox's mail under UIDs the first had taken
    in was passed over as duplicates, never to come in. A blank, control-character or over-long name
    (the database keeps 100 characters) was accepted too."""
    import json

    path = tmp_path / "config.toml"
    blocks = [
        _ACCOUNT.format(host="imap.example.com", security="ssl", extra="").replace(
            'name = "support"', f"name = {json.dumps(name)}"
        )
        for name in names
    ]
    path.write_text("".join(blocks), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert says in str(error.value)
    assert "\x1b" not in str(error.value)


def test_mail_account_names_that_differ_are_fine(tmp_path) -> None:
    path = tmp_path / "config.toml"
    blocks = [
        _ACCOUNT.format(host="imap.example.com", security="ssl", extra="").replace(
            'name = "support"', f'name = "{name}"'
        )
        for name in ("support", "sales", "Поддержка")
    ]
    path.write_text("".join(blocks), encoding="utf-8")
    assert [account.name for account in load_settings(path).mail.accounts] == [
        "support",
        "sales",
        "Поддержка",
    ]


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ('processed_folder = "inbox"', "mail.accounts.0: processed_folder 'inbox' is the polled folder"),
        ('failed_folder = "INBOX"', "mail.accounts.0: failed_folder 'INBOX' is the polled folder"),
        (
            'folder = "Support"\nprocessed_folder = "Support"',
            "processed_folder 'Support' is the polled folder",
        ),
    ],
)
def test_a_processed_or_failed_folder_that_is_the_polled_one_is_a_config_error(tmp_path, extra, says) -> None:
    """Moving taken-in mail into the folder it came from gave it a new UID: the next poll took it in
    again, a new ticket (and an acknowledgement) every poll for mail without a Message-ID."""
    path = tmp_path / "config.toml"
    path.write_text(_ACCOUNT.format(host="imap.example.com", security="ssl", extra=extra), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert says in str(error.value)


@pytest.mark.parametrize(
    ("queue", "says"),
    [
        ('" "', "mail.accounts.0.queue: a queue needs a name"),
        ('"x\\u001b[31m"', "mail.accounts.0.queue: a queue name is at most 100 printable characters"),
        (f'"{"q" * 101}"', "mail.accounts.0.queue: a queue name is at most 100 printable characters"),
    ],
)
def test_a_mail_account_queue_no_queue_can_have_is_a_config_error(tmp_path, queue, says) -> None:
    """``config check`` said ok; then every message polled failed ("a queue needs a name") and was
    moved to the failed folder, and the poll exited 0."""
    path = tmp_path / "config.toml"
    extra = f"queue = {queue}"
    path.write_text(_ACCOUNT.format(host="imap.example.com", security="ssl", extra=extra), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert says in str(error.value)
    assert "\x1b" not in str(error.value)


@pytest.mark.parametrize("address", ["not an address", "Support <support@example.com>", "support@", ""])
def test_a_from_address_that_is_not_one_address_is_a_config_error(tmp_path, address) -> None:
    """``config check`` said ok; replies were then refused for want of a usable from_address, and the
    acknowledgements queued meanwhile were sent from it, refused by the SMTP server, run after run."""
    path = tmp_path / "config.toml"
    text = _ACCOUNT.format(host="imap.example.com", security="ssl", extra="").replace(
        'from_address = "support@example.com"', f'from_address = "{address}"'
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert "mail.accounts.0.from_address: not an email" in str(error.value)


_NAMED = '[[mail.accounts]]\nname = "{name}"\nimap_host = "{host}"\nusername = "u"\nfrom_address = "s@example.com"\n'


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            _NAMED.format(name="support", host="imap.one.example")
            + _NAMED.format(name="support", host="imap.two.example"),
            "mail.accounts: 'support' names two accounts (0 and 1)",
        ),
        (_NAMED.format(name="", host="h"), "mail.accounts.0.name: an account needs a name"),
        (_NAMED.format(name="  ", host="h"), "mail.accounts.0.name: an account needs a name"),
        (_NAMED.format(name=" support", host="h"), "mail.accounts.0.name: ' support': no spaces around it"),
        (
            _NAMED.format(name="sup\\u001b[31mport", host="h"),
            "mail.accounts.0.name: a mail account's name is",
        ),
        (
            _NAMED.format(name="s" * 101, host="h"),
            "mail.accounts.0.name: a mail account's name is at most 100",
        ),
    ],
    ids=["twice", "blank", "spaces", "around", "control", "long"],
)
def test_a_mail_account_is_named_once_plainly(tmp_path: Path, text: str, says: str) -> None:
    """``config check`` said "2 mail accounts: ok" for two accounts of one name: the poller keeps each
    account's IMAP state (UIDVALIDITY, the last UID) and its processed messages by name, so the second
    mailbox was read against the first one's state (its mail below the other's last UID never came in),
    and ``--account`` chose both. A blank, padded or control-character name, or one longer than the
    state's column, passed too and failed at the first poll (or named nothing anyone could type)."""
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert error.value.where == str(config)
    assert says in str(error.value)


@pytest.mark.timeout(30)
def test_a_pipe_nobody_writes_to_is_no_configuration(tmp_path: Path, monkeypatch) -> None:
    """``--config`` naming a FIFO with no writer (or the default file made one) hung every command for
    ever, cron's included: it waits a while for a writer, then says so, exit 2."""
    import os

    monkeypatch.setattr("hotline.core.settings.PIPE_WAIT_SECONDS", 0.3, raising=False)
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="nothing came through the pipe") as error:
        load_settings(fifo)
    assert error.value.where == str(fifo)


def test_a_configuration_through_a_pipe_is_read(tmp_path: Path) -> None:
    """``--config <(render-config)``: what the writer sends is the configuration."""
    import os
    import threading

    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)

    def write() -> None:
        with fifo.open("w", encoding="utf-8") as stream:
            stream.write('timezone = "UTC"\n')

    writer = threading.Thread(target=write)
    writer.start()
    assert load_settings(fifo).timezone == "UTC"
    writer.join()


def test_an_endless_device_is_no_configuration(tmp_path: Path) -> None:
    """``--config /dev/zero`` read until the memory ran out."""
    with pytest.raises(ConfigError, match="more than 4 MB") as error:
        load_settings("/dev/zero")
    assert error.value.where == "/dev/zero"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("max_message_bytes = -1", "mail.max_message_bytes"),
        ("max_message_bytes = 0", "mail.max_message_bytes"),
        ("acknowledgements_per_sender_per_day = -5", "mail.acknowledgements_per_sender_per_day"),
        ("batch_size = 0", "mail.batch_size"),
        ("batch_size = -3", "mail.batch_size"),
        ("batch_size = 99999999999999", "mail.batch_size"),
    ],
)
def test_the_mail_limits_are_numbers_that_mean_something(tmp_path: Path, line: str, field: str) -> None:
    """``config check`` said "ok" for them: a negative ``max_message_bytes`` made the poller fetch every
    message alone and cut to a negative length, a negative acknowledgement cap never acknowledged, a
    batch of none or of a hundred trillion messages was taken as given."""
    config = tmp_path / "config.toml"
    config.write_text(f"[mail]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert error.value.where == str(config)
    assert f"{field}: Input should be" in str(error.value)


@pytest.mark.parametrize(
    "prefix", ["", "a" * 53, 'x"; DROP TABLE client; --', "Hotline", "hot line", "1hotline", "hot\u0000line"]
)
def test_the_role_prefix_is_a_plain_postgresql_name(tmp_path: Path, prefix: str) -> None:
    """``config check`` said "ok" for a prefix PostgreSQL cannot take as the start of a role name (too long
    for ``_supervisor`` within 63 bytes, a quote): ``db grants`` then failed on it; a capital or a space made
    roles that a DBA's ``GRANT hotline_operator`` (unquoted, folded to lower case) never finds."""
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config, pg_role_prefix=prefix)
    assert "pg_role_prefix: " in str(error.value)


@pytest.mark.parametrize("prefix", ["hotline", "call_centre_2", "_hl", "a" * 52])
def test_a_plain_role_prefix_passes(tmp_path: Path, prefix: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    assert load_settings(config, pg_role_prefix=prefix).pg_role_prefix == prefix


def test_a_rule_between_sections_is_said_without_an_empty_place(tmp_path: Path) -> None:
    """It read "config.toml: : [database] pooler = …": the settings as a whole have no section name."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[database]\npooler = "transaction"\nlisten_url = "postgresql://u@h/db"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as error:
        load_settings(config, database_url="sqlite:////tmp/x.db")
    assert str(error.value).startswith(f'{config}: [database] pooler = "transaction" needs'), str(error.value)


_OFFICE = '[calendars.office]\ntimezone = "UTC"\nhours = { mon = "09:00-18:00" }\n'


@pytest.mark.parametrize(
    ("second", "first_label"),
    [
        ('calendar = "office"\nfirst_response = "2h"\nresolution = "9h"\n', "*/*"),
        ('queue = "Support"\ncalendar = "office"\nfirst_response = "2h"\nresolution = "9h"\n', "Support/*"),
    ],
)
def test_two_sla_policies_for_the_same_tickets_are_a_config_error(
    tmp_path: Path, second: str, first_label: str
) -> None:
    """``config check`` said "2 SLA policies: ok" for two policies of one queue, priority and contract: the
    first always won and the second (its targets, its calendar) was never used, without a word."""
    first = 'calendar = "office"\nfirst_response = "1h"\nresolution = "8h"\n'
    if "queue" in second:
        first = 'queue = "Support"\n' + first
    config = tmp_path / "config.toml"
    config.write_text(f"{_OFFICE}[[sla]]\n{first}[[sla]]\n{second}", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert error.value.where == str(config)
    assert "sla[1] (" in str(error.value) and f"the same tickets as sla[0] ({first_label})" in str(
        error.value
    )


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Notepad saves UTF-8 with a byte order mark: it was "config.toml:1: not valid TOML: Invalid statement
    (column 1)", a mistake nobody could see. It is read as the knowledge base's files are (a BOM is fine)."""
    config = tmp_path / "config.toml"
    config.write_bytes('timezone = "UTC"\r\n# Настройки\r\n'.encode("utf-8-sig"))
    assert load_settings(config).timezone == "UTC"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('sources = ["TV"]\n[[campaigns]]\ncode = "X"\nsource = "TV"\ncost = inf\n', "campaigns.0.cost"),
        ("[pbx.ami]\nreconnect_max_seconds = inf\n", "pbx.ami.reconnect_max_seconds"),
        ("[pbx.ami]\nreconnect_max_seconds = 1e300\n", "pbx.ami.reconnect_max_seconds"),
    ],
)
def test_endless_numbers_are_a_config_error(tmp_path: Path, text: str, field: str) -> None:
    """``config check`` said "ok" for a campaign that cost ``inf`` (its cost per client in the reports) and
    for reconnecting to the PBX at most every ``inf`` seconds (the back-off doubled past what a sleep takes)."""
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert f"{field}: " in str(error.value)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (_NAMED.format(name="in", host="h") + 'password_env = ""\n', "mail.accounts.0.password_env"),
        (
            _NAMED.format(name="in", host="h") + 'password_env = "MY PASSWORD"\n',
            "mail.accounts.0.password_env",
        ),
        ('[pbx.ami]\nsecret_env = ""\n', "pbx.ami.secret_env"),
        ('[pbx.webhook]\nsecret_env = "$SECRET"\n', "pbx.webhook.secret_env"),
    ],
)
def test_a_secret_variable_is_named_as_a_variable_can_be(tmp_path: Path, text: str, field: str) -> None:
    """``config check`` said "ok" for ``password_env = ""`` (or a name with a space, or ``$SECRET``): no
    environment variable can have that name, so the password was never found, and the poller said only
    "no password for mail account 'in': set the variable ''" at its first run."""
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert f"{field}: " in str(error.value) and "the name of an environment variable" in str(error.value)
