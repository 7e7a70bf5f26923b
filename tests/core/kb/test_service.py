"""Importing articles: re-import updates in place, audit entries, bad files, the index kept current."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from hotline.core.errors import InvalidInput, NotFound, PermissionDenied
from hotline.core.models import AuditEntry, KbArticle, Operator
from hotline.core.services.kb import (
    ImportReport,
    delete_article,
    get_article,
    import_folder,
    reindex_articles,
    search_articles,
)
from tests.conftest import UowFactory
from tests.core.kb.corpus import write_corpus


def slugs(uow_factory: UowFactory, query: str) -> list[str]:
    with uow_factory(readonly=True) as uow:
        return [hit.slug for hit in search_articles(uow, query=query).hits]


def test_reimport_updates_in_place_and_reindexes(uow_factory: UowFactory, tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "kb")
    with uow_factory() as uow:
        import_folder(uow, folder=folder)
    with uow_factory(readonly=True) as uow:
        before = get_article(uow, slug="en/3-toner")
    (folder / "en/3-toner.md").write_text("---\ntitle: Replacing the ink\ntags: [printer]\n---\nInk only.\n")
    with uow_factory() as uow:
        report = import_folder(uow, folder=folder)
    assert report.updated == ["en/3-toner"]
    assert len(report.unchanged) == 9
    assert report.created == []
    with uow_factory(readonly=True) as uow:
        after = get_article(uow, slug="en/3-toner")
        assert len(uow.session.exec(select(KbArticle)).all()) == 10
    assert after.id == before.id
    assert after.title == "Replacing the ink"
    assert slugs(uow_factory, "ink") == ["en/3-toner"]
    assert slugs(uow_factory, "toner") == []


def test_every_write_is_audited(uow_factory: UowFactory, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "vpn.md").write_text("# VPN\n\nReconnect.\n")
    with uow_factory() as uow:
        import_folder(uow, folder=folder)
    (folder / "vpn.md").write_text("# VPN drops\n\nReconnect.\n")
    with uow_factory() as uow:
        import_folder(uow, folder=folder)
    with uow_factory(readonly=True) as uow:
        actions = [entry.action for entry in uow.session.exec(select(AuditEntry).order_by(AuditEntry.id))]
        update = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "kb.update")).one()
    assert actions == ["kb.create", "kb.import", "kb.update", "kb.import"]
    assert update.before is not None
    assert update.after is not None
    assert (update.before["title"], update.after["title"]) == ("VPN", "VPN drops")


def test_a_bad_file_stops_the_import_and_names_file_line_field(
    uow_factory: UowFactory, tmp_path: Path
) -> None:
    folder = write_corpus(tmp_path / "kb")
    (folder / "en/zz-bad.md").write_text("---\ntitle: Bad\naudience: everyone\n---\n")
    with pytest.raises(InvalidInput) as raised, uow_factory() as uow:
        import_folder(uow, folder=folder)
    assert raised.value.where == "en/zz-bad.md:3: audience"
    with uow_factory(readonly=True) as uow:
        assert uow.session.exec(select(KbArticle)).all() == []


def test_skip_invalid_imports_the_rest(uow_factory: UowFactory, tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "kb")
    (folder / "en/zz-bad.md").write_bytes(b"---\ntitle: \xff\n---\n")
    (folder / "en/zz-dup.md").write_text("---\ntitle: Dup\nslug: en/3-toner\n---\n")
    with uow_factory() as uow:
        report = import_folder(uow, folder=folder, skip_invalid=True)
    assert len(report.created) == 10
    assert [line.split(":")[0] for line in report.skipped] == ["en/zz-bad.md", "en/zz-dup.md"]


def test_a_file_with_nul_bytes_is_a_bad_file_skipped_like_the_others(
    uow_factory: UowFactory, tmp_path: Path
) -> None:
    folder = write_corpus(tmp_path / "kb")
    (folder / "en/zz-nul.md").write_bytes(b"---\ntitle: Nul\n---\nfirst\nA\x00B\n")
    with pytest.raises(InvalidInput) as raised, uow_factory() as uow:
        import_folder(uow, folder=folder)
    assert raised.value.where == "en/zz-nul.md:5"
    with uow_factory() as uow:
        report = import_folder(uow, folder=folder, skip_invalid=True)
    assert len(report.created) == 10
    assert report.skipped == ["en/zz-nul.md:5: a binary file (it contains NUL bytes), not Markdown text"]


def test_an_empty_file_is_a_bad_file_not_an_empty_article(uow_factory: UowFactory, tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "kb")
    (folder / "en/zz-empty.md").write_bytes(b"")
    (folder / "en/zz-blank.md").write_bytes(b" \n\r\n\t\n")
    with uow_factory() as uow:
        report = import_folder(uow, folder=folder, skip_invalid=True)
    assert len(report.created) == 10  # "created" an article titled "zz-empty" with nothing in it
    assert report.skipped == ["en/zz-blank.md:1: the file is empty", "en/zz-empty.md:1: the file is empty"]


def test_not_a_folder(uow_factory: UowFactory, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput), uow_factory() as uow:
        import_folder(uow, folder=tmp_path / "missing")


def test_operators_may_not_import(uow_factory: UowFactory, tmp_path: Path, clock: object) -> None:
    with uow_factory() as uow:
        uow.session.add(Operator(login="olga", display_name="Olga", role="operator", created_at=uow.now()))
    with pytest.raises(PermissionDenied), uow_factory(actor_login="olga") as uow:
        import_folder(uow, folder=write_corpus(tmp_path / "kb"))


def test_delete_and_reindex(uow_factory: UowFactory, tmp_path: Path) -> None:
    with uow_factory() as uow:
        import_folder(uow, folder=write_corpus(tmp_path / "kb"))
    with uow_factory() as uow:
        delete_article(uow, article_id=get_article(uow, slug="en/3-toner").id or 0)
    assert slugs(uow_factory, "toner") == []
    with uow_factory() as uow:
        with pytest.raises(NotFound):
            get_article(uow, slug="en/3-toner")
        assert reindex_articles(uow) == 9
    assert slugs(uow_factory, "принтер") == ["ru/7-printer", "ru/8-paper"]


def test_articles_written_without_the_service_are_found_after_reindex(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        now = uow.now()
        uow.session.add(
            KbArticle(slug="bulk", title="Bulk loaded modem", body="", created_at=now, updated_at=now)
        )
    assert slugs(uow_factory, "modem") == []
    with uow_factory() as uow:
        reindex_articles(uow)
    assert slugs(uow_factory, "modems") == ["bulk"]


def test_a_renamed_or_deleted_file_takes_its_article_with_it(uow_factory: UowFactory, tmp_path: Path) -> None:
    """Renamed in the folder and imported again, a file was a new article and the old one stayed: search
    found both, the old one for ever. The folder is the truth: the articles of files gone are removed, by
    name in the report, each audited."""
    folder = write_corpus(tmp_path / "kb")
    with uow_factory() as uow:
        import_folder(uow, folder=folder)
    (folder / "en/3-toner.md").rename(folder / "en/3-toner-cartridge.md")
    (folder / "en/5-vpn.md").unlink()
    with uow_factory() as uow:
        report = import_folder(uow, folder=folder)
    assert report.created == ["en/3-toner-cartridge"]
    assert report.removed == ["en/3-toner", "en/5-vpn"]
    assert slugs(uow_factory, "toner") == ["en/3-toner-cartridge"]
    with uow_factory(readonly=True) as uow:
        assert len(uow.session.exec(select(KbArticle)).all()) == 9
        deleted = uow.session.exec(select(AuditEntry).where(AuditEntry.action == "kb.delete")).all()
    assert sorted(entry.before["slug"] for entry in deleted if entry.before) == ["en/3-toner", "en/5-vpn"]


def test_with_files_skipped_no_article_is_removed(uow_factory: UowFactory, tmp_path: Path) -> None:
    """A file skipped as bad may be an article's file today: its article is kept, and so are the others,
    by name in the report."""
    folder = write_corpus(tmp_path / "kb")
    with uow_factory() as uow:
        import_folder(uow, folder=folder)
    (folder / "en/3-toner.md").write_bytes(b"---\ntitle: \xff\n---\n")
    (folder / "en/5-vpn.md").unlink()
    with uow_factory() as uow:
        report = import_folder(uow, folder=folder, skip_invalid=True)
    assert report.removed == []
    assert report.kept == ["en/3-toner", "en/5-vpn"]
    with uow_factory(readonly=True) as uow:
        assert len(uow.session.exec(select(KbArticle)).all()) == 10


def test_a_folder_without_articles_is_refused(uow_factory: UowFactory, tmp_path: Path) -> None:
    """The folder is the truth, so a wrong folder (no Markdown in it) would remove every article."""
    with uow_factory() as uow:
        import_folder(uow, folder=write_corpus(tmp_path / "kb"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("not an article\n")
    with pytest.raises(InvalidInput) as raised, uow_factory() as uow:
        import_folder(uow, folder=tmp_path / "other")
    assert "no .md or .markdown file" in str(raised.value)
    with uow_factory(readonly=True) as uow:
        assert len(uow.session.exec(select(KbArticle)).all()) == 10


def test_slugs_differing_only_in_case_or_accent_encoding_are_one_name(
    uow_factory: UowFactory, tmp_path: Path
) -> None:
    """``café.md`` typed with a composed é and ``café.md`` with a combining one were two articles both
    listed as "café"; ``kb show café`` found whichever the shell's keyboard made. ``Printer.md`` and
    ``printer.md`` (one file on macOS or Windows) were two as well. Now they are one name: the second is a
    bad file naming the first; slugs are stored composed (NFC), and found however the é is typed."""
    import unicodedata

    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "caf\u00e9.md").write_text("# Composed\n")
    (folder / "cafe\u0301.md").write_text("# Combining\n")
    with pytest.raises(InvalidInput) as raised, uow_factory() as uow:
        import_folder(uow, folder=folder)
    assert "is also used by" in str(raised.value)
    (folder / "caf\u00e9.md").unlink()
    (folder / "Printer.md").write_text("# Upper\n")
    (folder / "printer.md").write_text("# Lower\n")
    with pytest.raises(InvalidInput) as raised, uow_factory() as uow:
        import_folder(uow, folder=folder)
    assert raised.value.where is not None
    assert raised.value.where.startswith("printer.md:1: slug")
    (folder / "Printer.md").unlink()
    with uow_factory() as uow:
        report = import_folder(uow, folder=folder)
    assert sorted(report.created) == ["caf\u00e9", "printer"]
    with uow_factory(readonly=True) as uow:
        for typed in ("caf\u00e9", "cafe\u0301"):
            assert get_article(uow, slug=typed).title == "Combining"
        assert unicodedata.is_normalized("NFC", get_article(uow, slug="caf\u00e9").slug)


def test_a_folder_it_cannot_read_is_a_bad_file_not_articles_removed(
    uow_factory: UowFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A subfolder hotline may not read (another owner, mode 700) was passed over without a word: its
    articles were missing from the import, and now that the folder is the truth they would be removed.
    It is a bad file: named, exit 2; with ``skip_invalid`` listed, and no article removed."""
    import os

    folder = write_corpus(tmp_path / "kb")
    with uow_factory() as uow:
        import_folder(uow, folder=folder)
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:
        if Path(str(path)).name == "ru":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(InvalidInput) as raised, uow_factory() as uow:
        import_folder(uow, folder=folder)
    assert raised.value.where == "ru"
    assert "cannot read this folder: Permission denied" in str(raised.value)
    with uow_factory() as uow:
        report = import_folder(uow, folder=folder, skip_invalid=True)
    assert report.removed == []
    assert report.skipped == ["ru: cannot read this folder: Permission denied"]
    with uow_factory(readonly=True) as uow:
        assert len(uow.session.exec(select(KbArticle)).all()) == 10


