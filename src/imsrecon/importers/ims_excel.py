"""IMS offline tool Excel workbook: one sheet per section, two header rows, found by their names.

Layout (domain doc §3, unconfirmed): title and instruction rows, a group row ("Invoice details",
"Tax amount", "Original details" …, merged across or down), the column-name row, then data. The
header is found by its names wherever it sits, and both header rows contribute: a column's name is
its cell in the lower row, or the upper cell when that one is merged down over both rows; the
label above a column is its group ("Original details" makes the number and date the original
document's; "ITC reduction" makes the tax heads the declared reduction).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl

from imsrecon.importers import portal_excel
from imsrecon.importers.assemble import RawFrame, assemble
from imsrecon.importers.base import ImportOptions, ImportResult, check_size
from imsrecon.importers.portal_excel import Layout, merged_ranges, recipient_from, return_period
from imsrecon.importers.tabular import (
    HEADER_SEARCH_ROWS,
    cell_text,
    excel_sheet_names,
    iter_excel_sheets,
    open_workbook,
)
from imsrecon.issues import InputFileError, RowIssue, Severity
from imsrecon.model import AMOUNT_HEADS, Side, SourceKind
from imsrecon.normalise.dates import date_expr
from imsrecon.normalise.flags import FLAG_SPELLINGS
from imsrecon.normalise.states import place_of_supply_expr
from imsrecon.sections import ACTION_CODES, INV_TYPE_CODES, OFFLINE_COLUMN_NAMES, OFFLINE_SHEETS, SECTIONS, Section

EXCEL_SUFFIXES = (".xlsx", ".xls", ".xlsm")
MIN_HEADER_SCORE = 3  # distinct IMS column names a header row must carry

# model field (or portal-only field, or "_ignore") -> column names as the tool may spell them.
_MODIFIER_PREFIXES = ("original", "orig", "declareditcreduction", "itcreductiondeclared", "declared", "itcreduction")
# Columns only the IMS tool has: a GSTR-2B workbook or a register has GSTIN, number, date … too.
_IMS_MARKERS = {"action", "srcfilstatus", "ispendactblocked", "prev_status", "is_remarks_blocked"}
_REGISTER_MARKERS = ("voucher", "ledger", "narration", "particulars", "partyname")  # books, not the portal
_PORTAL_ONLY = ("prev_status", "portcode", "refdt")  # not model fields: kept in portal_record

_ACTIONS = {**{k.replace(" ", ""): v for k, v in ACTION_CODES.items()}, **{c.lower(): c for c in "ARPN"},
            "accepted": "A", "rejected": "R", "keeppending": "P", "noactiontaken": "N"}
# Invoice-type descriptions -> portal codes (unknown values are kept as given).
_ACTION_HINT = "not an IMS action (Accepted, Rejected, Pending, No action or A/R/P/N): left blank"
_CODED = {  # field -> (mapping, message for a value outside it)
    "action": (_ACTIONS, _ACTION_HINT), "prev_status": (_ACTIONS, _ACTION_HINT),
    **{f: (FLAG_SPELLINGS, "not Y/N (or Yes/No): left blank")
       for f in ("ispendactblocked", "is_remarks_blocked", "is_itc_red_req_blocked", "itc_red_req")},
}
_NO_HEADER_HINT = "GSTIN of supplier, Invoice number, Invoice date, Status …"
_NO_HEADER = f"no IMS header row ({_NO_HEADER_HINT}) in the first {HEADER_SEARCH_ROWS} rows: sheet not imported"

_norm = portal_excel.norm
_LOOKUP = {_norm(n): f for f, names in OFFLINE_COLUMN_NAMES.items() for n in names.split("|")}
_SHEETS = {_norm(k): SECTIONS[v] for k, v in OFFLINE_SHEETS.items()}


def sheet_section(name: str) -> Section | None:
    """The section of an offline-tool sheet name (case, spaces and punctuation ignored)."""
    return _SHEETS.get(_norm(name))


def classify(name: str | None, group: str | None = None) -> str | None:
    """The field a column carries, from its name and the group label above it."""
    n, g = _norm(name), _norm(group)
    found, stripped = _LOOKUP.get(n), n
    if found is None:
        for p in _MODIFIER_PREFIXES:
            if stripped.startswith(p):
                stripped = stripped[len(p):]
        found = _LOOKUP.get(stripped)
    if found is None:
        return None
    if n.startswith("orig") or "original" in g:  # only the number and date of the original count
        return {"doc_no": "orig_doc_no", "doc_date": "orig_doc_date"}.get(found)
    if found in ("igst", "cgst", "sgst", "cess") and (stripped != n or "reduc" in g or "declar" in g):
        return f"decl_{found}"
    return found


def locate_header(sheet: str, rows: list[list[str | None]], merged: list[Any] | None,
                  section: Section | None = None) -> Layout | None:
    """Find the header rows by their names; None when no row names enough IMS columns."""
    amendment = section is not None and section.is_amendment
    return portal_excel.locate_header(sheet, rows, merged, classify, MIN_HEADER_SCORE, amendment,
                                      repeatable=("remarks",))  # the tool has two Remarks columns: both are read


def ims_style(layout: Layout, section: Section | None = None) -> bool:
    """The header is the offline tool's: a number (and supplier) column, an IMS-only column, no books' column."""
    fields = set(layout.columns.values())
    need = {"doc_no"} if section is not None and section.import_of_goods else {"doc_no", "supplier_gstin"}
    books = any(m in _norm(n) for n in layout.names for m in _REGISTER_MARKERS)
    return need <= fields and bool(fields & _IMS_MARKERS) and not books


def _coded(col: pl.Expr, mapping: dict[str, str], keep_unknown: bool = False) -> pl.Expr:
    key = col.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
    return key.replace_strict(mapping, default=col if keep_unknown else None, return_dtype=pl.String)


def sheet_frame(sheet: str, section: Section, layout: Layout, file: str) -> tuple[pl.DataFrame, list[RowIssue]]:
    """The raw frame of one sheet: text cells as model fields (coded cells turned into portal codes,
    fully blank rows left out) plus provenance; and the warnings on cells that were left blank."""
    src, items = layout.frame, sorted(layout.columns.items())
    df = pl.DataFrame({f: src.to_series(c) for c, f in items if f != "remarks"}, height=src.height)
    remarks = [src.to_series(c) for c, f in items if f == "remarks"]
    if remarks:  # of the Remarks columns, the first one filled in wins
        df = df.with_columns(pl.coalesce(remarks).alias("remarks"))
    rows = pl.int_range(1, src.height + 1, dtype=pl.Int64)
    df = df.with_columns(*[pl.lit(None, pl.String).alias(h) for h in AMOUNT_HEADS if h not in df.columns],
                         rows.alias("src_row"), (rows + layout.header_line).alias("src_line"))
    if src.height:
        df = df.filter(src.select(pl.any_horizontal(pl.all().is_not_null()))[:, 0])
    checks = [(f, msg, _coded(pl.col(f), m)) for f, (m, msg) in _CODED.items() if f in df.columns]
    if "rtnprd" in df.columns:
        parsed = pl.col("rtnprd").map_elements(return_period, return_dtype=pl.String)
        checks.append(("rtnprd", "not a return period (MMYYYY): left blank", parsed))
    if "place_of_supply" in df.columns:
        checks.append(("place_of_supply", "names no state: left blank", place_of_supply_expr(pl.col("place_of_supply"))))
    issues = []
    for f, reason, parsed in checks:
        hits = df.filter(pl.col(f).is_not_null() & parsed.is_null()).select("src_row", "src_line", f)
        issues += [RowIssue(Severity.WARNING, file, r, layout.labels.get(f, f), v, reason, sheet, ln, code=f)
                   for r, ln, v in hits.iter_rows()]
    df = df.with_columns(
        *[parsed.alias(f) for f, _, parsed in checks if f not in ("place_of_supply", "action")],
        # a blank Status is an untouched record: No action
        *([pl.when(pl.col("action").is_null()).then(pl.lit("N")).otherwise(_coded(pl.col("action"), _ACTIONS))
           .alias("action")] if "action" in df.columns else []),
        *([_coded(pl.col("inv_typ"), INV_TYPE_CODES, keep_unknown=True)] if "inv_typ" in df.columns else []),
        *([date_expr(pl.col("refdt")).dt.strftime("%d-%m-%Y").fill_null(pl.col("refdt"))] if "refdt" in df.columns else []),
        pl.lit(sheet).alias("src_sheet"),
        pl.lit(section.doc_class.value).alias("doc_class"),
        pl.lit(section.key).alias("ims_section"),
        pl.lit(section.is_amendment).alias("is_amendment"),
    )
    return df, issues


_PORTAL_NAMES = {
    "supplier_gstin": "stin", "inv_typ": "inv_typ", "doc_value": "val", "place_of_supply": "pos",
    "taxable_value": "txval", "igst": "iamt", "cgst": "camt", "sgst": "samt", "cess": "cess",
    "action": "action", "ispendactblocked": "ispendactblocked", "srcform": "srcform", "rtnprd": "rtnprd",
    "srcfilstatus": "srcfilstatus", "remarks": "remarks", "prev_status": "prev_status",
    "is_remarks_blocked": "isRemarksBlocked", "is_itc_red_req_blocked": "isItcRedReqBlocked",
    "itc_red_req": "itcRedReq", "decl_igst": "declIgst", "decl_cgst": "declCgst", "decl_sgst": "declSgst",
    "decl_cess": "declCess", "portcode": "portcode", "refdt": "refdt",
}


def portal_records(docs: pl.DataFrame, extras: pl.DataFrame, section: Section, present: set[str]) -> pl.Series:
    """Each document as the portal's API record: the sheet's columns, dates DD-MM-YYYY, amounts numbers."""
    names = {"supplier_gstin": "stin", "doc_no": section.number_field, "doc_date": section.date_field}
    if section.orig_number_field:
        names |= {"orig_doc_no": section.orig_number_field, "orig_doc_date": section.orig_date_field or ""}
    names |= {f: n for f, n in _PORTAL_NAMES.items() if f in present}
    joined = docs.join(extras, on="src_row", how="left", maintain_order="left").select(
        [pl.col(f).dt.strftime("%d-%m-%Y") if docs.schema.get(f) == pl.Date else pl.col(f) for f in names])
    keys = list(names.values())
    out = [orjson.dumps({k: v for k, v in zip(keys, row, strict=True) if v is not None}).decode()
           for row in joined.iter_rows()]
    return pl.Series("portal_record", out, dtype=pl.String)


class ImsExcelImporter:
    kind = SourceKind.IMS_EXCEL
    side = Side.IMS

    def identify(self, path: Path, head: bytes) -> bool:
        """An offline-tool sheet name, and an IMS header on the first such sheet that has a header
        (B2B first): a register or a GSTR-2B workbook with a "B2B" sheet has other headers."""
        if path.suffix.lower() not in EXCEL_SUFFIXES:
            return False
        try:
            names = sorted((n for n in excel_sheet_names(path) if sheet_section(n) is not None),
                           key=lambda n: sheet_section(n) is not SECTIONS["b2b"])
            wb = open_workbook(path) if names else None
            for name in names[:3]:
                sheet = wb.get_sheet_by_name(name)
                rows = sheet.to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS)
                layout = locate_header(name, [[cell_text(c) for c in r] for r in rows], sheet.merged_cell_ranges,
                                       sheet_section(name))
                if layout is not None:
                    return ims_style(layout, sheet_section(name))
        except Exception:  # unreadable: not ours to claim
            return False
        return False

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        check_size(path, options)
        if path.suffix.lower() not in EXCEL_SUFFIXES:
            raise InputFileError(path.name, "not an Excel workbook (.xlsx, .xls or .xlsm)")
        if not any(sheet_section(n) for n in excel_sheet_names(path, options)):
            raise InputFileError(path.name, "no IMS offline-tool sheet (B2B, B2BA, B2B-DN, B2B-CN, ECO …) in this workbook")
        merged = merged_ranges(path, options)
        result = ImportResult(path.name, self.kind, self.side)
        sheets, refused, recipient = [], [], None
        for sheet, rows in iter_excel_sheets(path, options):
            section = sheet_section(sheet)
            layout = locate_header(sheet, rows, merged.get(sheet), section)
            if layout is None or not ims_style(layout, section):
                if section is not None:
                    refused.append(sheet)
                    if any(any(r) for r in rows):
                        result.issues.append(RowIssue(Severity.WARNING, path.name, None, None, None, _NO_HEADER,
                                                      sheet=sheet, code="no_header"))
                continue
            recipient = recipient or recipient_from(rows[: layout.top_line - 1])
            if section is None:
                frame = layout.frame
                n = frame.select(pl.any_horizontal(pl.all().is_not_null()).sum()).item() if frame.height else 0
                result.rows_read += n
                result.issues.append(RowIssue(
                    Severity.WARNING, path.name, None, None, None,
                    f"sheet '{sheet}' is not an IMS section: its {n} rows were not imported",
                    sheet=sheet, code="unknown_section"))
            elif "doc_date" not in layout.columns.values():
                refused.append(sheet)
                result.issues.append(RowIssue(Severity.WARNING, path.name, None, None, None,
                                              "no document date column: sheet not imported", sheet=sheet,
                                              code="no_header"))
            else:
                result.notes += [f"sheet '{sheet}': header on row {layout.header_line}"]
                result.notes += [f"sheet '{sheet}': {n}" for n in layout.notes]
                sheets.append((sheet, section, layout))
        if not sheets:
            raise InputFileError(path.name, f"sheet '{refused[0]}' has no IMS offline-tool header row "
                                 f"({_NO_HEADER_HINT}): this is not an IMS offline-tool workbook")
        recipient = recipient or (options.recipient_gstin or "").strip().upper() or None
        result.recipient_gstin = recipient
        frames = []
        for sheet, section, layout in sheets:
            df, issues = sheet_frame(sheet, section, layout, path.name)
            result.rows_read += df.height
            model = df.select([c for c in df.columns if c not in _PORTAL_ONLY])
            raw = RawFrame(model, path.name, Side.IMS, self.kind.value, layout.labels, recipient)
            docs, found = assemble(raw)
            extras = df.select("src_row", *[c for c in _PORTAL_ONLY if c in df.columns])
            frames.append(docs.with_columns(portal_records(docs, extras, section, set(layout.columns.values()))))
            result.issues += sorted(found + issues, key=lambda i: i.row or 0)
        result.documents = pl.concat(frames, how="vertical")
        return result


__all__ = ["ImsExcelImporter", "Layout", "classify", "ims_style", "locate_header", "return_period", "sheet_section"]
