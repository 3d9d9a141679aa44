"""Write the reconciliation result and import issues as CSV, JSON or XLSX.

The format follows the file suffix (``.csv``, ``.json``, ``.xlsx``; case-insensitive).

CSV
    UTF-8 *without* a byte-order mark, comma-separated, ``\\n`` line ends, a header row with the
    column names exactly as in :data:`imsrecon.result.RESULT_SCHEMA` (all columns, that order).
    Text fields are always quoted (numbers never), so a field holding the other common list
    separator (``;``) cannot split into a new cell in locales that use it. Dates are ISO
    ``YYYY-MM-DD``; amounts have exactly 2 decimals and ``score``/``nearest_score`` 4 (rounded
    half away from zero); booleans are ``true``/``false``; a null is an empty unquoted field and
    an empty string is ``""``. Text is neutralised against formula injection (see
    :mod:`imsrecon.exporters.sanitize`). Without a BOM, older Excel versions opened by
    double-click may show ``₹`` or Hindi names garbled: open the file through Data > From
    Text/CSV (choose UTF-8) or use the XLSX export, which has no such problem.
JSON
    An array of records (one object per row and per line, keys in schema order), UTF-8 with
    non-ASCII characters unescaped, dates as ISO strings, nulls as ``null``, numbers as numbers
    (amounts rounded to 2 decimals, scores to 4). Not neutralised: JSON is read by programs,
    not spreadsheets.
XLSX
    See :mod:`imsrecon.exporters.excel`.

NaN or infinite amounts (never produced by the importers) are written as null everywhere.

Every write is atomic: the data goes to a temporary file in the target folder, which replaces
the target only once it is complete, so a failed export leaves no half-written file and an
existing file untouched. Reports (the result, import issues) are not forced to disk before the
replace: they can be written again from the workspace at any time, and forcing 590 MB out at a
million documents cost up to 0.9 s; the portal upload files are (``durable``).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from imsrecon.exporters.sanitize import neutralise_frame
from imsrecon.issues import ISSUE_SCHEMA, RowIssue, issues_frame
from imsrecon.result import RESULT_SCHEMA, conform_result

ALLOWED_SUFFIXES = (".csv", ".json", ".xlsx")

SCORE_COLUMNS = ("score", "nearest_score")
# Every other Float64 column of the result is a money amount.
AMOUNT_COLUMNS = tuple(c for c, t in RESULT_SCHEMA.items() if t == pl.Float64 and c not in SCORE_COLUMNS)
DECIMALS = {**{c: 2 for c in AMOUNT_COLUMNS}, **{c: 4 for c in SCORE_COLUMNS}}
_JSON_SLICE_ROWS = 100_000


def export_format(path: Path | str) -> str:
    """The export format for a path ("csv", "json" or "xlsx"); ValueError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        allowed = ", ".join(ALLOWED_SUFFIXES)
        name = Path(path).name
        raise ValueError(f"cannot export to {name!r}: the file name must end in {allowed}")
    return suffix[1:]


@contextmanager
def atomic_path(path: Path | str, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``, else it is removed.

    The temporary file is created with the usual permissions (umask applies); when ``path``
    already exists its permission bits are kept. ``durable``: the data is forced to disk before
    it replaces ``path`` (so that a power cut cannot leave an empty file under the name).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        if path.exists():
            try:
                shutil.copymode(path, tmp)
            except OSError:
                pass
        if durable:
            fd = os.open(tmp, os.O_RDWR)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _clean_float(col: str, decimals: int) -> pl.Expr:
    """Round half away from zero; NaN/inf become null; -0.0 becomes 0.0."""
    e = pl.col(col)
    rounded = e.round(decimals, mode="half_away_from_zero")
    return pl.when(e.is_finite().not_()).then(None).when(rounded == 0).then(0.0).otherwise(rounded).alias(col)


def prepare_result(result: pl.DataFrame) -> pl.DataFrame:
    """The result in export form: all schema columns in order, floats rounded and cleaned."""
    df = conform_result(result)
    return df.with_columns(_clean_float(c, d) for c, d in DECIMALS.items())


def _fixed_decimals(df: pl.DataFrame, decimals: dict[str, int]) -> pl.DataFrame:
    # Decimal columns print with exactly their scale ("1234.50"); the float→decimal cast rounds to
    # the nearest, so an already-rounded float keeps its digits.
    return df.with_columns(pl.col(c).cast(pl.Decimal(38, d)) for c, d in decimals.items() if c in df.columns)


def _write_csv(df: pl.DataFrame, path: Path) -> None:
    neutralise_frame(df).write_csv(path, quote_style="non_numeric", date_format="%Y-%m-%d")


def _write_json(df: pl.DataFrame, path: Path) -> None:
    # Polars' write_json is ~3x slower than this: each record is JSON-encoded by Polars and the
    # records are written one per line with "," line ends (no quoting: a JSON text never holds a
    # raw newline), in slices so memory stays bounded.
    records = pl.struct(pl.all()).struct.json_encode()
    lines = {"include_header": False, "quote_style": "never", "line_terminator": ",\n"}
    with open(path, "wb") as out:
        out.write(b"[\n")
        for start in range(0, df.height, _JSON_SLICE_ROWS):
            part = df.slice(start, _JSON_SLICE_ROWS).select(records)
            if start + _JSON_SLICE_ROWS < df.height:
                part.write_csv(out, **lines)  # type: ignore[arg-type]
            else:  # the last record closes the array without a comma
                part.head(-1).write_csv(out, **lines)  # type: ignore[arg-type]
                out.write(part.item(-1, 0).encode() + b"\n")
        out.write(b"]\n")


def write_result(
    result: pl.DataFrame,
    path: Path | str,
    summary: dict[str, Any] | None = None,
    extra_sheets: dict[str, pl.DataFrame] | None = None,
    decisions: pl.DataFrame | None = None,
) -> Path:
    """Write the reconciliation result; the suffix chooses CSV, JSON or XLSX.

    ``summary`` (key/values such as files reconciled, run id, generated at), ``extra_sheets``
    and ``decisions`` (the stored decisions: matching_key, action, remarks; they pre-fill the
    decision and remarks columns) are shown in the XLSX workbook only; CSV and JSON carry only
    the result rows.
    """
    path = Path(path)
    fmt = export_format(path)
    if fmt == "xlsx":
        from imsrecon.exporters.excel import write_result_xlsx

        return write_result_xlsx(result, path, summary, extra_sheets, decisions)
    df = prepare_result(result)
    with atomic_path(path, durable=False) as tmp:  # a report: written again from the workspace at will
        if fmt == "csv":
            _write_csv(_fixed_decimals(df, DECIMALS), tmp)
        else:
            _write_json(df, tmp)
    return path


def write_issues(issues: list[RowIssue] | pl.DataFrame, path: Path | str) -> Path:
    """Write an import error report (one row per :class:`RowIssue`) as CSV, JSON or XLSX."""
    path = Path(path)
    fmt = export_format(path)
    df = issues if isinstance(issues, pl.DataFrame) else issues_frame(issues)
    df = df.select([pl.col(c).cast(t) for c, t in ISSUE_SCHEMA.items()])
    if fmt == "xlsx":
        from imsrecon.exporters.excel import write_issues_xlsx

        return write_issues_xlsx(df, path)
    with atomic_path(path, durable=False) as tmp:
        if fmt == "csv":
            _write_csv(df, tmp)
        else:
            _write_json(df, tmp)
    return path
