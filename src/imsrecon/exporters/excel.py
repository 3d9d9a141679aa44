"""XLSX export of the reconciliation result (and of import issues) with xlsxwriter.

Workbook layout for a result:

* "Summary": a title, one row per match status (in STATUS_ORDER) with its sheet(s), document
  count, taxable value and total tax (IGST + CGST + SGST + cess) for the IMS and PR sides, a
  totals row, then the key/values passed as ``summary`` (files reconciled, run id, ...) and notes.
* One sheet per status, named as in :data:`SHEET_NAMES`, with the same columns as the CSV
  (all RESULT_SCHEMA columns, in order). Every status gets its sheet, with a header row, even
  when it has no rows. Header bold, frozen, with an autofilter; dates are real Excel dates
  shown dd-mm-yyyy; amounts are numbers shown #,##0.00; ``recommended_action`` has a dropdown
  (Accept / Reject / Pending / No action). Two more columns end each category sheet (XLSX only,
  not part of the result contract): ``decision`` (the same dropdown) and ``remarks``, then the
  ITC-reduction declaration ``itc_reduction`` (a dropdown: Full / Partial / None) and the reduced
  heads ``reduce_igst``, ``reduce_cgst``, ``reduce_sgst``, ``reduce_cess``, filled with the latest
  stored decision for the row's matching key when ``decisions`` are given, for the user to edit
  and read back with ``imsrecon decide --from``; then ``suggested_decision`` and
  ``suggestion_reason``: for a row without a decision, what the user's earlier decisions on
  documents like it suggest (copy it into ``decision`` to take it; it is never read back).
* A status with more rows than fit on a sheet (Excel's limit is 1,048,576 rows, header
  included) continues on "Exact (2)", "Exact (3)", ...; the Summary lists those sheets and says so.

Every text cell (values, summary keys and values) is neutralised against formula injection, and
the workbook is written with xlsxwriter's string-to-formula/number/URL conversions switched off:
no cell is ever a formula. Empty strings are left as blank cells. Dates Excel cannot show
(before 1900-01-01) are written as ISO text. Text longer than Excel's 32,767-character cell
limit is truncated by xlsxwriter.

Rows are streamed (``constant_memory``), so memory stays flat. xlsxwriter's per-cell API costs
about 5 µs a cell (~25 s for 100k result rows), so the data rows are rendered as sheet XML with
Polars and appended to xlsxwriter's row file (see :mod:`imsrecon.exporters.xlsx_rows`); xlsxwriter still writes the
header, formats, validation, filters and the package. 100k rows take ~6 s, two thirds of it
xlsxwriter's zip compression. ``FAST_XLSX = False`` forces the public per-cell API.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from imsrecon.exporters.sanitize import neutralise, neutralise_expr
from imsrecon.exporters.tables import DECIMALS, atomic_path, prepare_result
from imsrecon.exporters.xlsx_rows import fast_path_available, stream_rows
from imsrecon.result import STATUS_LABELS, STATUS_ORDER, summary_counts

SHEET_NAMES: dict[str, str] = STATUS_LABELS  # one sheet per status
SUMMARY_SHEET = "Summary"
ISSUES_SHEET = "Issues"
ACTION_COLUMN = "recommended_action"
ACTION_CHOICES = ["Accept", "Reject", "Pending", "No action"]
DECISION_COLUMN, REMARKS_COLUMN = "decision", "remarks"  # at the end of each category sheet
# the decision's ITC-reduction declaration (read back by imsrecon.decisions_xlsx, by these names)
ITC_REDUCTION_COLUMN = "itc_reduction"
ITC_REDUCTION_CHOICES = ["Full", "Partial", "None"]
REDUCE_COLUMNS = {"reduce_igst": "decl_igst", "reduce_cgst": "decl_cgst", "reduce_sgst": "decl_sgst",
                  "reduce_cess": "decl_cess"}  # fmt: skip
# then what earlier decisions suggest for an undecided row (read, never applied, by `decide --from`)
SUGGESTED_COLUMN, SUGGESTION_REASON_COLUMN = "suggested_decision", "suggestion_reason"
ANNOTATION_COLUMNS = (DECISION_COLUMN, REMARKS_COLUMN, ITC_REDUCTION_COLUMN, *REDUCE_COLUMNS, SUGGESTED_COLUMN,
                      SUGGESTION_REASON_COLUMN)  # fmt: skip

MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows per sheet, less the header row
DATE_FORMAT = "dd-mm-yyyy"
AMOUNT_FORMAT = "#,##0.00"
SCORE_FORMAT = "0.0000"
_MAX_WIDTH = 60
_SLICE_ROWS = 20_000  # rows converted to Python objects at a time (per-cell path)
FAST_XLSX = True  # False forces xlsxwriter's public per-cell API
_EXCEL_EPOCH = dt.date(1899, 12, 31)
_EXCEL_MAX_SERIAL = 2_958_465  # 9999-12-31

WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


class _Formats:
    def __init__(self, wb: Workbook) -> None:
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "bottom": 1})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True})
        self.date = wb.add_format({"num_format": DATE_FORMAT})
        self.amount = wb.add_format({"num_format": AMOUNT_FORMAT})
        self.bold_amount = wb.add_format({"num_format": AMOUNT_FORMAT, "bold": True})
        self.score = wb.add_format({"num_format": SCORE_FORMAT})
        self.integer = wb.add_format({"num_format": "0"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})


def _kind(name: str, dtype: pl.DataType) -> str:
    if name in DECIMALS:
        return "amount" if DECIMALS[name] == 2 else "score"
    if dtype == pl.Date:
        return "date"
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_numeric():
        return "number"
    return "text"


def _excel_serial(col: str) -> pl.Expr:
    """Date → Excel 1900-system serial (with Excel's phantom 1900-02-29); null if out of range."""
    days = (pl.col(col) - pl.lit(_EXCEL_EPOCH)).dt.total_days()
    serial = days + (days > 59).cast(pl.Int64)
    return pl.when(serial.is_between(1, _EXCEL_MAX_SERIAL)).then(serial).alias(col)


def _sheet_frame(df: pl.DataFrame, kinds: list[str]) -> pl.DataFrame:
    """Cell values ready for the writer: text neutralised ("" → blank), dates as serials.

    A date column with dates Excel cannot show becomes a String column mixing serial numbers
    (as digits, written as dates) and ISO text; this is rare and handled in _writer().
    """
    exprs = []
    for c, k in zip(df.columns, kinds, strict=True):
        if k == "text":
            text = neutralise_expr(pl.col(c).cast(pl.String))
            exprs.append(pl.when(text != "").then(text).alias(c))
        elif k == "date":
            serial = _excel_serial(c)
            out_of_range = df.select((pl.col(c).is_not_null() & serial.is_null()).any()).item()
            if out_of_range:
                iso = pl.col(c).dt.strftime("%Y-%m-%d")
                exprs.append(pl.coalesce(serial.cast(pl.String), pl.lit("'") + iso).alias(c))
            else:
                exprs.append(serial)
    return df.with_columns(exprs) if exprs else df


def _writer(ws: Worksheet, kind: str, dtype: pl.DataType) -> Callable[..., Any]:
    """The per-cell xlsxwriter call for a column (the portable, slow path)."""
    if kind == "text":
        return ws.write_string
    if kind == "bool":
        return ws.write_boolean
    if kind == "date" and dtype == pl.String:  # mixed serials and out-of-range ISO text

        def write_mixed(r: int, c: int, v: str, fmt: Format) -> Any:
            if v.startswith("'"):
                return ws.write_string(r, c, v[1:])
            return ws.write_number(r, c, int(v), fmt)

        return write_mixed
    return ws.write_number


def _widths(df: pl.DataFrame, kinds: list[str]) -> list[float]:
    text = [c for c, k in zip(df.columns, kinds, strict=True) if k == "text"]
    longest = df.select(pl.col(text).str.len_chars().max()).row(0, named=True) if text else {}
    minimum = {"date": 12, "amount": 14, "score": 8, "int": 8, "number": 12, "bool": 8}
    widths = []
    for c, k in zip(df.columns, kinds, strict=True):
        data = (longest.get(c) or 0) + 2 if k == "text" else minimum[k]
        widths.append(min(_MAX_WIDTH, max(len(c) + 3, data)))  # +3: room for the filter button
    return widths


def _write_table(wb: Workbook, fmts: _Formats, name: str, df: pl.DataFrame) -> Worksheet:
    """One sheet: bold frozen header with autofilter, then the rows of ``df`` streamed in order."""
    ws = wb.add_worksheet(name)
    kinds = [_kind(c, t) for c, t in df.schema.items()]
    cell_fmt = {"date": fmts.date, "amount": fmts.amount, "score": fmts.score, "int": fmts.integer}
    formats = [cell_fmt.get(k) for k in kinds]
    for c, width in enumerate(_widths(df, kinds)):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)
    last_col = len(df.columns) - 1
    ws.autofilter(0, 0, max(df.height, 1), last_col)
    dropdowns = {ACTION_COLUMN: ACTION_CHOICES, DECISION_COLUMN: ACTION_CHOICES,
                 ITC_REDUCTION_COLUMN: ITC_REDUCTION_CHOICES}  # fmt: skip
    for name, choices in dropdowns.items():
        if name in df.columns:
            col = df.columns.index(name)
            ws.data_validation(1, col, max(df.height, 1), col,
                               {"validate": "list", "source": choices, "ignore_blank": True})  # fmt: skip
    for c, header in enumerate(df.columns):
        ws.write_string(0, c, header, fmts.header)
    values = _sheet_frame(df, kinds)
    if FAST_XLSX and fast_path_available(ws):
        stream_rows(ws, values, kinds, formats)
        return ws
    writers = [_writer(ws, k, t) for k, t in zip(kinds, values.dtypes, strict=True)]
    cells = list(zip(range(len(kinds)), writers, formats, strict=True))
    row = 1
    for part in values.iter_slices(_SLICE_ROWS):
        columns = [s.to_list() for s in part.get_columns()]
        for record in zip(*columns, strict=True):
            for (c, write, fmt), v in zip(cells, record, strict=True):
                if v is not None:
                    write(row, c, v, fmt)
            row += 1
    return ws


