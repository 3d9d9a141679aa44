"""Delimited text (CSV, TSV, semicolon- or pipe-separated) read into a text table below its header.

The first rows are read with the csv module (title rows of one cell above a header of twenty are
fine there), the body with Polars. Whatever the text holds — a bare carriage return or a NUL in a
cell, a 10 MB line, ragged rows, a quote inside a cell, lines in two encodings — the result is a
table or an InputFileError naming the file and the line; never a parser's own error.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from imsrecon.importers.file_kind import utf8_bytes
from imsrecon.importers.tabular import (
    HEADER_SEARCH_ROWS,
    NO_HEADER,
    HeaderScorer,
    RowProblem,
    Table,
    best_header,
    check_cells,
    combined_header,
    trim,
    unique_headers,
)
from imsrecon.importers.workbook_bounds import SheetLimits
from imsrecon.issues import InputFileError

_DELIMITERS = [",", ";", "\t", "|"]
_SAMPLE_LINE = 64 << 10  # characters of a line looked at to find the header (a header is short)
_PAST = 1  # a column read past the header's last, to see rows whose cells are shifted (each costs time)
_SHIFTED = ("the row has more cells than the header row: a delimiter inside a value "
            "(a name with a comma, not in quotes) shifts the cells after it; row not imported")


def read_csv_table(
    path: Path, scorer: HeaderScorer, min_score: float, header_line: int | None, limits: SheetLimits
) -> Table:
    """The text file below its header row: found by ``scorer`` or, if given, at ``header_line``."""
    data, note = utf8_bytes(path.read_bytes())
    if b"\n" not in data[:65536] and b"\r" in data[:65536]:  # old Mac line ends
        data = data.replace(b"\r", b"\n")
    search = max(HEADER_SEARCH_ROWS, header_line or 0)
    starts = [0]  # byte offset of each of the first lines
    while len(starts) <= search and (nl := data.find(b"\n", starts[-1])) >= 0:
        starts.append(nl + 1)
    head = data[: starts[-1] if len(starts) > search else len(data)].decode("utf-8", "replace")
    lines = [line[:_SAMPLE_LINE] for line in head.replace("\r\n", "\n").split("\n")]
    sample = "\n".join(lines).replace("\r", " ")  # a bare CR inside a cell is no line end (as for Polars)
    delimiter = max(_DELIMITERS, key=lambda d: sample.count(d))
    rows, ends = _sample_rows(path.name, sample, delimiter)
    if header_line is not None:
        if header_line > len(rows):
            raise InputFileError(path.name, f"header row {header_line} is past the end of the file")
        idx, score = header_line - 1, 1.0
    else:
        idx, score = best_header(rows, scorer)
        if idx < 0 or score < min_score:
            raise InputFileError(path.name, NO_HEADER)
    two = combined_header(rows, idx, scorer) if header_line is None else None
    if two is not None:
        idx += 1  # the data starts under the second header row
    headers = unique_headers(two if two is not None else rows[idx])
    if len(headers) > limits.max_columns:
        raise InputFileError(path.name, f"the header row has {len(headers):,} columns; the limit is "
                             f"{limits.max_columns:,} columns")
    header_end = ends[idx]  # the physical line the header ends on (a quoted cell may span lines)
    body = data[starts[header_end] :] if header_end < len(starts) else b""
    past = [f"_past_{k}" for k in range(1, _PAST + 1)]
    if not body.strip():
        frame = pl.DataFrame(schema={h: pl.String for h in headers})
    else:
        frame = _read_body(path.name, body, [*headers, *past], delimiter, header_end)
    frame = frame.select(pl.all().str.strip_chars())
    table = Table(None, header_end, headers, frame, score, notes=[note] if note else [])
    table = _past_the_header(table, past)
    table.frame = trim(table.frame)
    return check_cells(table)


def _sample_rows(file: str, sample: str, delimiter: str) -> tuple[list[list[str | None]], list[int]]:
    """The first rows by the csv module, and the physical line (1-based) each ends on."""
    rows: list[list[str | None]] = []
    ends: list[int] = []
    reader = csv.reader(io.StringIO(sample, newline="\n"), delimiter=delimiter)
    try:
        for row in reader:
            rows.append(list(row))
            ends.append(reader.line_num)
    except csv.Error as exc:
        raise InputFileError(file, f"line {reader.line_num}: cannot read as delimited text ({exc})") from None
    return rows, ends


def _read_body(file: str, body: bytes, names: list[str], delimiter: str, header_end: int) -> pl.DataFrame:
    schema = {n: pl.String for n in names}
    try:
        return pl.read_csv(
            body, has_header=False, schema=schema, separator=delimiter, truncate_ragged_lines=True,
            extra_columns="ignore", missing_columns="insert", encoding="utf8-lossy", infer_schema=False,
        )
    except pl.exceptions.PolarsError:
        pass  # a quote inside an unquoted cell (12" pipe) or one never closed: the csv module decides
    return _read_body_slowly(file, body.decode("utf-8", "replace"), names, delimiter, header_end)


def _read_body_slowly(file: str, text: str, names: list[str], delimiter: str, header_end: int) -> pl.DataFrame:
    """The body by the csv module, row by row (only files Polars cannot read come here): strictly
    first, so that a quote never closed is named; then leniently (a quote inside a quoted cell)."""
    width = len(names)
    text = text.replace("\r\n", "\n")
    out: list[list[str | None]] = []
    for strict in (True, False):
        out, done = [], 0  # done: the physical lines of the rows read so far
        reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=delimiter, strict=strict)
        try:
            for row in reader:
                out.append([*(c or None for c in row[:width]), *[None] * (width - len(row))])
                done = reader.line_num
            break
        except csv.Error as exc:
            line = header_end + done + 1  # where the row that failed begins
            if "field larger than field limit" in str(exc):
                raise InputFileError(file, f"line {line}: a cell runs on for more than {csv.field_size_limit():,} "
                                     "characters (a quote that is never closed?)") from None
            if "unexpected end of data" in str(exc):
                raise InputFileError(file, f"line {line}: a quote opened in this row is never closed") from None
            if not strict:
                raise InputFileError(file, f"line {line}: cannot read as delimited text ({exc})") from None
    return pl.DataFrame(out, schema={n: pl.String for n in names}, orient="row")


def _past_the_header(table: Table, past: list[str]) -> Table:
    """Cells past the header's last column. Where most rows have them, the header is short (an
    unnamed last column): they become columns of their own. Otherwise those few rows have a value
    with the delimiter in it and their cells are shifted: each is a row problem."""
    frame = table.frame
    present = [c for c in past if c in frame.columns]
    filled = [c for c in present if frame[c].drop_nulls().str.len_bytes().gt(0).any()]
    if not filled:
        table.frame = frame.drop(present)
        return table
    has = pl.any_horizontal([pl.col(c).fill_null("") != "" for c in filled])
    nonblank = pl.any_horizontal([pl.col(c).fill_null("") != "" for c in frame.columns])
    counts = frame.select(has.sum().alias("past"), nonblank.sum().alias("rows")).row(0, named=True)
    if counts["past"] * 2 > counts["rows"]:
        last = max(past.index(c) for c in filled)
        names = unique_headers([*table.headers, *[None] * (last + 1)])[len(table.headers):]
        renamed = dict(zip(past[: last + 1], names, strict=True))
        table.frame = frame.drop([c for c in present if c not in renamed]).rename(renamed)
        table.headers = [*table.headers, *names]
        table.notes.append(f"{counts['past']:,} of {counts['rows']:,} rows have cells past the header's last column: "
                           f"read as {', '.join(names)}")
        return table
    shifted = frame.with_row_index("_pos").filter(has)["_pos"]
    table.problems += [RowProblem(pos, None, None, _SHIFTED) for pos in shifted]
    table.frame = frame.drop(present)
    return table
