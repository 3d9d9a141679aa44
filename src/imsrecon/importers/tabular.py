"""Read workbooks (XLSX, XLS, and the HTML or Excel-2003-XML tables that ERPs save as ".xls") into
text tables, finding the header row by its names; delimited text is read by csv_table.

Every cell becomes text (or null): importers parse values themselves so that a bad cell becomes
a row issue instead of a failed file. Row numbers are kept exact: ``line`` is the row number a
spreadsheet or text editor shows, and data row n (1-based) is ``header_line + n``.

A workbook is opened by what its bytes are, not by its name, and only after
:mod:`workbook_bounds` has checked that it fits the limits (for every importer that reads
workbooks: registers, the IMS offline tool's, GSTR-2B's).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from imsrecon.importers.file_kind import FileKind, sniff_file, utf8_bytes
from imsrecon.importers.workbook_bounds import SheetLimits, check_xlsx
from imsrecon.importers.xls_bounds import check_xls
from imsrecon.issues import InputFileError

if TYPE_CHECKING:
    from imsrecon.importers.base import ImportOptions

HEADER_SEARCH_ROWS = 60
# A spreadsheet cell holds at most 32,767 characters: a longer one is no register's value
MAX_CELL_CHARS = 32_767
NO_HEADER = (
    "no header row found in the first 60 rows: expected names such as 'Supplier Invoice No.', "
    "'Invoice Date', 'GSTIN/UIN', 'Taxable Value' (or set [options] header_row in a mapping file)"
)


@dataclass(frozen=True)
class RowProblem:
    """A row of a table that cannot be a document as it stands (its cells shifted, a cell too long)."""

    pos: int  # 0-based position in Table.frame
    column: str | None
    value: str | None
    reason: str


@dataclass
class Table:
    """One sheet (or the CSV) below its header row."""

    sheet: str | None
    header_line: int  # 1-based physical row of the header
    headers: list[str]
    frame: pl.DataFrame  # String columns named by `headers`; one row per physical row below
    header_score: float = 0.0
    problems: list[RowProblem] = field(default_factory=list)  # rows the importer reports and leaves out
    notes: list[str] = field(default_factory=list)  # file-level remarks (the encoding it was read in …)


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


def best_header(rows: list[list[str | None]], scorer: HeaderScorer) -> tuple[int, float]:
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


def trim(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop trailing fully blank rows; blank rows in between stay so that numbering holds."""
    if frame.height == 0 or frame.width == 0:
        return frame
    nonblank = frame.select(
        pl.any_horizontal([pl.col(c).is_not_null() & (pl.col(c) != "") for c in frame.columns]).alias("f")
    )["f"]
    positions = nonblank.arg_true()
    return frame.head(int(positions[-1]) + 1 if len(positions) else 0)


def check_cells(table: Table) -> Table:
    """Cells longer than a spreadsheet cell can be (a runaway quote, a file that is not a register):
    each such row is a row problem, and the cell is cut to its start so that no 10 MB value travels on."""
    frame = table.frame
    if frame.height == 0:
        return table
    longest = frame.select(pl.all().str.len_bytes().max()).row(0)
    for column, size in zip(frame.columns, longest, strict=True):
        if size is None or size <= MAX_CELL_CHARS:
            continue
        long = pl.col(column).str.len_chars() > MAX_CELL_CHARS
        hits = frame.with_row_index("_pos").filter(long).select("_pos", pl.col(column).str.len_chars().alias("_n"),
                                                                   pl.col(column).str.slice(0, 40).alias("_v"))
        for pos, n, start in hits.iter_rows():
            table.problems.append(RowProblem(pos, column, f"{start}…", f"a cell of {n:,} characters (a spreadsheet "
                                             f"cell holds at most {MAX_CELL_CHARS:,}): row not imported"))
        short = pl.col(column).str.slice(0, 40) + pl.lit("…")
        frame = frame.with_columns(pl.when(long).then(short).otherwise(pl.col(column)).alias(column))
    table.frame = frame
    return table


def sheet_limits(options: ImportOptions | None = None) -> SheetLimits:
    """The import options' spreadsheet limits (the defaults without options)."""
    from imsrecon.importers.base import ImportOptions

    o = options or ImportOptions()
    return SheetLimits(o.max_sheet_rows, o.max_sheet_columns, o.max_sheet_cells, o.max_uncompressed_bytes)


