"""Running the poller from a test: once, or twice at the same moment (the overlapping-pollers cases)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from sqlmodel import func, select

from hotline.core.sla.policy import SlaSetup
from hotline.mailbox.poll_report import PollReport
from hotline.mailbox.poller import Poller


def poll(engine: Any, settings: Any, clock: Any, **options: Any) -> PollReport:
    """One ``poll --once`` of the first account, in this thread."""
    poller = Poller(
        engine=engine, settings=settings, sla=SlaSetup.from_settings(settings), clock=clock, **options
    )
    return asyncio.run(poller.run_once(list(settings.mail.accounts)))[0]


def overlapping_polls(engine: Any, settings: Any, clock: Any) -> list[PollReport]:
    """Two polls started together from two threads (a barrier), each bounded; fails on any error."""
    reports: list[PollReport] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait(timeout=10)
            reports.append(poll(engine, settings, clock))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(reports) == 2, "a poll did not finish within 60 s"
    return reports


def count(uow_factory: Any, model: Any, *where: Any) -> int:
    with uow_factory(readonly=True) as uow:
        return uow.session.exec(select(func.count()).select_from(model).where(*where)).one()
