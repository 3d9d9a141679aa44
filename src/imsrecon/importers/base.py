"""The importer interface: identify a file, read it into documents and row issues."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import polars as pl

from imsrecon.issues import InputFileError, RowIssue, Severity
from imsrecon.model import Side, SourceKind, empty_documents

# Uploaded and imported files above this size are refused before parsing (override per call).
DEFAULT_MAX_FILE_BYTES = 2 * 1024**3
# Spreadsheets, checked before a reader allocates for them (importers/workbook_bounds.py): every
# row Excel can hold (1,048,576) and more; a register with many ledger-wise columns; the cells of
# Excel's every row 64 columns wide; and what a workbook may unpack to (a million rows of forty
# columns of inline text is about 1.8 GB of sheet XML).
DEFAULT_MAX_SHEET_ROWS = 2_000_000
DEFAULT_MAX_SHEET_COLUMNS = 1_024
DEFAULT_MAX_SHEET_CELLS = 64 * 1_048_576
DEFAULT_MAX_UNCOMPRESSED_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class ImportOptions:
    recipient_gstin: str | None = None  # fills blank recipient GSTINs
    mapping_file: Path | None = None  # user column mapping (TOML) for registers
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    # the record text an upload echoes; a run that keeps nothing (--db :memory:) can skip it
    keep_portal_record: bool = True
    # spreadsheet limits (a workbook over one is refused, naming the sheet, what it declares and the limit)
    max_sheet_rows: int = DEFAULT_MAX_SHEET_ROWS
    max_sheet_columns: int = DEFAULT_MAX_SHEET_COLUMNS
    max_sheet_cells: int = DEFAULT_MAX_SHEET_CELLS
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES


@dataclass
class ImportResult:
    file: str
    kind: SourceKind
    side: Side
    documents: pl.DataFrame = field(default_factory=empty_documents)
    issues: list[RowIssue] = field(default_factory=list)
    rows_read: int = 0
    recipient_gstin: str | None = None
    notes: list[str] = field(default_factory=list)  # file-level remarks (header row found at …)

    @property
    def errors(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[RowIssue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    def summary(self) -> dict[str, object]:
        return {
            "file": self.file,
            "kind": self.kind.value,
            "side": self.side.value,
            "rows_read": self.rows_read,
            "imported": self.documents.height,
            "warnings": len(self.warnings),
            "errors": len(self.errors),
            "reverse_charge": int(self.documents["reverse_charge"].fill_null(False).sum()),
        }


class Importer(Protocol):
    kind: SourceKind
    side: Side

    def identify(self, path: Path, head: bytes) -> bool:
        """True when this importer reads the file (``head`` is its first few KiB)."""
        ...

    def read(self, path: Path, options: ImportOptions) -> ImportResult: ...


def check_size(path: Path, options: ImportOptions) -> None:
    size = path.stat().st_size
    if size > options.max_file_bytes:
        raise InputFileError(
            path.name, f"file is {size:,} bytes; the limit is {options.max_file_bytes:,} bytes"
        )
    if size == 0:
        raise InputFileError(path.name, "file is empty")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_json(path: Path, options: ImportOptions) -> object:
    """The parsed JSON of a file, after the size check; unreadable JSON names the file."""
    import orjson

    check_size(path, options)
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputFileError(path.name, f"not valid JSON: {exc}") from None
