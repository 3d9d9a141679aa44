"""Write a realistic GSTR-2B Excel download (tests/data/gstr2b_excel/gstr2b_112025.xlsx).

Run as a script to refresh the committed fixture; tests call :func:`build` to rebuild it into a
temporary folder and compare the import results, so the committed file cannot drift.

Layout as the portal writes it: a "Read me" sheet with the return's details (financial year, tax
period as a month name, GSTIN, names, generation date) above the data-entry instructions; summary
sheets of totals by section ("ITC Available" …); then one sheet per section and its rejected and
ITC-reversal twins. Each document sheet: title rows, a header of two rows (single columns merged
down over both, "Invoice details" / "Tax Amount" merged across), three on amendment sheets
("Original details" | "Revised details" above); data below, numbers and real dates or text
dates, blank rows, and a totals row at the bottom of some sheets.

``readme=False`` leaves the Read me sheet out and ``title_period`` writes a period line into every
document sheet's title rows instead; ``extra_rows`` inserts that many more rows above every
document sheet's header (the header must still be found).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import xlsxwriter

RECIPIENT = "27AAPFU0939F1ZV"
S1, N1 = "27AABCU9603R1ZN", "UMBRELLA TRADERS"
S2, N2 = "29AAGCB7383J1Z4", "Bangalore Components Pvt Ltd"
S3, N3 = "24AAACC1206D1ZM", "GUJARAT CHEMICALS LTD"
S4, N4 = "07AAFCD5862R1ZX", "Delhi Logistics LLP"
S5, N5 = "27AADCB2230M1ZT", "Pune Packaging Pvt Ltd"
E1, EN1 = "09AAACH7409R1ZZ", "FOODCART ONLINE PVT LTD"
D = dt.date

# (outer label, group label, column name, key); None: no label at that level
_TAX = [(None, "Tax Amount", "Integrated Tax(₹)", "iamt"), (None, "Tax Amount", "Central Tax(₹)", "camt"),
        (None, "Tax Amount", "State/UT Tax(₹)", "samt"), (None, "Tax Amount", "Cess(₹)", "cess")]
_ITC = [(None, None, "GSTR-1/IFF/GSTR-5 Period", "prd"), (None, None, "GSTR-1/IFF/GSTR-5 Filing Date", "fildt"),
        (None, None, "ITC Availability", "itc"), (None, None, "Reason", "rsn"),
        (None, None, "Applicable % of Tax Rate", "pct")]
_SOURCE = [(None, None, "Source", "src"), (None, None, "IRN", "irn"), (None, None, "IRN Date", "irndt")]


def _invoice(group="Invoice details", doc="Invoice", rejected=False):
    cols = [(None, None, "GSTIN of supplier", "gstin"), (None, None, "Trade/Legal name", "name"),
            (None, group, f"{doc} number", "no"), (None, group, f"{doc} type", "typ"),
            (None, group, f"{doc} Date", "date"), (None, group, f"{doc} Value(₹)", "val"),
            (None, None, "Place of supply", "pos"), (None, None, "Supply Attract Reverse Charge", "rc"),
            (None, None, "Taxable Value (₹)", "txval"), *_TAX, *_ITC[:2]]
    return cols + ([] if rejected else _ITC[2:]) + _SOURCE


def _notes(rejected=False):
    group = "Credit note/Debit note details"
    cols = [(None, None, "GSTIN of supplier", "gstin"), (None, None, "Trade/Legal name", "name"),
            (None, group, "Note number", "no"), (None, group, "Note type", "ntyp"),
            (None, group, "Note Supply type", "typ"), (None, group, "Note date", "date"),
            (None, group, "Note Value (₹)", "val"), (None, None, "Place of supply", "pos"),
            (None, None, "Supply Attract Reverse Charge", "rc"), (None, None, "Taxable Value (₹)", "txval"), *_TAX,
            *_ITC[:2]]
    return cols + ([] if rejected else _ITC[2:]) + _SOURCE


def _revised(columns, original):
    """An amendment sheet: the original document's columns first, then the revised document's."""
    orig = [("Original details", None, name, key) for name, key in original]
    return orig + [("Revised details", g, n, k) for _, g, n, k in columns if k not in ("src", "irn", "irndt")]


_ECO = [(None, None, "GSTIN of ECO", "gstin"), (None, None, "Trade/Legal name", "name"),
        (None, "Document details", "Document number", "no"), (None, "Document details", "Document type", "typ"),
        (None, "Document details", "Document date", "date"), (None, "Document details", "Document Value (₹)", "val"),
        (None, None, "Place of supply", "pos"), (None, None, "Taxable Value (₹)", "txval"), *_TAX,
        (None, None, "GSTR-1/IFF period", "prd"), (None, None, "GSTR-1/IFF Filing Date", "fildt"),
        (None, None, "ITC Availability", "itc"), (None, None, "Reason", "rsn"), (None, None, "Source", "src")]
_ISD = [(None, None, "ISD Document type", "typ"), (None, None, "GSTIN of ISD", "gstin"),
        (None, None, "Trade/Legal name of the ISD", "name"), (None, "ISD document details", "ISD Invoice number", "no"),
        (None, "ISD document details", "ISD Invoice date", "date"),
        (None, None, "Original invoice number", "ono"), (None, None, "Original invoice date", "odate"),
        (None, "Input tax distribution by ISD", "Integrated Tax(₹)", "iamt"),
        (None, "Input tax distribution by ISD", "Central Tax(₹)", "camt"),
        (None, "Input tax distribution by ISD", "State/UT Tax(₹)", "samt"),
        (None, "Input tax distribution by ISD", "Cess(₹)", "cess"),
        (None, None, "ISD GSTR-6 Period", "prd"), (None, None, "ISD GSTR-6 Filing Date", "fildt"),
        (None, None, "Eligibility of ITC", "itc")]
_BOE = [(None, None, "Icegate Reference Date", "refdt"), (None, None, "Port Code", "port"),
        (None, "Bill of Entry Details", "Number", "no"), (None, "Bill of Entry Details", "Date", "date"),
        (None, "Bill of Entry Details", "Value", "val"), (None, None, "Taxable Value", "txval"),
        (None, "Amount of tax (₹)", "Integrated Tax", "iamt"), (None, "Amount of tax (₹)", "Cess", "cess"),
        (None, None, "Amended (Yes)", "amd")]
_IMPGSEZ = [(None, None, "GSTIN of supplier", "gstin"), (None, None, "Trade name", "name"), *_BOE]


def _inv(gstin, name, no, date, val, txval, iamt, camt, samt, cess=0, **more):
    row = dict(gstin=gstin, name=name, no=no, typ="Regular", date=date, val=val, pos="27-Maharashtra", rc="No",
               txval=txval, iamt=iamt, camt=camt, samt=samt, cess=cess, prd="Nov'25", fildt="11-12-2025",
               itc="Yes", src="", irn=None, irndt=None)
    row.update(more)
    return row


def _total(rows, label="Total", column="gstin"):
    heads = ("val", "txval", "iamt", "camt", "samt", "cess")
    return {column: label, **{h: sum(r.get(h) or 0 for r in rows if r and isinstance(r.get(h), (int, float)))
                              for h in heads}}


_B2B = [
    _inv(S1, N1, "INV/25-26/0101", "05-11-2025", 118000, 100000, 0, 9000, 9000, src="e-Invoice",
         irn="9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0", irndt="05-11-2025"),
    _inv(S2, N2, "KA/2201", D(2025, 11, 7), 59000, 50000, 9000, 0, 0, prd="112025", fildt=D(2025, 12, 10)),
    _inv(S3, N3, "GC/RCM/45", "10-11-2025", 23600, 20000, 3600, 0, 0, rc="Yes", prd="Nov-2025"),
    _inv(S4, N4, "DL-887", "12-11-2025", 11800, 10000, 1800, 0, 0, typ="SEZ supplies with payment", itc="No",
         rsn="Return filed post annual cut-off", prd="October 2025", pos="27"),
    None,  # a blank row between documents
    _inv(S5, N5, 1234, "14-11-2025", "11,800.00", 10000, 0, 900, 900, pos="Maharashtra", prd=112025, pct="65%"),
    _inv(S1, N1, "INV/25-26/0102", "31-11-2025", 23600, 20000, 0, 1800, 1800),
    _inv(S2, N2, "KA/2202", "18-11-2025", 5900, 5000, 900, 0, 0, itc="Temporary", pct=0.65),
    _inv(S4, N4, None, "19-11-2025", 2360, 2000, 360, 0, 0),
    _inv(S5, N5, "PP/0911", "20-11-2025", 1180, 1000, 0, 90, 90, rc="Maybe", prd="13-2025", pct="100"),
    _inv(S1, N1, "INV/25-26/0107", D(2025, 11, 21), 59000, 50000, 0, 4500, 4500, pos="Karnatka", pct="sixty"),
]
_B2BA = [
    _inv(S1, N1, "INV/25-26/0077A", "02-11-2025", 59000, 50000, 0, 4500, 4500, ono="INV/25-26/0077",
         odate="28-10-2025", prd="Nov'25"),
    _inv(S3, N3, "GC-2025-700", D(2025, 11, 4), 11800, 10000, 1800, 0, 0, ono="GC-2025-700", odate=D(2025, 10, 15),
         itc="No", rsn="POS and supplier state are same but recipient state is different"),
    _inv(S2, N2, "KA/1999R", "06-11-2025", 5900, 5000, 900, 0, 0, ono="KA/1999", odate="2025-13-01"),
]


def _note(gstin, name, no, ntyp, date, val, txval, iamt, camt, samt, **more):
    return _inv(gstin, name, no, date, val, txval, iamt, camt, samt, ntyp=ntyp, **more)


_CDNR = [
    _note(S1, N1, "CN/25-26/011", "Credit Note", "20-11-2025", 11800, 10000, 0, 900, 900),
    _note(S2, N2, "KA-DN-9", "Debit Note", D(2025, 11, 22), 2360, 2000, 360, 0, 0, prd="112025"),
    _note(S3, N3, "GC-CN-3", "C", "23-11-2025", 5900, 5000, 900, 0, 0, pos="27"),
    _note(S5, N5, "PP-DN-1", "D", "24-11-2025", 1180, 1000, 0, 90, 90),
    _note(S4, N4, "DL/CN/5", "Refund voucher", "25-11-2025", 1180, 1000, 180, 0, 0),
    _note(S4, N4, "DL/CN/6", None, "26-11-2025", 590, 500, 90, 0, 0),
    _note(S1, N1, "CN/25-26/012", "Credit Note", "27-11-2025", 2360, 2000, 0, 180, 180, itc="No",
          rsn="Return filed post annual cut-off"),
]
_CDNRA = [
    _note(S1, N1, "CN/25-26/008A", "Credit Note", "03-11-2025", 5900, 5000, 0, 450, 450, ontyp="Credit Note",
          ono="CN/25-26/008", odate="25-10-2025"),
    _note(S2, N2, "KA-DN-7R", "Debit Note", "05-11-2025", 1180, 1000, 180, 0, 0, ontyp="Debit Note", ono="KA-DN-7",
          odate="20-10-2025"),
]
_ECO_ROWS = [
    _inv(E1, EN1, "ECO/5001", "06-11-2025", 1050, 1000, 50, 0, 0, prd="112025"),
    _inv(E1, EN1, "ECO/5002", D(2025, 11, 16), 2100, 2000, 100, 0, 0, prd="112025"),
]
_ECOA = [_inv(E1, EN1, "ECO/4990A", "01-11-2025", 525, 500, 25, 0, 0, ono="ECO/4990", odate="29-10-2025",
              prd="112025")]
_ISD_ROWS = [
    dict(typ="Invoice", gstin="27AAACI1681G1ZP", name="INFRA HEAD OFFICE", no="ISD/25/301", date="10-11-2025",
         iamt=0, camt=4500, samt=4500, cess=0, prd="112025", fildt="13-12-2025", itc="Yes"),
    dict(typ="Invoice", gstin="27AAACI1681G1ZP", name="INFRA HEAD OFFICE", no="ISD/25/302", date="11-11-2025",
         iamt=1800, camt=0, samt=0, cess=0, prd="112025", fildt="13-12-2025", itc="Yes"),
]
_IMPG_ROWS = [
    dict(refdt="16-11-2025", port="INNSA1", no=4567123, date="10-11-2025", val=118000, txval=100000, iamt=18000,
         cess=0, amd="No"),
    dict(refdt=D(2025, 11, 18), port="INBOM4", no="4567999", date=D(2025, 11, 12), val=59000, txval=50000, iamt=9000,
         cess=0, amd="Yes"),
]
_IMPGSEZ_ROWS = [dict(gstin="27AAACS4949N1ZR", name="SEEPZ ELECTRONICS", refdt="20-11-2025", port="INSEZ1",
                      no="7788990", date="15-11-2025", val=23600, txval=20000, iamt=3600, cess=0, amd=None)]

_B2B_TITLE = "Taxable inward supplies received from registered persons"
DOCUMENT_SHEETS: dict[str, dict] = {
    "B2B": dict(title=_B2B_TITLE, columns=_invoice(), rows=[*_B2B, _total([r for r in _B2B if r])]),
    "B2BA": dict(title="Amendments to previously filed invoices by supplier",
                 columns=_revised(_invoice(), [("Invoice number", "ono"), ("Invoice Date", "odate")]), rows=_B2BA),
    "B2B-CDNR": dict(title="Debit/Credit notes (Original)", columns=_notes(),
                     rows=[*_CDNR, None, _total(_CDNR, "Grand Total")]),
    "B2B-CDNRA": dict(title="Amendments to previously filed Credit/Debit notes by supplier",
                      columns=_revised(_notes(), [("Note type", "ontyp"), ("Note number", "ono"),
                                                  ("Note date", "odate")]), rows=_CDNRA),
    "ECO": dict(title="Documents reported by ECO on which ECO is liable to pay tax u/s 9(5)", columns=_ECO,
                rows=_ECO_ROWS),
    "ECOA": dict(title="Amendment of documents reported by ECO",
                 columns=_revised(_ECO, [("Document number", "ono"), ("Document date", "odate")]), rows=_ECOA),
    "ISD": dict(title="ISD Credits", columns=_ISD, rows=_ISD_ROWS),
    "ISDA": dict(title="Amendments ISD Credits received", columns=_ISD, rows=[]),
    "IMPG": dict(title="Import of goods from overseas on bill of entry", columns=_BOE, rows=_IMPG_ROWS),
    "IMPGSEZ": dict(title="Import of goods from SEZ units/developers on bill of entry", columns=_IMPGSEZ,
                    rows=_IMPGSEZ_ROWS),
    "B2B(ITC Reversal)": dict(title="Taxable inward supplies received from registered persons - ITC Reversal",
                              columns=_invoice(), rows=[
                                  _inv(S4, N4, "DL-512", "20-03-2025", 11800, 10000, 1800, 0, 0, prd="032025")]),
    "B2BA(ITC Reversal)": dict(title="Amendments - ITC Reversal", rows=[],
                               columns=_revised(_invoice(), [("Invoice number", "ono"), ("Invoice Date", "odate")])),
    "B2B-DNR": dict(title="Debit notes - ITC Reversal", columns=_notes(), rows=[
        _note(S4, N4, "DL/DN/40", "Debit Note", "21-03-2025", 1180, 1000, 180, 0, 0, prd="032025")]),
    "B2B-DNRA": dict(title="Amendments to Debit notes - ITC Reversal", rows=[],
                     columns=_revised(_notes(), [("Note type", "ontyp"), ("Note number", "ono"),
                                                 ("Note date", "odate")])),
    "B2B (Rejected)": dict(title="Taxable inward supplies received from registered persons - Rejected",
                           columns=_invoice(rejected=True), rows=[
                               _inv(S5, N5, "PP/552", "08-11-2025", 4720, 4000, 0, 360, 360)]),
    "B2BA (Rejected)": dict(title="Amendments - Rejected", rows=[], columns=_revised(
        _invoice(rejected=True), [("Invoice number", "ono"), ("Invoice Date", "odate")])),
    "B2B-CDNR (Rejected)": dict(title="Debit/Credit notes (Original) - Rejected", columns=_notes(rejected=True),
                                rows=[_note(S1, N1, "CN/25-26/009", "Credit Note", "15-11-2025", 1180, 1000, 0, 90,
                                            90)]),
    "B2B-CDNRA (Rejected)": dict(title="Amendments to Credit/Debit notes - Rejected", rows=[], columns=_revised(
        _notes(rejected=True), [("Note type", "ontyp"), ("Note number", "ono"), ("Note date", "odate")])),
    "ECO (Rejected)": dict(title="Documents reported by ECO - Rejected", columns=_ECO[:-3] + _ECO[-1:], rows=[]),
    "ISD (Rejected)": dict(title="ISD Credits - Rejected", columns=_ISD, rows=[]),
    "IMPG (Rejected)": dict(title="Import of goods - Rejected", columns=_BOE, rows=[]),
}
# summary sheets: totals by section (must never become documents)
SUMMARIES = {
    "ITC Available": [
        ("Part A", "ITC Available - Credit may be claimed in relevant headings in GSTR-3B", None, None, None, None),
        ("I", "All other ITC - Supplies from registered persons", "4(A)(5)", 30260, 7290, 7290),
        ("", "B2B - Invoices", "", 28860, 6390, 6390),
        ("", "B2B - Debit notes", "", 360, 90, 90),
        ("II", "Inward Supplies from ISD", "4(A)(4)", 1800, 4500, 4500),
        ("III", "Inward Supplies liable for reverse charge", "3.1(d) / 4(A)(3)", 3600, 0, 0),
        ("IV", "Import of Goods", "4(A)(1)", 30600, 0, 0),
        ("Part B", "ITC Available - Credit notes should be net off against relevant ITC available tables", None,
         None, None, None),
        ("I", "Others", "4(B)(2)", 900, 1080, 1080),
    ],
    "ITC not available": [("Part A", "ITC Not Available", None, None, None, None),
                          ("I", "All other ITC - Supplies from registered persons", "4(D)(2)", 1800, 0, 0)],
    "ITC Reversal": [("Part A", "ITC Reversal on account of Rule 37A", "4(B)(2)", 1980, 0, 0)],
    "ITC Rejected": [("Part A", "ITC Rejected", None, None, None, None), ("I", "B2B - Invoices", "", 0, 360, 360)],
}
README = [
    (None, "Goods and Services Tax - GSTR-2B"),
    None,
    ("Financial Year", "2025-26"),
    ("Tax Period", "November"),
    ("GSTIN", RECIPIENT),
    ("Legal Name", "UMBRELLA FOODS PRIVATE LIMITED"),
    ("Trade Name (if any)", "UMBRELLA FOODS"),
    ("Date of generation", "14/12/2025"),
    None,
    (None, "GSTR-2B Data Entry Instructions"),
    ("Worksheet Name", "GSTR-2B Table Reference", "Field Name", "Help Instruction"),
    ("B2B", "Taxable inward supplies received from registered person", "GSTIN of supplier", "GSTIN of supplier"),
    ("", "", "Trade/Legal name", "Trade name of the supplier will be displayed. If trade name is not available, "
     "legal name of the supplier will be displayed"),
    ("", "", "Invoice number", "Invoice number of the supplier"),
    ("", "", "GSTR-1/IFF/GSTR-5 Period", "Period for which GSTR-1/IFF/GSTR-5 has been filed by the supplier"),
    ("", "", "ITC Availability", "Is ITC available or not on the document - 'Yes' or 'No' or 'Temporary'"),
    ("", "", "Applicable % of Tax Rate", "If the supply is eligible to be taxed at 65% of the existing rate of tax, "
     "it shall be shown as 65%; else blank"),
]


def build(path: Path | str, readme: bool = True, title_period: str | None = None, extra_rows: int = 0) -> Path:
    """Write the workbook to ``path`` (see the module's docstring for the options)."""
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"title": "GSTR-2B", "created": dt.datetime(2025, 12, 14)})
    fmt = {
        "title": wb.add_format({"bold": True, "font_size": 14, "align": "center"}),
        "head": wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True,
                               "bg_color": "#DDEBF7", "border": 1}),
        "date": wb.add_format({"num_format": "dd-mm-yyyy"}),
        "pct": wb.add_format({"num_format": "0%"}),
    }
    if readme:
        ws = wb.add_worksheet("Read me")
        for r, row in enumerate(README):
            for c, value in enumerate(row or ()):
                if value is not None:
                    ws.write_string(r, c + 1, value, fmt["title"] if r == 0 else None)
    for name, rows in SUMMARIES.items():
        ws = wb.add_worksheet(name)
        ws.merge_range(0, 0, 0, 7, "Goods and Services Tax - GSTR 2B", fmt["title"])
        ws.write(1, 0, f"FORM SUMMARY - {name.upper()}")
        for c, head in enumerate(["S.no.", "Heading", "GSTR-3B table", "Integrated Tax (₹)", "Central Tax (₹)",
                                  "State/UT Tax (₹)", "Cess (₹)", "Advisory"]):
            ws.write(3, c, head, fmt["head"])
        for r, row in enumerate(rows, 4):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
    for name, spec in DOCUMENT_SHEETS.items():
        _document_sheet(wb.add_worksheet(name), spec, fmt, title_period, extra_rows)
    wb.close()
    return path


