"""Whether an Excel 97-2003 workbook (.xls: BIFF records in an OLE compound file) fits the import
limits, checked before a spreadsheet reader allocates for it.

A reader builds each sheet as one dense block up to its farthest cell: one cell at column 65,535
(a few bytes changed in a 6 KB file) asks for 136 GB. The compound file is walked just far enough
to find the workbook stream (sector chains followed with every sector read at most once), then
the workbook's records are walked for the position of every cell record; nothing else is parsed.
"""

from __future__ import annotations

import struct
from pathlib import Path

from imsrecon.importers.workbook_bounds import SheetLimits, column_letters
from imsrecon.issues import InputFileError

_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE
_CELLS = {0x0006, 0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0201, 0x00D6}  # formula, number, rk, labelsst, label, boolerr, blank, rstring
_RANGES = {0x00BD, 0x00BE}  # mulrk, mulblank: a row's run of cells, first and last column
_BOF, _EOF, _SHEET = 0x0809, 0x000A, 0x0085


class _Damaged(Exception):
    pass


def check_xls(path: Path, limits: SheetLimits) -> None:
    """Raise InputFileError when a sheet's cells reach past a limit (or the file is no OLE file)."""
    data = path.read_bytes()
    try:
        stream = _workbook_stream(data)
    except (_Damaged, struct.error, IndexError, ValueError) as exc:
        raise InputFileError(path.name, f"cannot read as a spreadsheet: not a valid .xls file ({exc})") from None
    if stream is None:
        return  # no workbook stream (a password-protected XLSX, another Office file): the reader says what it is
    names = _sheet_names(stream)
    head = struct.Struct("<HHHH").unpack_from  # record type, size, and a cell's row and column
    last_col = struct.Struct("<H").unpack_from
    rows = columns = 0
    sheet = None
    pos, end = 0, len(stream) - 8
    cells, ranges = _CELLS, _RANGES
    while pos <= end:  # one record at a time: the hot loop of the check, kept small
        kind, size, row, col = head(stream, pos)
        if kind in cells:
            if row >= rows:
                rows = row + 1
            if col >= columns:
                columns = col + 1
        elif kind in ranges:
            if row >= rows:
                rows = row + 1
            col = last_col(stream, pos + 2 + size)[0] if pos + 4 + size <= len(stream) else col
            if col >= columns:
                columns = col + 1
        elif kind == _BOF:
            sheet = names.get(pos, sheet)
            rows = columns = 0
        elif kind == _EOF:
            _check(path.name, sheet, rows, columns, limits)
        pos += 4 + size
    _check(path.name, sheet, rows, columns, limits)


def _check(file: str, sheet: str | None, rows: int, columns: int, limits: SheetLimits) -> None:
    if rows <= limits.max_rows and columns <= limits.max_columns and rows * columns <= limits.max_cells:
        return
    raise InputFileError(file, f"sheet '{sheet or '?'}' has cells as far as row {rows:,}, column {columns:,} "
                         f"({column_letters(columns)}{rows}: {rows * columns:,} cells from A1); {limits.describe()}")


def _sheet_names(stream: bytes) -> dict[int, str]:
    """Offset of each sheet's BOF record -> the sheet's name (BOUNDSHEET records, BIFF8)."""
    names, pos = {}, 0
    while pos + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, pos)
        if kind == _SHEET and size >= 8:
            offset, length, flags = struct.unpack_from("<IxxBB", stream, pos + 4)
            raw = stream[pos + 12 : pos + 4 + size]
            names[offset] = raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")[:length]
        elif kind == _EOF:
            break  # the workbook globals end here; the sheets follow
        pos += 4 + size
    return names


def _workbook_stream(data: bytes) -> bytes | None:
    if len(data) < 512 or data[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _Damaged("no OLE signature")
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if not 7 <= shift <= 16 or not 2 <= mini_shift < shift:
        raise _Damaged("bad sector size")
    size, mini_size = 1 << shift, 1 << mini_shift
    n_fat, first_dir, _, cutoff, first_mini, n_mini, first_difat, n_difat = struct.unpack_from("<IIIIIIII", data, 0x2C)
    sectors = (len(data) - 512) // size + 1

    def sector(k: int) -> bytes:
        if k >= sectors:
            raise _Damaged(f"sector {k} past the end of the file")
        return data[(k + 1) * size : (k + 2) * size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    k, seen = first_difat, set()
    while k not in (_FREE, _END) and len(seen) < min(n_difat, sectors):
        seen.add(k)
        words = struct.unpack(f"<{size // 4}I", sector(k))
        difat += words[:-1]
        k = words[-1]
    fat: list[int] = []
    for k in [d for d in difat if d not in (_FREE, _END)][: min(n_fat, sectors)]:
        fat += struct.unpack(f"<{size // 4}I", sector(k))

    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out, seen_ = [], set()
        while start not in (_FREE, _END) and start < len(table) and len(out) < limit:
            if start in seen_:
                raise _Damaged("a sector chain loops")
            seen_.add(start)
            out.append(start)
            start = table[start]
        return out

    directory = b"".join(sector(k) for k in chain(first_dir, fat, sectors))
    entries = []
    for off in range(0, len(directory) - 127, 128):
        name_len = struct.unpack_from("<H", directory, off + 64)[0]
        name = directory[off : off + max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
        kind = directory[off + 66]
        start, length = struct.unpack_from("<II", directory, off + 116)
        entries.append((name, kind, start, length))
    if not entries:
        raise _Damaged("no directory")
    book = next((e for e in entries if e[1] == 2 and e[0].lower() in ("workbook", "book")), None)
    if book is None:
        return None
    _, _, start, length = book
    if length >= cutoff:
        return b"".join(sector(k) for k in chain(start, fat, sectors))[:length]
    root = entries[0]
    mini_stream = b"".join(sector(k) for k in chain(root[2], fat, sectors))
    mini_fat_words: list[int] = []
    for k in chain(first_mini, fat, min(n_mini, sectors)):
        mini_fat_words += struct.unpack(f"<{size // 4}I", sector(k))
    pieces = chain(start, mini_fat_words, len(mini_stream) // mini_size + 1)
    return b"".join(mini_stream[k * mini_size : (k + 1) * mini_size] for k in pieces)[:length]
