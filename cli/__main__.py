"""``python -m hotline.cli`` runs the ``hotline`` command."""

from hotline.cli.main import run

run()
