"""Registers as users really send them, and files made to break a reader: every one becomes an
ImportResult or an InputFileError naming the file, in bounded time and memory; never a parser's
own error, a library's traceback or a crash."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import resource
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imsrecon.importers.base import ImportOptions, ImportResult
from imsrecon.importers.register import RegisterImporter
from imsrecon.importers.registry import read_file
from imsrecon.issues import InputFileError, Severity

DATA = Path(__file__).parent / "data" / "registers"
HEAD = "Supplier Name,Supplier GSTIN,Invoice No,Invoice Date,Taxable Value,IGST,CGST,SGST\n"
ROW = "Alpha Ltd,27AAPFU0939F1ZV,A-{n},0{n}-04-2025,1000,0,90,90\n"


def read(path: Path, **options) -> ImportResult:
    return RegisterImporter().read(path, ImportOptions(**options))


def written(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- delimited text ---------------------------------------------------------------------------

TWO = (HEAD + ROW.format(n=1) + ROW.format(n=2)).encode()


@pytest.mark.parametrize(
    ("name", "data", "documents", "issue"),
    [
        ("bare CR in a cell", TWO.replace(b"A-1", b"A\r1"), 2, "document number has characters other than"),
        ("bare CR in a quoted cell", TWO.replace(b"Alpha Ltd,27AAPFU0939F1ZV,A-1", b'"Alpha\rLtd",27AAPFU0939F1ZV,A-1'), 2, None),
        ("NUL in a cell", TWO.replace(b"Alpha Ltd", b"Alpha\x00Ltd", 1), 2, None),
        ("header row only", HEAD.encode(), 0, None),
        ("header row only, no line end", HEAD.strip().encode(), 0, None),
        ("CRLF line ends", TWO.replace(b"\n", b"\r\n"), 2, None),
        ("old Mac line ends", TWO.replace(b"\n", b"\r"), 2, None),
        ("a short row", TWO + b"Alpha Ltd,27AAPFU0939F1ZV,A-3\n", 2, "document date is blank"),
        ("a name with a comma, not in quotes", TWO + b"Alpha, Ltd,27AAPFU0939F1ZV,A-3,03-04-2025,1000,0,90,90\n", 2,
         "the row has more cells than the header row: a delimiter inside a value"),
        ("trailing delimiters", TWO.replace(b"90,90\n", b"90,90,,,\n"), 2, None),
        ("a quote inside a cell", TWO.replace(b"Alpha Ltd", b'Alpha 12" Pipes', 1), 2, None),
        ("a quote inside a quoted cell", TWO.replace(b"Alpha Ltd", b'"Alpha "Best" Ltd"', 1), 2, None),
        ("a 10 MB cell", TWO.replace(b"Alpha Ltd", b"x" * (10 << 20), 1), 1,
         "a cell of 10,485,760 characters (a spreadsheet cell holds at most 32,767): row not imported"),
        ("a 10 MB title line above the header", b"y" * (10 << 20) + b"\n" + TWO, 2, None),
        ("UTF-16 without a byte-order mark", TWO.decode().encode("utf-16-le"), 2, None),
        ("UTF-16 cut in the middle of a character", "\ufeff".encode("utf-16-le") + TWO.decode().encode("utf-16-le")
         + b"\x41", 2, "document number is blank"),  # the odd byte: a row of one replacement character
        ("semicolons", TWO.replace(b",", b";"), 2, None),
        ("tabs, and a pipe in a name", TWO.replace(b",", b"\t").replace(b"Alpha Ltd", b"Alpha|Ltd"), 2, None),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 60 else "",
)
def test_delimited_text_as_real_files_have_it(tmp_path, name, data, documents, issue):
    result = read(written(tmp_path, "books.csv", data))
    assert result.documents.height == documents, name
    if issue:
        assert any(issue in i.reason for i in result.issues), [str(i) for i in result.issues]
    else:
        assert not result.errors, [str(i) for i in result.errors]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a quote never closed", TWO.replace(b"A-2,", b'"A-2,'), "line 3: a quote opened in this row is never closed"),
        ("no delimiter at all", b"Supplier GSTIN Invoice No Invoice Date Taxable Value\nx y z\n", "no header row found"),
        ("random bytes", bytes(random.Random(5).randrange(256) for _ in range(5000)), "no header row found"),
        ("a PDF", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "is a PDF, not a spreadsheet"),
        ("a header of 2,000 columns", (",".join(["Invoice No", "Taxable Value", "Supplier GSTIN", "Invoice Date"]
                                                + [f"c{k}" for k in range(2000)]) + "\n").encode(),
         "the header row has 2,004 columns; the limit is 1,024 columns"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 60 else "",
)
def test_delimited_text_that_cannot_be_read_is_refused_by_name(tmp_path, name, data, message):
    with pytest.raises(InputFileError) as exc:
        read(written(tmp_path, "books.csv", data))
    assert exc.value.file == "books.csv" and message in exc.value.reason, (name, exc.value.reason)


def test_a_header_short_of_the_rows_gets_its_unnamed_columns(tmp_path):
    """Every row has a cell past the header's last column (an export that names no remarks column):
    the header is short, not the rows shifted; they are read, and a note says so."""
    data = HEAD.strip() + "\n" + "".join(ROW.format(n=n).strip() + f",remark {n}\n" for n in range(1, 6))
    result = read(written(tmp_path, "books.csv", data.encode()))
    assert result.documents.height == 5 and not result.errors
    assert any("5 of 5 rows have cells past the header's last column" in n for n in result.notes)


def test_lines_in_two_encodings_are_each_read_in_their_own(tmp_path):
    """A register pasted together from a UTF-8 export and a Windows-1252 one."""
    utf8 = (HEAD + ROW.format(n=1).replace("Alpha Ltd", "Déltà Ltd")).encode("utf-8")
    cp1252 = ROW.format(n=2).replace("Alpha Ltd", "Déltà Ltd").encode("cp1252")
    result = read(written(tmp_path, "books.csv", utf8 + cp1252))
    assert result.documents["supplier_name"].to_list() == ["Déltà Ltd", "Déltà Ltd"]
    assert any("1 lines are not UTF-8 (the others are): read as Windows-1252" in n for n in result.notes)


# --- files that are not what their names say --------------------------------------------------

ERP_HTML = """<html><head><meta charset="utf-8"><title>Purchase Register</title>
<style>td {{ mso-number-format:"\\@"; }}</style><script>var x = "<td>not a cell</td>";</script></head>
<body><table border="1">
<tr><td colspan="9"><b>Acme Traders Pvt Ltd &mdash; Purchase Register</b></td></tr>
<tr><td colspan="9">From 01-Apr-2025 to 30-Apr-2025</td></tr>
<tr><th>Date</th><th>Particulars</th><th>Vch No.</th><th>Supplier Invoice No.</th><th>Supplier Invoice Date</th>
<th>GSTIN/UIN</th><th>Taxable Value</th><th>Central Tax</th><th>State Tax</th></tr>
{rows}
<tr><td></td><td><b>Grand Total</b></td><td></td><td></td><td></td><td></td><td>{total}</td><td></td><td></td></tr>
</table></body></html>"""
HTML_ROW = ("<tr><td>0{n}-04-2025</td><td>M/s. Alpha &amp; Sons</td><td>{n}</td><td>AS/{n}</td><td>0{n}-04-2025</td>"
            "<td>27AAPFU0939F1ZV</td><td>&#8377; 1,{n}00.00</td><td>{tax}</td><td>{tax}</td></tr>")
SPREADSHEET_ML = """<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
<Worksheet ss:Name="Purchases"><Table>
<Row><Cell ss:MergeAcross="3"><Data ss:Type="String">Acme Traders</Data></Cell></Row>
<Row ss:Index="3"><Cell><Data ss:Type="String">GSTIN of Supplier</Data></Cell><Cell><Data ss:Type="String">Invoice No</Data></Cell>
<Cell><Data ss:Type="String">Invoice Date</Data></Cell><Cell><Data ss:Type="String">Taxable Value</Data></Cell>
<Cell><Data ss:Type="String">IGST</Data></Cell></Row>
<Row><Cell><Data ss:Type="String">29AAGCB1286Q1Z0</Data></Cell><Cell><Data ss:Type="String">B-1</Data></Cell>
<Cell><Data ss:Type="String">02-04-2025</Data></Cell><Cell><Data ss:Type="Number">2500</Data></Cell>
<Cell ss:Index="5"><Data ss:Type="Number">450</Data></Cell></Row>
</Table></Worksheet></Workbook>"""


def erp_html(n: int = 3) -> bytes:
    rows = "\n".join(HTML_ROW.format(n=k, tax=f"{k * 9 + 90}.00") for k in range(1, n + 1))
    return ERP_HTML.format(rows=rows, total="9,999.00").encode("utf-8")


def test_an_html_page_saved_as_xls_is_read_as_its_table(tmp_path):
    result = read(written(tmp_path, "PurchaseRegister.xls", erp_html()))
    docs = result.documents.select("doc_no", "doc_date", "supplier_name", "taxable_value", "cgst", "voucher_no")
    assert docs.rows()[0][:5] == ("AS/1", dt.date(2025, 4, 1), "M/s. Alpha & Sons", 1100.0, 99.0)
    assert docs["doc_no"].to_list() == ["AS/1", "AS/2", "AS/3"] and docs["taxable_value"].to_list() == [1100.0, 1200.0, 1300.0]
    assert result.kind.value == "pr_xls" and any("web page (HTML) table" in n for n in result.notes)
    assert [i.code for i in result.issues if i.code == "total_row"] == ["total_row"]
    assert result.documents["src_line"].to_list() == [4, 5, 6]  # the row numbers of the table


def test_excel_2003_xml_saved_as_xls_is_read(tmp_path):
    docs = read(written(tmp_path, "books.xls", SPREADSHEET_ML.encode())).documents
    assert docs.select("doc_no", "taxable_value", "igst", "src_sheet", "src_line").rows() == [
        ("B-1", 2500.0, 450.0, "Purchases", 4)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><body><p>Session expired. Please log in again.</p></body></html>", "holds no table"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "cannot read as a spreadsheet: not a valid .xls file"),
        (b"PK\x03\x04 this is not really a workbook", "cannot read as a spreadsheet"),
    ],
)
def test_a_spreadsheet_that_is_not_one_is_refused_by_name(tmp_path, data, message):
    with pytest.raises(InputFileError) as exc:
        read(written(tmp_path, "books.xls", data))
    assert exc.value.file == "books.xls" and message in exc.value.reason, exc.value.reason


@pytest.mark.parametrize(
    ("source", "name"),
    [("tally_title_rows.xlsx", "books.xls"), ("tally_title_rows.xls", "books.xlsx"),
     ("tally_title_rows.csv", "books.xlsx"), ("tally_title_rows.xlsx", "books.csv")],
)
def test_a_file_is_read_by_its_content_not_its_name(tmp_path, source, name):
    path = written(tmp_path, name, (DATA / source).read_bytes())
    renamed = read(path).documents.drop("src_file", "source_kind")
    original = read(DATA / source).documents.drop("src_file", "source_kind")
    assert renamed.equals(original)
    assert renamed.height == 4


def test_an_html_page_renamed_xlsx_goes_through_the_registry(tmp_path):
    path = written(tmp_path, "books.xlsx", erp_html(2))
    assert read_file(path, ImportOptions(), side="pr").documents["doc_no"].to_list() == ["AS/1", "AS/2"]


# --- workbooks that claim or hold more than any register --------------------------------------

def xlsx(cells: list[tuple[str, str]], dimension: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal XLSX: one sheet "Sheet1" with inline-string cells at the given references."""
    sheet = "".join(f'<row r="{"".join(ch for ch in ref if ch.isdigit())}"><c r="{ref}" t="inlineStr"><is><t>{v}</t>'
                    f"</is></c></row>" for ref, v in cells)
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument'
        '/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main">{dim}<sheetData>{sheet}</sheetData></worksheet>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