@functools.lru_cache(maxsize=8)
def _checked(path: str, size: int, mtime_ns: int, limits: SheetLimits) -> FileKind:
    """The workbook's kind, once its bounds are checked (an importer's identify and read, and
    each of their calls, check a file once)."""
    file = Path(path)
    kind = sniff_file(file)
    if kind is FileKind.XLSX:
        check_xlsx(file, limits)
    elif kind is FileKind.XLS:
        check_xls(file, limits)
    elif kind is FileKind.TEXT:
        raise InputFileError(file.name, "is text (CSV or another delimited text), not a workbook")
    elif kind is FileKind.PDF:
        raise InputFileError(file.name, "is a PDF, not a spreadsheet: export the register as Excel or CSV")
    return kind


def workbook_kind(path: Path, options: ImportOptions | None = None) -> FileKind:
    """What the workbook is (XLSX, XLS or markup), after the bounds check; InputFileError when it is
    not a workbook or over a limit."""
    stat = path.stat()
    return _checked(str(path.resolve()), stat.st_size, stat.st_mtime_ns, sheet_limits(options))


def open_workbook(path: Path, options: ImportOptions | None = None) -> Any:
    """The workbook (a calamine workbook) once its kind and bounds are checked: the one way every
    importer, and `decide --from`, opens an .xlsx/.xls. InputFileError when it is not a workbook
    (an HTML page saved as one: read it with :func:`iter_excel_sheets`) or over a limit."""
    if workbook_kind(path, options) is FileKind.MARKUP:
        raise InputFileError(path.name, "is a web page (HTML) or Excel 2003 XML saved as a spreadsheet, "
                             "not an Excel workbook")
    return _calamine(path)


def _calamine(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        with path.open("rb") as f:  # by its content, not by its suffix
            return CalamineWorkbook.from_filelike(f)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's own errors, and a Rust panic (a BaseException)
        raise InputFileError(path.name, f"cannot read as a spreadsheet: {_calamine_reason(exc)}") from None


def _calamine_reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "EncryptedPackage" in text or "password" in text.lower():
        return "the workbook is password-protected: save it without a password"
    return text.splitlines()[0][:300]


def _markup_sheets(path: Path, options: ImportOptions | None) -> list[tuple[str, list[list[str | None]]]]:
    from imsrecon.importers.markup_tables import read_markup_tables

    data, _ = utf8_bytes(path.read_bytes())
    sheets = read_markup_tables(data.decode("utf-8", "replace"), path.name, sheet_limits(options))
    if not sheets:
        raise InputFileError(path.name, "is a web page (HTML) saved as a spreadsheet, and it holds no table")
    return sheets


def read_csv_table(
    path: Path, scorer: HeaderScorer, min_score: float, header_line: int | None = None,
    limits: SheetLimits | None = None,
) -> Table:
    """Delimited text below its header row (csv_table.read_csv_table; kept here for its callers)."""
    from imsrecon.importers.csv_table import read_csv_table as read

    return read(path, scorer, min_score, header_line, limits or sheet_limits())


def iter_excel_sheets(
    path: Path, options: ImportOptions | None = None
) -> Iterator[tuple[str, list[list[str | None]]]]:
    """(sheet name, rows of text cells) of every sheet of a workbook, or of every table of an HTML
    page or Excel 2003 XML file saved as one."""
    if workbook_kind(path, options) is FileKind.MARKUP:
        yield from _markup_sheets(path, options)
        return
    wb = _calamine(path)
    for name in wb.sheet_names:
        try:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            raise InputFileError(path.name, f"sheet '{name}' cannot be read: {_calamine_reason(exc)}") from None
        yield name, [[cell_text(c) for c in row] for row in rows]


def excel_sheet_names(path: Path, options: ImportOptions | None = None) -> list[str]:
    if workbook_kind(path, options) is FileKind.MARKUP:
        return [name for name, _ in _markup_sheets(path, options)]
    return list(_calamine(path).sheet_names)


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
        idx, score = best_header(rows, scorer)
        if idx < 0 or score < min_score:
            return None
    two = combined_header(rows, idx, scorer) if header_line is None else None
    if two is not None:
        idx += 1  # the data starts under the second header row
    headers = unique_headers(two if two is not None else rows[idx])
    width = len(headers)
    body = [(r + [None] * width)[:width] for r in rows[idx + 1 :]]
    frame = pl.DataFrame(body, schema={h: pl.String for h in headers}, orient="row")
    return check_cells(Table(sheet, idx + 1, headers, trim(frame), score))
