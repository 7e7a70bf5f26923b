"""``hotline kb import | search | show | reindex`` on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli.main import app
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from tests.cli.invoke import NO_CONFIG_HOME
from tests.core.kb.corpus import write_corpus

runner = CliRunner()


def hotline(database_url: str, *args: str):
    return runner.invoke(
        app,
        ["--db", database_url, "--operator", "boss", *args],
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME, "COLUMNS": "120"},
    )


@pytest.fixture(autouse=True)
def admin(uow_factory) -> None:
    with uow_factory() as uow:
        add_operator(uow, login="boss", role=Role.ADMIN)


def imported(database_url: str, folder: Path) -> None:
    result = hotline(database_url, "kb", "import", str(folder))
    assert result.exit_code == 0, result.output
    assert "10 created, 0 updated, 0 unchanged, 0 skipped" in result.stderr


def test_import_search_show(database_url: str, tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "kb")
    imported(database_url, folder)

    again = hotline(database_url, "kb", "import", str(folder), "--json")
    assert again.exit_code == 0, again.output
    assert len(json.loads(again.stdout)["unchanged"]) == 10

    found = hotline(database_url, "kb", "search", "принтеры NOT бумага", "--json")
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)
    assert [hit["slug"] for hit in hits] == []  # both Russian printer articles mention paper
    found = hotline(database_url, "kb", "search", "принтеры", "--json")
    hits = json.loads(found.stdout)
    assert [hit["slug"] for hit in hits] == ["ru/7-printer", "ru/8-paper"]
    top = hits[0]
    start, end = top["snippet_highlights"][0]
    assert top["snippet"][start:end] == "принтеры"
    assert top["title"] == "Принтер не печатает"

    table = hotline(database_url, "kb", "search", "printer")
    assert table.exit_code == 0, table.output
    assert "Printer is not printing" in table.stdout

    shown = hotline(database_url, "kb", "show", "en/3-toner")
    assert shown.exit_code == 0, shown.output
    assert "Replacing the toner cartridge" in shown.stdout
    assert "**" not in shown.stdout  # rendered
    as_json = json.loads(hotline(database_url, "kb", "show", str(top["id"]), "--json").stdout)
    assert as_json["slug"] == "ru/7-printer"
    assert "принтеры" in as_json["body"]


def test_bad_queries_give_a_hint_and_exit_0(database_url: str, tmp_path: Path) -> None:
    imported(database_url, write_corpus(tmp_path / "kb"))
    for query in ['"paper jam', "NOT", "🙂", "x" * 10_000, "(((", "AND OR"]:
        result = hotline(database_url, "kb", "search", query, "--json")
        assert result.exit_code == 0, (query, result.output)
        assert isinstance(json.loads(result.stdout), list)
        assert result.stderr.startswith("hint: ")
        assert result.stderr.count("\n") == 1


def test_a_blank_search_is_bad_usage(database_url: str, tmp_path: Path) -> None:
    """``kb search ""`` (an unset shell variable) said "no articles found", exit 0: it asked nothing."""
    imported(database_url, write_corpus(tmp_path / "kb"))
    for query in ["", "   "]:
        result = hotline(database_url, "kb", "search", query)
        assert result.exit_code == 2, result.output
        assert "QUERY: nothing to search for" in result.stderr


def test_a_bad_file_is_exit_2_naming_file_line_field(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "bad.md").write_text("---\ntitle: x\naudience: everyone\n---\n")
    result = hotline(database_url, "kb", "import", str(folder))
    assert result.exit_code == 2
    assert "bad.md:3: audience" in result.stderr
    skipped = hotline(database_url, "kb", "import", str(folder), "--skip-invalid")
    assert skipped.exit_code == 0
    assert "skipped bad.md:3: audience" in skipped.stderr


def test_missing_article_is_exit_2(database_url: str) -> None:
    assert hotline(database_url, "kb", "show", "404").exit_code == 2
    assert hotline(database_url, "kb", "show", "no/such").exit_code == 2


def test_an_article_named_with_spaces_around_it_is_that_article(database_url: str, tmp_path: Path) -> None:
    """Slugs are stored without the spaces around them: ``kb show ' en/3-toner'`` (or an id pasted with a
    space) was "no knowledge-base article", exit 2. A blank one is bad usage naming ARTICLE."""
    imported(database_url, write_corpus(tmp_path / "kb"))
    toner = json.loads(hotline(database_url, "kb", "show", "en/3-toner", "--json").stdout)
    for typed in [" en/3-toner", "en/3-toner\t", f" {toner['id']} "]:
        result = hotline(database_url, "kb", "show", typed, "--json")
        assert result.exit_code == 0, (typed, result.output)
        assert json.loads(result.stdout)["slug"] == "en/3-toner"
    blank = hotline(database_url, "kb", "show", "  ")
    assert blank.exit_code == 2
    assert "ARTICLE: " in blank.stderr


def test_an_article_named_in_bytes_that_are_not_utf8_is_not_found(database_url: str) -> None:
    """``kb show $'\\xff'`` (a shell's undecodable bytes reach Python as lone surrogates) was a traceback
    (UnicodeEncodeError, exit 1): no slug can hold them, so no such article, exit 2."""
    result = hotline(database_url, "kb", "show", "ru/\udcff\udcfe")
    assert result.exit_code == 2, result.output
    assert "no knowledge-base article 'ru/\\udcff\\udcfe'" in result.stderr


def test_untrusted_titles_are_not_markup(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "evil.md").write_text("---\ntitle: '[bold red]Evil[/] \x1b[31mprinter'\n---\nThe printer.\n")
    refused = hotline(database_url, "kb", "import", str(folder))  # an escape (a NUL: a PostgreSQL error)
    assert refused.exit_code == 2 and "evil.md:2: title: a title is at most 500 printable" in refused.stderr
    (folder / "evil.md").write_text("---\ntitle: '[bold red]Evil[/] printer'\n---\nThe printer.\n")
    imported_result = hotline(database_url, "kb", "import", str(folder))
    assert imported_result.exit_code == 0, imported_result.output
    result = hotline(database_url, "kb", "search", "printer")
    assert "[bold red]Evil[/]" in result.stdout
    shown = hotline(database_url, "kb", "show", "evil")
    assert "[bold red]Evil[/]" in shown.stdout


def test_reindex(database_url: str, tmp_path: Path) -> None:
    imported(database_url, write_corpus(tmp_path / "kb"))
    result = hotline(database_url, "kb", "reindex")
    assert result.exit_code == 0, result.output
    assert "10 articles indexed" in result.stderr


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_folder_is_refused_not_the_current_one(
    database_url: str, tmp_path: Path, monkeypatch, uow_factory, blank: str
) -> None:
    """``kb import ""`` (an unset shell variable) was read as ``.``: every Markdown file under the folder the
    command ran in became an article, exit 0. Now exit 2 and nothing imported; an operator is still told
    she may not import at all, first."""
    write_corpus(tmp_path / "here")
    monkeypatch.chdir(tmp_path / "here")
    result = hotline(database_url, "kb", "import", blank, "--json")
    assert result.exit_code == 2, result.output
    assert "FOLDER: a blank folder" in result.output
    assert json.loads(hotline(database_url, "kb", "search", "printer", "--json").stdout) == []
    with uow_factory() as uow:
        add_operator(uow, login="olga", role=Role.OPERATOR)
    refused = runner.invoke(
        app,
        ["--db", database_url, "--operator", "olga", "kb", "import", blank],
        env={"XDG_CONFIG_HOME": NO_CONFIG_HOME},
    )
    assert refused.exit_code == 2
    assert "kb.import needs supervisor or admin" in refused.output


def test_links_out_of_the_folder_dangling_links_and_pipes_are_refused_by_name(
    database_url: str, tmp_path: Path
) -> None:
    """A link ``passwd.md -> /etc/passwd`` was followed: the file became an article every operator could
    read. A link to nothing and a named pipe were left out without a word. Now each is a bad file naming
    itself (exit 2, nothing imported), or skipped with --skip-invalid; a link inside the folder is read."""
    import os

    folder = tmp_path / "kb"
    (folder / "sub").mkdir(parents=True)
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\nthe root password\n")
    (folder / "good.md").write_text("# Good\nthe printer\n")
    (folder / "sub" / "same.md").symlink_to(folder / "good.md")
    (folder / "out.md").symlink_to(secret)
    refused = hotline(database_url, "kb", "import", str(folder))
    assert refused.exit_code == 2, refused.output
    assert f"out.md:1: a link to a file outside the folder ({secret})" in refused.stderr
    assert json.loads(hotline(database_url, "kb", "search", "printer", "--json").stdout) == []

    (folder / "dangling.md").symlink_to(tmp_path / "gone.md")
    (folder / "loop.md").symlink_to(folder / "loop.md")
    os.mkfifo(folder / "pipe.md")
    skipped = hotline(database_url, "kb", "import", str(folder), "--skip-invalid", "--json")
    assert skipped.exit_code == 0, skipped.output
    report = json.loads(skipped.stdout)
    assert report["created"] == ["good", "sub/same"]
    assert report["skipped"] == [
        "dangling.md:1: a link to nothing (its target does not exist)",
        "loop.md:1: a loop of links, leading to no file",
        f"out.md:1: a link to a file outside the folder ({secret})",
        "pipe.md:1: not a regular file",
    ]
    assert json.loads(hotline(database_url, "kb", "search", "password", "--json").stdout) == []


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        (
            "tag.md",
            "---\ntitle: T\ntags: [ok, 'a\x1b[31mb']\n---\nx\n",
            "tag.md:3: tags: a tag is at most 50",
        ),
        (
            "long.md",
            f"---\ntitle: T\ntags:\n  - {'t' * 51}\n---\nx\n",
            "long.md:3: tags: a tag is at most 50",
        ),
        ("slug.md", "---\ntitle: T\nslug: 'a\x07b'\n---\nx\n", "slug.md:3: slug: a slug is at most 300"),
        ("blank.md", "---\ntitle: T\nslug: ' '\n---\nx\n", "blank.md:3: slug: a blank slug"),
        ("new\nline.md", "# T\nx\n", "new line.md:1: slug: a slug is at most 300"),
        ("x" * 200 + "/" + "y" * 200 + ".md", "# T\nx\n", f"{'y' * 200}.md:1: slug: a slug is at most 300"),
    ],
    ids=[
        "escape in a tag",
        "long tag",
        "bell in a slug",
        "blank slug",
        "newline in a file name",
        "long path",
    ],
)
def test_tags_and_slugs_with_control_characters_or_too_long_are_refused_by_file_and_line(
    database_url: str, tmp_path: Path, name: str, text: str, where: str
) -> None:
    """Tags and slugs were stored as written: an escape sequence, a bell, a newline from the file's name,
    a tag of any length; a slug from a path over 300 characters was refused naming no file. Now each
    is the file's error, with its line and field (exit 2), as a title already was."""
    folder = tmp_path / "kb"
    (folder / name).parent.mkdir(parents=True)
    (folder / name).write_text(text)
    (folder / "a-good.md").write_text("# Good\nthe printer\n")
    refused = hotline(database_url, "kb", "import", str(folder))
    assert refused.exit_code == 2, refused.output
    assert where in refused.stderr
    assert json.loads(hotline(database_url, "kb", "search", "printer", "--json").stdout) == []


def _many_words(count: int) -> str:
    """``count`` different made-up words (no stem is another's), as a Markdown article."""
    letters = "bcdfghjklmnpqrtvwxz"
    words = []
    for number in range(count):
        word = "q"
        for _ in range(7):
            word += letters[number % len(letters)]
            number //= len(letters)
        words.append(word)
    return "# Glossary\n\n" + " ".join(words) + "\n"


def test_an_article_with_more_words_than_postgresql_indexes_is_refused_on_both(
    database_url: str, tmp_path: Path
) -> None:
    """A 0.5 MB glossary (well under the 2 MiB bound) imported on SQLite and failed the whole import on
    PostgreSQL: "database unavailable: string is too long for tsvector", exit 1, naming no file. Now it is
    that file's error on both backends (exit 2); one word fewer imports on both."""
    from hotline.core.kb.markdown import parse_article, plain_text
    from hotline.core.kb.render import PG_MAX_TSVECTOR_BYTES, IndexedDocument

    def index_bytes(text: str) -> int:
        source = parse_article(text)
        document = IndexedDocument.build(
            title=source.title, tags=source.tags, body_text=plain_text(source.body)
        )
        return document.tsvector_bytes()

    fits, too_many = _many_words(40_328), _many_words(40_329)
    assert index_bytes(fits) <= PG_MAX_TSVECTOR_BYTES < index_bytes(too_many)
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "glossary.md").write_text(too_many)
    refused = hotline(database_url, "kb", "import", str(folder))
    assert refused.exit_code == 2, refused.output
    assert "glossary.md:1: too many words to index (1,048,582 bytes in the index, at most 1,048,575)" in (
        refused.stderr.replace("\n", " ")
    )
    (folder / "glossary.md").write_text(fits)
    imported_result = hotline(database_url, "kb", "import", str(folder))
    assert imported_result.exit_code == 0, imported_result.output
    found = json.loads(hotline(database_url, "kb", "search", "qbbbbbbb", "--json").stdout)
    assert [hit["slug"] for hit in found] == ["glossary"]


