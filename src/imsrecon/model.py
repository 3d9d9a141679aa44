"""The document model: one fixed columnar schema for every set of documents, either side.

A set of documents is a Polars DataFrame with exactly :data:`DOCUMENT_SCHEMA`. A single document
for display is a :class:`Document` built from one row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

import polars as pl

from imsrecon.sections import DocClass

__all__ = [
    "AMOUNT_HEADS",
    "DOCUMENT_SCHEMA",
    "Document",
    "DocClass",
    "Side",
    "SourceKind",
    "conform",
    "empty_documents",
]


class Side(StrEnum):
    IMS = "ims"
    PR = "pr"
    GSTR2B = "gstr2b"
    GSTR2A = "gstr2a"


class SourceKind(StrEnum):
    IMS_JSON = "ims_json"
    IMS_OFFLINE_JSON = "ims_offline_json"
    IMS_EXCEL = "ims_excel"
    GSTR2B_JSON = "gstr2b_json"
    GSTR2B_EXCEL = "gstr2b_excel"
    GSTR2A_JSON = "gstr2a_json"
    PR_CSV = "pr_csv"
    PR_XLSX = "pr_xlsx"
    PR_XLS = "pr_xls"


AMOUNT_HEADS = ("taxable_value", "igst", "cgst", "sgst", "cess")
# the flag of a register row bought from an unregistered supplier (never in IMS: kept out of matching)
UNREGISTERED_FLAG = "unregistered_supplier"


def unregistered(flags: pl.Expr) -> pl.Expr:
    """The rows flagged as purchases from an unregistered supplier."""
    return flags.fill_null("").str.contains(UNREGISTERED_FLAG, literal=True)


def keep_rows(frame: pl.DataFrame, where: pl.Expr) -> pl.DataFrame:
    """The rows where ``where`` holds (null: not); the frame itself, not a copy of every column,
    when that is every row (the usual case: most filters of a large file remove nothing)."""
    mask = frame.select(where.fill_null(False)).to_series()
    return frame if mask.all() else frame.filter(mask)


def add_flag(mask: pl.Expr, flag: str) -> pl.Expr:
    """The ``flags`` column (semicolon-separated) with ``flag`` added where ``mask`` holds."""
    current = pl.col("flags")
    joined = pl.when(current.is_null() | (current == "")).then(pl.lit(flag)).otherwise(current + ";" + flag)
    return pl.when(mask).then(joined).otherwise(current).alias("flags")

# Portal fields kept so that an upload can echo them (domain doc §3). `portal_record` holds the
# record exactly as downloaded (JSON text), which is what an upload echoes; the parsed fields
# below are for rules and display.
PORTAL_FIELDS: dict[str, pl.DataType] = {
    "action": pl.String,
    "ispendactblocked": pl.String,
    "srcform": pl.String,
    "rtnprd": pl.String,
    "srcfilstatus": pl.String,
    "inv_typ": pl.String,
    "hash": pl.String,
    "remarks": pl.String,
    "itc_red_req": pl.String,
    "decl_igst": pl.Float64,
    "decl_cgst": pl.Float64,
    "decl_sgst": pl.Float64,
    "decl_cess": pl.Float64,
    "is_remarks_blocked": pl.String,
    "is_itc_red_req_blocked": pl.String,
    "portal_record": pl.String,
}

DOCUMENT_SCHEMA: dict[str, pl.DataType] = {
    # provenance
    "side": pl.String,
    "source_kind": pl.String,
    "src_file": pl.String,
    "src_sheet": pl.String,
    "src_row": pl.Int64,  # 1-based position among the data rows / records of its sheet or section
    "src_line": pl.Int64,  # physical row in the sheet (as a spreadsheet shows it), if any
    # identity
    "recipient_gstin": pl.String,
    "supplier_gstin": pl.String,
    "supplier_name": pl.String,
    "doc_class": pl.String,  # DocClass value
    "ims_section": pl.String,  # sections.SECTIONS key, null for register rows
    "is_amendment": pl.Boolean,
    "doc_no": pl.String,  # as given
    "doc_no_norm": pl.String,
    "doc_date": pl.Date,
    "fy": pl.String,  # financial year of doc_date, e.g. "2025-26"
    "tax_period": pl.String,  # MMYYYY
    "orig_doc_no": pl.String,
    "orig_doc_no_norm": pl.String,
    "orig_doc_date": pl.Date,
    "place_of_supply": pl.String,  # 2-digit state code
    # values (always >= 0; the class carries the sign)
    "taxable_value": pl.Float64,
    "igst": pl.Float64,
    "cgst": pl.Float64,
    "sgst": pl.Float64,
    "cess": pl.Float64,
    "doc_value": pl.Float64,
    "reverse_charge": pl.Boolean,
    # register-only
    "voucher_no": pl.String,
    "voucher_date": pl.Date,
    "voucher_type": pl.String,
    # semicolon-separated flags, e.g. "doc_date_from_voucher;supplier_gstin_from_party"
    "flags": pl.String,
    **PORTAL_FIELDS,
    # GSTR-2B's own facts on a document (domain doc §6): ITC availability (Y/N; `itcavl`), the
    # reason it is not available (`rsn`), the applicable percentage of the tax rate (`diffprcnt`),
    # and the 2B period the document belongs to (MMYYYY; the Pending limit runs from it, §4)
    "itc_availability": pl.String,
    "itc_reason": pl.String,
    "applicable_pct": pl.Float64,
    "gstr2b_period": pl.String,
    # register-only: the taxable value of nil-rated lines (0 %, no tax) of a taxed invoice, kept out
    # of taxable_value (IMS carries the taxed lines only)
    "nil_rated_value": pl.Float64,
}


def empty_documents() -> pl.DataFrame:
    return pl.DataFrame(schema=DOCUMENT_SCHEMA)


def conform_to(df: pl.DataFrame, schema: dict[str, pl.DataType], what: str) -> pl.DataFrame:
    """Return ``df`` with exactly ``schema``: missing columns null, order fixed.

    Raises ``ValueError`` (a programmer error) on a column the schema does not know.
    """
    unknown = set(df.columns) - schema.keys()
    if unknown:
        raise ValueError(f"columns not in the {what} schema: {sorted(unknown)}")
    if df.width == 0:  # a literal on a frame without columns would make one row
        return pl.DataFrame(schema=schema)
    return df.select([(pl.col(c) if c in df.columns else pl.lit(None)).cast(t).alias(c) for c, t in schema.items()])


def conform(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with exactly the document schema."""
    return conform_to(df, DOCUMENT_SCHEMA, "document")