def _sheet_names(base: str, rows: int) -> list[str]:
    """The sheets of one category: "Exact", then "Exact (2)", ... when it has too many rows."""
    return [base if i == 0 else f"{base} ({i + 1})" for i in range(max(1, -(-rows // MAX_DATA_ROWS)))]


def _split(df: pl.DataFrame, base: str) -> list[tuple[str, pl.DataFrame]]:
    """Sheet name and rows (zero-copy slices) for each sheet of one category."""
    names = _sheet_names(base, df.height)
    return [(name, df.slice(i * MAX_DATA_ROWS, MAX_DATA_ROWS)) for i, name in enumerate(names)]


def _totals(df: pl.DataFrame) -> dict[str, tuple[float, float, float, float]]:
    def side(p: str) -> list[pl.Expr]:
        tax = pl.sum_horizontal(f"{p}_igst", f"{p}_cgst", f"{p}_sgst", f"{p}_cess")
        return [pl.col(f"{p}_taxable_value").sum().alias(f"{p}_tv"), tax.sum().alias(f"{p}_tax")]

    agg = df.group_by("match_status").agg(*side("ims"), *side("pr"))
    return {r[0]: tuple(float(x or 0) for x in r[1:]) for r in agg.iter_rows()}  # type: ignore[misc]


def _summary_value(value: Any) -> str | float | dt.date:
    """A summary value as text, a finite number or a date (datetimes become ISO text)."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dict):
        return "\n".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return "\n".join(str(v) for v in value)
    return str(value)


def _write_summary(
    wb: Workbook,
    fmts: _Formats,
    counts: dict[str, int],
    totals: dict[str, tuple[float, ...]],
    sheets: dict[str, list[str]],
    summary: dict[str, Any] | None,
) -> None:
    ws = wb.add_worksheet(SUMMARY_SHEET)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 36)
    ws.set_column(2, 2, 12)
    ws.set_column(3, 6, 20)
    ws.write_string(0, 0, "IMS reconciliation summary", fmts.title)
    header = ["Status", "Sheet", "Documents", "IMS taxable value", "IMS total tax", "PR taxable value", "PR total tax"]
    for c, h in enumerate(header):
        ws.write_string(2, c, h, fmts.header)
    row = 3
    grand = [0.0, 0.0, 0.0, 0.0]
    for status in STATUS_ORDER:
        ws.write_string(row, 0, SHEET_NAMES[status])
        ws.write_string(row, 1, ", ".join(sheets[status]))
        ws.write_number(row, 2, counts[status])
        for i, amount in enumerate(totals.get(status, (0.0, 0.0, 0.0, 0.0))):
            ws.write_number(row, 3 + i, round(amount, 2), fmts.amount)
            grand[i] += amount
        row += 1
    ws.write_string(row, 0, "Total", fmts.bold)
    ws.write_number(row, 2, sum(counts.values()), fmts.bold)
    for i, amount in enumerate(grand):
        ws.write_number(row, 3 + i, round(amount, 2), fmts.bold_amount)
    row += 2
    if summary:
        ws.write_string(row, 0, "Run details", fmts.bold)
        row += 1
        for key, value in summary.items():
            ws.write_string(row, 0, neutralise(str(key)))
            value = _summary_value(value)
            if isinstance(value, str):
                ws.write_string(row, 1, neutralise(value), fmts.wrap if "\n" in value else None)
            elif isinstance(value, dt.date):
                ws.write_datetime(row, 1, value, fmts.date)
            else:
                ws.write_number(row, 1, value)
            row += 1
        row += 1
    notes = [
        f"{SHEET_NAMES[s]} has {counts[s]:,} rows, more than the {MAX_DATA_ROWS:,} an Excel sheet "
        f"holds: continued on {', '.join(sheets[s][1:])}."
        for s in STATUS_ORDER
        if len(sheets[s]) > 1
    ]
    if notes:
        ws.write_string(row, 0, "Notes", fmts.bold)
        for note in notes:
            row += 1
            ws.write_string(row, 0, note)


def _workbook(path: Path, tmpdir: str) -> Workbook:
    wb = xlsxwriter.Workbook(str(path), {**WORKBOOK_OPTIONS, "tmpdir": tmpdir})
    # A sheet of ~700k+ result rows is more than 2 GB of XML, which needs ZIP64 in the package;
    # zipfile uses it only for such members, so smaller workbooks are byte-for-byte unchanged.
    wb.use_zip64()
    return wb


def _declaration_columns(decisions: pl.DataFrame) -> list[pl.Expr]:
    """The stored declaration as the workbook shows it: Full / Partial (with its heads) / None."""
    heads = [c for c in REDUCE_COLUMNS.values() if c in decisions.columns]
    itc = pl.col("itc_red_req").cast(pl.String) if "itc_red_req" in decisions.columns else pl.lit(None, pl.String)
    partial = pl.any_horizontal(pl.col(c).is_not_null() for c in heads) if heads else pl.lit(False)
    kind = (pl.when(itc == "N").then(pl.lit("None"))
            .when((itc == "Y") & partial).then(pl.lit("Partial"))
            .when(itc == "Y").then(pl.lit("Full")))  # fmt: skip
    amounts = [(pl.col(d).cast(pl.Float64) if d in decisions.columns else pl.lit(None, pl.Float64)).alias(c)
               for c, d in REDUCE_COLUMNS.items()]  # fmt: skip
    return [kind.alias(ITC_REDUCTION_COLUMN), *amounts]


def _with_decisions(df: pl.DataFrame, decisions: pl.DataFrame | None) -> pl.DataFrame:
    """``df`` with the decision, remarks, declaration and suggestion columns at the end (from
    ``decisions``: matching_key, action, remarks and optionally itc_red_req, decl_*,
    suggested_action, suggestion_reason; the last row per key counts), in ``df``'s row order."""
    if decisions is None or decisions.height == 0:
        return df.with_columns(pl.lit(None, pl.Float64 if c in REDUCE_COLUMNS else pl.String).alias(c)
                               for c in ANNOTATION_COLUMNS)  # fmt: skip
    optional = [c for c in ("suggested_action", "suggestion_reason") if c not in decisions.columns]
    chosen = decisions.with_columns(pl.lit(None, pl.String).alias(c) for c in optional).select(
        pl.col("matching_key").cast(pl.String), pl.col("action").cast(pl.String).alias(DECISION_COLUMN),
        pl.col("remarks").cast(pl.String).alias(REMARKS_COLUMN), *_declaration_columns(decisions),
        pl.col("suggested_action").cast(pl.String).alias(SUGGESTED_COLUMN),
        pl.col("suggestion_reason").cast(pl.String).alias(SUGGESTION_REASON_COLUMN),
    ).unique("matching_key", keep="last", maintain_order=True)
    return df.join(chosen, on="matching_key", how="left", maintain_order="left")


def write_result_xlsx(
    result: pl.DataFrame,
    path: Path | str,
    summary: dict[str, Any] | None = None,
    extra_sheets: dict[str, pl.DataFrame] | None = None,
    decisions: pl.DataFrame | None = None,
) -> Path:
    """Write the result as an XLSX workbook (Summary sheet + one sheet per status, then any
    ``extra_sheets`` such as the reverse-charge rows kept out of matching). ``decisions``
    (matching_key, action, remarks, itc_red_req, decl_*) pre-fill the decision, remarks and
    declaration columns."""
    path = Path(path)
    df = _with_decisions(prepare_result(result), decisions)
    unknown = set(df.get_column("match_status").unique().to_list()) - set(STATUS_ORDER)
    if unknown:
        raise ValueError(f"result rows with unknown match_status: {sorted(map(str, unknown))}")
    counts = summary_counts(df)
    sheets = {s: _sheet_names(SHEET_NAMES[s], counts[s]) for s in STATUS_ORDER}
    with atomic_path(path, durable=False) as tmp, tempfile.TemporaryDirectory(prefix="imsrecon-xlsx-") as work:
        wb = _workbook(tmp, work)
        fmts = _Formats(wb)
        _write_summary(wb, fmts, counts, _totals(df), sheets, summary)
        for status in STATUS_ORDER:
            # one category at a time, so at most one filtered copy of the rows is alive
            for name, part in _split(df.filter(pl.col("match_status") == status), SHEET_NAMES[status]):
                _write_table(wb, fmts, name, part)
        for title, frame in (extra_sheets or {}).items():
            for name, part in _split(frame, title):
                _write_table(wb, fmts, name, part)
        wb.close()
    return path


def write_issues_xlsx(issues: pl.DataFrame, path: Path | str) -> Path:
    """Write an issues frame (ISSUE_SCHEMA) as an XLSX workbook with an "Issues" sheet."""
    return write_tables_xlsx(path, {ISSUES_SHEET: issues})


def write_tables_xlsx(path: Path | str, sheets: dict[str, pl.DataFrame]) -> Path:
    """Write plain tables, one sheet each (long ones continue on "Name (2)", …)."""
    path = Path(path)
    with atomic_path(path, durable=False) as tmp, tempfile.TemporaryDirectory(prefix="imsrecon-xlsx-") as work:
        wb = _workbook(tmp, work)
        fmts = _Formats(wb)
        for title, frame in sheets.items():
            # date-times (with or without a zone) as ISO text: the sheet writer knows dates, not times
            frame = frame.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%d %H:%M:%S"))
            for name, part in _split(frame, title):
                _write_table(wb, fmts, name, part)
        wb.close()
    return path
