"""Maps the top-level face folders into one import package: ``core/`` is ``hotline.core`` and so on.

pyproject.toml holds everything else; only this mapping needs code, because the package list is
derived from the folders (every sub-package of a face is ``hotline.<face>.<sub>``).
"""

from setuptools import find_packages, setup

FACES = ("core", "cli", "tui", "mailbox", "pbx")

setup(
    packages=[f"hotline.{name}" for name in find_packages(include=[f"{face}*" for face in FACES])],
    package_dir={f"hotline.{face}": face for face in FACES},
)
