"""Purchase registers as CSV, XLSX or XLS, in the layouts of Tally, SAP, Zoho, Busy and hand-kept
sheets: header row found by its names, columns mapped through the alias table (or the user's
mapping file), one row per document (or several line rows of one voucher, summed)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from imsrecon.importers.assemble import RawFrame, assemble
from imsrecon.importers.base import ImportOptions, ImportResult, check_size
from imsrecon.importers.register_columns import (
    MIN_HEADER_SCORE,
    ColumnMapping,
    resolve_columns,
    scorer_for,
)
from imsrecon.importers.register_ledgers import fold_ledger_lines
from imsrecon.importers.register_rules import (
    aggregate_lines,
    classify_documents,
    fill_gstin_from_party,
    mark_unregistered,
    skip_cancelled,
    skip_total_rows,
)
from imsrecon.importers.tabular import Table, iter_excel_sheets, read_csv_table, table_from_rows
from imsrecon.issues import InputFileError, RowIssue
from imsrecon.model import Side, SourceKind, keep_rows
from imsrecon.normalise.amounts import amount_expr

_SUFFIX_KIND = {".csv": SourceKind.PR_CSV, ".txt": SourceKind.PR_CSV, ".tsv": SourceKind.PR_CSV,
                ".xlsx": SourceKind.PR_XLSX, ".xlsm": SourceKind.PR_XLSX, ".xls": SourceKind.PR_XLS}
_SUMMED = ("taxable_value", "igst", "cgst", "sgst", "cess", "doc_value")


class RegisterImporter:
    side = Side.PR
    kind = SourceKind.PR_CSV  # refined per file by suffix

    def identify(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() in _SUFFIX_KIND

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        check_size(path, options)
        kind = _SUFFIX_KIND.get(path.suffix.lower())
        if kind is None:
            raise InputFileError(path.name, "a purchase register must be .csv, .xlsx or .xls")
        mapping = ColumnMapping.load(options.mapping_file) if options.mapping_file else None
        result = ImportResult(path.name, kind, Side.PR, recipient_gstin=options.recipient_gstin)
        raws, display, has_rate, has_voucher, has_item = [], {}, False, False, False
        for table in _read_tables(path, kind, mapping):
            raw, columns, issues, rows = _raw_table(path.name, table, mapping)
            raws.append(raw)
            result.issues += issues
            result.rows_read += rows
            for fld, header in columns.items():
                display.setdefault(fld, header)
            has_rate |= "rate" in columns
            has_voucher |= "voucher_no" in columns
            has_item |= "item" in columns
            where = f"sheet '{table.sheet}': " if table.sheet else ""
            result.notes.append(f"{where}header on row {table.header_line}: {', '.join(table.headers)}")
        raw = pl.concat(raws, how="diagonal") if raws else pl.DataFrame()
        raw, ledger_issues = fold_ledger_lines(raw, path.name)
        raw, cancelled_issues = skip_cancelled(raw, path.name)
        raw, type_issues = classify_documents(raw, mapping, path.name, display)
        raw, urp_issues = mark_unregistered(raw, path.name, display)
        raw, party_issues = fill_gstin_from_party(raw, path.name, display)
        frame = RawFrame(raw, path.name, Side.PR, kind.value, display, options.recipient_gstin,
                         date_order=mapping.date_order if mapping else None)
        keep = tuple(c for c, present in (("rate", has_rate), ("item", has_item)) if present)
        docs, found = assemble(frame, keep=keep)
        docs, agg_issues = aggregate_lines(docs, has_rate, has_voucher, path.name, has_item)
        result.documents = docs
        result.issues += ledger_issues + cancelled_issues + type_issues + urp_issues + party_issues + found + agg_issues
        return result


def _read_tables(path: Path, kind: SourceKind, mapping: ColumnMapping | None) -> list[Table]:
    forced = mapping.header_row if mapping else None
    scorer = scorer_for(mapping)
    if kind is SourceKind.PR_CSV:
        return [read_csv_table(path, scorer, MIN_HEADER_SCORE, forced)]
    tables = [
        t
        for name, rows in iter_excel_sheets(path)
        if (t := table_from_rows(name, rows, scorer, MIN_HEADER_SCORE, forced)) is not None
    ]
    if not tables:
        raise InputFileError(
            path.name,
            "no sheet has a header row naming a document number and amounts "
            "(e.g. 'Supplier Invoice No.', 'Taxable Value'); name the columns in a mapping file",
        )
    return tables


def _raw_table(
    file: str, table: Table, mapping: ColumnMapping | None
) -> tuple[pl.DataFrame, dict[str, str], list[RowIssue], int]:
    """(text cells named as model fields, field -> header label, issues, rows with content)."""
    columns = resolve_columns(table.headers, mapping, file)
    if "doc_no" not in columns and "voucher_no" not in columns:
        raise InputFileError(file, "no column holds the supplier's document number")
    n = table.frame.height
    frame = table.frame.with_columns(
        pl.int_range(1, n + 1, dtype=pl.Int64).alias("src_row"),
        (pl.int_range(1, n + 1, dtype=pl.Int64) + table.header_line).alias("src_line"),
        pl.lit(table.sheet, pl.String).alias("src_sheet"),
    )
    content = pl.any_horizontal([pl.col(h).is_not_null() & (pl.col(h) != "") for h in table.headers])
    frame = keep_rows(frame, content)  # blank rows carry nothing: skipped, numbering kept
    rows_read = frame.height
    frame, issues = skip_total_rows(frame, table.headers, columns, file, table.sheet)

    selected = [pl.col("src_row"), pl.col("src_line"), pl.col("src_sheet")]
    display = {}
    for fld, headers in columns.items():
        if len(headers) == 1 or fld not in _SUMMED:
            expr = pl.col(headers[0])
        else:  # ledger-wise tax columns: summed; blank cells count as zero
            expr = pl.sum_horizontal([amount_expr(pl.col(h)).fill_null(0.0) for h in headers]).cast(pl.String)
        selected.append(expr.alias(fld))
        display[fld] = " + ".join(headers)
    raw = frame.select(selected)
    if "doc_no" not in raw.columns:  # the voucher number is all the file has
        raw = raw.with_columns(pl.col("voucher_no").alias("doc_no"))
        display["doc_no"] = display["voucher_no"]
    return raw, display, issues, rows_read