HEADER_CELLS = [("A1", "Supplier GSTIN"), ("B1", "Invoice No"), ("C1", "Invoice Date"), ("D1", "Taxable Value"),
                ("E1", "IGST"), ("A2", "27AAPFU0939F1ZV"), ("B2", "A-1"), ("C2", "01-04-2025"), ("D2", "100"), ("E2", "18")]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # a reader that allocates for the claim dies here


def import_in_child(path: Path, **options) -> dict:
    """Import ``path`` in a child process with 3 GiB of address space, so that a reader that
    allocates for what a file claims fails this test instead of the machine."""
    code = (
        "import json, sys\nfrom pathlib import Path\nfrom imsrecon.importers.base import ImportOptions\n"
        "from imsrecon.importers.registry import read_file\nfrom imsrecon.issues import InputFileError\n"
        f"opts = ImportOptions(**{options!r})\n"
        "try:\n    r = read_file(Path(sys.argv[1]), opts)\n    print(json.dumps({'ok': r.documents.height}))\n"
        "except InputFileError as e:\n    print(json.dumps({'file': e.file, 'reason': e.reason}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300,
                         preexec_fn=_limit_memory)
    assert out.returncode == 0, f"the import crashed ({out.returncode}): {out.stderr[-2000:]}"
    assert out.stderr == "", out.stderr[-2000:]  # no warning, no traceback, no panic message
    return json.loads(out.stdout)


