"""Which register column holds which field: the alias table, the header scorer, user mappings.

Header names are compared after folding case, `&`→`and` and dropping everything but letters and
digits, so "Supplier Invoice No." and "supplier invoice no" are the same name.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from imsrecon.issues import InputFileError
from imsrecon.normalise.dates import DATE_ORDERS
from imsrecon.sections import DocClass

# field -> header names, most specific first. The first name present in a file wins.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "supplier_gstin": (
        "GSTIN/UIN of Supplier", "Supplier GSTIN", "Supplier GSTIN/UIN", "GSTIN of Supplier",
        "Party GSTIN", "Party GSTIN/UIN", "Party GST No", "Vendor GSTIN", "Vendor GST Number",
        "Seller GSTIN", "GST Identification Number (GSTIN)", "GSTIN/UIN", "GSTIN", "GSTIN No",
        "GST No", "GST Number", "GSTIN Number", "Supplier GST No", "Vendor GST No",
    ),
    "supplier_name": (
        "Supplier Name", "Name of Supplier", "Party Name", "Vendor Name", "Trade/Legal Name",
        "Trade Name", "Legal Name", "Ledger Name", "Particulars", "Party", "Vendor", "Supplier",
        "Name",
    ),
    "doc_no": (
        "Supplier Invoice No.", "Supplier Invoice Number", "Supplier Invoice No", "Supplier Bill No",
        "Supplier Bill No.", "Supplier Inv No", "Vendor Invoice Number", "Vendor Invoice No",
        "Vendor Bill No",
        # Tally's names for the supplier's number ("Voucher No." is Tally's own)
        "Voucher Ref. No.", "Voucher Ref No", "Voucher Reference No", "Voucher Reference Number", "Invoice Number", "Invoice No", "Invoice No.", "Inv No", "Bill No",
        "Bill No.", "Bill Number", "Invoice/Note Number", "Invoice/Note No", "Note Number",
        "Credit/Debit Note No", "Document Number", "Document No", "Doc No", "Reference No",
        "Reference No.", "Ref No", "Ref No.", "Reference Number", "Reference", "Supplier Ref",
    ),
    "doc_date": (
        "Supplier Invoice Date", "Supplier Bill Date", "Supplier Inv Date", "Vendor Invoice Date",
        "Vendor Bill Date", "Voucher Ref. Date", "Voucher Ref Date", "Voucher Reference Date", "Invoice Date", "Inv Date", "Bill Date", "Invoice/Note Date",
        "Note Date", "Credit/Debit Note Date", "Document Date", "Doc Date", "Reference Date",
        "Ref Date",
    ),
    "voucher_no": (
        "Voucher No.", "Voucher No", "Voucher Number", "Vch No", "Vch No.", "Vch Number",
        "Entry No", "Entry Number", "Purchase Voucher No", "Journal No", "Transaction No",
    ),
    "voucher_date": (
        "Voucher Date", "Vch Date", "Posting Date", "Entry Date", "GL Date", "Accounting Date",
        "Booking Date", "Transaction Date", "Date",
    ),
    "voucher_type": (
        "Voucher Type", "Vch Type", "Document Type", "Doc Type", "Bill Type", "Transaction Type",
        "Type of Document", "Entry Type", "Type",
    ),
    "place_of_supply": ("Place of Supply", "Place Of Supply (State)", "POS", "Supply State"),
    "taxable_value": (
        "Taxable Value", "Taxable Amount", "Taxable Amt", "Taxable", "Assessable Value",
        "Sub Total", "Subtotal", "Base Amount", "Net Amount", "Value",
    ),
    "igst": (
        "Integrated Tax Amount", "Integrated Tax", "Integrated Tax Paid", "IGST Amount",
        "IGST Amt", "IGST", "Input IGST",
    ),
    "cgst": (
        "Central Tax Amount", "Central Tax", "Central Tax Paid", "CGST Amount", "CGST Amt",
        "CGST", "Input CGST",
    ),
    "sgst": (
        "State/UT Tax Amount", "State/UT Tax", "State/UT Tax Paid", "State Tax Amount",
        "SGST/UTGST Amount", "SGST/UTGST", "SGST Amount", "SGST Amt", "SGST", "UTGST",
        "Input SGST", "State Tax",
    ),
    "cess": ("Cess Amount", "Cess Amt", "Cess Paid", "Cess", "Compensation Cess"),
    "doc_value": (
        "Invoice Value", "Total Invoice Value", "Invoice Amount", "Bill Amount", "Bill Value",
        "Document Value", "Note Value", "Gross Total", "Grand Total", "Total Amount", "Net Total",
        "Total",
    ),
    "reverse_charge": (
        "Reverse Charge", "Reverse Charge Applicable", "Reverse Charge (Y/N)", "Is Reverse Charge",
        "Under Reverse Charge", "RCM Applicable", "RCM",
    ),
    "recipient_gstin": (
        "Recipient GSTIN", "GSTIN of Recipient", "Company GSTIN", "Our GSTIN", "Buyer GSTIN",
        "Branch GSTIN", "Registration GSTIN",
    ),
    "orig_doc_no": ("Original Invoice Number", "Original Invoice No", "Original Document Number"),
    "orig_doc_date": ("Original Invoice Date", "Original Document Date"),
    "rate": ("Rate", "Tax Rate", "GST Rate", "Rate (%)", "GST %", "Rate of Tax"),
    # a voucher's state: cancelled, void and draft vouchers are not in the books
    "status": ("Status", "Voucher Status", "Bill Status", "Invoice Status", "Document Status", "Entry Status"),
    # an item-wise register (one row per item of a document): its rows of one document are summed
    "item": (
        "Item", "Item Name", "Item Description", "Stock Item", "Stock Item Name", "Product", "Product Name",
        "Description of Goods", "Goods Description", "Item Code", "HSN/SAC", "HSN Code", "HSN", "SAC",
    ),
}

# Ledger-style tax columns ("Input IGST @18%", "CGST 9%", "IGST Input 12%"): summed when the
# file has no plain column for that head.
TAX_HEAD_PATTERNS: dict[str, re.Pattern[str]] = {
    "igst": re.compile(r"^(input)?igst(input)?(\d+(\d)?)?(percent|pct)?$|^(input)?igst(at)?\d"),
    "cgst": re.compile(r"^(input)?cgst(input)?(\d+(\d)?)?(percent|pct)?$|^(input)?cgst(at)?\d"),
    "sgst": re.compile(r"^(input)?(sgst|utgst)(input)?(\d+(\d)?)?(percent|pct)?$|^(input)?(sgst|utgst)(at)?\d"),
}

# voucher / document type (folded) -> document class. Extend or override with [document_types]
# in a mapping file: businesses book a supplier's credit note in different ways.
DOCUMENT_TYPES: dict[str, DocClass] = {
    **dict.fromkeys(
        ("purchase", "purchases", "invoice", "purchaseinvoice", "taxinvoice", "bill", "purchasebill",
         "inv", "pi", "re", "kr", "regular", "b2b"),
        DocClass.INVOICE,
    ),
    **dict.fromkeys(
        ("creditnote", "cn", "cdn", "credit", "purchasereturn", "kg", "vendorcreditmemo",
         "creditmemo", "crnote"),
        DocClass.CREDIT_NOTE,
    ),
    **dict.fromkeys(("debitnote", "dn", "debit", "drnote", "debitmemo"), DocClass.DEBIT_NOTE),
}

KNOWN_FIELDS = tuple(COLUMN_ALIASES)
_IDENTITY_FIELDS = ("doc_no", "voucher_no")
_VALUE_FIELDS = ("taxable_value", "igst", "cgst", "sgst", "doc_value")


def fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("&", "and").replace("@", "at").replace("%", "percent"))


_FOLDED: dict[str, dict[str, int]] = {
    f: {fold(a): i for i, a in enumerate(aliases)} for f, aliases in COLUMN_ALIASES.items()
}


# Abbreviations books use in headers, read as the word: "Inv Dt" is "Invoice Date", "Vch No." is
# "Voucher No", "Taxable Amt" is "Taxable Amount", "Supplier's GSTIN" is "Supplier GSTIN".
_WORDS = {"dt": "date", "dated": "date", "amt": "amount", "amnt": "amount", "inv": "invoice", "invc": "invoice",
          "vch": "voucher", "vchr": "voucher", "number": "no", "num": "no", "nbr": "no", "qty": "quantity",
          "gstn": "gstin", "gstno": "gstin", "suppl": "supplier", "supp": "supplier", "val": "value", "#": "no"}


def canonical(name: str) -> str:
    """A header folded after its abbreviations are spelled out and possessives dropped."""
    words = re.findall(r"[a-z0-9]+|#", re.sub(r"['’]s\b", "", name.lower()))
    return fold("".join(_WORDS.get(w, w) for w in words))


_CANONICAL: dict[str, dict[str, int]] = {
    f: {canonical(a): i for i, a in reversed(list(enumerate(aliases)))} for f, aliases in COLUMN_ALIASES.items()
}


def fold_type(value: str) -> str:
    return re.sub(r"[^a-z]", "", value.lower())


@dataclass(frozen=True)
class ColumnMapping:
    """A user's mapping file: `[columns]` field = header (or list of headers, summed),
    `[document_types]` type = class, `[options]` header_row = N (1-based)."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    document_types: dict[str, DocClass] = field(default_factory=dict)
    header_row: int | None = None
    source: str = ""
    date_order: str | None = None  # DAY_FIRST or MONTH_FIRST; None: told from the dates

    @classmethod
    def load(cls, path: Path) -> ColumnMapping:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputFileError(path.name, f"cannot read the mapping file: {exc}") from None
        unknown = set(data) - {"columns", "document_types", "options"}
        if unknown:
            raise InputFileError(path.name, f"unknown section(s) {sorted(unknown)}: use [columns], [document_types], [options]")
        columns: dict[str, tuple[str, ...]] = {}
        for fld, headers in data.get("columns", {}).items():
            if fld not in KNOWN_FIELDS:
                raise InputFileError(path.name, f"[columns] {fld!r} is not a field; fields are: {', '.join(KNOWN_FIELDS)}")
            names = (headers,) if isinstance(headers, str) else tuple(headers)
            if not names or not all(isinstance(n, str) and n.strip() for n in names):
                raise InputFileError(path.name, f"[columns] {fld!r} must name a header or a list of headers")
            columns[fld] = names
        types: dict[str, DocClass] = {}
        for typ, cls_name in data.get("document_types", {}).items():
            try:
                types[fold_type(typ)] = DocClass(str(cls_name).strip().lower().replace(" ", "_"))
            except ValueError:
                raise InputFileError(
                    path.name, f"[document_types] {typ!r} = {cls_name!r}: use invoice, credit_note or debit_note"
                ) from None
        options = data.get("options", {})
        unknown = set(options) - {"header_row", "date_order"}
        if unknown:
            raise InputFileError(path.name, f"[options] {sorted(unknown)} unknown: options are header_row, date_order")
        header_row = options.get("header_row")
        if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
            raise InputFileError(path.name, "[options] header_row must be a row number (1 or more)")
        date_order = options.get("date_order")
        if date_order is not None and date_order not in DATE_ORDERS:
            raise InputFileError(path.name, f"[options] date_order must be {' or '.join(map(repr, DATE_ORDERS))}")
        return cls(columns, types, header_row, path.name, date_order)

    def document_type_map(self) -> dict[str, DocClass]:
        return {**DOCUMENT_TYPES, **self.document_types}


