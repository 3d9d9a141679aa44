"""What the portal's own workbooks share (the IMS offline tool, the GSTR-2B download): headers of
two rows found by their names, group labels merged over the columns below them, the recipient's
GSTIN in the title rows, and return periods as people write them.

A header is located with a *classifier* that names the field a column carries from its name and
the group label above it; each workbook kind brings its own. Layout: title rows, an optional
outer row ("Original details" over an amendment's first columns), a group row ("Invoice details",
"Tax amount" merged across; single columns merged down over both rows), the column-name row, data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from imsrecon.importers.base import ImportOptions
from imsrecon.importers.tabular import cell_text, open_workbook, table_from_rows
from imsrecon.issues import InputFileError
from imsrecon.normalise.gstin import GSTIN_LOOSE_PATTERN

# what str.strip() removes (cell_text strips so): Polars' strip_chars() alone leaves \x1c-\x1f, \x85 …
PY_WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())

# (column name, group label above it) -> model field, "_ignore", or None for a column it does not know
Classifier = Callable[[str | None, str | None], str | None]

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")
_MONTHS = {m[:3]: i for i, m in enumerate(_MONTH_NAMES, 1)}
ORIGINALS = {"doc_no": "orig_doc_no", "doc_date": "orig_doc_date"}


def norm(text: str | None) -> str:
    """A header name folded: lower case, a currency unit in brackets dropped, letters and digits only."""
    s = re.sub(r"\((rs\.?|inr|in rs\.?|in ₹|₹)\)", "", (text or "").lower())
    return re.sub(r"[^a-z0-9]", "", s)


@dataclass
class Layout:
    """Where a sheet's header is and what its columns carry."""

    header_line: int  # physical row (1-based) of the lower header row: data row n is header_line + n
    top_line: int  # physical row of the topmost header row (the header row when there is one)
    columns: dict[int, str]  # column index -> field
    labels: dict[str, str]  # field -> column name for messages
    frame: pl.DataFrame  # rows below the header: positional String columns
    names: list[str | None] = field(default_factory=list)  # every column's name
    notes: list[str] = field(default_factory=list)


def locate_header(sheet: str, rows: list[list[str | None]], merged: list[Any] | None, classify: Classifier,
                  min_score: float, amendment: bool = False, originals: dict[str, str] = ORIGINALS,
                  repeatable: tuple[str, ...] = ()) -> Layout | None:
    """Find the header rows by their names; None when no row names ``min_score`` distinct fields.

    A column's name is its cell in the lower row, or the upper cell when that one is merged down
    over both rows; its group is the label above it. On an ``amendment`` sheet a field named twice
    without an "original" label is the original document's first (``originals``: field -> field
    of the original). A field in ``repeatable`` may have several columns; of any other field the
    first column is used and the others are noted."""
    def score(cells: list[str | None]) -> float:
        return float(len({f for c in cells if c and (f := classify(c, None))}))

    table = table_from_rows(sheet, rows, lambda cells: score(list(cells)), min_score)
    if table is None:
        return None
    idx, frame, width = table.header_line - 1, table.frame, len(table.headers)
    below = rows[idx + 1] if idx + 1 < len(rows) else []
    if score(below) >= 2:  # the best row was the group row
        upper, lower, frame, idx = rows[idx], below, frame.slice(1), idx + 1
    else:
        above = rows[idx - 1] if idx > 0 else []
        group_like = score(above) >= 1 or sum(1 for c in above if c) >= 2
        upper, lower = (above if group_like else []), rows[idx]
    upper, lower = [(list(r) + [None] * width)[:width] for r in (upper, lower)]
    upper = _fill_groups(upper, lower, merged, idx - 1)
    names = [lower[c] or upper[c] for c in range(width)]
    groups = [upper[c] if lower[c] else None for c in range(width)]
    top = idx if any(upper) else idx + 1  # 1-based line of the upper row
    outer = _outer_groups(rows, top - 2, names, merged) if any(upper) else None
    if outer is not None:
        groups = [g or o for g, o in zip(groups, outer, strict=True)]
        top -= 1
    columns = {c: f for c in range(width) if (f := classify(names[c], groups[c])) and f != "_ignore"}
    notes = _resolve_duplicates(columns, amendment, originals, repeatable)
    labels: dict[str, str] = {}
    for c, f in sorted(columns.items()):
        label = names[c] or f"column {c + 1}"
        repeated = sum(1 for n in names if n == names[c]) > 1 or f.startswith(("orig_", "decl_"))
        labels.setdefault(f, f"{label} ({groups[c]})" if repeated and groups[c] else label)
    return Layout(idx + 1, top, columns, labels, frame, names, notes)


