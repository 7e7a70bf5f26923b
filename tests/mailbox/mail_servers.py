"""Real mail servers on loopback for the mailbox tests: Dovecot (IMAP) and aiosmtpd (SMTP)."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

USERS = 400
DOVECOT_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")

_CONFIG = """\
instance_name = hotline-test-{tag}
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
default_internal_user = {user}
default_login_user = {user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def dovecot_binary() -> str | None:
    found = shutil.which("dovecot")
    if found:
        return found
    return next((path for path in DOVECOT_CANDIDATES if os.access(path, os.X_OK)), None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Dovecot:
    """A running Dovecot with its own config; ``new_user`` makes an empty mailbox for one test."""

    host: str
    port: int
    root: Path
    process: subprocess.Popen[bytes]
    owner: tuple[int, int]
    users: dict[str, str] = field(default_factory=dict)
    handed_out: int = 0
    imaps_port: int = 0
    ca_file: Path | None = None

    def new_user(self) -> tuple[str, str]:
        """The next user written at start (Dovecot may miss a passwd file rewritten twice in a second)."""
        names = list(self.users)
        if self.handed_out >= len(names):
            raise RuntimeError("all prepared IMAP users are in use; raise USERS in mail_servers.py")
        username = names[self.handed_out]
        self.handed_out += 1
        return username, self.users[username]

    def connect(self, username: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(username, self.users[username])
        return client

    def append(self, username: str, raw: bytes, *, folder: str = "INBOX", flags: str = "") -> int:
        """APPEND one message; returns its UID (Dovecot answers with APPENDUID)."""
        client = self.connect(username)
        try:
            client.create(folder) if folder != "INBOX" else None
            status, data = client.append(folder, flags or None, None, raw)
            assert status == "OK", data
            answer = data[0].decode()
            return int(answer.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
        finally:
            client.logout()

    def uids(self, username: str, folder: str = "INBOX", criteria: str = "ALL") -> list[int]:
        client = self.connect(username)
        try:
            status, _ = client.select(f'"{folder}"', readonly=True)
            if status != "OK":
                return []
            _, data = client.uid("SEARCH", None, criteria)
            return [int(uid) for uid in data[0].split()]
        finally:
            client.logout()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it: (ca, cert, key)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (
        folder / name for name in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    extensions = folder / "ext.cnf"
    extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n")
    commands = [
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
         "-days", "2", "-subj", "/CN=hotline test CA"],
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
         "-subj", "/CN=127.0.0.1"],
        ["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
         "-out", str(cert), "-days", "2", "-extfile", str(extensions)],
    ]  # fmt: skip
    for command in commands:
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    return ca, cert, key


def start_dovecot(binary: str, *, tls: bool = False) -> Dovecot:
    """Start Dovecot in the foreground on a free loopback port; raises if it does not answer in 15 s.

    With ``tls`` it also offers STARTTLS on that port and implicit TLS on ``imaps_port``, with a
    certificate from a throw-away CA (``ca_file``)."""
    root = Path(tempfile.mkdtemp(prefix="hotline-dovecot-"))
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        account = pwd.getpwnam("dovecot") if _has_user("dovecot") else pwd.getpwnam("nobody")
    else:
        account = pwd.getpwuid(os.geteuid())
    owner = (account.pw_uid, account.pw_gid)
    for folder in ("mail", "home", "run", "state"):
        (root / folder).mkdir()
    users = {f"user{index:04d}": uuid.uuid4().hex for index in range(USERS)}
    (root / "passwd").write_text("".join(f"{name}:{{PLAIN}}{secret}\n" for name, secret in users.items()))
    port = free_port()
    imaps_port = 0
    ca_file: Path | None = None
    ssl_settings = "ssl = no"
    if tls:
        ca_file, cert, key = make_certificates(root / "tls")
        imaps_port = free_port()
        ssl_settings = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\nssl_min_protocol = TLSv1.2"
    (root / "dovecot.conf").write_text(
        _CONFIG.format(
            tag=uuid.uuid4().hex[:6],
            root=root,
            user=account.pw_name,
            group=account.pw_gid,
            port=port,
            imaps_port=imaps_port,
            ssl=ssl_settings,
        )
    )
    for path in (root / "mail", root / "home", root / "passwd"):
        os.chown(path, *owner)
    process = subprocess.Popen(
        [binary, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    server = Dovecot(host="127.0.0.1", port=port, root=root, process=process, owner=owner, users=users)
    server.imaps_port = imaps_port
    server.ca_file = ca_file
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(
                f"dovecot exited: {process.stderr.read().decode() if process.stderr else ''} {log}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as probe:
                if probe.recv(100).startswith(b"* OK"):
                    return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("dovecot did not answer within 15 s")


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class _CaptureHandler:
    def __init__(self, sink: list[Message], lock: threading.Lock, refuse: dict[str, str]) -> None:
        self.sink = sink
        self.lock = lock
        self.refuse = refuse
        self.envelopes: list[Envelope] = []

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        if f"mail from:{address.lower()}" in self.refuse:
            return self.refuse[f"mail from:{address.lower()}"]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.envelopes.append(envelope)
            self.sink.append(message_from_bytes(envelope.original_content or b""))
        return "250 Message accepted for delivery"


@dataclass
class SmtpCapture:
    """An aiosmtpd server on loopback keeping every message it accepts; ``refuse`` maps rcpt → reply
    (and ``mail from:ADDRESS`` → the reply to that envelope sender)."""

    host: str
    port: int
    controller: Controller
    messages: list[Message]
    handler: _CaptureHandler

    @property
    def refuse(self) -> dict[str, str]:
        return self.handler.refuse

    def stop(self) -> None:
        if self.controller._thread is not None:
            self.controller.stop()


def start_smtp(*, smtputf8: bool = True) -> SmtpCapture:
    """``smtputf8=False``: a server that does not offer SMTPUTF8 (addresses must be ASCII)."""
    messages: list[Message] = []
    handler = _CaptureHandler(messages, threading.Lock(), {})
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, ready_timeout=10, enable_SMTPUTF8=smtputf8
    )
    controller.start()
    return SmtpCapture(host="127.0.0.1", port=port, controller=controller, messages=messages, handler=handler)