@dataclass(frozen=True, slots=True)
class Document:
    """One document, for display and for tests. Built from a row of a document set."""

    side: str
    source_kind: str
    src_file: str | None
    src_sheet: str | None
    src_row: int | None
    src_line: int | None
    recipient_gstin: str | None
    supplier_gstin: str | None
    supplier_name: str | None
    doc_class: str
    ims_section: str | None
    is_amendment: bool | None
    doc_no: str | None
    doc_no_norm: str | None
    doc_date: dt.date | None
    fy: str | None
    tax_period: str | None
    orig_doc_no: str | None
    orig_doc_no_norm: str | None
    orig_doc_date: dt.date | None
    place_of_supply: str | None
    taxable_value: float | None
    igst: float | None
    cgst: float | None
    sgst: float | None
    cess: float | None
    doc_value: float | None
    reverse_charge: bool | None
    voucher_no: str | None
    voucher_date: dt.date | None
    voucher_type: str | None
    flags: str | None
    action: str | None
    ispendactblocked: str | None
    srcform: str | None
    rtnprd: str | None
    srcfilstatus: str | None
    inv_typ: str | None
    hash: str | None
    remarks: str | None
    itc_red_req: str | None
    decl_igst: float | None
    decl_cgst: float | None
    decl_sgst: float | None
    decl_cess: float | None
    is_remarks_blocked: str | None
    is_itc_red_req_blocked: str | None
    portal_record: str | None
    itc_availability: str | None
    itc_reason: str | None
    applicable_pct: float | None
    gstr2b_period: str | None
    nil_rated_value: float | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Document:
        return cls(**{f.name: row.get(f.name) for f in fields(cls)})

    @property
    def total_tax(self) -> float:
        return sum(v or 0.0 for v in (self.igst, self.cgst, self.sgst, self.cess))

    @property
    def flag_list(self) -> list[str]:
        return [f for f in (self.flags or "").split(";") if f]


def documents(df: pl.DataFrame) -> list[Document]:
    return [Document.from_row(r) for r in df.iter_rows(named=True)]


assert [f.name for f in fields(Document)] == list(DOCUMENT_SCHEMA), "Document and schema differ"