def _outer_groups(rows: list[list[str | None]], at: int, names: list[str | None],
                  merged: list[Any] | None) -> list[str | None] | None:
    """The labels of a third header row above the group row, where it marks the original
    document's columns ("Original details" | "Revised details"); None when there is none."""
    if at < 0 or at >= len(rows):
        return None
    row = (list(rows[at]) + [None] * len(names))[: len(names)]
    if not any(c and "original" in norm(c) and len(c) <= 40 for c in row):
        return None
    return _fill_groups(row, [n or "" for n in names], merged, at)


def _fill_groups(upper: list[str | None], lower: list[str | None], merged: list[Any] | None,
                 row: int) -> list[str | None]:
    """Spread each group label over the columns its merged cell covers."""
    out = list(upper)
    if merged is not None:
        for (r0, c0), (r1, c1) in merged:
            if r0 <= row <= r1 and c0 < c1 and c0 < len(out) and upper[c0]:
                out[c0 : c1 + 1] = [upper[c0]] * (min(c1 + 1, len(out)) - c0)
        return out
    current = None  # no merge information (.xls): carry a label right until the next one
    for c in range(len(out)):
        if upper[c]:
            current = upper[c] if lower[c] else None
        elif lower[c]:
            out[c] = current
    return out


def _resolve_duplicates(columns: dict[int, str], amendment: bool, originals: dict[str, str],
                        repeatable: tuple[str, ...]) -> list[str]:
    by_field: dict[str, list[int]] = {}
    for c, f in sorted(columns.items()):
        by_field.setdefault(f, []).append(c)
    if amendment:
        for f, orig in originals.items():  # no "original" marker: the original comes first (§3)
            cols = by_field.get(f, [])
            if len(cols) >= 2 and orig not in by_field:
                columns[cols[0]] = orig
                by_field[f] = cols[1:]
    notes = []
    for f, cols in by_field.items():
        if len(cols) > 1 and f not in repeatable:
            notes.append(f"{len(cols) - 1} more column(s) for {f} ignored: the first one is used")
            for c in cols[1:]:
                del columns[c]
    return notes


def merged_ranges(path: Path, options: ImportOptions | None = None) -> dict[str, list[Any] | None]:
    """Each sheet's merged cells ((row, col), (row, col)), where the workbook says."""
    try:
        wb = open_workbook(path, options)
        return {n: wb.get_sheet_by_name(n).merged_cell_ranges for n in wb.sheet_names}
    except Exception:  # merge information helps; it is never required
        return {}


def iter_sheets(
    path: Path, options: ImportOptions | None = None
) -> Iterator[tuple[str, list[list[Any]], list[Any] | None]]:
    """Each sheet's cells as the workbook holds them (numbers, dates, text; '' where empty) and its
    merged cells, each sheet parsed once, after the workbook's bounds are checked. Unreadable: the
    project's own error, naming the file."""
    wb = open_workbook(path, options)
    for name in wb.sheet_names:
        try:
            sheet = wb.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as exc:
            raise InputFileError(path.name, f"sheet '{name}' cannot be read: {exc}") from None
        try:
            merged = sheet.merged_cell_ranges
        except Exception:  # merge information helps; it is never required
            merged = None
        yield name, rows, merged


def text_rows(rows: list[list[Any]]) -> list[list[str | None]]:
    """A few rows (titles, headers) as text, cell by cell (``tabular.cell_text``)."""
    return [[cell_text(c) for c in r] for r in rows]


def text_frame(rows: list[list[Any]], width: int) -> pl.DataFrame:
    """Many rows as positional String columns ``column_1`` …, column by column, as
    ``tabular.cell_text`` reads a cell: text stripped (blank: null), whole numbers without ".0",
    dates ISO. Vectorised: only cells of other kinds (booleans, durations) are read one by one."""
    if rows and min(map(len, rows)) < width:
        rows = [r if len(r) >= width else [*r, *[""] * (width - len(r))] for r in rows]
    # columns: zip stops at the shortest row, and every row has at least `width` cells
    columns = list(zip(*rows, strict=False))[:width] if rows else [()] * width
    return pl.DataFrame({f"column_{c + 1}": _text_column(values) for c, values in enumerate(columns)},
                        schema={f"column_{c + 1}": pl.String for c in range(width)}, height=len(rows))