def match_header(name: str) -> tuple[str, int] | None:
    """(field, priority) for a header name, lower priority = more specific; None if unknown."""
    for key, table in ((fold(name), _FOLDED), (canonical(name), _CANONICAL)):  # as written first
        best: tuple[str, int] | None = None
        for fld, names in table.items():
            if key in names and (best is None or names[key] < best[1]):
                best = (fld, names[key])
        if best is not None:
            return best
    return None


def header_score(cells: list[str]) -> float:
    """How much a row looks like a register header: distinct fields named, if it has an identity."""
    fields = {m[0] for c in cells if c and (m := match_header(c))}
    fields |= {h for c in cells if c for h, p in TAX_HEAD_PATTERNS.items() if p.match(fold(c))}
    if not fields & set(_IDENTITY_FIELDS) or not fields & set(_VALUE_FIELDS):
        return 0.0
    return float(len(fields))


MIN_HEADER_SCORE = 3.0


def scorer_for(mapping: ColumnMapping | None):  # noqa: ANN201 - a HeaderScorer
    """The header scorer; with a mapping file, the headers it names count as known fields."""
    if mapping is None or not mapping.columns:
        return header_score
    named = {fold(h): f for f, headers in mapping.columns.items() for h in headers}

    def score(cells: list[str]) -> float:
        mapped = {named[fold(c)] for c in cells if c and fold(c) in named}
        if len(mapped) >= min(len(set(named.values())), MIN_HEADER_SCORE):
            return float(len(mapped)) + header_score(cells) + 100.0
        return header_score(cells)

    return score


