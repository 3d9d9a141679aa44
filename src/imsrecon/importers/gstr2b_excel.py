"""The portal's GSTR-2B Excel download: every document sheet read as GSTR-2B documents.

One sheet per section (B2B, B2BA, B2B-CDNR, B2B-CDNRA, ECO, ECOA, IMPG, IMPGSEZ …) and its twins
("B2B (Rejected)", "B2B(ITC Reversal)", "B2B-DNR" …), each with title rows and a header of two rows
(three on amendment sheets) found by its names (``portal_excel``; the names are in
``gstr2b_excel_names``). On a notes sheet the Note type column gives each row its section (credit
or debit note). The Read me sheet gives the recipient and the 2B period of the whole workbook;
it and the summary sheets of totals are not documents. ISD documents are counted, never
reconciled: Input Service Distributor credit does not pass through IMS.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from imsrecon.importers import gstr2b_excel_names as names
from imsrecon.importers.assemble import RawFrame, assemble
from imsrecon.importers.base import ImportOptions, ImportResult, check_size
from imsrecon.importers.portal_excel import (
    Layout,
    iter_sheets,
    locate_header,
    recipient_from,
    return_period,
    text_frame,
    text_rows,
)
from imsrecon.importers.tabular import HEADER_SEARCH_ROWS, excel_sheet_names, open_workbook
from imsrecon.issues import InputFileError, RowIssue, Severity
from imsrecon.model import AMOUNT_HEADS, Side, SourceKind, empty_documents
from imsrecon.normalise.amounts import amount_blank, applicable_pct_expr
from imsrecon.normalise.dates import DAY_FIRST
from imsrecon.normalise.flags import YES, flag_expr, flag_unreadable, itc_availability_expr
from imsrecon.normalise.states import place_of_supply_expr
from imsrecon.sections import INV_TYPE_CODES, SECTIONS

EXCEL_SUFFIXES = (".xlsx", ".xls", ".xlsm")
MIN_HEADER_SCORE = 3  # distinct GSTR-2B column names a header row must carry
_IDENTIFY_SHEETS = 4  # document sheets identify() looks at, at most
_META_ROWS = 40  # rows of the Read me sheet that may give the recipient and the period
# note type (folded) -> C/D; C/D -> (section, amendment section)
_NOTE_TYPES = {"creditnote": "C", "credit": "C", "c": "C", "cn": "C", "cr": "C", "creditnotes": "C",
               "debitnote": "D", "debit": "D", "d": "D", "dn": "D", "dr": "D", "debitnotes": "D"}
_NOTE_SECTIONS = {"C": ("b2bcn", "b2bcna"), "D": ("b2bdn", "b2bdna")}
_TOTAL = r"(?i)^\s*(grand\s*|sub\s*-?\s*)?totals?\b"
# this importer's own fields: read here, never passed on
_OWN = ("note_type", "_orig_note_type", "_amended")
_NO_HEADER = (f"no GSTR-2B header row (GSTIN of supplier, Invoice number, Invoice Date, ITC Availability …) "
              f"in the first {HEADER_SEARCH_ROWS} rows: sheet not imported")


def _locate(sheet: str, rows: list[list[str | None]], merged: list | None) -> Layout | None:
    section = names.sheet_kind(sheet).section
    amendment = section == "cdnra" or (section in SECTIONS and SECTIONS[section].is_amendment)
    return locate_header(sheet, rows, merged, names.classify, MIN_HEADER_SCORE, amendment, names.ORIGINALS)


def _likely_small(sheet: str) -> int:
    """Twins first, then amendments, then the other sections, B2B last."""
    kind = names.sheet_kind(sheet)
    section = SECTIONS.get(kind.section or "")
    amendment = kind.section == "cdnra" or (section is not None and section.is_amendment)
    return 0 if kind.flag else 1 if amendment else 3 if kind.section == "b2b" else 2


def _folded(col: pl.Expr) -> pl.Expr:
    return col.cast(pl.String).str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")


def _per_value(col: pl.Expr, fn) -> pl.Expr:
    """A scalar parser applied once per distinct value (periods: a handful per sheet)."""
    return col.map_batches(lambda s: s.replace_strict({v: fn(v) for v in s.unique().drop_nulls()},
                                                      default=None, return_dtype=pl.String), return_dtype=pl.String)


# field -> (parsed value, reason when a filled cell does not parse); the cell is then left blank
_CHECKS = {
    "reverse_charge": (flag_expr, "not Yes/No: read as No"),
    "itc_availability": (itc_availability_expr, "not Yes/No/Temporary: left blank"),
    "applicable_pct": (applicable_pct_expr, "not a percentage of the tax rate (65%, 65 or 0.65): left blank"),
    "rtnprd": (lambda c: _per_value(c, return_period), "not a return period (MMYYYY, Nov'25, Nov-2025): left blank"),
    "place_of_supply": (place_of_supply_expr, "names no state: left blank"),
}


def _issues(df: pl.DataFrame, mask: pl.Expr, severity: Severity, file: str, sheet: str, label: str | None,
            value: str | None, reason: str, code: str) -> list[RowIssue]:
    hits = df.filter(mask).select("src_row", "src_line", pl.col(value).alias("_v") if value else pl.lit(None))
    return [RowIssue(severity, file, r, label, v, reason, sheet, ln, code=code) for r, ln, v in hits.iter_rows()]


def _filled(cells: list[list]) -> bool:
    return any(c not in ("", None) for r in cells for c in r)


def _content(frame: pl.DataFrame) -> pl.Series:
    return frame.select(pl.any_horizontal(pl.all().is_not_null()))[:, 0] if frame.width else pl.Series([], dtype=bool)


def _rows(sheet: str, layout: Layout) -> pl.DataFrame:
    """The sheet's data rows with content, as text cells named by field (plus src_row, src_line)."""
    src = layout.frame
    n = src.height
    df = pl.DataFrame({f: src.to_series(c) for c, f in sorted(layout.columns.items())}, height=n)
    rows = pl.int_range(1, n + 1, dtype=pl.Int64)
    df = df.with_columns(rows.alias("src_row"), (rows + layout.header_line).alias("src_line"))
    return df.filter(_content(src)) if n else df