def _document_sheet(ws, spec: dict, fmt: dict, title_period: str | None, extra_rows: int) -> None:
    columns = spec["columns"]
    r = 0
    for i in range(extra_rows):
        ws.write(r, 0, f"Inserted note {i + 1}" if i % 2 == 0 else None)
        r += 1
    ws.merge_range(r, 0, r, len(columns) - 1, "Goods and Services Tax - GSTR 2B", fmt["title"])
    ws.merge_range(r + 1, 0, r + 1, len(columns) - 1, spec["title"], fmt["title"])
    if title_period:
        ws.write(r + 2, 0, title_period)
    r = _write_header(ws, r + 4, columns, fmt["head"])
    keys = [key for *_, key in columns]
    for row in spec["rows"]:
        for c, key in enumerate(keys):
            value = None if row is None else row.get(key)
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), fmt["date"])
            elif isinstance(value, float) and key == "pct":
                ws.write_number(r, c, value, fmt["pct"])  # 65% as Excel stores it: 0.65
            elif isinstance(value, (int, float)):
                ws.write_number(r, c, value)
            elif value:
                ws.write_string(r, c, value)
        r += 1


def _runs(labels: list[str | None]) -> list[tuple[int, int, str | None]]:
    """(first, last, label) of each run of equal labels."""
    out, c = [], 0
    while c < len(labels):
        end = c
        while end + 1 < len(labels) and labels[end + 1] == labels[c]:
            end += 1
        out.append((c, end, labels[c]))
        c = end + 1
    return out


def _write_header(ws, r: int, columns, fmt) -> int:
    """Header rows from ``r``: an outer row where any column has one, a group row, the names."""
    outer = [o for o, *_ in columns]
    if any(outer):
        for c0, c1, label in _runs(outer):
            if c1 > c0:
                ws.merge_range(r, c0, r, c1, label or "", fmt)
            else:
                ws.write(r, c0, label, fmt)
        r += 1
    groups = [g for _, g, _, _ in columns]
    for c0, c1, group in _runs(groups):
        if group is None:
            for c in range(c0, c1 + 1):
                ws.merge_range(r, c, r + 1, c, columns[c][2], fmt)
            continue
        if c1 > c0:
            ws.merge_range(r, c0, r, c1, group, fmt)
        else:
            ws.write(r, c0, group, fmt)
        for c in range(c0, c1 + 1):
            ws.write(r + 1, c, columns[c][2], fmt)
    return r + 2


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("gstr2b_112025.xlsx")
    print(build(target))