def test_the_files_are_read_before_the_write_lock_is_taken(database_url: str, tmp_path: Path) -> None:
    """The import read and stemmed every file inside its writing transaction: 3,000 articles held SQLite's
    write lock for 90 s, and every console's save failed meanwhile ("database is locked"). Now the files
    are read, checked and indexed in memory first: a bad file is reported while another writer holds the
    lock, without waiting for it."""
    import sqlite3
    import time

    if not database_url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a-good.md").write_text("# Good\nthe printer\n")
    (folder / "bad.md").write_text("---\ntitle: x\naudience: everyone\n---\n")
    writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        # As the system account (cron, root): naming an operator with --operator writes its audit entry.
        result = runner.invoke(
            app, ["--db", database_url, "kb", "import", str(folder)], env={"XDG_CONFIG_HOME": NO_CONFIG_HOME}
        )
        waited = time.monotonic() - started
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 2, result.output
    assert "bad.md:3: audience" in result.stderr
    assert waited < 10


def test_a_renamed_file_replaces_its_article_and_the_summary_says_so(
    database_url: str, tmp_path: Path
) -> None:
    folder = write_corpus(tmp_path / "kb")
    imported(database_url, folder)
    (folder / "en/3-toner.md").rename(folder / "en/3-toner-cartridge.md")
    result = hotline(database_url, "kb", "import", str(folder))
    assert result.exit_code == 0, result.output
    assert "removed en/3-toner: its file is gone from the folder" in result.stderr
    assert "1 created, 0 updated, 9 unchanged, 0 skipped, 1 removed" in result.stderr
    found = json.loads(hotline(database_url, "kb", "search", "toner", "--json").stdout)
    assert [hit["slug"] for hit in found] == ["en/3-toner-cartridge"]
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = hotline(database_url, "kb", "import", str(empty))
    assert refused.exit_code == 2, refused.output
    assert "no .md or .markdown file under it" in refused.stderr


