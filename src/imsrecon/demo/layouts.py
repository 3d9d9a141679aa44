"""Purchase-register column layouts of common accounting software, as their exports name them.

``LAYOUTS`` is the contract with the register importer's alias table: header names verbatim, in
file order. ``LAYOUT_SPECS`` says which header holds which field and how its cells are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from imsrecon.normalise.dates import DAY_FIRST, MONTH_FIRST

LAYOUTS: dict[str, list[str]] = {
    "tally": [
        "Date", "Particulars", "Voucher Type", "Voucher No.", "Supplier Invoice No.",
        "Supplier Invoice Date", "GSTIN/UIN", "Place of Supply", "Taxable Value",
        "Integrated Tax Amount", "Central Tax Amount", "State/UT Tax Amount", "Cess Amount",
        "Gross Total", "Reverse Charge",
    ],
    "zoho": [
        "Bill Date", "Bill Number", "Vendor Name", "GST Identification Number (GSTIN)",
        "Place of Supply", "Bill Type", "Sub Total", "IGST", "CGST", "SGST", "Cess", "Total",
        "Reverse Charge Applicable",
    ],
    "busy": [
        "Vch Date", "Vch Type", "Vch No", "Party Name", "Party GSTIN", "Bill No", "Bill Date",
        "Taxable Amt", "IGST Amt", "CGST Amt", "SGST Amt", "Cess Amt", "Bill Amount",
    ],
    "plain": [
        "Supplier Name", "Supplier GSTIN", "Invoice Number", "Invoice Date", "Document Type",
        "Posting Date", "Taxable Value", "IGST", "CGST", "SGST", "Cess", "Invoice Value",
        "Place of Supply", "RCM",
    ],
}  # fmt: skip
# a hand-kept sheet saved as CSV by Excel on a computer set to US English: dates month-first
LAYOUTS["plain_us"] = LAYOUTS["plain"]

# Roles a layout column can play (semantic field of a register row).
ROLES = (
    "voucher_date", "voucher_type", "voucher_no", "party_name", "supplier_gstin", "doc_no",
    "doc_date", "place_of_supply", "taxable_value", "igst", "cgst", "sgst", "cess", "total",
    "reverse_charge",
)  # fmt: skip
AMOUNT_ROLES = ("taxable_value", "igst", "cgst", "sgst", "cess", "total")
DATE_ROLES = ("voucher_date", "doc_date")


@dataclass(frozen=True)
class LayoutSpec:
    name: str
    columns: dict[str, str]  # role -> header
    date_format: str  # strftime (chrono) format of date cells
    excel_date_format: str  # the same as an Excel number format
    voucher_types: dict[str, str]  # "invoice" / "credit_note" / "debit_note" -> type name
    pos_style: str = "code"  # "code" ("27") or "code_name" ("27-Maharashtra")
    blank_zero_amounts: bool = False  # zero tax heads left blank, as Tally and Busy print them
    yes_no: tuple[str, str] = ("Yes", "No")
    extra: dict[str, str] = field(default_factory=dict)
    slash_date_format: str = "%d/%m/%Y"  # the supplier date where a clerk typed it with slashes
    date_order: str = DAY_FIRST  # of the numeric dates above

    @property
    def headers(self) -> list[str]:
        return LAYOUTS[self.name]

    def has(self, role: str) -> bool:
        return role in self.columns

    def role_of(self, header: str) -> str | None:
        return next((r for r, h in self.columns.items() if h == header), None)


_AMOUNTS_TALLY = {
    "taxable_value": "Taxable Value", "igst": "Integrated Tax Amount", "cgst": "Central Tax Amount",
    "sgst": "State/UT Tax Amount", "cess": "Cess Amount", "total": "Gross Total",
}  # fmt: skip

LAYOUT_SPECS: dict[str, LayoutSpec] = {
    "tally": LayoutSpec(
        "tally",
        {
            "voucher_date": "Date", "party_name": "Particulars", "voucher_type": "Voucher Type",
            "voucher_no": "Voucher No.", "doc_no": "Supplier Invoice No.",
            "doc_date": "Supplier Invoice Date", "supplier_gstin": "GSTIN/UIN",
            "place_of_supply": "Place of Supply", **_AMOUNTS_TALLY, "reverse_charge": "Reverse Charge",
        },
        date_format="%-d-%b-%Y",
        excel_date_format="d-mmm-yyyy",
        voucher_types={"invoice": "Purchase", "credit_note": "Credit Note", "debit_note": "Debit Note"},
        blank_zero_amounts=True,
    ),
    "zoho": LayoutSpec(
        "zoho",
        {
            "doc_date": "Bill Date", "doc_no": "Bill Number", "party_name": "Vendor Name",
            "supplier_gstin": "GST Identification Number (GSTIN)", "place_of_supply": "Place of Supply",
            "voucher_type": "Bill Type", "taxable_value": "Sub Total", "igst": "IGST", "cgst": "CGST",
            "sgst": "SGST", "cess": "Cess", "total": "Total", "reverse_charge": "Reverse Charge Applicable",
        },
        date_format="%d-%m-%Y",
        excel_date_format="dd-mm-yyyy",
        voucher_types={"invoice": "Bill", "credit_note": "Credit Note", "debit_note": "Debit Note"},
        pos_style="code_name",
    ),
    "busy": LayoutSpec(
        "busy",
        {
            "voucher_date": "Vch Date", "voucher_type": "Vch Type", "voucher_no": "Vch No",
            "party_name": "Party Name", "supplier_gstin": "Party GSTIN", "doc_no": "Bill No",
            "doc_date": "Bill Date", "taxable_value": "Taxable Amt", "igst": "IGST Amt",
            "cgst": "CGST Amt", "sgst": "SGST Amt", "cess": "Cess Amt", "total": "Bill Amount",
        },
        date_format="%d-%m-%Y",
        excel_date_format="dd-mm-yyyy",
        voucher_types={"invoice": "Purchase", "credit_note": "Credit Note", "debit_note": "Debit Note"},
        blank_zero_amounts=True,
    ),
    "plain": LayoutSpec(
        "plain",
        {
            "party_name": "Supplier Name", "supplier_gstin": "Supplier GSTIN", "doc_no": "Invoice Number",
            "doc_date": "Invoice Date", "voucher_type": "Document Type", "voucher_date": "Posting Date",
            "taxable_value": "Taxable Value", "igst": "IGST", "cgst": "CGST", "sgst": "SGST",
            "cess": "Cess", "total": "Invoice Value", "place_of_supply": "Place of Supply",
            "reverse_charge": "RCM",
        },
        date_format="%d-%m-%Y",
        excel_date_format="dd-mm-yyyy",
        voucher_types={"invoice": "Invoice", "credit_note": "Credit Note", "debit_note": "Debit Note"},
    ),
}
LAYOUT_SPECS["plain_us"] = replace(
    LAYOUT_SPECS["plain"], name="plain_us", date_format="%-m/%-d/%Y", excel_date_format="m/d/yyyy",
    slash_date_format="%m/%d/%Y", date_order=MONTH_FIRST,
)

for _name, _spec in LAYOUT_SPECS.items():
    assert set(_spec.columns.values()) == set(LAYOUTS[_name]), f"layout {_name}: roles and headers differ"
    assert set(_spec.columns) <= set(ROLES), f"layout {_name}: unknown role"


def layout_spec(name: str) -> LayoutSpec:
    try:
        return LAYOUT_SPECS[name]
    except KeyError:
        raise ValueError(f"unknown layout {name!r}: choose one of {', '.join(LAYOUTS)}") from None
