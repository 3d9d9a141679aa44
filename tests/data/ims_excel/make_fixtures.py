"""Write a realistic IMS offline-tool workbook (tests/data/ims_excel/ims_offline.xlsx).

Run as a script to refresh the committed fixture; tests call :func:`build` to rebuild it into a
temporary folder and compare the import results, so the committed file cannot drift.

Layout (domain doc §3): title and instruction rows; a group row and a column-name row (single
columns merged down over both, groups such as "Invoice details" merged across); data from row 7,
row 8 on amendment sheets, whose group row carries "Original details" / "Revised details".
``extra_rows`` inserts that many more rows above everything (the header must still be found).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import xlsxwriter

RECIPIENT = "27AAPFU0939F1ZV"
S1, N1 = "27AABCU9603R1ZN", "Umbrella Traders"
S2, N2 = "29AAGCB7383J1Z4", "Bangalore Components Pvt Ltd"
S3, N3 = "24AAACC1206D1ZM", "Gujarat Chemicals Ltd"
S4, N4 = "07AAFCD5862R1ZX", "Delhi Logistics LLP"
S5, N5 = "27AADCB2230M1ZT", "Pune Packaging Pvt Ltd"
E1, EN1 = "09AAACH7409R1ZZ", "FoodCart Online Pvt Ltd"

# (group label or None for a column merged down over both header rows, column name, key)
_TAX = [("Tax amount", "Integrated tax (₹)", "iamt"), ("Tax amount", "Central tax (₹)", "camt"),
        ("Tax amount", "State/UT tax (₹)", "samt"), ("Tax amount", "Cess (₹)", "cess")]
_TAIL = [
    (None, "Remarks", "remarks"),
    ("Source details", "Source", "src"), ("Source details", "Source return period", "rtnprd"),
    ("Source details", "Source filing status", "filst"),
    (None, "Sheet validation errors", "sverr"), (None, "GST portal validation errors", "pverr"),
    (None, "Previous status", "prev"), (None, "Remarks", "remarks2"),
    (None, "Is pending blocked", "pendblk"), (None, "Is remark blocked", "remblk"),
]
_ITC_RED = [("ITC reduction declared", "ITC reduction required", "itcred"),
            ("ITC reduction declared", "Integrated tax", "d_iamt"), ("ITC reduction declared", "Central tax", "d_camt"),
            ("ITC reduction declared", "State/UT tax", "d_samt"), ("ITC reduction declared", "Cess", "d_cess")]


def _doc_columns(group: str, no: str, typ: str | None, date: str, value: str) -> list[tuple[str | None, str, str]]:
    cols = [(group, no, "no")] + ([(group, typ, "typ")] if typ else []) + [(group, date, "date"), (group, value, "val")]
    return [(None, "GSTIN of supplier", "gstin"), (None, "Trade/Legal name", "name"), *cols,
            (None, "Status", "status"), (None, "Place of supply", "pos"), (None, "Taxable value (₹)", "txval"),
            *_TAX, *_TAIL]


def _amendment_columns(no: str, typ: str | None, date: str, value: str, orig_prefix: bool = False):
    if orig_prefix:  # no "Original details" group: the names say it
        orig = [("Revised details", f"Original {no.lower()}", "orig_no"), ("Revised details", f"Original {date.lower()}", "orig_date")]
    else:
        orig = [("Original details", no, "orig_no"), ("Original details", date, "orig_date")]
    revised = [("Revised details", name, key) for _, name, key in _doc_columns("", no, typ, date, value)]
    return orig + revised + _ITC_RED


def _row(gstin, name, no, typ, date, val, status, pos, txval, iamt, camt, samt, cess=0, **more):
    base = dict(gstin=gstin, name=name, no=no, typ=typ, date=date, val=val, status=status, pos=pos,
                txval=txval, iamt=iamt, camt=camt, samt=samt, cess=cess, src="GSTR-1", rtnprd="102025",
                filst="Filed", prev="No Action", pendblk="No", remblk="No")
    base.update(more)
    return base


D = dt.date
SHEETS = {
    "B2B": dict(
        title="Inward supplies received from registered persons: B2B invoices",
        columns=_doc_columns("Invoice details", "Invoice number", "Invoice type", "Invoice date", "Invoice value (₹)"),
        rows=[
            _row(S1, N1, "INV/25-26/0012", "Regular", "05-10-2025", 118000, "Accepted", "27-Maharashtra",
                 100000, 0, 9000, 9000),
            _row(S2, N2, "KA/1088", "Regular", D(2025, 10, 7), 59000, "R", "27", 50000, 9000, 0, 0,
                 remarks="Goods not received", src="IFF", prev="Pending", pendblk="Y", remblk="N"),
            _row(S3, N3, "GC-2025-771", "SEZ supplies with payment", "31-02-2025", 11800, "Pending", "27",
                 10000, 1800, 0, 0),
            _row(S4, N4, None, "Regular", "09-10-2025", 2360, "Pending", "27", 2000, 360, 0, 0),
            None,  # a blank row between records
            _row(S5, N5, 1234, "Regular", "12/09/2025", "11,800.00", "No Action", "27-Maharashtra", 10000, 0, 900,
                 900, rtnprd=92025, filst="Not Filed", pendblk="Yes"),
            _row(S1, N1, "INV/25-26/0013", "Regular", "15-10-2025", 23600, "Maybe", "Maharashtra", 20000, 0,
                 1800, 1800, rtnprd="Oct-2025", remarks2="Old remark"),
        ],
    ),
    "B2BA": dict(
        title="Amendments to B2B invoices",
        columns=_amendment_columns("Invoice number", "Invoice type", "Invoice date", "Invoice value"),
        rows=[
            _row(S1, N1, "INV/25-26/0009R", "Regular", "01-10-2025", 59000, "Accepted", "27-Maharashtra", 50000, 0,
                 4500, 4500, orig_no="INV/25-26/0009", orig_date="28-09-2025", src="R1A", itcred="N"),
            _row(S2, N2, "KA/1001", "Regular", D(2025, 10, 3), 11800, "Pending", "27", 10000, 1800, 0, 0,
                 orig_no="KA/1001", orig_date=D(2025, 9, 15), src="IFF", prev="A"),
            _row(S3, N3, "GC-2025-700A", "Regular", "06-10-2025", 5900, "No Action", "27", 5000, 900, 0, 0,
                 orig_no="GC-2025-700", orig_date="2025-13-01"),
        ],
    ),
    "B2B-DN": dict(
        title="B2B debit notes",
        columns=_doc_columns("Debit note details", "Debit note number", "Note type", "Note date", "Note value"),
        rows=[
            _row(S2, N2, "DN-0045", "Regular", "10-10-2025", 5900, "Accepted", "27", 5000, 900, 0, 0),
            _row(S4, N4, "DL/DN/77", "Regular", "11-10-2025", 1180, "Rejected", "27-Maharashtra", 1000, 180, 0, 0,
                 remarks="Rate difference not agreed"),
            _row(S5, N5, "PP-DN-3", "Regular", "14-10-2025", 2360, "Pending", "27", "two thousand", 0, 180, 180),
        ],
    ),
    "B2B-DNA": dict(
        title="Amendments to B2B debit notes",
        columns=_amendment_columns("Note number", "Note type", "Note date", "Note value"),
        rows=[
            _row(S2, N2, "DN-0040", "Regular", "02-10-2025", 2360, "Accepted", "27", 2000, 360, 0, 0,
                 orig_no="DN-0040", orig_date="30-09-2025", itcred="N"),
            _row(S4, N4, "DL/DN/70A", "Regular", "04-10-2025", 590, "No Action", "27", 500, 90, 0, 0,
                 orig_no="DL/DN/70", orig_date="25-09-2025"),
        ],
    ),
    "B2B-CN": dict(
        title="B2B credit notes",
        columns=_doc_columns("Credit note details", "Note number", "Note type", "Note date", "Note value")
        + _ITC_RED,
        rows=[
            _row(S1, N1, "CN/25-26/004", "Regular", "08-10-2025", 11800, "Accepted", "27", 10000, 0, 900, 900,
                 itcred="Y", d_iamt=0, d_camt=900, d_samt=900, d_cess=0),
            _row(S3, N3, "GC-CN-19", "Regular", "09-10-2025", 23600, "Pending", "27", 20000, 3600, 0, 0,
                 itcred="N"),
            _row(S2, N2, "KA-CN-5", "Regular", "20-10-2025", 1180, "Accepted", "27", 1000, 180, 0, 0,
                 itcred="Yes", d_iamt=180, d_camt="x", d_samt=0),
        ],
    ),
    "B2B-CNA": dict(
        title="Amendments to B2B credit notes",
        columns=_amendment_columns("Note number", "Note type", "Note date", "Note value", orig_prefix=True),
        rows=[
            _row(S1, N1, "CN/25-26/001", "Regular", "03-10-2025", 5900, "Pending", "27", 5000, 0, 450, 450,
                 orig_no="CN/25-26/001", orig_date="20-09-2025", itcred="N"),
            _row(S3, N3, "GC-CN-11A", "Regular", "05-10-2025", 11800, "Accepted", "27", 10000, 1800, 0, 0,
                 orig_no="GC-CN-11", orig_date="22-09-2025", itcred="Yes", d_iamt=1800, d_camt=0, d_samt=0,
                 d_cess=0),
        ],
    ),
    "ECO": dict(
        title="Supplies through e-commerce operators u/s 9(5)",
        columns=_doc_columns("Invoice details", "Invoice number", None, "Invoice date", "Invoice value"),
        rows=[
            _row(E1, EN1, "ECO/1001", None, "06-10-2025", 1050, "Accepted", "27-Maharashtra", 1000, 50, 0, 0),
            _row(E1, EN1, "ECO/1002", None, D(2025, 10, 16), 2100, None, "27", 2000, 100, 0, 0),  # blank: No action
        ],
    ),
    "ECOA": dict(
        title="Amendments to e-commerce documents",
        columns=_amendment_columns("Invoice number", None, "Invoice date", "Invoice value"),
        rows=[
            _row(E1, EN1, "ECO/0990", None, "01-10-2025", 525, "Accepted", "27", 500, 25, 0, 0,
                 orig_no="ECO/0990", orig_date="29-09-2025"),
        ],
    ),
    "IMPG": dict(
        title="Import of goods from overseas",
        single_header=True,
        columns=[(None, "Reference date", "refdt"), (None, "Port code", "port"),
                 (None, "Bill of entry number", "no"), (None, "Bill of entry date", "date"),
                 (None, "Taxable value", "txval"), (None, "Integrated tax", "iamt"), (None, "Cess", "cess"),
                 (None, "Status", "status"), (None, "Sheet validation errors", "sverr"),
                 (None, "Previous status", "prev"), (None, "Is pending blocked", "pendblk")],
        rows=[
            dict(refdt="16-10-2025", port="INNSA1", no="4567123", date="10-10-2025", txval=100000, iamt=18000,
                 cess=0, status="Accepted", prev="No Action", pendblk="N"),
            dict(refdt=D(2025, 10, 18), port="INBOM4", no="4567999", date="12-10-2025", txval=50000, iamt=9000,
                 cess=0, status="Pending", prev="No Action", pendblk="N"),
        ],
    ),
    "ISD": dict(  # not an IMS section: left out with a warning
        title="Input service distributor credits",
        columns=_doc_columns("Document details", "Document number", None, "Document date", "Document value"),
        rows=[
            _row(S1, N1, "ISD/1", None, "05-10-2025", 1180, "Accepted", "27", 1000, 0, 90, 90),
            _row(S1, N1, "ISD/2", None, "06-10-2025", 2360, "Accepted", "27", 2000, 0, 180, 180),
        ],
    ),
}


def build(path: Path | str, extra_rows: int = 0) -> Path:
    """Write the workbook to ``path``; ``extra_rows`` more rows above every sheet's header."""
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"title": "IMS offline tool", "created": dt.datetime(2025, 11, 1)})
    bold = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True,
                          "bg_color": "#DDEBF7", "border": 1})
    date_fmt = wb.add_format({"num_format": "dd-mm-yyyy"})
    readme = wb.add_worksheet("Read Me")
    for i, line in enumerate(["IMS offline tool", "Download the IMS data from the GST portal and open it here.",
                              "Select Accepted, Rejected or Pending in the Status column of each sheet.",
                              "Validate the sheets and generate the JSON file for upload."]):
        readme.write(i, 0, line)
    for name, spec in SHEETS.items():
        ws = wb.add_worksheet(name)
        amendment = any(key == "orig_no" for _, _, key in spec["columns"])
        r = 0
        for i in range(extra_rows):
            ws.write(r, 0, f"Inserted note {i + 1}" if i % 2 == 0 else None)
            r += 1
        ws.write(r, 0, f"Invoice Management System (IMS) - {spec['title']}", bold)
        ws.write(r + 1, 0, f"GSTIN of the recipient: {RECIPIENT}")
        ws.write(r + 2, 0, "Tax period: October 2025")
        ws.write(r + 3, 0, "Instructions: do not change the layout; fill in Status and Remarks only.")
        r += 4
        if amendment or spec.get("single_header"):
            note = "Original details are those of the document as first reported by the supplier."
            ws.write(r, 0, note if amendment else "Import of goods: Reject is not allowed.")
            r += 1
        r = _write_header(ws, r, spec["columns"], head, spec.get("single_header", False))
        keys = [key for _, _, key in spec["columns"]]
        for row in spec["rows"]:
            for c, key in enumerate(keys):
                value = None if row is None else row.get(key)
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                elif value is not None:
                    ws.write_string(r, c, value)
            r += 1
    wb.close()
    return path


def _write_header(ws, r: int, columns, fmt, single: bool) -> int:
    if single:
        for c, (_, name, _) in enumerate(columns):
            ws.write(r, c, name, fmt)
        return r + 1
    c = 0
    while c < len(columns):
        group = columns[c][0]
        if group is None:
            ws.merge_range(r, c, r + 1, c, columns[c][1], fmt)
            c += 1
            continue
        end = c
        while end + 1 < len(columns) and columns[end + 1][0] == group:
            end += 1
        if end > c:
            ws.merge_range(r, c, r, end, group, fmt)
        else:
            ws.write(r, c, group, fmt)
        for k in range(c, end + 1):
            ws.write(r + 1, k, columns[k][1], fmt)
        c = end + 1
    return r + 2


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("ims_offline.xlsx")
    print(build(target))