def test_an_article_whose_slug_is_a_number_is_shown_by_it(database_url: str, tmp_path: Path) -> None:
    """``2024.md`` is the article ``2024``: ``kb show 2024`` looked for the id 2024 only and said "no
    knowledge-base article 2024" (exit 2). A number that is one article's id and another's slug names
    both, to choose."""
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "2024.md").write_text("# Year review\n")
    (folder / "a.md").write_text("# First\n")
    assert hotline(database_url, "kb", "import", str(folder)).exit_code == 0
    shown = hotline(database_url, "kb", "show", "2024", "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["title"] == "Year review"
    first = json.loads(hotline(database_url, "kb", "show", "a", "--json").stdout)["id"]
    (folder / "b.md").write_text(f"---\nslug: '{first}'\n---\n# Numbered\n")
    assert hotline(database_url, "kb", "import", str(folder)).exit_code == 0
    both = hotline(database_url, "kb", "show", str(first))
    assert both.exit_code == 2, both.output
    assert f"'{first}' is the id of the article 'a' and the slug of the article" in both.stderr


def test_reindex_stems_the_articles_before_the_write_lock_is_taken(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kb reindex`` read and stemmed every article inside its writing transaction: 3,000 articles held
    SQLite's write lock for 20 s, a quarter of it stemming. The documents are built first; the write
    transaction only writes them (an article changed meanwhile is stemmed again there)."""
    import sqlite3

    from hotline.core.kb import index
    from hotline.core.kb.render import IndexedDocument

    if not database_url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    imported(database_url, write_corpus(tmp_path / "kb"))
    free: list[bool] = []
    real_build = IndexedDocument.build

    def build(*args: object, **kwargs: object) -> IndexedDocument:
        other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            free.append(True)
        except sqlite3.OperationalError:
            free.append(False)
        finally:
            other.close()
        return real_build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(index.IndexedDocument, "build", build)
    result = hotline(database_url, "kb", "reindex")
    assert result.exit_code == 0, result.output
    assert "10 articles indexed" in result.stderr
    assert free == [True] * 10