def _skip_totals(df: pl.DataFrame, file: str, sheet: str) -> tuple[pl.DataFrame, list[RowIssue]]:
    """A row saying Total / Grand Total, or holding amounts only, is the sheet's totals line: left out."""
    text = [c for c in ("supplier_gstin", "supplier_name", "doc_no") if c in df.columns]
    says = pl.any_horizontal([pl.col(c).fill_null("").str.contains(_TOTAL) for c in text]) if text else pl.lit(False)
    ident = [c for c in ("supplier_gstin", "supplier_name", "doc_no", "doc_date") if c in df.columns]
    amounts_only = pl.all_horizontal([pl.col(c).is_null() for c in ident]) if ident else pl.lit(False)
    mask = says | amounts_only
    label = pl.coalesce([pl.when(pl.col(c).fill_null("").str.contains(_TOTAL)).then(pl.col(c)) for c in text]
                        ) if text else pl.lit(None, pl.String)
    hits = df.filter(mask).select("src_row", "src_line", label.alias("_v"))
    issues = [RowIssue(Severity.INFO, file, r, None, v, "total row left out (not a document)" if v else
                       "row with amounts only (a totals line) left out", sheet, ln, code="total_row")
              for r, ln, v in hits.iter_rows()]
    return (df.filter(~mask) if hits.height else df), issues


