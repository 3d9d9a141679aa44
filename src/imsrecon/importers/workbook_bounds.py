"""Whether an XLSX workbook fits the import limits, checked before a spreadsheet reader allocates
for it.

A reader builds each sheet as one dense block from cell A1 to the farthest cell, so two cells at
A1 and XFD1048576 (a file of 1.6 KB) ask for 17 billion cells (512 GiB), and a zip bomb (23 MB
holding 3 GB of sheet XML) runs a reader out of memory. Before the reader runs, the zip directory's
uncompressed sizes are checked, then each sheet's declared ``<dimension ref=…>`` (read from the
start of its XML) and the extent its cell references really reach (read from a bounded stream of
the XML, a few MiB at a time: never the whole XML in memory). Every refusal names the file, the
sheet, what was declared or found, and the limit.
"""

from __future__ import annotations

import html
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import polars as pl

from imsrecon.issues import InputFileError

_CHUNK = 4 << 20  # bytes of sheet XML looked at at a time
_HEAD = 64 << 10  # the dimension element comes before the sheet data
_MAX_PART = 16 << 20  # workbook.xml and its relationships: small files, read whole
# what zipfile raises on a damaged member (a bad CRC: the sizes in the directory lied), an
# unsupported compression or an encrypted one
_DAMAGED = (zipfile.BadZipFile, zlib.error, OSError, ValueError, NotImplementedError, EOFError, RuntimeError)

_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?dimension\s[^>]*?ref\s*=\s*["\']([A-Za-z]*)([0-9]*)(?::([A-Za-z]+)([0-9]+))?')
# cell (and row) references, r="XFD1048576" or r='…': counted by the Rust regex engine, and only
# the references of a wide or a tall sheet are read out. 1,000,000 rows and more have 7 digits.
_THREE_LETTERS = r"""r=["'][A-Za-z]{3,}[0-9]"""
_TWO_LETTERS = r"""r=["'][A-Za-z]{2}[0-9]"""
_SEVEN_DIGITS = r"""r=["'][A-Za-z]{0,3}[0-9]{7,}"""
_ANY_ROW = r"""r=["'][A-Za-z]{0,3}[0-9]+"""
_FAR = r"""r=["'](?:[A-Za-z]{2,}[0-9]|[A-Za-z]{0,3}[0-9]{7,})"""  # either of the above: one pass
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\s[^>]*>")
_RELATION_TAG = re.compile(r"<(?:\w+:)?Relationship\s[^>]*>")
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*["']([^"']*)["']""")


@dataclass(frozen=True)
class SheetLimits:
    """How large a spreadsheet may be (ImportOptions carries the user's settings)."""

    max_rows: int
    max_columns: int
    max_cells: int
    max_uncompressed_bytes: int

    def describe(self) -> str:
        return (f"the limit is {self.max_rows:,} rows, {self.max_columns:,} columns and {self.max_cells:,} cells "
                f"a sheet")


def column_number(letters: str) -> int:
    """A1-style column letters as a 1-based number: A = 1, Z = 26, AA = 27, XFD = 16384."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(number: int) -> str:
    """The inverse of :func:`column_number`."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_xlsx(path: Path, limits: SheetLimits) -> None:
    """Raise InputFileError when the workbook (a zip archive) is over a limit or not a zip."""
    try:
        archive = zipfile.ZipFile(path)
    except (*_DAMAGED, zipfile.LargeZipFile) as exc:
        raise InputFileError(path.name, f"cannot read as a spreadsheet: not a valid XLSX (zip) file ({exc})") from None
    with archive:
        infos = archive.infolist()
        total = sum(i.file_size for i in infos)
        if total > limits.max_uncompressed_bytes:
            biggest = max(infos, key=lambda i: i.file_size)
            raise InputFileError(
                path.name, f"the workbook unpacks to {total:,} bytes ({biggest.filename}: {biggest.file_size:,}); "
                f"the limit is {limits.max_uncompressed_bytes:,} bytes")
        names = _sheet_names(archive)
        for info in infos:
            if re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename, flags=re.IGNORECASE):
                _check_sheet(archive, info, names.get(info.filename.lower(), info.filename), path.name, limits)


def _read_part(archive: zipfile.ZipFile, name: str) -> str:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return ""
    if info.file_size > _MAX_PART:
        return ""
    try:
        return archive.read(info).decode("utf-8", errors="replace")
    except _DAMAGED:
        return ""


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet XML path (lower case) -> the sheet's name, for messages; empty when not readable."""
    targets = {}
    for tag in _RELATION_TAG.findall(_read_part(archive, "xl/_rels/workbook.xml.rels")):
        attrs = dict(_ATTRIBUTE.findall(tag))
        target = attrs.get("Target", "").lstrip("/")
        targets[attrs.get("Id")] = target if target.startswith("xl/") else f"xl/{target}"
    names = {}
    for tag in _SHEET_TAG.findall(_read_part(archive, "xl/workbook.xml")):
        attrs = dict(_ATTRIBUTE.findall(tag))
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
        if rid in targets and "name" in attrs:
            names[targets[rid].lower()] = html.unescape(attrs["name"])
    return names


def _refuse(file: str, sheet: str, what: str, limits: SheetLimits) -> InputFileError:
    return InputFileError(file, f"sheet '{sheet}' {what}; {limits.describe()}")


def _over(rows: int, columns: int, limits: SheetLimits) -> bool:
    return rows > limits.max_rows or columns > limits.max_columns or rows * columns > limits.max_cells


def _check_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str, file: str, limits: SheetLimits) -> None:
    try:
        with archive.open(info) as stream:
            head = stream.read(_HEAD)
            if m := _DIMENSION.search(head):
                last = [g.decode("ascii") for g in (m.group(3, 4) if m.group(3) else m.group(1, 2))]
                rows, columns = int(last[1] or 1), column_number(last[0] or "A")
                if _over(rows, columns, limits):
                    ref = m.group(0).split(b"ref", 1)[1].strip(b" =\"'").decode("ascii", "replace")
                    raise _refuse(file, sheet, f"declares its cells as {ref} ({rows:,} rows × {columns:,} columns)",
                                  limits)
            columns, rows = 26, 999_999  # bounds until a longer reference is seen
            for text in _texts(head, stream):
                if not text.str.contains(_FAR).item():
                    continue  # the usual sheet: no column past Z, no row past 999,999
                columns = _widest(text, columns)
                if text.str.contains(_SEVEN_DIGITS).item():
                    rows = max(rows, _largest_row(text, _SEVEN_DIGITS))
                if columns > limits.max_columns or rows > limits.max_rows:
                    break
        if _over(rows, columns, limits) and rows == 999_999 and columns <= limits.max_columns:
            rows = _exact_rows(archive, info)  # a wide sheet: its rows are counted exactly before it is refused
    except _DAMAGED as exc:
        raise InputFileError(file, f"cannot read as a spreadsheet: sheet '{sheet}' is damaged ({exc})") from None
    if columns > limits.max_columns:
        raise _refuse(file, sheet, f"has cells as far as column {columns:,} ({column_letters(columns)})", limits)
    if _over(rows, columns, limits):
        raise _refuse(file, sheet, f"has cells as far as row {rows:,}, column {columns:,} "
                      f"({column_letters(columns)}{rows}: {rows * columns:,} cells from A1)", limits)


