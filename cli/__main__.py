"""``python -m hotline.cli`` runs the ``hotline`` command (a ring through the listener when one runs)."""

from hotline.cli.entry import run

run(prog="python -m hotline.cli")