def _text_column(values: tuple[Any, ...]) -> pl.Series:
    types = set(map(type, values))
    parts = []
    if float in types:
        floats = pl.Series([v if type(v) is float else None for v in values], dtype=pl.Float64)
        whole = floats.is_finite() & (floats.abs() < 1e15) & (floats == floats.round(0))
        text = pl.select(pl.when(whole).then(pl.lit(floats).cast(pl.Int64, strict=False).cast(pl.String))
                         .when(floats.is_not_nan()).then(pl.lit(floats).cast(pl.String))).to_series()
        # Python writes exponents its own way (1e-05, not 0.00001): the few tiny or huge numbers as it does
        odd = (~whole & ((floats.abs() < 1e-4) | (floats.abs() >= 1e15)) & (floats != 0)).fill_null(False).arg_true()
        if len(odd):
            text = text.scatter(odd, [cell_text(values[i]) for i in odd.to_list()])
        parts.append(text)
    if str in types:
        texts = pl.Series([v if type(v) is str else None for v in values], dtype=pl.String).str.strip_chars(PY_WHITESPACE)
        parts.append(texts.replace("", None))
    if dt.date in types:
        dates = pl.Series([v if type(v) is dt.date else None for v in values], dtype=pl.Date)
        parts.append(dates.dt.strftime("%Y-%m-%d"))
    if types - {float, str, dt.date, type(None)}:  # datetimes, booleans, durations: few
        parts.append(pl.Series([None if type(v) in (float, str, dt.date) else cell_text(v) for v in values],
                               dtype=pl.String))
    if not parts:
        return pl.Series([None] * len(values), dtype=pl.String)
    return parts[0] if len(parts) == 1 else pl.select(pl.coalesce([pl.lit(p) for p in parts])).to_series()


def recipient_from(rows: list[list[str | None]]) -> str | None:
    """The first GSTIN on a row that says GSTIN (the title rows' "GSTIN of the recipient: …")."""
    for row in rows:
        text = " ".join(c for c in row if c)
        if "gstin" in text.lower() and (m := re.search(GSTIN_LOOSE_PATTERN.strip("^$"), text.upper())):
            return m.group(0)
    return None


def return_period(text: str | None) -> str | None:
    """A return period as MMYYYY from `102025`, `10-2025`, `Oct-2025`, `October 2025`, `Oct'25`, `2025-10-01`."""
    s = (text or "").strip().lower()
    if re.fullmatch(r"\d{5,6}", s):
        mm, yyyy = s.zfill(6)[:2], s.zfill(6)[2:]
    elif m := re.fullmatch(r"(\d{1,2})[-/. ](\d{4})", s):
        mm, yyyy = m.group(1).zfill(2), m.group(2)
    elif m := re.fullmatch(r"(\d{4})-(\d{2})(-\d{2})?( .*)?", s):
        mm, yyyy = m.group(2), m.group(1)
    elif (m := re.fullmatch(r"([a-z]{3})[a-z]*[-/ ,']*(\d{2}|\d{4})", s)) and m.group(1) in _MONTHS:
        mm, yyyy = f"{_MONTHS[m.group(1)]:02d}", m.group(2) if len(m.group(2)) == 4 else "20" + m.group(2)
    else:
        return None
    return f"{mm}{yyyy}" if 1 <= int(mm) <= 12 and "2017" <= yyyy <= "2099" else None


def month_number(text: str | None) -> int | None:
    """The month a word names ("Nov", "November", "Sept"), or None."""
    s = re.sub(r"[^a-z]", "", (text or "").lower())
    return next((i for i, name in enumerate(_MONTH_NAMES, 1) if len(s) >= 3 and name.startswith(s)), None)


__all__ = ["ORIGINALS", "Classifier", "Layout", "iter_sheets", "locate_header", "merged_ranges", "month_number",
           "norm", "recipient_from", "return_period", "text_frame", "text_rows"]