def resolve_columns(headers: list[str], mapping: ColumnMapping | None, file: str) -> dict[str, tuple[str, ...]]:
    """field -> the header(s) that hold it in this file (several headers are summed)."""
    chosen: dict[str, tuple[str, ...]] = {}
    taken: set[str] = set()
    if mapping:
        by_fold = {fold(h): h for h in headers}
        for fld, names in mapping.columns.items():
            found = []
            for n in names:
                if fold(n) not in by_fold:
                    raise InputFileError(file, f"mapping {mapping.source}: column {n!r} for {fld} is not in the header row ({', '.join(headers)})")
                found.append(by_fold[fold(n)])
            chosen[fld] = tuple(found)
            taken.update(found)
    ranked: dict[str, tuple[int, str]] = {}
    for h in headers:
        if h in taken:
            continue
        m = match_header(h)
        if m and m[0] not in chosen and (m[0] not in ranked or m[1] < ranked[m[0]][0]):
            ranked[m[0]] = (m[1], h)
    for fld, (_, h) in ranked.items():
        chosen[fld] = (h,)
        taken.add(h)
    for head, pattern in TAX_HEAD_PATTERNS.items():
        if head in chosen:
            continue
        ledger_cols = tuple(h for h in headers if h not in taken and pattern.match(fold(h)))
        if ledger_cols:
            chosen[head] = ledger_cols
            taken.update(ledger_cols)
    return chosen


