"""Tables in markup: an HTML page saved as ".xls" (what many ERPs call an Excel export) and Excel
2003 XML (SpreadsheetML), read with the standard library's html.parser, bounded.

Every table (or SpreadsheetML worksheet) becomes a sheet of text cells, as a workbook's sheets do.
Spans are laid out as a spreadsheet shows merged cells: the text in the first cell, the others
empty. A table nested in a cell is a table of its own, and its text is not the outer cell's.
Scripts, styles and comments are skipped; nothing is fetched and no entity is expanded beyond
HTML's own character references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from imsrecon.importers.workbook_bounds import SheetLimits
from imsrecon.issues import InputFileError

_FEED = 1 << 20  # characters handed to the parser at a time
_CELL_CHARS = 40_000  # text kept per cell: more than a spreadsheet cell holds (32,767)
_TABLE, _ROW, _CELL = {"table"}, {"tr", "row"}, {"td", "th", "cell"}
_SKIP = {"script", "style", "head", "title"}
_BREAKS = {"br", "p", "div", "li", "data"}  # text on either side is separate words


@dataclass
class _Table:
    name: str | None
    rows: list[list[str | None]] = field(default_factory=list)
    row: list[str | None] | None = None
    cell: list[str] | None = None
    cell_chars: int = 0
    spans: dict[int, int] = field(default_factory=dict)  # column -> rows a span above still covers
    cells: int = 0
    cell_start: int = 0  # the column of the open cell (the first of the columns its span takes)
    order: int = 0  # tables in the order they open (a nested table closes first)


class _Parser(HTMLParser):
    def __init__(self, file: str, limits: SheetLimits) -> None:
        super().__init__(convert_charrefs=True)
        self.file, self.limits = file, limits
        self.open: list[_Table] = []
        self.done: list[_Table] = []
        self.skipping = 0
        self.sheet_name: str | None = None

    # --- structure -------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = tag.rsplit(":", 1)[-1]
        values = {k.rsplit(":", 1)[-1]: (v or "") for k, v in attrs}
        if name in _SKIP:
            self.skipping += 1
        elif name == "worksheet":
            self.sheet_name = values.get("name") or None
        elif name in _TABLE:  # a table in a cell: the cell goes on after it
            self.open.append(_Table(self.sheet_name, order=len(self.open) + len(self.done)))
        elif not self.open:
            return
        elif name in _ROW:
            self._start_row(_whole(values.get("index")))
        elif name in _CELL:
            self._start_cell(values)
        elif name in _BREAKS and self.open[-1].cell is not None:
            self.open[-1].cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        name = tag.rsplit(":", 1)[-1]
        if name in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif name in _TABLE and self.open:
            table = self.open.pop()
            self._end_row(table)
            self.done.append(table)
        elif name in _ROW and self.open:
            self._end_row(self.open[-1])
        elif name in _CELL and self.open:
            self._end_cell()
        elif name == "worksheet":
            self.sheet_name = None

    def handle_data(self, data: str) -> None:
        if self.skipping or not self.open:
            return
        table = self.open[-1]
        if table.cell is not None and table.cell_chars < _CELL_CHARS:
            table.cell.append(data[: _CELL_CHARS - table.cell_chars])
            table.cell_chars += len(data)

    # --- rows and cells --------------------------------------------------------------------
    def _start_row(self, index: int | None = None) -> None:
        table = self.open[-1]
        self._end_row(table)
        if index is not None:  # SpreadsheetML skips empty rows with ss:Index (1-based)
            while len(table.rows) < min(index - 1, self.limits.max_rows + 1):
                self._append_row(table, [])
        table.row = []

    def _start_cell(self, attrs: dict[str, str]) -> None:
        table = self.open[-1]
        self._end_cell()
        if table.row is None:
            self._start_row()
        row = table.row
        assert row is not None
        self._fill_spans(table, row)
        if (index := _whole(attrs.get("index"))) is not None:  # SpreadsheetML ss:Index (1-based)
            while len(row) < min(index - 1, self.limits.max_columns + 1):
                row.append(None)
        across = _whole(attrs.get("colspan")) or (1 + (_whole(attrs.get("mergeacross")) or 0))
        down = _whole(attrs.get("rowspan")) or (1 + (_whole(attrs.get("mergedown")) or 0))
        start = table.cell_start = len(row)
        row.append(None)
        for k in range(1, min(across, self.limits.max_columns + 1)):
            row.append(None)
            if down > 1:
                table.spans[start + k] = min(down, self.limits.max_rows + 1) - 1
        if down > 1:
            table.spans[start] = min(down, self.limits.max_rows + 1) - 1
        table.cell, table.cell_chars = [], 0
        self._check_width(table, len(row))

    def _end_cell(self) -> None:
        if not self.open:
            return
        table = self.open[-1]
        if table.cell is None or table.row is None:
            table.cell = None
            return
        text = re.sub(r"\s+", " ", "".join(table.cell)).strip()
        table.row[table.cell_start] = text or None
        table.cell = None

    def _end_row(self, table: _Table) -> None:
        if self.open and self.open[-1] is table:
            self._end_cell()
        if table.row is not None:
            self._fill_spans(table, table.row, to_end=True)
            self._append_row(table, table.row)
            table.row = None

    def _append_row(self, table: _Table, row: list[str | None]) -> None:
        table.rows.append(row)
        table.cells += len(row)
        if len(table.rows) > self.limits.max_rows or table.cells > self.limits.max_cells:
            raise InputFileError(self.file, f"table {table.order + 1} has {len(table.rows):,} rows and "
                                 f"{table.cells:,} cells so far; {self.limits.describe()}")

    def _fill_spans(self, table: _Table, row: list[str | None], to_end: bool = False) -> None:
        """Columns that a span from a row above covers are empty cells of this row (at the end of
        a row: every such column up to the last one)."""
        while True:
            col = len(row)
            if table.spans.get(col, 0) > 0:
                table.spans[col] -= 1
            elif not (to_end and any(c > col for c in table.spans)):
                break
            row.append(None)
        table.spans = {c: n for c, n in table.spans.items() if n > 0}

    def _check_width(self, table: _Table, width: int) -> None:
        if width > self.limits.max_columns:
            raise InputFileError(self.file, f"a table row has more than {self.limits.max_columns:,} cells; "
                                 f"{self.limits.describe()}")


def _whole(value: str | None) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


def read_markup_tables(text: str, file: str, limits: SheetLimits) -> list[tuple[str, list[list[str | None]]]]:
    """(sheet name, rows of text cells) for every table in the markup, in document order."""
    parser = _Parser(file, limits)
    for start in range(0, len(text), _FEED):
        parser.feed(text[start : start + _FEED])
    parser.close()
    while parser.open:  # tables the page never closed
        parser.handle_endtag("table")
    out = []
    for n, table in enumerate(sorted(parser.done, key=lambda t: t.order), start=1):
        if any(any(c for c in r) for r in table.rows):
            out.append((table.name or f"table {n}", table.rows))
    return out
