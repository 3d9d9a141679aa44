"""The GSTR-2B Excel download's names: which sheet holds which section, what each column is called,
and where the workbook says its own period and recipient.

Unconfirmed (domain doc §3; from the portal's files and their "Read me" sheet, which vary between
portal versions): every spelling is kept in the tables below and nowhere else. Sheet and column
names are compared folded (case, spaces, punctuation and a "(₹)" unit ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from imsrecon.importers.gstr2b_json import REJECTED_FLAG
from imsrecon.importers.portal_excel import month_number, norm, return_period

# the flag of a document listed on an "ITC Reversal" sheet (its credit is to be reversed this period)
REVERSAL_FLAG = "itc_reversal_in_2b"

# folded sheet name (without its twin suffix) -> section key; "cdnr"/"cdnra": per row by the note type
DOCUMENT_SHEETS: dict[str, str] = {
    "b2b": "b2b", "b2ba": "b2ba",
    "b2bcdnr": "cdnr", "cdnr": "cdnr", "b2bcdn": "cdnr", "b2bcdnra": "cdnra", "cdnra": "cdnra", "b2bcdna": "cdnra",
    "eco": "ecom", "ecom": "ecom", "ecoa": "ecoma", "ecoma": "ecoma",
    "impg": "impg", "impga": "impga", "impgsez": "impgsez", "impgseza": "impgseza",
    # the debit notes of the ITC-reversal part (B2B-DNR, B2B-DNRA); a Note type column still decides
    "b2bdnr": "cdnr", "b2bdnra": "cdnra",
}  # fmt: skip
# sheets whose documents are debit notes unless a Note type column says otherwise; implicit twin flag
_DEBIT_SHEETS = {"b2bdnr": REVERSAL_FLAG, "b2bdnra": REVERSAL_FLAG}
ISD_SHEETS = ("isd", "isda")  # Input Service Distributor documents: GSTR-6, never in IMS
# not documents: the instructions and the return's details, and the tables of totals by section
SUMMARY_SHEETS = ("readme", "itcavailable", "itcnotavailable", "itcreversal", "itcrejected", "summary",
                  "itcsummary", "instructions", "allotheritc", "reversal")
README_SHEETS = ("readme", "instructions")
# twin sheets: folded suffix -> the flag their documents carry ("B2B (Rejected)", "B2B(ITC Reversal)")
TWIN_SUFFIXES: tuple[tuple[str, str], ...] = (("rejected", REJECTED_FLAG), ("itcreversal", REVERSAL_FLAG),
                                              ("reversal", REVERSAL_FLAG))

# model field (or a field of this importer's own, or "_ignore") -> column names seen, |-separated
COLUMN_NAMES: dict[str, str] = {
    "supplier_gstin": "gstin of supplier|gstin of the supplier|supplier gstin|gstin|gstin/uin of supplier|gstin of eco"
    "|gstin of e-commerce operator|gstin of ecommerce operator|gstin of isd|ctin",
    "supplier_name": "trade/legal name|trade name|legal name|trade/legal name of the supplier|supplier name"
    "|name of supplier|trade/legal name of eco|trade/legal name of the isd|trade/legal name of isd",
    "doc_no": "invoice number|invoice no|note number|note no|credit note/debit note number|document number"
    "|document no|bill of entry number|bill of entry no|boe number|isd invoice number|isd document number",
    "doc_date": "invoice date|note date|credit note/debit note date|document date|bill of entry date|boe date"
    "|isd invoice date|isd document date",
    "doc_value": "invoice value|note value|credit note/debit note value|document value|bill of entry value|boe value",
    "inv_typ": "invoice type|note supply type|supply type|document type|isd document type",
    "note_type": "note type|credit note/debit note type|type of note",
    "place_of_supply": "place of supply|pos",
    "reverse_charge": "supply attract reverse charge|supply attracts reverse charge|reverse charge",
    "taxable_value": "taxable value",
    "igst": "integrated tax|igst|integrated tax amount",
    "cgst": "central tax|cgst|central tax amount",
    "sgst": "state/ut tax|state tax|sgst|sgst/utgst|state/ut tax amount",
    "cess": "cess|cess amount",
    "rtnprd": "gstr-1/iff/gstr-5 period|gstr-1/iff period|gstr-1/5 period|gstr-1 period|gstr-5 period"
    "|isd gstr-6 period|gstr-6 period|supplier return period|return period",
    "itc_availability": "itc availability|itc available|eligibility of itc|itc eligibility|eligibility for itc",
    "itc_reason": "reason|reason for itc unavailability|reason for itc not available",
    "applicable_pct": "applicable % of tax rate|applicable % of rate|applicable %|applicable percentage of tax rate"
    "|applicable percentage|differential % of tax rate",
    "_amended": "amended (yes)|amended|amended yes|is amended",
    "_ignore": "source|irn|irn date|rate(%)|rate|rate (%)|icegate reference date|reference date|port code"
    "|gstr-1/iff/gstr-5 filing date|gstr-1/iff filing date|isd gstr-6 filing date|filing date|sl no|s.no.",
}
_LOOKUP = {norm(n): f for f, names in COLUMN_NAMES.items() for n in names.split("|")}
# under a "Bill of Entry Details" group the columns are called plainly "Number", "Date", "Value"
_BOE_PLAIN = {"number": "doc_no", "no": "doc_no", "date": "doc_date", "value": "doc_value"}
# the original document's columns on an amendment sheet; any other original column is not read
ORIGINALS = {"doc_no": "orig_doc_no", "doc_date": "orig_doc_date", "note_type": "_orig_note_type"}
# columns only the IMS offline tool has (its Status …), and books' columns: neither is a 2B download
_IMS_NAMES = ("status", "action", "imsaction", "imsstatus", "currentstatus", "previousstatus", "ispendingblocked")
_REGISTER_MARKERS = ("voucher", "ledger", "narration", "particulars", "partyname")
# fields a GSTR-2B header has and a register or the IMS tool has not
GSTR2B_MARKERS = frozenset({"itc_availability", "reverse_charge", "applicable_pct", "itc_reason", "rtnprd"})

# labels of the workbook's period and financial year ("Tax Period | November", "Return period: Nov 2025")
_PERIOD_LABELS = ("taxperiod", "returnperiod", "period", "gstr2bperiod", "2bperiod", "taxperiodmonth", "month")
_FY_LABELS = ("financialyear", "fy", "year")


@dataclass(frozen=True)
class SheetKind:
    what: str  # "documents", "isd", "summary" or "unknown"
    section: str | None = None  # section key, or "cdnr"/"cdnra" (per row by the note type)
    flag: str | None = None  # the flag the sheet's documents carry
    default_note: str | None = None  # C or D where a notes sheet has no Note type column

    @property
    def notes(self) -> bool:
        return self.section in ("cdnr", "cdnra")


def sheet_kind(name: str) -> SheetKind:
    """What a sheet of the download holds, from its name ("B2B-CDNR (Rejected)" -> notes, rejected)."""
    folded = norm(name)
    if folded in SUMMARY_SHEETS:
        return SheetKind("summary")
    base, flag = folded, None
    for suffix, twin_flag in TWIN_SUFFIXES:
        if folded.endswith(suffix) and folded != suffix:
            base, flag = folded[: -len(suffix)], twin_flag
            break
    if base in ISD_SHEETS:
        return SheetKind("isd", flag=flag)
    if base in DOCUMENT_SHEETS:
        implicit = _DEBIT_SHEETS.get(base)
        return SheetKind("documents", DOCUMENT_SHEETS[base], flag or implicit, "D" if implicit else None)
    return SheetKind("unknown")


def classify(name: str | None, group: str | None = None) -> str | None:
    """The field a column carries, from its name and the group label above it."""
    n, g = norm(name), norm(group)
    if ("billofentry" in g or g.startswith("boe")) and n in _BOE_PLAIN:
        return _BOE_PLAIN[n]
    stripped, original = n, "original" in g
    for marker in ("original", "orig"):
        if stripped.startswith(marker) and len(stripped) > len(marker):
            stripped, original = stripped[len(marker):], True
            break
        if stripped.endswith(marker) and len(stripped) > len(marker):
            stripped, original = stripped[: -len(marker)], True
            break
    found = _LOOKUP.get(stripped)
    if found is None and "gstr" in stripped:
        found = "rtnprd" if stripped.endswith("period") else "_ignore" if "filing" in stripped else None
    if found is None:
        return None
    return ORIGINALS.get(found, "_ignore") if original else found


def score(cells: list[str | None]) -> float:
    """How many distinct GSTR-2B columns a row names."""
    return float(len({f for c in cells if c and (f := classify(c))}))


def foreign(names: list[str | None]) -> bool:
    """A header with the IMS offline tool's Status column or a books' column is not the 2B download's."""
    folded = [norm(n) for n in names if n]
    return any(f in _IMS_NAMES for f in folded) or any(m in f for f in folded for m in _REGISTER_MARKERS)