# The fields a register must have, each with what a user calls it, the columns that can stand in
# for it (a voucher date for a blank invoice date), and words a header holding it often contains.
REQUIRED_FIELDS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "doc_no": ("the supplier's document number", ("voucher_no",), ("no", "number", "ref")),
    "doc_date": ("the supplier's document date", ("voucher_date",), ("date", "dt")),
    "supplier_gstin": ("the supplier's GSTIN", (), ("gst", "taxid", "taxno", "regn", "registration", "tinno", "uin")),
}


def missing_column_message(
    fields: list[str], headers: list[str], chosen: dict[str, tuple[str, ...]], header_line: int, sheet: str | None
) -> str:
    """One file-level message for the fields no column holds: what was looked for, the headers the
    file has, and the mapping lines that would name the right ones."""
    taken = {h for hs in chosen.values() for h in hs}
    looked, lines = [], []
    for fld in fields:
        what, stand_ins, words = REQUIRED_FIELDS[fld]
        also = "".join(f" or a {s.replace('_', ' ')} column ({COLUMN_ALIASES[s][0]!r} …)" for s in stand_ins)
        looked.append(f"{what} ({', '.join(repr(a) for a in COLUMN_ALIASES[fld][:4])} …{also})")
        guess = next((h for h in headers if h not in taken and any(w in canonical(h) for w in words)
                      and not h.startswith("column ")), None)
        lines.append(f"{fld} = {toml_string(guess or 'the header of that column')}")
    where = f"sheet '{sheet}', " if sheet else ""
    seen = ", ".join(repr(h) for h in headers if not h.startswith("column "))
    return (f"no column holds {' nor '.join(looked)}; the header ({where}row {header_line}) has {seen}. "
            f"Name the column in a mapping file (--mapping FILE.toml):\n[columns]\n" + "\n".join(lines))


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def missing_fields(chosen: dict[str, tuple[str, ...]]) -> list[str]:
    """The required fields that neither a column nor a stand-in holds."""
    return [f for f, (_, stand_ins, _) in REQUIRED_FIELDS.items()
            if f not in chosen and not any(s in chosen for s in stand_ins)]


# Columns that may say what kind of document a row is when the type column's words are only a
# ledger side ("CREDIT" / "DEBIT"): folded header words.
_MODE_WORDS = ("mode", "type", "kind", "nature", "category", "section")
# what such a column's values mean (folded): a class, or NOTE (a credit or debit note: the type
# column's credit/debit word then says which)
NOTE = "note"
MODE_VALUES: dict[str, str] = {
    **{k: v.value for k, v in DOCUMENT_TYPES.items() if k not in ("credit", "debit", "cr", "dr")},
    **dict.fromkeys(("b2b", "b2ba", "b2bur", "impg", "impgsez", "sez", "sezwp", "sezwop", "de", "r", "regular",
                     "taxinvoice", "ecom"), DocClass.INVOICE.value),
    **dict.fromkeys(("cdnr", "cdnra", "cdn", "cdnur", "note", "notes", "crdrnote", "creditdebitnote", "drcrnote"), NOTE),
}
AMBIGUOUS_TYPES = ("credit", "debit", "cr", "dr")


def mode_columns(headers: list[str], chosen: dict[str, tuple[str, ...]]) -> list[str]:
    """Headers not taken by a field whose name says type, mode or kind (candidates to decide a
    document's class when the type column cannot)."""
    taken = {h for hs in chosen.values() for h in hs}
    return [h for h in headers if h not in taken and any(w in fold(h) for w in _MODE_WORDS)]
