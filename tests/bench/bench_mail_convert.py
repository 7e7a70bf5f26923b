"""The conversion worker alone: the benchmark mailbox's messages converted as the worker converts a
group (``convert_group``), in CPU seconds of this process, best of a few rounds.

``bench_mail.py`` times the whole ``mail poll --once``; the conversion worker is its bottleneck on two
cores, and this isolates it: a figure to compare changes of the conversion (parser, charsets, base64)
by. Also times the standard library's base64 decoding against the one the conversion uses, on one of
the mix's 5 MB attachments. ``SCALE`` multiplies the 2,000 messages, as for ``bench_mail.py``;
``ROUNDS`` (default 3) how many times the mix is converted.

    SCALE=0.5 .venv/bin/python tests/bench/bench_mail_convert.py
"""

from __future__ import annotations

import base64
import os
import sys
import time
from collections.abc import Callable
from email._encoded_words import decode_b
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mailbox"))

from bench_mail import MESSAGES, generate
from benchlib import report_figures

from hotline.core.settings import MailSettings
from hotline.mailbox.base64_decode import decode_base64
from hotline.mailbox.incoming import convert_group

SCALE = float(os.environ.get("SCALE", "1"))
ROUNDS = max(1, int(os.environ.get("ROUNDS", "3")))
RESULTS = Path(os.environ.get("BENCH_RESULTS", "bench-results.jsonl"))
console = Console(highlight=False)


def _cpu(work: Callable[[], object], rounds: int) -> float:
    """The least CPU seconds of ``rounds`` calls of ``work``."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    messages = generate(MESSAGES)
    max_bytes = MailSettings().max_message_bytes
    total_mb = sum(len(raw) for raw in messages) / 1024 / 1024
    console.print(f"converting {MESSAGES} messages ({total_mb:.0f} MB), best of {ROUNDS}…")
    load_at_start = os.getloadavg()[0]
    convert_group(messages[:50], max_bytes)  # warm: first-use imports and caches
    cpu = _cpu(lambda: convert_group(messages, max_bytes), ROUNDS)
    encoded = base64.b64encode(os.urandom(5 * 1024 * 1024))
    if decode_base64(encoded) != decode_b(encoded):
        raise SystemExit("decode_base64 differs from decode_b")
    standard = _cpu(lambda: decode_b(encoded), 5)
    ours = _cpu(lambda: decode_base64(encoded), 5)
    figures = [
        ("messages", MESSAGES, "messages"),
        ("mailbox size", round(total_mb, 1), "MB"),
        ("conversion CPU", round(cpu, 2), "s"),
        ("conversion CPU per message", round(cpu / MESSAGES * 1000, 3), "ms"),
        ("base64 5 MB, standard decode_b", round(standard * 1000, 1), "ms"),
        ("base64 5 MB, decode_base64", round(ours * 1000, 1), "ms"),
        ("load average at the start", round(load_at_start, 2), ""),
        ("load average at the end", round(os.getloadavg()[0], 2), ""),
    ]
    report_figures(
        console,
        f"mail conversion alone (SCALE={SCALE})",
        figures,
        RESULTS,
        benchmark="mail_convert",
        scale=SCALE,
    )


if __name__ == "__main__":
    main()
