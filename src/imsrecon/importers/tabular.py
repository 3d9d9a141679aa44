"""Read CSV, XLSX and XLS into text tables, finding the header row by its names.

Every cell becomes text (or null): importers parse values themselves so that a bad cell becomes
a row issue instead of a failed file. Row numbers are kept exact: ``line`` is the row number a
spreadsheet or text editor shows, and data row n (1-based) is ``header_line + n``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from imsrecon.issues import InputFileError

HEADER_SEARCH_ROWS = 60
_NO_HEADER = (
    "no header row found in the first 60 rows: expected names such as 'Supplier Invoice No.', "
    "'Invoice Date', 'GSTIN/UIN', 'Taxable Value' (or set [options] header_row in a mapping file)"
)
_DELIMITERS = [",", ";", "\t", "|"]


@dataclass
class Table:
    """One sheet (or the CSV) below its header row."""

    sheet: str | None
    header_line: int  # 1-based physical row of the header
    headers: list[str]
    frame: pl.DataFrame  # String columns named by `headers`; one row per physical row below
    header_score: float = 0.0


HeaderScorer = Callable[[list[str]], float]


def cell_text(value: Any) -> str | None:
    """A spreadsheet cell as text: integral floats without '.0', dates as ISO."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):  # calamine gives durations for time-only cells
        return str(value)
    text = str(value).strip()
    return text or None


def unique_headers(cells: list[str | None]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, c in enumerate(cells):
        name = (c or "").strip() or f"column {i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


def _best_header(rows: list[list[str | None]], scorer: HeaderScorer) -> tuple[int, float]:
    best, best_score = -1, 0.0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = scorer([c or "" for c in row])
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", ""))
    except ValueError:
        return False
    return True


def combined_header(rows: list[list[str | None]], idx: int, scorer: HeaderScorer) -> list[str | None] | None:
    """A header over two rows ("Tax Amount" merged above "IGST | CGST | SGST", or "IGST" above
    "Rate | Amount"): the row under the header, when it holds only text and names more fields
    together with it, completes it. Each cell under the header is read either by itself or after
    the group label above it ("IGST Amount"), whichever names more fields. None when the header
    is one row."""
    if idx + 1 >= len(rows):
        return None
    top, sub = rows[idx], rows[idx + 1]
    cells = [(c or "").strip() if isinstance(c, str) or c is None else None for c in sub]
    if any(c is None for c in cells) or not any(cells) or any(_is_number(c) for c in cells if c):
        return None  # a typed cell (a number, a date) or a number: data, not a header
    width = max(len(top), len(cells))
    top = [*top, *[None] * (width - len(top))]
    cells = [*cells, *[""] * (width - len(cells))]
    alone: list[str | None] = []
    grouped: list[str | None] = []
    group = ""
    for above_cell, below in zip(top, cells, strict=True):
        above = above_cell.strip() if isinstance(above_cell, str) else ""
        group = above or (group if below else "")  # a merged label spans the empty cells to its right
        alone.append(below or above or None)
        grouped.append((f"{group} {below}" if group and group != below else below) if below else (above or None))
    def score(cells_: list[str | None]) -> float:
        return scorer([c or "" for c in cells_])

    best = max((alone, grouped), key=score)  # ties: the cells by themselves
    return best if score(best) > score(top) else None


def _utf8(data: bytes) -> bytes:
    """The file as UTF-8 bytes: UTF-8 (with or without BOM) as it is, UTF-16 with BOM and
    otherwise Windows-1252 (Tally and Busy exports) re-encoded."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16").encode("utf-8")
    if data.isascii():  # plain ASCII is UTF-8: no need to decode the whole file to know
        return data
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace").encode("utf-8")


def read_csv_table(
    path: Path, scorer: HeaderScorer, min_score: float, header_line: int | None = None
) -> Table:
    """The CSV below its header row: found by ``scorer`` or, if given, at ``header_line``."""
    data = _utf8(path.read_bytes())
    if b"\n" not in data[:65536] and b"\r" in data[:65536]:  # old Mac line ends
        data = data.replace(b"\r", b"\n")
    search = max(HEADER_SEARCH_ROWS, header_line or 0)
    starts = [0]  # byte offset of each of the first lines
    while len(starts) <= search and (nl := data.find(b"\n", starts[-1])) >= 0:
        starts.append(nl + 1)
    sample = data[: starts[-1] if len(starts) > 1 else len(data)].decode("utf-8", "replace")
    delimiter = max(_DELIMITERS, key=lambda d: sample.count(d))
    rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
    if header_line is not None:
        if header_line > len(rows):
            raise InputFileError(path.name, f"header row {header_line} is past the end of the file")
        idx, score = header_line - 1, 1.0
    else:
        idx, score = _best_header(rows, scorer)
        if idx < 0 or score < min_score:
            raise InputFileError(path.name, _NO_HEADER)
    two = combined_header(rows, idx, scorer) if header_line is None else None
    if two is not None:
        idx += 1  # the data starts under the second header row
    headers = unique_headers(two if two is not None else rows[idx])
    body = data[starts[idx + 1] :] if idx + 1 < len(starts) else b""
    if not body.strip():
        frame = pl.DataFrame(schema={h: pl.String for h in headers})
    else:
        try:
            frame = pl.read_csv(
                body, has_header=False, new_columns=headers,
                infer_schema=False, separator=delimiter, truncate_ragged_lines=True,
            )
        except pl.exceptions.PolarsError as exc:
            raise InputFileError(path.name, f"cannot read as CSV: {exc}") from None
    frame = _trim(frame.select(pl.all().str.strip_chars()))
    return Table(None, idx + 1, headers, frame, score)


def _trim(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop trailing fully blank rows; blank rows in between stay so that numbering holds."""
    if frame.height == 0 or frame.width == 0:
        return frame
    nonblank = frame.select(
        pl.any_horizontal([pl.col(c).is_not_null() & (pl.col(c) != "") for c in frame.columns]).alias("f")
    )["f"]
    positions = nonblank.arg_true()
    return frame.head(int(positions[-1]) + 1 if len(positions) else 0)


def iter_excel_sheets(path: Path) -> Iterator[tuple[str, list[list[str | None]]]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise InputFileError(path.name, f"cannot read as a spreadsheet: {exc}") from None
    for name in wb.sheet_names:
        try:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise InputFileError(path.name, f"sheet '{name}' cannot be read: {exc}") from None
        yield name, [[cell_text(c) for c in row] for row in rows]


def excel_sheet_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:
        raise InputFileError(path.name, f"cannot read as a spreadsheet: {exc}") from None


def table_from_rows(
    sheet: str | None, rows: list[list[str | None]], scorer: HeaderScorer, min_score: float,
    header_line: int | None = None,
) -> Table | None:
    """The sheet below its header row (found by ``scorer``, or at ``header_line``); None if
    no row scores ``min_score``."""
    if header_line is not None:
        if header_line > len(rows):
            return None
        idx, score = header_line - 1, 1.0
    else:
        idx, score = _best_header(rows, scorer)
        if idx < 0 or score < min_score:
            return None
    two = combined_header(rows, idx, scorer) if header_line is None else None
    if two is not None:
        idx += 1  # the data starts under the second header row
    headers = unique_headers(two if two is not None else rows[idx])
    width = len(headers)
    body = [(r + [None] * width)[:width] for r in rows[idx + 1 :]]
    frame = pl.DataFrame(body, schema={h: pl.String for h in headers}, orient="row")
    return Table(sheet, idx + 1, headers, _trim(frame), score)