def test_two_imports_of_one_folder_at_once_are_one_after_the_other(
    uow_factory: UowFactory, tmp_path: Path
) -> None:
    """Two ``kb import`` of one folder at once on PostgreSQL both found no article and both inserted it:
    the second failed with "duplicate key value violates unique constraint" (exit 1). The second now
    waits for the first, and finds its articles unchanged."""
    import threading

    folder = write_corpus(tmp_path / "kb")
    second: dict[str, object] = {}

    def run_second() -> None:
        try:
            with uow_factory() as uow:
                second["report"] = import_folder(uow, folder=folder)
        except Exception as error:  # what the second import said
            second["error"] = repr(error)

    with uow_factory() as uow:
        assert len(import_folder(uow, folder=folder).created) == 10
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=1.0)  # the second is now waiting for this one
    thread.join(timeout=30)
    assert "error" not in second, second
    report = second["report"]
    assert isinstance(report, ImportReport)
    assert (len(report.unchanged), report.created) == (10, [])


def test_a_folder_nested_past_pythons_recursion_is_read(uow_factory: UowFactory, tmp_path: Path) -> None:
    """A file 1,200 folders down was a RecursionError traceback (the walk recursed once a level)."""
    import os

    folder = tmp_path / "kb"
    folder.mkdir()
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(1200):  # (os.makedirs recurses too)
            os.mkdir("n", dir_fd=descriptor)
            inner = os.open("n", os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
        article = os.open("x.md", os.O_WRONLY | os.O_CREAT, dir_fd=descriptor)
        os.write(article, b"---\nslug: deep\n---\n# Deep\n")  # its path is too long a slug
        os.close(article)
    finally:
        os.close(descriptor)
    try:
        with uow_factory() as uow:
            report = import_folder(uow, folder=folder)
        assert report.created == ["deep"]
    finally:
        # by path, a level at a time: shutil.rmtree (and pytest's clean-up of old runs' folders, at exit)
        # recurses past Python's limit on this chain, a RecursionError printed after every later run
        os.unlink(folder / "/".join(["n"] * 1200) / "x.md")
        for depth in range(1200, 0, -1):
            os.rmdir(folder / "/".join(["n"] * depth))


def test_reindex_restems_an_article_changed_after_its_document_was_prepared(
    uow_factory: UowFactory, tmp_path: Path
) -> None:
    from hotline.core.kb.index import prepare_documents

    with uow_factory() as uow:
        import_folder(uow, folder=write_corpus(tmp_path / "kb"))
    with uow_factory(readonly=True) as uow:
        prepared = prepare_documents(uow.session)
    with uow_factory() as uow:
        get_article(uow, slug="en/3-toner").title = "Replacing the ink"
    with uow_factory() as uow:
        assert reindex_articles(uow, prepared=prepared) == 10
    assert slugs(uow_factory, "ink") == ["en/3-toner"]
