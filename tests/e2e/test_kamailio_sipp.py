"""End to end with a real SIP server: SIPp sends an INVITE through Kamailio, whose route runs a hook
(Kamailio's exec module) that posts a signed event to ``hotline call listen --webhook``; the console
of the operator at the called extension, open beside it, shows the caller's card with the call timer
running. Skipped (loudly) without kamailio or sipp.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from hotline.core.db import UnitOfWork
from hotline.core.models import CallRecord, ScreenPop
from hotline.core.settings import Settings
from hotline.tui.app import make_app
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.widgets.call_timer import CallTimer
from tests.pbx_samples import seed_pbx

pytestmark = pytest.mark.kamailio

HOOK = Path(__file__).with_name("kamailio_hook.py")
KAMAILIO_MODULES = ("/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules")
DEADLINE_SECONDS = 30

KAMAILIO_CFG = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:{port}
mpath="{modules}"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "exec.so"

request_route {{
    if (is_method("ACK")) {{
        exit;
    }}
    if (!is_method("INVITE")) {{
        sl_send_reply("405", "Method Not Allowed");
        exit;
    }}
    # Only digits reach the shell: the caller and the extension come from the network.
    if (!($fU =~ "^\\+?[0-9]{{3,20}}$") || !($rU =~ "^[0-9]{{2,10}}$")) {{
        sl_send_reply("400", "Bad Number");
        exit;
    }}
    sl_send_reply("100", "Trying");
    if (exec_msg("{python} {hook} $fU $rU $(ci{{s.md5}}) >/dev/null 2>&1")) {{
        xlog("L_INFO", "hotline took the call from $fU to $rU\\n");
        sl_send_reply("180", "Ringing");
    }} else {{
        xlog("L_ERR", "hotline's webhook refused the call from $fU\\n");
    }}
    sl_send_reply("486", "Busy Here");
    exit;
}}
"""

SIPP_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="one INVITE to an agent's extension">
  <send retrans="500">
    <![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Anna" <sip:79161234567@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:79161234567@[local_ip]:[local_port]
Max-Forwards: 70
Subject: hotline e2e
Content-Length: 0

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="486"/>
  <send>
    <![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Anna" <sip:79161234567@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
</scenario>
"""


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def sip_binaries() -> tuple[str, str, str]:
    kamailio, sipp = shutil.which("kamailio") or "/usr/sbin/kamailio", shutil.which("sipp")
    modules = next((m for m in KAMAILIO_MODULES if Path(m, "exec.so").exists()), None)
    if not Path(kamailio).exists() or sipp is None or modules is None:
        pytest.skip(
            "KAMAILIO OR SIPP NOT INSTALLED: the SIP end-to-end test needs Debian's kamailio and sip-tester"
        )
    return kamailio, sipp, modules


async def test_an_invite_through_kamailio_pops_the_operators_console(
    sip_binaries, database_url, engine, clock, tmp_path
) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        anna_id = seed_pbx(uow)
    olga = make_app(
        settings=Settings(timezone="Europe/Moscow"), engine=engine, operator_login="olga", clock=clock
    )
    async with olga.run_test(size=(100, 30)) as pilot:
        await asyncio.to_thread(_invite_through_kamailio, sip_binaries, database_url, engine, tmp_path)
        deadline = time.monotonic() + DEADLINE_SECONDS
        while not isinstance(olga.screen, ClientCardScreen):
            assert time.monotonic() < deadline, "olga's console did not open the caller's card"
            await pilot.pause(0.05)
        card = olga.screen
        assert card.client_id == anna_id and card.call_started_at is not None
        assert "on call" in card.query_one(CallTimer).render().plain


def _invite_through_kamailio(sip_binaries, database_url, engine, tmp_path) -> None:
    """SIPp's INVITE to extension 101 through Kamailio and the hook to ``call listen --webhook``: the
    pop row and the call record it leaves, and what each process said."""
    kamailio, sipp, modules = sip_binaries
    webhook_port, sip_port, sipp_port = (
        free_port(socket.SOCK_STREAM),
        free_port(socket.SOCK_DGRAM),
        free_port(socket.SOCK_DGRAM),
    )
    config = tmp_path / "config.toml"
    config.write_text(f'[pbx.extensions]\n"101" = "olga"\n[pbx.webhook]\nport = {webhook_port}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")} | {
        "HOTLINE_PBX_WEBHOOK_SECRET": "e2e-secret",
        "HOTLINE_E2E_WEBHOOK_PORT": str(webhook_port),
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    hotline_bin = str(Path(sys.executable).parent / "hotline")
    listen = subprocess.Popen(
        [hotline_bin, "--db", database_url, "--config", str(config), "call", "listen", "--no-ami", "--webhook"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    cfg = tmp_path / "kamailio.cfg"
    cfg.write_text(KAMAILIO_CFG.format(port=sip_port, modules=modules, python=sys.executable, hook=HOOK))
    proxy = subprocess.Popen(
        [kamailio, "-f", str(cfg), "-DD", "-E", "-Y", str(tmp_path), "-P", str(tmp_path / "kamailio.pid"),
         "-m", "64", "-M", "8"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until(lambda: _listening(webhook_port), "the webhook")
        time.sleep(0.5)  # Kamailio binds its UDP socket at start-up; no readiness signal to wait on
        assert proxy.poll() is None, proxy.communicate(timeout=5)[1][-3000:]
        scenario = tmp_path / "invite.xml"
        scenario.write_text(SIPP_SCENARIO)
        sent = subprocess.run(
            [sipp, "-sf", str(scenario), "-s", "101", "-m", "1", "-i", "127.0.0.1", "-p", str(sipp_port),
             "-timeout", "20s", "-timeout_error", "-nostdin", "-trace_err",
             f"127.0.0.1:{sip_port}"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stdout[-2000:] + sent.stderr[-2000:]

        def popped() -> bool:
            with UnitOfWork(engine, readonly=True) as uow:
                return bool(list(uow.session.exec(select(ScreenPop))))

        wait_until(popped, "the screen pop")
    finally:
        for process in (proxy, listen):
            process.terminate()
        proxy_log = proxy.communicate(timeout=20)[1]
        listen_log = listen.communicate(timeout=20)[1]
    with UnitOfWork(engine, readonly=True) as uow:
        [pop] = list(uow.session.exec(select(ScreenPop)))
        [record] = list(uow.session.exec(select(CallRecord)))
    assert (pop.operator_login, pop.number) == ("olga", "79161234567")
    assert (record.state, record.operator_login, record.source) == ("ringing", "olga", "webhook:hotline")
    assert "hotline took the call from 79161234567 to 101" in proxy_log
    assert listen.returncode == 0 and "accepted 1" in listen_log, listen_log[-2000:]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