def gstr2b_style(fields: set[str], names: list[str | None], titled: bool) -> bool:
    """A header is the 2B download's: a document number, ITC availability (or, under a title that
    says GSTR-2B, another column only 2B has), no IMS Status column and no books' column."""
    if foreign(names) or "doc_no" not in fields:
        return False
    return "itc_availability" in fields or (titled and bool(fields & GSTR2B_MARKERS))


def says_gstr2b(rows: list[list[str | None]]) -> bool:
    """Whether title rows name the return ("Goods and Services Tax - GSTR 2B", "GSTR-2B")."""
    return any(c and re.search(r"gstr\W{0,3}2b\b", c.lower()) for row in rows for c in row)


def workbook_period(rows: list[list[str | None]]) -> str | None:
    """The GSTR-2B period (MMYYYY) that title or Read me rows give: "Return period: Nov 2025",
    "Tax Period | 112025", or "Tax Period | November" with "Financial Year | 2025-26"."""
    month, fy_start = None, None
    for row in rows:
        cells = [c for c in row if c]
        for i, cell in enumerate(cells):
            label, _, rest = cell.partition(":")
            key = norm(label)
            value = rest.strip() or (cells[i + 1] if i + 1 < len(cells) else "")
            if key in _PERIOD_LABELS and value:
                if period := return_period(value):
                    return period
                month = month or month_number(value)
            elif key in _FY_LABELS and (m := re.match(r"\s*(20\d\d)\s*[-/–]\s*(\d{2,4})", value)):
                fy_start = fy_start or int(m.group(1))
    if month is None or fy_start is None:
        return None
    return f"{month:02d}{fy_start + (1 if month <= 3 else 0)}"  # January to March: the FY's second year


def period_from_file_name(name: str) -> str | None:
    """The period in the portal's file name ("112025_27AAPFU0939F1ZV_GSTR2B_14122025.xlsx")."""
    return next((p for token in re.findall(r"(?<!\d)(\d{6})(?!\d)", name) if (p := return_period(token))), None)


__all__ = ["COLUMN_NAMES", "DOCUMENT_SHEETS", "ORIGINALS", "REJECTED_FLAG", "REVERSAL_FLAG", "SheetKind", "classify", "foreign",
           "gstr2b_style", "period_from_file_name", "says_gstr2b", "score", "sheet_kind", "workbook_period"]