def _xls_with_far_cell() -> bytes:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Purchase Register")
    for c, (_, v) in enumerate(HEADER_CELLS[:5]):
        ws.write(0, c, v)
    ws.write(1, 200, 0.123456789)
    buf = io.BytesIO()
    wb.save(buf)
    data = bytearray(buf.getvalue())
    at = data.find(struct.pack("<HHHH", 0x0203, 14, 1, 200))  # the NUMBER record of that cell
    assert at > 0
    data[at + 6 : at + 8] = struct.pack("<H", 65535)  # column 65,536: a 136 GB block for a reader
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "make", "options", "message"),
    [
        ("a claimed dimension", lambda: xlsx(HEADER_CELLS, "A1:XFD1048576"), {},
         "sheet 'Sheet1' declares its cells as A1:XFD1048576 (1,048,576 rows × 16,384 columns); the limit is "
         "2,000,000 rows, 1,024 columns and 67,108,864 cells a sheet"),
        ("two cells far apart, no dimension", lambda: xlsx([*HEADER_CELLS, ("XFD1048576", "x")]), {},
         "sheet 'Sheet1' has cells as far as column 16,384 (XFD)"),
        ("a cell far down and wide, under a small dimension", lambda: xlsx([*HEADER_CELLS, ("ZZ1048576", "x")], "A1:E2"),
         {}, "sheet 'Sheet1' has cells as far as row 1,048,576, column 702 (ZZ1048576: 736,100,352 cells from A1)"),
        ("a wide sheet over the cell limit", lambda: xlsx([*HEADER_CELLS, ("CV50", "x")]), {"max_sheet_cells": 4000},
         "sheet 'Sheet1' has cells as far as row 50, column 100 (CV50: 5,000 cells from A1)"),
        ("rows over the row limit", lambda: xlsx([*HEADER_CELLS, ("A3000000", "x")]), {},
         "sheet 'Sheet1' has cells as far as row 3,000,000"),
        ("a zip bomb", lambda: xlsx(HEADER_CELLS, extra={"xl/media/pad.bin": b"\x00" * (12 << 20)}),
         {"max_uncompressed_bytes": 10 << 20}, "the limit is 10,485,760 bytes"),
        ("an .xls cell at column 65,536", _xls_with_far_cell, {},
         "sheet 'Purchase Register' has cells as far as row 2, column 65,536"),
    ],
)
def test_workbooks_over_the_limits_are_refused_before_they_are_read(tmp_path, name, make, options, message):
    suffix = ".xls" if "xls cell" in name else ".xlsx"
    path = written(tmp_path, f"books{suffix}", make())
    assert path.stat().st_size < 100_000  # small files that claim or hold a lot
    answer = import_in_child(path, **options)
    assert answer.get("file") == path.name and message in answer["reason"], (name, answer)


