"""Reading client lists from real-world files (CSV, XLSX, vCard, JSON) into checked client drafts.

``open_source`` picks the reader by the file's name and first bytes; ``map_columns`` finds the fields by
header; ``DraftBuilder`` validates each row. The import service (``service.py``) writes them.
"""

from __future__ import annotations

from pathlib import Path

from hotline.core.errors import InvalidInput
from hotline.core.importing.encoding import read_sample
from hotline.core.importing.records import RowSource


def open_source(path: Path, *, sheet: str | None = None) -> RowSource:
    """A reader for ``path``: by extension (csv tsv txt xlsx xlsm vcf json), else by its first bytes."""
    from hotline.core.importing.csv_source import CsvSource
    from hotline.core.importing.json_source import JsonSource
    from hotline.core.importing.vcard_source import VcardSource
    from hotline.core.importing.xlsx_source import XlsxSource

    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return XlsxSource(path, sheet=sheet)
    if suffix in (".vcf", ".vcard"):
        return VcardSource(path)
    if suffix == ".json":
        return JsonSource(path)
    if suffix in (".xls", ".ods"):
        raise InvalidInput(f"{suffix} files are not supported; save as .xlsx or CSV", where=str(path))
    if suffix not in (".csv", ".tsv", ".txt"):
        sample = read_sample(path)
        if sample.startswith(b"PK\x03\x04"):
            return XlsxSource(path, sheet=sheet)
        if b"BEGIN:VCARD" in sample[:4096].upper():
            return VcardSource(path)
        if sample.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"[":
            return JsonSource(path)
    if sheet is not None:
        raise InvalidInput("--sheet applies to XLSX workbooks only", where=str(path))
    return CsvSource(path)
