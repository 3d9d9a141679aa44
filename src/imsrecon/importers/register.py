"""Purchase registers as CSV, XLSX or XLS (or an HTML table saved as .xls), in the layouts of
Tally, SAP, Zoho, Busy and hand-kept sheets: the file read by what it is, not by its name; header
row found by its names, columns mapped through the alias table (or the user's mapping file), one
row per document (or several line rows of one document, summed)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from imsrecon.importers.assemble import RawFrame, assemble
from imsrecon.importers.base import ImportOptions, ImportResult, check_size
from imsrecon.importers.csv_table import read_csv_table
from imsrecon.importers.file_kind import FileKind, sniff_file
from imsrecon.importers.register_amounts import implausible_amounts, nan_cells, summed_amount
from imsrecon.importers.register_columns import (
    MIN_HEADER_SCORE,
    ColumnMapping,
    missing_column_message,
    missing_fields,
    mode_columns,
    resolve_columns,
    scorer_for,
)
from imsrecon.importers.register_ledgers import fold_ledger_lines
from imsrecon.importers.register_lines import aggregate_lines
from imsrecon.importers.register_rules import (
    MODE_PREFIX,
    classify_documents,
    fill_gstin_from_party,
    mark_unregistered,
    skip_cancelled,
    skip_total_rows,
)
from imsrecon.importers.tabular import Table, iter_excel_sheets, sheet_limits, table_from_rows
from imsrecon.issues import InputFileError, RowIssue, Severity
from imsrecon.model import Side, SourceKind, keep_rows

_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")
_CONTENT_KIND = {FileKind.TEXT: SourceKind.PR_CSV, FileKind.XLSX: SourceKind.PR_XLSX,
                 FileKind.XLS: SourceKind.PR_XLS, FileKind.MARKUP: SourceKind.PR_XLS}
_CONTENT_WORDS = {FileKind.TEXT: "delimited text (CSV)", FileKind.XLSX: "an XLSX workbook",
                  FileKind.XLS: "an Excel 97-2003 workbook", FileKind.MARKUP: "a web page (HTML) table"}
_SUFFIX_CONTENT = {".csv": FileKind.TEXT, ".txt": FileKind.TEXT, ".tsv": FileKind.TEXT, ".xlsx": FileKind.XLSX,
                   ".xlsm": FileKind.XLSX, ".xls": FileKind.XLS}
_SUMMED = ("taxable_value", "igst", "cgst", "sgst", "cess", "doc_value")


class RegisterImporter:
    side = Side.PR
    kind = SourceKind.PR_CSV  # refined per file by its content

    def identify(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() in _SUFFIXES

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        check_size(path, options)
        if path.suffix.lower() not in _SUFFIXES:
            raise InputFileError(path.name, "a purchase register must be .csv, .xlsx or .xls")
        content = sniff_file(path)
        if content is FileKind.PDF:
            raise InputFileError(path.name, "is a PDF, not a spreadsheet: export the register as Excel or CSV")
        kind = _CONTENT_KIND[content]
        mapping = ColumnMapping.load(options.mapping_file) if options.mapping_file else None
        result = ImportResult(path.name, kind, Side.PR, recipient_gstin=options.recipient_gstin)
        if _SUFFIX_CONTENT[path.suffix.lower()] is not content and not (
                content is FileKind.MARKUP and path.suffix.lower() == ".xls"):
            result.notes.append(f"the file is {_CONTENT_WORDS[content]} although its name ends in {path.suffix}: "
                                "read as what it is")
        elif content is FileKind.MARKUP:
            result.notes.append("the .xls file is a web page (HTML) table, as many ERPs write an Excel export: "
                                "read as that table")
        raws, display, has_rate, has_voucher, has_item = [], {}, False, False, False
        for table, columns in _usable_tables(path, content, mapping, options, result):
            raw, labels, issues, rows = _raw_table(path.name, table, columns)
            raws.append(raw)
            result.issues += issues
            result.rows_read += rows
            for fld, header in labels.items():
                display.setdefault(fld, header)
            has_rate |= "rate" in labels
            has_voucher |= "voucher_no" in labels
            has_item |= "item" in labels
            where = f"sheet '{table.sheet}': " if table.sheet else ""
            result.notes += [f"{where}{n}" for n in table.notes]
            result.notes.append(f"{where}header on row {table.header_line}: {', '.join(table.headers)}")
        raw = pl.concat(raws, how="diagonal") if raws else pl.DataFrame()
        raw, ledger_issues = fold_ledger_lines(raw, path.name)
        raw, cancelled_issues = skip_cancelled(raw, path.name)
        raw, type_issues = classify_documents(raw, mapping, path.name, display)
        raw = raw.drop([c for c in raw.columns if c.startswith(MODE_PREFIX)])
        raw, urp_issues = mark_unregistered(raw, path.name, display)
        raw, party_issues = fill_gstin_from_party(raw, path.name, display)
        frame = RawFrame(raw, path.name, Side.PR, kind.value, display, options.recipient_gstin,
                         date_order=mapping.date_order if mapping else None)
        keep = tuple(c for c, present in (("rate", has_rate), ("item", has_item)) if present)
        docs, found = assemble(frame, keep=keep)
        found += implausible_amounts(docs, frame)
        docs, agg_issues = aggregate_lines(docs, has_rate, has_voucher, path.name, has_item)
        result.documents = docs
        result.issues += (ledger_issues + cancelled_issues + type_issues + urp_issues + party_issues + found
                          + agg_issues)
        return result


def _read_tables(path: Path, content: FileKind, mapping: ColumnMapping | None, options: ImportOptions) -> list[Table]:
    forced = mapping.header_row if mapping else None
    scorer = scorer_for(mapping)
    if content is FileKind.TEXT:
        return [read_csv_table(path, scorer, MIN_HEADER_SCORE, forced, sheet_limits(options))]
    tables = [
        t
        for name, rows in iter_excel_sheets(path, options)
        if (t := table_from_rows(name, rows, scorer, MIN_HEADER_SCORE, forced)) is not None
    ]
    if not tables:
        raise InputFileError(
            path.name,
            "no sheet has a header row naming a document number and amounts "
            "(e.g. 'Supplier Invoice No.', 'Taxable Value'); name the columns in a mapping file",
        )
    return tables


def _usable_tables(
    path: Path, content: FileKind, mapping: ColumnMapping | None, options: ImportOptions, result: ImportResult
) -> list[tuple[Table, dict[str, tuple[str, ...]]]]:
    """The tables with every column a register needs (each with its columns). A sheet that lacks
    one beside a sheet that has them all is left out with a warning; when none has them, the file
    is refused with one message naming the column, the headers seen and the mapping line."""
    usable, refusals = [], []
    for table in _read_tables(path, content, mapping, options):
        columns = resolve_columns(table.headers, mapping, path.name)
        missing = missing_fields(columns)
        if not missing:
            usable.append((table, columns))
            continue
        refusals.append(missing_column_message(missing, table.headers, columns, table.header_line, table.sheet))
    if not usable:
        raise InputFileError(path.name, refusals[0])
    for reason in refusals:
        result.issues.append(RowIssue(Severity.WARNING, path.name, None, None, None,
                                      f"sheet not imported: {reason}", code="sheet_skipped"))
    return usable


def _raw_table(
    file: str, table: Table, columns: dict[str, tuple[str, ...]]
) -> tuple[pl.DataFrame, dict[str, str], list[RowIssue], int]:
    """(text cells named as model fields, field -> header label, issues, rows with content)."""
    n = table.frame.height
    frame = table.frame.with_columns(
        pl.int_range(1, n + 1, dtype=pl.Int64).alias("src_row"),
        (pl.int_range(1, n + 1, dtype=pl.Int64) + table.header_line).alias("src_line"),
        pl.lit(table.sheet, pl.String).alias("src_sheet"),
    )
    content = pl.any_horizontal([pl.col(h).is_not_null() & (pl.col(h) != "") for h in table.headers])
    frame = keep_rows(frame, content)  # blank rows carry nothing: skipped, numbering kept
    rows_read = frame.height
    issues = [RowIssue(Severity.ERROR, file, p.pos + 1, p.column, p.value, p.reason, table.sheet,
                       p.pos + 1 + table.header_line, "row_shape") for p in table.problems]
    if table.problems:  # rows whose cells are shifted or too long: reported, left out
        bad = pl.Series([p.pos + 1 for p in table.problems], dtype=pl.Int64).implode()
        frame = frame.filter(~pl.col("src_row").is_in(bad))
    frame, total_issues = skip_total_rows(frame, table.headers, columns, file, table.sheet)
    issues += total_issues + nan_cells(frame, columns, file, _SUMMED)

    selected = [pl.col("src_row"), pl.col("src_line"), pl.col("src_sheet")]
    display = {}
    for fld, headers in columns.items():
        expr = pl.col(headers[0]) if len(headers) == 1 or fld not in _SUMMED else summed_amount(headers)
        selected.append(expr.alias(fld))
        display[fld] = " + ".join(headers)
    selected += [pl.col(h).alias(f"{MODE_PREFIX}{h}") for h in mode_columns(table.headers, columns)]
    raw = frame.select(selected)
    if "doc_no" not in raw.columns:  # the voucher number is all the file has
        raw = raw.with_columns(pl.col("voucher_no").alias("doc_no"))
        display["doc_no"] = display["voucher_no"]
    return raw, display, issues, rows_read