def test_a_wide_register_within_the_limits_is_read(tmp_path):
    """90 columns (a ledger-wise register): wider than Z, so its rows are counted exactly before the
    cell limit is judged; well within it."""
    cells = [*HEADER_CELLS, *[(f"CL{r}", f"note {r}") for r in range(1, 4)]]  # column 90
    answer = import_in_child(written(tmp_path, "books.xlsx", xlsx(cells)))
    assert answer == {"ok": 1}


def test_a_zip_whose_directory_lies_about_sizes_is_refused(tmp_path):
    data = bytearray(xlsx(HEADER_CELLS + [(f"A{r}", "y" * 200) for r in range(3, 400)]))
    # the central directory entry of the sheet: declare 100 bytes uncompressed
    at = data.rfind(b"xl/worksheets/sheet1.xml")
    header = data.rfind(b"PK\x01\x02", 0, at)
    data[header + 24 : header + 28] = struct.pack("<I", 100)
    answer = import_in_child(written(tmp_path, "books.xlsx", bytes(data)))
    assert answer.get("file") == "books.xlsx" and "cannot read as a spreadsheet" in answer["reason"], answer


@pytest.mark.parametrize("fill", [b"\xff" * 8, b"\x00" * 8, bytes(range(7, 15))])
def test_a_damaged_sheet_stream_is_refused_by_name(tmp_path, fill):
    """Bytes of the sheet's compressed data overwritten: zlib's or zipfile's own error becomes ours."""
    data = bytearray(xlsx(HEADER_CELLS + [(f"A{r}", f"row {r} " * 20) for r in range(3, 300)]))
    name = b"xl/worksheets/sheet1.xml"
    at = data.find(name) + len(name) + 200  # the local header's name comes first: well inside the sheet's data
    data[at : at + len(fill)] = fill
    with pytest.raises(InputFileError) as exc:
        read(written(tmp_path, "books.xlsx", bytes(data)))
    assert exc.value.file == "books.xlsx" and "cannot read as a spreadsheet" in exc.value.reason


