"""Build the register workbooks used by the tests (run: python make_workbooks.py).

tally_title_rows.xlsx: Tally-style purchase register with company/title rows, merged title cells,
real date cells, numeric amount cells, a blank row, a totals line and a Grand Total row.
tally_title_rows.xls: the same in the old Excel format (xlwt).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).parent
HEADERS = ["Date", "Particulars", "Voucher Type", "Voucher No.", "Supplier Invoice No.",
           "Supplier Invoice Date", "GSTIN/UIN", "Place of Supply", "Taxable Value",
           "Integrated Tax Amount", "Central Tax Amount", "State/UT Tax Amount", "Cess Amount",
           "Gross Total", "Reverse Charge"]
D = dt.datetime
ROWS = [
    [D(2025, 4, 2), "Alpha Ltd", "Purchase", 1, "INV/001", D(2025, 4, 1), "27AAPFU0939F1ZV", "27", 100000, None, 9000, 9000, None, 118000, "No"],
    [D(2025, 4, 3), "Alpha Ltd", "Purchase", 2, "INV/002", None, None, "27", 1000, None, 90, 90, None, 1180, "No"],
    [D(2025, 4, 4), "Beta Corp", "Credit Note", 3, "CN-9", "02/04/2025", "29AAGCB1286Q1Z3", "27", -500, -90, None, None, None, -590, "No"],
    [D(2025, 4, 4), "Beta Corp", "Purchase", 4, "X1", "31-02-2025", "29AAGCB1286Q1Z3", "27", "abc", None, None, None, None, None, "No"],
    [None] * 15,
    [D(2025, 4, 5), "Gamma", "Purchase", 5, 12345, D(2025, 4, 5), "27AAPFU0939F1ZV", "27", 100, None, 9, 9, None, 118, "Yes"],
    [None, None, None, None, None, None, None, None, 101600, None, 9099, 9099, None, None, None],
    ["Grand Total"] + [None] * 14,
]
TITLES = ["Acme Traders Pvt Ltd", "Purchase Register", "1-Apr-2025 to 31-Mar-2026", None]


def build_xlsx(path: Path) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Purchase Register")
    bold = wb.add_format({"bold": True})
    date_fmt = wb.add_format({"num_format": "d-mmm-yyyy"})
    for r, title in enumerate(TITLES):
        if title:
            ws.merge_range(r, 0, r, len(HEADERS) - 1, title, bold)
    ws.write_row(len(TITLES), 0, HEADERS, bold)
    for r, row in enumerate(ROWS, start=len(TITLES) + 1):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, date_fmt)
            elif value is not None:
                ws.write(r, c, value)
    wb.add_worksheet("Notes").write(0, 0, "Exported from Tally")
    wb.close()
    return path


def build_xls(path: Path) -> Path:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Purchase Register")
    date_style = xlwt.easyxf(num_format_str="D-MMM-YYYY")
    for r, title in enumerate(TITLES):
        if title:
            ws.write(r, 0, title)
    for c, h in enumerate(HEADERS):
        ws.write(len(TITLES), c, h)
    for r, row in enumerate(ROWS, start=len(TITLES) + 1):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write(r, c, value, date_style)
            elif value is not None:
                ws.write(r, c, value)
    wb.save(str(path))
    return path


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    build_xlsx(out / "tally_title_rows.xlsx")
    build_xls(out / "tally_title_rows.xls")
