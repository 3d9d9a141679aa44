"""Write demo data to files: the IMS JSON, the purchase register (CSV or XLSX, with the title rows
accounting exports put above the header) and the truth table."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from imsrecon.demo.layouts import AMOUNT_ROLES, DATE_ROLES, LAYOUTS, layout_spec

PERIOD_LINE = "1-Apr-2025 to 31-Mar-2026"
TITLE = "Purchase Register"
XLSX_MAX_ROWS = 1_048_576
_PLAIN_AMOUNT = re.compile(r"^-?\d+\.\d{2}$")


def title_lines(company: str, period: str = PERIOD_LINE) -> list[str]:
    """Company name, report name, period, a blank row: as Tally prints them above the header."""
    return [company, TITLE, period, ""]


def header_line_number(title_rows: bool = True) -> int:
    """1-based row of the header in a written register."""
    return len(title_lines("")) + 1 if title_rows else 1


def write_ims_json(payload: dict[str, Any], path: Path) -> Path:
    path = Path(path)
    path.write_bytes(orjson.dumps(payload))
    return path


def write_truth(truth: pl.DataFrame, path: Path) -> Path:
    path = Path(path)
    truth.write_csv(path)
    return path


def write_pr(
    df: pl.DataFrame, path: Path, layout: str, title_rows: bool = True, *,
    company: str = "Demo Company", period: str = PERIOD_LINE, typed_cells: bool = True,
) -> Path:
    """Write a register frame (text cells) as CSV (UTF-8) or XLSX, chosen by the file suffix.

    In XLSX, plain amounts ("118000.00") become number cells and dates in the layout's own format
    become date cells, as accounting exports write them (``typed_cells=False`` keeps every cell
    text). Indian-grouped or bracketed amounts and odd date spellings stay text, as a hand-edited
    sheet would have them."""
    path = Path(path)
    spec = layout_spec(layout)
    if list(df.columns) != LAYOUTS[layout]:
        raise ValueError(f"the frame's columns are not the {layout!r} layout: {df.columns}")
    titles = title_lines(company, period) if title_rows else []
    suffix = path.suffix.lower()
    if suffix == ".csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        for line in titles:
            writer.writerow([line] + [""] * (df.width - 1))
        with path.open("wb") as f:
            f.write(buf.getvalue().encode("utf-8"))
            df.write_csv(f)
        return path
    if suffix != ".xlsx":
        raise ValueError(f"write_pr writes .csv or .xlsx, not {path.suffix!r}")
    if len(titles) + 1 + df.height > XLSX_MAX_ROWS:
        raise ValueError(f"{df.height:,} rows do not fit in one XLSX sheet ({XLSX_MAX_ROWS:,} rows): write CSV")
    _write_xlsx(df, path, spec.columns, spec.date_format, spec.excel_date_format, titles, typed_cells)
    return path


def _write_xlsx(
    df: pl.DataFrame, path: Path, roles: dict[str, str], date_format: str, excel_date_format: str,
    titles: list[str], typed: bool,
) -> None:
    import xlsxwriter

    amount_cols = {roles[r] for r in AMOUNT_ROLES if r in roles}
    date_cols = {roles[r] for r in DATE_ROLES if r in roles}
    typed_values: dict[str, list[Any]] = {}
    if typed:
        for name in df.columns:
            if name in amount_cols:
                col = pl.col(name)
                expr = pl.when(col.str.contains(_PLAIN_AMOUNT.pattern)).then(col.cast(pl.Float64, strict=False))
                typed_values[name] = df.select(expr.alias("v"))["v"].to_list()
            elif name in date_cols:
                expr = pl.col(name).str.strptime(pl.Date, date_format, strict=False)
                typed_values[name] = df.select(expr.alias("v"))["v"].to_list()
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        ws = wb.add_worksheet("Purchase Register")
        bold = wb.add_format({"bold": True})
        money = wb.add_format({"num_format": "0.00"})
        date_fmt = wb.add_format({"num_format": excel_date_format})
        for r, line in enumerate(titles):
            if line:
                ws.write_string(r, 0, line, bold if r == 0 else None)
        top = len(titles)
        for c, name in enumerate(df.columns):
            ws.write_string(top, c, name, bold)
            ws.set_column(c, c, max(10, min(len(name) + 2, 40)))
        columns = [df[name].to_list() for name in df.columns]
        kinds = [
            ("amount" if name in amount_cols else "date") if name in typed_values else "text" for name in df.columns
        ]
        typed_cols = [typed_values.get(name) for name in df.columns]
        for i in range(df.height):
            r = top + 1 + i
            for c in range(len(columns)):
                text = columns[c][i]
                if text is None:
                    continue
                value = typed_cols[c][i] if typed_cols[c] is not None else None
                if value is None:
                    ws.write_string(r, c, text)
                elif kinds[c] == "amount":
                    ws.write_number(r, c, value, money)
                else:
                    ws.write_datetime(r, c, value, date_fmt)
    finally:
        wb.close()
