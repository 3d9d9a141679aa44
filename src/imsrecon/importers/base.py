"""The importer interface: identify a file, read it into documents and row issues."""

from __future__ import annotations

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


@dataclass(frozen=True)
class ImportOptions:
    recipient_gstin: str | None = None  # fills blank recipient GSTINs
    mapping_file: Path | None = None  # user column mapping (TOML) for registers
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    # the record text an upload echoes; a run that keeps nothing (--db :memory:) can skip it
    keep_portal_record: bool = True


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


def load_json(path: Path, options: ImportOptions) -> object:
    """The parsed JSON of a file, after the size check; unreadable JSON names the file."""
    import orjson

    check_size(path, options)
    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputFileError(path.name, f"not valid JSON: {exc}") from None