def test_the_ims_excel_importer_is_guarded_too(tmp_path):
    """The IMS offline tool's workbooks are read through the same functions: a B2B sheet that claims
    XFD1048576 is refused the same way."""
    from imsrecon.importers.ims_excel import ImsExcelImporter

    path = written(tmp_path, "ims.xlsx", xlsx(HEADER_CELLS, "A1:XFD1048576").replace(b'name="Sheet1"', b'name="B2B"'))
    with pytest.raises(InputFileError, match="declares its cells as A1:XFD1048576"):
        ImsExcelImporter().read(path, ImportOptions())


# --- fuzz: whatever the bytes, an ImportResult or an InputFileError naming the file -----------

HEADERS = ["Supplier GSTIN", "GSTIN/UIN", "Invoice No", "Voucher Ref. No.", "Invoice Date", "Voucher Ref. Date",
           "Date", "Taxable Value", "IGST", "CGST", "SGST", "Cess", "Input CGST @9%", "Input CGST @6%", "Rate",
           "Voucher Type", "Document Type", "Document Mode", "Particulars", "Item Name", "Invoice Value", "Status"]
CELLS = st.one_of(
    st.sampled_from(["27AAPFU0939F1ZV", "URP", "A-1", "INV/25-26/0001", "01-04-2025", "31-02-2025", "2025-04-01",
                     "1,18,000.00", "(500.00)", "NaN", "nan", "inf", "1e23", "-1e308", "=1+2", "=HYPERLINK(\"x\")",
                     "@SUM(A1)", "Credit", "DEBIT", "B2B", "CDNR", "0", "Nil", "Total", "Grand Total", "(cancelled)",
                     "\x00", "\r", "\x1b[31m", "\u202e", "₹ 5", "", " "]),
    st.text(max_size=30),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**20, max_value=10**20).map(str),
)
TABLES = st.tuples(
    st.lists(st.one_of(st.sampled_from(HEADERS), st.text(max_size=12)), min_size=1, max_size=12),
    st.lists(st.lists(CELLS, max_size=14), max_size=25),
)


