"""``hotline call listen``: the adapters and the recorder they share, run until SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from hotline.core.errors import ConfigError
from hotline.pbx.recorder import CallRecorder

if TYPE_CHECKING:
    from hotline.core.clock import Clock
    from hotline.core.db import Engine
    from hotline.core.settings import Settings
    from hotline.pbx.dialer import Dialer

log = logging.getLogger("hotline.pbx")


async def listen(
    *, engine: Engine, settings: Settings, clock: Clock, ami: bool, webhook: bool, stop: asyncio.Event
) -> dict[str, int]:
    """Run the chosen adapters until ``stop``; the counts of what they saw and did."""
    from hotline.pbx.listener import AmiListener

    if not (ami or webhook):
        raise ConfigError("choose an adapter: --ami and/or --webhook", where="call listen")
    recorder = CallRecorder(
        engine=engine, clock=clock, default_region=settings.default_region, attributions=settings.attributions
    )
    pbx = settings.pbx
    tasks: list[asyncio.Future[object]] = []
    listener: AmiListener | None = None
    endpoint = None
    dialer = _cloud_dialer(settings, engine=engine, clock=clock) if webhook else None
    if ami:
        secret = pbx.ami.secret()
        if secret is None:
            raise ConfigError(f"set the AMI secret in ${pbx.ami.secret_env}", where="[pbx.ami] secret_env")
        if any(char in secret.get_secret_value() for char in "\r\n\0"):  # a file saved with CRLF line ends
            raise ConfigError(
                f"${pbx.ami.secret_env} holds a line break or a NUL: no AMI login can carry it",
                where="[pbx.ami] secret_env",
            )
        listener = AmiListener(
            ami=pbx.ami, secret=secret.get_secret_value(), extensions=pbx.extensions, recorder=recorder,
            clock=clock, dial=dialer is None,
        )  # fmt: skip
    if webhook:
        from hotline.pbx.webhook import WebhookEndpoint

        endpoint = WebhookEndpoint.from_settings(settings, recorder=recorder, clock=clock)
        await endpoint.start()
        log.info("webhook listening on %s:%s", endpoint.host, endpoint.port)
    writer = asyncio.ensure_future(recorder.run(stop))
    if listener is not None:
        tasks.append(asyncio.ensure_future(listener.run_forever(stop)))
    if dialer is not None:
        tasks.append(asyncio.ensure_future(dialer.run()))
        log.info("click-to-dial through the PBX's API (%s)", dialer.backend.name)
    tasks.append(asyncio.ensure_future(stop.wait()))
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # a refused AMI login ends the service (exit 1)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        if endpoint is not None:
            await endpoint.close()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
    counts: dict[str, int] = dict(recorder.counts)
    if listener is not None:
        counts |= listener.counts()
    if endpoint is not None:
        counts |= endpoint.counts
    if dialer is not None:
        counts |= dialer.counts()
    return counts


def _cloud_dialer(settings: Settings, *, engine: Engine, clock: Clock) -> Dialer | None:
    """The click-to-dial loop on the cloud PBX's API, when ``[pbx.webhook.api]`` names it.

    Then it, not the AMI listener, takes the dial requests: one back-end dials for a listener.
    """
    from hotline.pbx.dialer import Dialer
    from hotline.pbx.zadarma_dial import ZadarmaCallback

    webhook = settings.pbx.webhook
    if webhook.api is None:
        return None
    secret = webhook.api.secret(webhook.secret_env)
    if secret is None:
        variable = webhook.api.secret_env or webhook.secret_env
        raise ConfigError(f"set Zadarma's API secret in ${variable}", where="[pbx.webhook.api]")
    backend = ZadarmaCallback(
        api=webhook.api, secret=secret.get_secret_value(), default_region=settings.default_region
    )
    return Dialer(backend=backend, engine=engine, clock=clock)