def sheet_frame(sheet: str, layout: Layout, file: str, period: str | None
                ) -> tuple[pl.DataFrame, list[RowIssue], int]:
    """The raw frame of one document sheet (text cells as model fields, coded cells as codes,
    section and class per row), its row issues, and the number of rows with content."""
    kind = names.sheet_kind(sheet)
    df, issues = _skip_totals(_rows(sheet, layout), file, sheet)
    read = df.height + len(issues)
    label = layout.labels.get
    for f, (parse, reason) in _CHECKS.items():
        if f in df.columns:
            bad = (flag_unreadable(pl.col(f)) if parse is flag_expr
                   else pl.col(f).is_not_null() & ~amount_blank(pl.col(f)) & parse(pl.col(f)).is_null())
            issues += _issues(df, bad, Severity.WARNING, file, sheet, label(f, f), f, reason, f)
    if kind.notes:
        default = pl.lit(kind.default_note, pl.String)
        note = (_folded(pl.col("note_type")).replace_strict(_NOTE_TYPES, default=None, return_dtype=pl.String)
                .fill_null(default) if "note_type" in df.columns else default)
        df = df.with_columns(note.alias("_note"))
        issues += _issues(df, pl.col("_note").is_null(), Severity.ERROR, file, sheet, label("note_type", "Note type"),
                          "note_type" if "note_type" in df.columns else None,
                          "note type must be Credit Note or Debit Note (C/D)", "note_type")
        df = df.filter(pl.col("_note").is_not_null())
        amended = kind.section == "cdnra"
        section = pl.col("_note").replace_strict({k: v[amended] for k, v in _NOTE_SECTIONS.items()},
                                                 return_dtype=pl.String)
    else:
        section = pl.lit(kind.section, pl.String)
    classes = {k: s.doc_class.value for k, s in SECTIONS.items()}
    amendments = [k for k, s in SECTIONS.items() if s.is_amendment]
    amended_boe = flag_expr(pl.col("_amended")) == YES if "_amended" in df.columns else pl.lit(False)
    df = df.with_columns(section.alias("ims_section")).with_columns(
        *[parse(pl.col(f)).alias(f) for f, (parse, _) in _CHECKS.items() if f in df.columns and f != "place_of_supply"],
        *([pl.col("inv_typ").str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
           .replace_strict(INV_TYPE_CODES, default=pl.col("inv_typ"), return_dtype=pl.String)]
          if "inv_typ" in df.columns else []),
        pl.col("ims_section").replace_strict(classes, return_dtype=pl.String).alias("doc_class"),
        (pl.col("ims_section").is_in(amendments) | amended_boe.fill_null(False)).alias("is_amendment"),
        *[pl.lit(None, pl.String).alias(h) for h in AMOUNT_HEADS if h not in df.columns],
        pl.lit(sheet).alias("src_sheet"),
        pl.lit(kind.flag, pl.String).alias("flags"),
        pl.lit(period, pl.String).alias("gstr2b_period"),
    )
    df = df.drop([c for c in (*_OWN, "_note") if c in df.columns])
    return df, sorted(issues, key=lambda i: (i.row or 0, i.severity != Severity.ERROR)), read