def _csv_bytes(headers: list[str], rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


def _xlsx_bytes(headers: list[str], rows: list[list[str]]) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": True})
    ws = wb.add_worksheet("Purchase Register")
    for r, row in enumerate([headers, *rows]):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    wb.close()
    return buf.getvalue()


def _html_bytes(headers: list[str], rows: list[list[str]]) -> bytes:
    import html

    cells = ["<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in [headers, *rows]]
    return ("<html><body><table>" + "".join(cells) + "</table></body></html>").encode("utf-8", errors="replace")


def _xls_bytes(headers: list[str], rows: list[list[str]]) -> bytes:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Purchases")
    for r, row in enumerate([headers, *rows]):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


WRITERS = {"xlsx": _xlsx_bytes, "html": _html_bytes, "xls": _xls_bytes}


def _mutated(data: bytes, rng: random.Random, how: str) -> bytes:
    if how == "none" or not data:
        return data
    b = bytearray(data)
    if how == "flip":
        for _ in range(rng.randint(1, 20)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif how == "cut":
        b = b[: rng.randrange(len(b))]
    elif how == "insert":
        at = rng.randrange(len(b) + 1)
        b[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    return bytes(b)


def _assert_named_result(path: Path) -> None:
    try:
        result = read(path)
    except InputFileError as exc:
        assert exc.file == path.name and exc.reason
        return
    assert isinstance(result, ImportResult) and result.file == path.name
    assert result.rows_read >= result.documents.height
    assert all(i.file == path.name and isinstance(i.severity, Severity) for i in result.issues)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(table=TABLES, form=st.sampled_from(["csv", "csv", "xlsx", "html", "xls"]), delimiter=st.sampled_from([",", ";", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "cp1252", "utf-16"]), how=st.sampled_from(["none", "none", "flip", "cut", "insert"]),
       seed=st.integers(0, 2**16), suffix=st.sampled_from([".csv", ".xlsx", ".xls"]))
def test_fuzz_any_table_or_bytes_give_a_result_or_a_named_error(tmp_path, table, form, delimiter, encoding, how, seed,
                                                                suffix):
    headers, rows = table
    data = _csv_bytes(headers, rows, delimiter, encoding) if form == "csv" else WRITERS[form](headers, rows)
    path = written(tmp_path, f"fuzz{suffix}", _mutated(data, random.Random(seed), how))
    _assert_named_result(path)


def test_decide_from_a_workbook_over_the_limits_is_refused_before_it_is_read(tmp_path):
    """`decide --from` opens workbooks through the same bounded opener as the importers."""
    from imsrecon.decisions_xlsx import read_decisions_xlsx

    data = xlsx(HEADER_CELLS, "A1:XFD1048576").replace(b'name="Sheet1"', b'name="Exact"')
    with pytest.raises(InputFileError, match="declares its cells as A1:XFD1048576"):
        read_decisions_xlsx(written(tmp_path, "recon.xlsx", data))


def test_the_gstr2b_excel_importer_reads_within_the_callers_limits(tmp_path):
    """The options' limits reach every workbook reader, not only the defaults."""
    from imsrecon.importers.gstr2b_excel import Gstr2bExcelImporter

    data = xlsx(HEADER_CELLS).replace(b'name="Sheet1"', b'name="B2B"')
    path = written(tmp_path, "2b.xlsx", data)
    with pytest.raises(InputFileError, match="the limit is"):
        Gstr2bExcelImporter().read(path, ImportOptions(max_sheet_columns=2))