def _texts(head: bytes, stream: IO[bytes]) -> Iterator[pl.Series]:
    """The sheet XML as text a few MiB at a time, each piece cut before a tag so that no reference
    is split between two."""
    rest, chunk = b"", head
    while chunk:
        buf = rest + chunk
        chunk = stream.read(_CHUNK)
        cut = buf.rfind(b"<") if chunk else len(buf)
        cut = cut if cut > 0 else len(buf)
        buf, rest = buf[:cut], buf[cut:]
        text = pl.Series([buf], dtype=pl.Binary).cast(pl.String, strict=False)
        yield text if text.null_count() == 0 else pl.Series([buf.decode("latin-1")])


def _widest(text: pl.Series, columns: int) -> int:
    """The farthest column referenced so far (26 until a reference of two letters is seen)."""
    for pattern, letters in ((_THREE_LETTERS, r"[A-Za-z]{3,}"), (_TWO_LETTERS, r"[A-Za-z]{2}")):
        if text.str.count_matches(pattern).item():
            found = text.str.extract_all(pattern).explode().str.extract(f"({letters})", 1).unique()
            return max(columns, *(column_number(c) for c in found.drop_nulls()))
    return columns


def _largest_row(text: pl.Series, pattern: str) -> int:
    found = text.str.extract_all(pattern).explode().str.extract(r"([0-9]+)$", 1)
    return int(found.cast(pl.Int64, strict=False).max() or 0)


def _exact_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    with archive.open(info) as stream:
        return max((_largest_row(text, _ANY_ROW) for text in _texts(stream.read(_CHUNK), stream)), default=0)
