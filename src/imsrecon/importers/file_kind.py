"""What a tabular file really is, told from its first bytes rather than its name: ERPs save HTML
tables as ".xls" (their "Excel export"), users rename a CSV to ".xlsx", and an ".xls" may be an
XLSX workbook."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

_SNIFF_BYTES = 8192


class FileKind(StrEnum):
    XLSX = "xlsx"  # a zip archive: XLSX, XLSM or ODS
    XLS = "xls"  # an OLE compound file: Excel 97-2003 (or a password-protected workbook)
    MARKUP = "markup"  # HTML, or Excel 2003 XML (SpreadsheetML): tables in tags
    TEXT = "text"  # CSV or another delimited text
    PDF = "pdf"


def sniff(head: bytes) -> FileKind:
    """The kind of a file from its first bytes."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return FileKind.XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return FileKind.XLS
    if head.lstrip().startswith(b"%PDF"):
        return FileKind.PDF
    text = _as_text(head).lstrip("\ufeff \t\r\n\x00").lower()
    if text.startswith("<") and any(t in text for t in ("<table", "<html", "<!doctype html", "<?xml", "<body",
                                                       "<workbook", "<meta", "<head", "<style")):
        return FileKind.MARKUP
    return FileKind.TEXT


def sniff_file(path: Path) -> FileKind:
    with path.open("rb") as f:
        return sniff(f.read(_SNIFF_BYTES))


def _as_text(head: bytes) -> str:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head[2:].decode("utf-16-le" if head[:2] == b"\xff\xfe" else "utf-16-be", errors="replace")
    return head.decode("latin-1")


_UNDECODED = re.compile("[^\n]*[\udc80-\udcff][^\n]*")  # a line with bytes that are not UTF-8
_DECODED = re.compile("[^\x00-\x7f\udc80-\udcff]")


def utf8_bytes(data: bytes) -> tuple[bytes, str | None]:
    """The file as UTF-8 bytes, and a note when it was not UTF-8: UTF-8 (with or without BOM) as it
    is, UTF-16 (with a BOM, or told by its zero bytes) decoded, and lines that are not UTF-8 read as
    Windows-1252 (Tally and Busy exports; a file pasted together from two exports has both)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace").encode("utf-8"), None
    elif (order := _utf16_without_bom(data[:4096])) is not None:
        return data.decode(order, errors="replace").encode("utf-8"), f"read as {order.upper()} (no byte-order mark)"
    if data.isascii():  # plain ASCII is UTF-8: no need to decode the whole file to know
        return data, None
    try:
        data.decode("utf-8")  # the usual case: valid, and no need to look at lines
        return data, None
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="surrogateescape")
    lines = 0

    def cp1252(m: re.Match[str]) -> str:
        nonlocal lines
        lines += 1
        return m.group(0).encode("utf-8", "surrogateescape").decode("cp1252", errors="replace")

    fixed = _UNDECODED.sub(cp1252, text)
    mixed = _DECODED.search(text) is not None  # some non-ASCII text was UTF-8
    note = (f"{lines:,} lines are not UTF-8 (the others are): read as Windows-1252" if mixed
            else "not UTF-8: read as Windows-1252")
    return fixed.encode("utf-8", errors="replace"), note


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark: every other byte zero (text in Latin letters)."""
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None
