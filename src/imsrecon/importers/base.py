"""The importer interface: identify a file, read it into documents and row issues."""

from __future__ import annotations

import gc
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

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

# JSON downloads are held in memory whole. Peak memory of an import per byte of JSON, measured
# with /usr/bin/time on generated downloads (README "Limits"): the fast reader (IMS, flat records)
# 3.3-4.0 (400 MB: 1.56 GB peak; 1.1 GB: 4.34 GB); the full parser (GSTR-2B, GSTR-2A, and IMS files
# the fast reader declines) 9.6-12 (IMS 400 MB: 4.95 GB; GSTR-2B 211 MB: 2.62 GB; GSTR-2A 312 MB:
# 3.07 GB). The limits keep an import's peak near JSON_MEMORY_BOUND.
JSON_MEMORY_BOUND = 6 * 10**9
PEAK_PER_BYTE_FAST = 4.0
PEAK_PER_BYTE_FULL = 12.5
DEFAULT_MAX_JSON_BYTES = int(JSON_MEMORY_BOUND / PEAK_PER_BYTE_FAST)  # 1.5 GB
DEFAULT_MAX_JSON_FULL_PARSE_BYTES = int(JSON_MEMORY_BOUND / PEAK_PER_BYTE_FULL)  # 480 MB
# IMSRECON_MAX_JSON_MB=<megabytes> sets the fast reader's limit (and the full parser's in proportion)
JSON_LIMIT_ENV = "IMSRECON_MAX_JSON_MB"


def _json_limit(default: int, share: float = 1.0) -> int:
    """A JSON limit: IMSRECON_MAX_JSON_MB (megabytes; ``share`` of it for the full parser) or the default."""
    raw = os.environ.get(JSON_LIMIT_ENV, "").strip()
    try:
        return int(float(raw) * 10**6 * share) if raw else default
    except ValueError:
        return default


@dataclass(frozen=True)
class ImportOptions:
    recipient_gstin: str | None = None  # fills blank recipient GSTINs
    mapping_file: Path | None = None  # user column mapping (TOML) for registers
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    # JSON files above these are refused before they are read (memory: see DEFAULT_MAX_JSON_BYTES)
    max_json_bytes: int = field(default_factory=lambda: _json_limit(DEFAULT_MAX_JSON_BYTES))
    max_json_full_parse_bytes: int = field(default_factory=lambda: _json_limit(
        DEFAULT_MAX_JSON_FULL_PARSE_BYTES, PEAK_PER_BYTE_FAST / PEAK_PER_BYTE_FULL))
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


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
)


def file_problem(path: Path) -> str | None:
    """Why ``path`` is not a file that can be read to its end (missing, a folder, a FIFO, a
    device, a socket), or None. Symbolic links are followed: a link to ``/dev/zero`` is a device.
    Only ``stat`` is asked, so nothing is opened: reading a FIFO or a device never ends."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "file not found"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
        return f"is {kind}, not a saved file: refused before reading"
    return None


def check_regular_file(path: Path) -> None:
    """Raise :class:`InputFileError` unless ``path`` is a regular file (see :func:`file_problem`)."""
    problem = file_problem(path)
    if problem is not None:
        raise InputFileError(path.name, problem)


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading, checked to be a regular file first and once more when open
    (without blocking: a FIFO put in its place meanwhile is refused, not waited on)."""
    check_regular_file(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputFileError(path.name, f"cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputFileError(path.name, "is not a regular file any more: refused before reading")
    return os.fdopen(fd, "rb")


def check_size(path: Path, options: ImportOptions) -> None:
    check_regular_file(path)
    size = path.stat().st_size
    if size > options.max_file_bytes:
        raise InputFileError(
            path.name, f"file is {size:,} bytes; the limit is {options.max_file_bytes:,} bytes"
        )
    if size == 0:
        raise InputFileError(path.name, "file is empty")


def sha256_of(path: Path) -> str:
    """The file's SHA-256 (a regular file only: refused before reading otherwise)."""
    h = hashlib.sha256()
    with open_regular(path) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _size(n: int) -> str:
    return f"{n / 10**9:.2f} GB" if n >= 10**9 else f"{n / 10**6:.1f} MB"


def check_json_size(path: Path, options: ImportOptions, full_parse: bool = False) -> None:
    """Refuse, before reading it, a JSON file too large to read within the memory bound: the
    message names the size, the limit, and how to split the download or raise the limit."""
    check_size(path, options)
    size = path.stat().st_size
    limit = options.max_json_full_parse_bytes if full_parse else options.max_json_bytes
    if size <= limit:
        return
    how = ("it is read by the full JSON parser (GSTR-2B, GSTR-2A, IMS records that are not flat), which needs "
           f"about {PEAK_PER_BYTE_FULL:.1f} bytes of memory per byte of file" if full_parse else
           f"reading it needs about {PEAK_PER_BYTE_FAST:.1f} bytes of memory per byte of file")
    raise InputFileError(path.name, (
        f"file is {_size(size)} ({size:,} bytes); the limit for this JSON is {_size(limit)} ({how}): "
        "download it per section (B2B, CDNR, …) or per return period and import the parts, "
        f"or raise the limit on a machine with more memory ({JSON_LIMIT_ENV}=<megabytes>)"
    ))


def parsed_if_whole(path: Path, head: bytes) -> object | None:
    """The parsed JSON when ``head`` is the whole file (small files are identified by their
    structure); None when the file is longer or ``head`` is not valid JSON."""
    import orjson

    try:
        if path.stat().st_size != len(head):
            return None
        return orjson.loads(head)
    except (OSError, orjson.JSONDecodeError):
        return None


def load_json(path: Path, options: ImportOptions, full_parse: bool = True) -> object:
    """The parsed JSON of a file, after the size checks; unreadable JSON names the file."""
    import orjson

    check_json_size(path, options, full_parse)
    collecting = gc.isenabled()
    gc.disable()  # parsed JSON holds no cycles: collecting while millions of objects are made only costs (2-3x)
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        if "memory" not in str(exc).lower():
            raise InputFileError(path.name, f"not valid JSON: {exc}") from None
    except MemoryError:
        pass
    finally:
        if collecting:
            gc.enable()
    raise InputFileError(path.name, (
        f"not enough memory to read this JSON ({_size(path.stat().st_size)}): download it per section "
        "or per return period and import the parts"
    ))