class Gstr2bExcelImporter:
    kind = SourceKind.GSTR2B_EXCEL
    side = Side.GSTR2B

    def identify(self, path: Path, head: bytes) -> bool:
        """A GSTR-2B sheet name and the download's header on such a sheet: ITC availability (or
        another 2B-only column under a GSTR-2B title), no IMS Status column, no books' columns.
        The twin and amendment sheets are looked at first: they are the small ones (a sheet is
        parsed whole to read its first rows) and carry the same header."""
        if path.suffix.lower() not in EXCEL_SUFFIXES:
            return False
        try:
            sheets = [n for n in excel_sheet_names(path) if names.sheet_kind(n).what == "documents"]
            sheets.sort(key=_likely_small)
            wb = open_workbook(path) if sheets else None
            for name in sheets[:_IDENTIFY_SHEETS]:
                sheet = wb.get_sheet_by_name(name)
                rows = text_rows(sheet.to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS))
                layout = _locate(name, rows, sheet.merged_cell_ranges)
                if layout is None:
                    continue
                if names.foreign(layout.names):
                    return False
                if names.gstr2b_style(set(layout.columns.values()), layout.names,
                                      names.says_gstr2b(rows[: layout.top_line - 1])):
                    return True
        except Exception:  # unreadable: not ours to claim
            return False
        return False

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        check_size(path, options)
        if path.suffix.lower() not in EXCEL_SUFFIXES:
            raise InputFileError(path.name, "not an Excel workbook (.xlsx, .xls or .xlsm)")
        if not any(names.sheet_kind(n).what in ("documents", "isd") for n in excel_sheet_names(path, options)):
            raise InputFileError(path.name, "no GSTR-2B document sheet (B2B, B2BA, B2B-CDNR, ECO, IMPG …) "
                                 "in this workbook")
        result = ImportResult(path.name, self.kind, self.side)
        meta, sheets = self._sheets(path, result, options)
        recipient = recipient_from(meta) or (options.recipient_gstin or "").strip().upper() or None
        period = names.workbook_period(meta)
        if period is None and (period := names.period_from_file_name(path.name)) is not None:
            result.notes.append(f"GSTR-2B period {period} taken from the file name")
        elif period is None:
            result.notes.append("the workbook does not say its GSTR-2B period: gstr2b_period left blank")
        result.recipient_gstin = recipient
        frames = []
        for sheet, layout in sheets:
            if names.sheet_kind(sheet).what == "isd":
                self._count_isd(sheet, layout, result)
                continue
            df, issues, read = sheet_frame(sheet, layout, path.name, period)
            result.rows_read += read
            if read:  # the empty sheets of a section the recipient has nothing in say nothing
                result.notes.append(f"sheet '{sheet}': header on row {layout.header_line}")
                result.notes += [f"sheet '{sheet}': {n}" for n in layout.notes]
            if df.height:
                raw = RawFrame(df, path.name, Side.GSTR2B, self.kind.value, layout.labels, recipient,
                               date_order=DAY_FIRST)  # the portal writes DD-MM-YYYY
                docs, found = assemble(raw)
                frames.append(docs)
                issues = sorted(issues + found, key=lambda i: i.row or 0)
            result.issues += issues
        result.documents = pl.concat(frames, how="vertical") if frames else empty_documents()
        return result

    @staticmethod
    def _sheets(
        path: Path, result: ImportResult, options: ImportOptions
    ) -> tuple[list[list[str | None]], list[tuple[str, Layout]]]:
        """The rows that may give the recipient and the period (Read me, title rows), and the
        document and ISD sheets with their headers, in workbook order; other sheets noted or warned."""
        meta: list[list[str | None]] = []
        sheets: list[tuple[str, Layout]] = []
        refused, summaries = [], []
        for sheet, cells, merged in iter_sheets(path, options):
            kind = names.sheet_kind(sheet)
            if kind.what == "summary":
                if names.norm(sheet) in names.README_SHEETS:
                    meta = text_rows(cells[:_META_ROWS]) + meta
                    result.notes.append(f"sheet '{sheet}': the return's details and instructions, not documents")
                else:
                    summaries.append(f"'{sheet}'")
                continue
            if kind.what == "unknown":
                if _filled(cells):
                    result.issues.append(RowIssue(Severity.WARNING, path.name, None, None, None,
                                                  f"sheet '{sheet}' is not a GSTR-2B section: not imported",
                                                  sheet=sheet, code="unknown_section"))
                continue
            rows = text_rows(cells[: HEADER_SEARCH_ROWS + 2])  # the header is found in these
            layout = _locate(sheet, rows, merged)
            # a rejected or import-of-goods sheet has fewer of 2B's own columns: a number is enough here
            if layout is None or "doc_no" not in layout.columns.values() or names.foreign(layout.names):
                refused.append(sheet)
                if _filled(cells):
                    result.issues.append(RowIssue(Severity.WARNING, path.name, None, None, None, _NO_HEADER,
                                                  sheet=sheet, code="no_header"))
                continue
            layout.frame = text_frame(cells[layout.header_line:], len(layout.names))  # every row, column-wise
            meta += rows[: layout.top_line - 1]
            fields = set(layout.columns.values())
            missing = ("the document date" if "doc_date" not in fields and kind.what == "documents" else
                       "the Note type (credit or debit note)" if kind.notes and kind.default_note is None
                       and "note_type" not in fields else None)
            if missing is None:
                sheets.append((sheet, layout))
            elif n := _rows(sheet, layout).height:
                result.rows_read += n
                result.issues.append(RowIssue(
                    Severity.WARNING, path.name, None, None, None,
                    f"no column gives {missing}: the sheet's {n} rows were not imported", sheet=sheet,
                    code="no_header"))
        if summaries:
            result.notes.append(f"sheets {', '.join(summaries)}: summaries of totals by section, not documents: "
                                "skipped")
        if not sheets and refused and not result.rows_read:  # not one sheet with a 2B header
            raise InputFileError(path.name, f"sheet '{refused[0]}' has no GSTR-2B header row: this is not a "
                                 "GSTR-2B download")
        return meta, sheets

    @staticmethod
    def _count_isd(sheet: str, layout: Layout, result: ImportResult) -> None:
        df, totals = _skip_totals(_rows(sheet, layout), result.file, sheet)
        result.rows_read += df.height + len(totals)
        result.issues += totals
        if df.height:
            result.issues.append(RowIssue(
                Severity.WARNING, result.file, None, None, None,
                f"{df.height} documents from an Input Service Distributor were read but are not reconciled: "
                "ISD credit never passes through IMS", sheet=sheet, code="isd_not_matched"))


__all__ = ["Gstr2bExcelImporter", "sheet_frame"]
