"""Purchase-register importer: golden files per layout, and the exact message for each bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from golden import assert_golden
from polars.testing import assert_frame_equal

from imsrecon.importers.base import ImportOptions
from imsrecon.importers.register import RegisterImporter
from imsrecon.importers.register_columns import ColumnMapping, resolve_columns
from imsrecon.issues import InputFileError, Severity

DATA = Path(__file__).parent / "data" / "registers"
COLUMNS = [
    "src_sheet", "src_row", "src_line", "supplier_gstin", "supplier_name", "doc_class", "doc_no",
    "doc_no_norm", "doc_date", "fy", "tax_period", "place_of_supply", "taxable_value", "igst", "cgst",
    "sgst", "cess", "doc_value", "reverse_charge", "voucher_no", "voucher_date", "voucher_type", "flags",
]  # fmt: skip


def read(name: str, **kw) -> object:
    return RegisterImporter().read(DATA / name, ImportOptions(**kw))


def snapshot(result) -> dict:
    return {
        "summary": result.summary(),
        "documents": result.documents.select(COLUMNS),
        "issues": [str(i) for i in result.issues],
    }


@pytest.mark.parametrize(
    "name",
    ["tally_title_rows.csv", "tally_title_rows.xlsx", "tally_title_rows.xls", "zoho_bills.csv",
     "busy_ledger_columns.csv", "gstr2_rate_lines.csv"],
)
def test_register_golden(name):
    assert_golden(f"register_{name.replace('.', '_')}", snapshot(read(name)))


def test_custom_headers_need_and_use_a_mapping_file():
    with pytest.raises(InputFileError, match="no header row found in the first 60 rows"):
        read("custom_headers.csv")
    result = read("custom_headers.csv", mapping_file=DATA / "custom_headers.toml")
    assert_golden("register_custom_headers_mapped", snapshot(result))
    assert result.documents["doc_class"].to_list() == ["invoice", "credit_note"]


def test_xlsx_and_xls_read_the_same_as_each_other(tmp_path):
    # Rebuild the workbooks from their script so the committed fixtures cannot drift.
    import sys

    sys.path.insert(0, str(DATA))
    import make_workbooks

    rebuilt = make_workbooks.build_xlsx(tmp_path / "tally_title_rows.xlsx")
    make_workbooks.build_xls(tmp_path / "tally_title_rows.xls")
    fresh = RegisterImporter().read(rebuilt, ImportOptions()).documents
    committed = read("tally_title_rows.xlsx").documents
    assert_frame_equal(fresh.drop("src_file"), committed.drop("src_file"))
    xls = RegisterImporter().read(tmp_path / "tally_title_rows.xls", ImportOptions()).documents
    assert_frame_equal(xls.drop("src_file", "source_kind"), committed.drop("src_file", "source_kind"))


def test_every_row_is_a_document_an_error_or_a_skipped_total():
    for name in ("tally_title_rows.csv", "tally_title_rows.xlsx", "zoho_bills.csv", "busy_ledger_columns.csv",
                 "tally_detailed.csv"):
        r = read(name)
        rejected = {(i.sheet, i.row) for i in r.issues if i.severity is Severity.ERROR}
        skipped = {(i.sheet, i.row) for i in r.issues if i.code in ("total_row", "ledger_line", "cancelled")}
        assert r.rows_read == r.documents.height + len(rejected) + len(skipped), name


def test_lakh_grouping_negative_credit_note_and_blank_date_fallback():
    docs = read("tally_title_rows.csv").documents
    first = docs.row(0, named=True)
    assert first["taxable_value"] == 100000.0 and first["doc_value"] == 118000.0
    cn = docs.filter(pl.col("doc_no") == "CN-9").row(0, named=True)
    assert (cn["doc_class"], cn["taxable_value"], cn["igst"], cn["doc_value"]) == ("credit_note", 500.0, 90.0, 590.0)
    assert "negative_amounts" in cn["flags"]
    filled = docs.filter(pl.col("doc_no") == "INV/002").row(0, named=True)
    assert str(filled["doc_date"]) == "2025-04-03" and "doc_date_from_voucher" in filled["flags"]
    assert filled["supplier_gstin"] == "27AAPFU0939F1ZV" and "supplier_gstin_from_party" in filled["flags"]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # (header row -> field: header) for the common layouts
        (["GSTIN/UIN of Supplier", "Invoice Number", "Integrated Tax Paid"],
         {"supplier_gstin": ("GSTIN/UIN of Supplier",), "doc_no": ("Invoice Number",), "igst": ("Integrated Tax Paid",)}),
        (["Party GSTIN", "Bill No", "Bill Date", "Voucher Type", "State/UT Tax Amount", "Cess Amount"],
         {"supplier_gstin": ("Party GSTIN",), "doc_no": ("Bill No",), "doc_date": ("Bill Date",),
          "voucher_type": ("Voucher Type",), "sgst": ("State/UT Tax Amount",), "cess": ("Cess Amount",)}),
        (["Supplier GSTIN", "Supplier Invoice No.", "Voucher No.", "IGST", "Date"],
         {"supplier_gstin": ("Supplier GSTIN",), "doc_no": ("Supplier Invoice No.",), "voucher_no": ("Voucher No.",),
          "igst": ("IGST",), "voucher_date": ("Date",)}),
        (["Invoice No", "Input CGST @9%", "Input CGST @6%", "CGST 2.5%", "Input SGST 9%"],
         {"doc_no": ("Invoice No",), "cgst": ("Input CGST @9%", "Input CGST @6%", "CGST 2.5%"), "sgst": ("Input SGST 9%",)}),
        (["supplier invoice no", "INVOICE DATE", "gstin"],
         {"doc_no": ("supplier invoice no",), "doc_date": ("INVOICE DATE",), "supplier_gstin": ("gstin",)}),
    ],
)
def test_alias_table(cells, expected):
    assert resolve_columns(cells, None, "x.csv") == expected


def test_mapping_file_errors(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text('[columns]\ninvoice = "Bill"\n')
    with pytest.raises(InputFileError, match="\\[columns\\] 'invoice' is not a field"):
        ColumnMapping.load(bad)
    bad.write_text('[document_types]\n"Journal" = "receipt"\n')
    with pytest.raises(InputFileError, match="use invoice, credit_note or debit_note"):
        ColumnMapping.load(bad)
    bad.write_text("[columns\n")
    with pytest.raises(InputFileError, match="cannot read the mapping file"):
        ColumnMapping.load(bad)
    bad.write_text('[columns]\ndoc_no = "No Such Column"\n[options]\nheader_row = 1\n')
    with pytest.raises(InputFileError, match="column 'No Such Column' for doc_no is not in the header row"):
        read("custom_headers.csv", mapping_file=bad)


def test_forced_header_row(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('[options]\nheader_row = 5\n')
    docs = read("tally_title_rows.csv", mapping_file=mapping).documents
    assert docs.height == 4 and docs["src_line"].to_list() == [6, 7, 8, 11]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"Name,Amount,Remarks\nfoo,12,bar\n", "no header row found in the first 60 rows"),
        (b"just one line of text", "no header row found in the first 60 rows"),
    ],
)
def test_unreadable_csv_files(tmp_path, content, message):
    path = tmp_path / "register.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as exc:
        RegisterImporter().read(path, ImportOptions())
    assert exc.value.file == "register.csv" and message in exc.value.reason


def test_corrupt_xlsx_names_the_file(tmp_path):
    path = tmp_path / "books.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    with pytest.raises(InputFileError) as exc:
        RegisterImporter().read(path, ImportOptions())
    assert exc.value.file == "books.xlsx" and "cannot read as a spreadsheet" in exc.value.reason


def test_size_limit(tmp_path):
    path = tmp_path / "big.csv"
    shutil.copy(DATA / "zoho_bills.csv", path)
    with pytest.raises(InputFileError, match="the limit is 100 bytes"):
        RegisterImporter().read(path, ImportOptions(max_file_bytes=100))


def test_windows_1252_csv_is_read(tmp_path):
    text = (DATA / "zoho_bills.csv").read_text().replace("Delta Supplies", "Déltà Supplies")
    path = tmp_path / "cp1252.csv"
    path.write_bytes(text.encode("cp1252"))
    docs = RegisterImporter().read(path, ImportOptions()).documents
    assert docs["supplier_name"][0] == "Déltà Supplies"


@pytest.mark.parametrize(
    ("row", "column", "value", "reason"),
    [
        ("01-04-2025,A1,27AAPFU0939F1ZV,1000,90,90,1180", None, None, None),
        ("31-04-2025,A1,27AAPFU0939F1ZV,1000,90,90,1180", "Invoice Date", "31-04-2025", "not a date (use DD-MM-YYYY, DD-Mon-YYYY or YYYY-MM-DD)"),
        ("01-04-2025,A1,27AAPFU0939F1ZV,1O00,90,90,1180", "Taxable Value", "1O00", "not a number"),
        ("01-04-2025,,27AAPFU0939F1ZV,1000,90,90,1180", "Invoice Number", "", "document number is blank"),
        (",A1,27AAPFU0939F1ZV,1000,90,90,1180", "Invoice Date", "", "document date is blank"),
        ("01-04-2025,A1,27AAPFU0939F1ZV,1000,nine,90,1180", "CGST", "nine", "not a number"),
    ],
)
def test_exact_row_errors(tmp_path, row, column, value, reason):
    path = tmp_path / "books.csv"
    path.write_text("Invoice Date,Invoice Number,Supplier GSTIN,Taxable Value,CGST,SGST,Invoice Value\n" + row + "\n")
    result = RegisterImporter().read(path, ImportOptions())
    errors = result.errors
    if reason is None:
        assert errors == [] and result.documents.height == 1
        return
    assert len(errors) == 1 and result.documents.height == 0
    e = errors[0]
    assert (e.file, e.row, e.line, e.column, e.reason) == ("books.csv", 1, 2, column, reason)
    assert (e.value or "") == value


def read_one_row(tmp_path, header: str, row: str):
    """A register CSV of one header and one row, read."""
    path = tmp_path / "books.csv"
    path.write_text(f"{header}\n{row}\n")
    return RegisterImporter().read(path, ImportOptions())


@pytest.mark.parametrize(
    ("gstin", "warning"),
    [
        ("27AAPFU0939F1ZA", "GSTIN check character should be V"),
        ("27AAPFU0939F1Z", "GSTIN must have 15 characters, not 14"),
        ("", "supplier GSTIN is blank and no other row of this party has one"),
    ],
)
def test_gstin_warnings_never_reject(tmp_path, gstin, warning):
    result = read_one_row(tmp_path, "Supplier Name,Invoice Date,Invoice Number,Supplier GSTIN,Taxable Value,CGST,SGST",
                          f"X,01-04-2025,A1,{gstin},1000,90,90")
    assert result.documents.height == 1
    assert [i.reason for i in result.warnings if i.column == "Supplier GSTIN"] == [warning]


@pytest.mark.parametrize(
    ("number", "norm", "code"),
    [
        ("12345.0", "12345", "doc_no_number"),  # a pandas or spreadsheet export of a number column
        ("9.87654E+11", "987654E11", "doc_no_scientific"),  # digits lost: said so
        ("INV 12", "INV12", "doc_no_chars"),
    ],
)
def test_numbers_that_a_spreadsheet_turned_into_numbers(tmp_path, number, norm, code):
    result = read_one_row(tmp_path, "Supplier Name,Invoice Date,Invoice Number,Supplier GSTIN,Taxable Value,CGST,SGST",
                          f"X,01-04-2025,{number},27AAPFU0939F1ZV,1000,90,90")
    assert result.documents["doc_no_norm"].to_list() == [norm]
    warned = [i for i in result.warnings if i.column == "Invoice Number"]
    assert [(i.code, i.row, i.value) for i in warned] == [(code, 1, number)]


@pytest.mark.parametrize(
    ("voucher_type", "doc_class", "warned"),
    [
        ("Purchase", "invoice", False),
        ("Purchase GST 18%", "invoice", False),
        ("Purchase Return - Local", "credit_note", False),
        ("Credit Note (GST)", "credit_note", False),
        ("Debit Note", "debit_note", False),
        ("Journal", "invoice", True),
    ],
)
def test_voucher_types_by_name_and_by_words(tmp_path, voucher_type, doc_class, warned):
    result = read_one_row(tmp_path, "Invoice Date,Invoice Number,Supplier GSTIN,Voucher Type,Taxable Value,CGST,SGST",
                          f"01-04-2025,A1,27AAPFU0939F1ZV,{voucher_type},1000,90,90")
    assert result.documents["doc_class"].to_list() == [doc_class]
    assert any(i.code == "doc_type" for i in result.warnings) is warned


def test_utf16_csv_with_bom_is_read(tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes((DATA / "zoho_bills.csv").read_text().encode("utf-16"))
    docs = RegisterImporter().read(path, ImportOptions()).documents
    assert docs["doc_no"].to_list() == ["ZB-0001", "zb 0002", "ZCN-7", "ZB-0003"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Supplier's GSTIN", "supplier_gstin"),  # possessive
        ("Supp. GSTIN", "supplier_gstin"),
        ("GSTN", "supplier_gstin"),
        ("Inv Dt", "doc_date"),  # abbreviations spelled out
        ("Invoice Dt.", "doc_date"),
        ("Supplier Inv. Dt", "doc_date"),
        ("Bill Dt", "doc_date"),
        ("Invoice #", "doc_no"),
        ("Inv. Num", "doc_no"),
        ("Vch Dt", "voucher_date"),
        ("Vchr No.", "voucher_no"),
        ("Invoice Val", "doc_value"),
        ("Taxable Amt.", "taxable_value"),
        ("Date", "voucher_date"),  # as written still wins
        ("Remarks", None),  # not a register field
        ("Dt", "voucher_date"),  # a bare date column is the voucher date, as "Date" is
    ],
)
def test_headers_with_abbreviations(header, field):
    from imsrecon.importers.register_columns import match_header

    found = match_header(header)
    assert (found[0] if found else None) == field


def test_item_wise_register_sums_the_items_of_a_document(tmp_path):
    """One row per item (no voucher number, no rate): the items of a document are summed, the
    document total repeated on each row is kept once, and an exact repeat stays a second booking."""
    path = tmp_path / "items.csv"
    path.write_text(
        "GSTIN of Supplier,Invoice No,Invoice Date,Item Name,HSN/SAC,Taxable Value,IGST,Invoice Value\n"
        "27AAPFU0939F1ZV,A-1,01-04-2025,Bolts,7318,100,18,177\n"
        "27AAPFU0939F1ZV,A-1,01-04-2025,Nuts,7318,50,9,177\n"
        "27AAPFU0939F1ZV,B-7,02-04-2025,Paint,3208,200,36,236\n"
        "27AAPFU0939F1ZV,B-7,02-04-2025,Paint,3208,200,36,236\n"  # booked twice
        "29AAGCB1286Q1Z0,A-1,01-04-2025,Bolts,7318,100,18,118\n"  # another supplier's A-1
    )
    result = RegisterImporter().read(path, ImportOptions())
    docs = result.documents.select("supplier_gstin", "doc_no", "taxable_value", "igst", "doc_value", "src_row")
    assert docs.rows() == [
        ("27AAPFU0939F1ZV", "A-1", 150.0, 27.0, 177.0, 1),
        ("27AAPFU0939F1ZV", "B-7", 200.0, 36.0, 236.0, 3),
        ("27AAPFU0939F1ZV", "B-7", 200.0, 36.0, 236.0, 4),
        ("29AAGCB1286Q1Z0", "A-1", 100.0, 18.0, 118.0, 5),
    ]
    assert [i.reason for i in result.issues if i.code == "lines_summed"] == [
        "rows 2, 3 are lines of one document: amounts summed"]
    assert "item" not in result.documents.columns


def test_unregistered_suppliers_are_flagged_not_warned(tmp_path):
    """"URP" / "Unregistered" in the GSTIN column: a purchase from an unregistered supplier, never
    in IMS. The GSTIN stays blank (not filled from the party, not reported as a bad GSTIN)."""
    path = tmp_path / "urp.csv"
    path.write_text(
        "Supplier Name,GSTIN/UIN,Invoice No,Invoice Date,Taxable Value,CGST,SGST\n"
        "Local Shop,URP,L-1,01-04-2025,1000,0,0\n"
        "Local Shop,27AAPFU0939F1ZV,L-2,02-04-2025,100,9,9\n"  # the same name, registered elsewhere
        "B Traders,Un-registered,L-3,01-04-2025,500,0,0\n"
    )
    result = RegisterImporter().read(path, ImportOptions())
    docs = result.documents.select("doc_no", "supplier_gstin", "flags").rows()
    assert docs == [("L-1", None, "unregistered_supplier"), ("L-2", "27AAPFU0939F1ZV", None),
                    ("L-3", None, "unregistered_supplier")]
    assert [i.row for i in result.issues if i.code == "unregistered"] == [1, 3]  # data rows
    assert not [i for i in result.warnings if i.column == "GSTIN/UIN"]


def test_detailed_register_reads_taxes_from_the_ledger_lines():
    """Tally's detailed purchase register: the ledger rows under each voucher give its taxes."""
    r = read("tally_detailed.csv")
    docs = r.documents.select("doc_no", "doc_class", "taxable_value", "igst", "cgst", "sgst", "doc_value", "src_row")
    assert docs.rows() == [
        ("AT/101", "invoice", 1000.0, 0.0, 90.0, 90.0, 1180.0, 1),
        ("BS-77", "invoice", 500.0, 90.0, 0.0, 0.0, 591.0, 5),
        ("GCN-5", "credit_note", 200.0, 0.0, 18.0, 18.0, 236.0, 9),
    ]
    lines = [i for i in r.issues if i.code == "ledger_line"]
    assert len(lines) == 9 and lines[1].reason == "ledger line of the voucher on row 4: its tax is counted in that voucher"
    assert not [i for i in r.issues if i.severity is Severity.ERROR]


def test_a_sheet_named_for_credit_notes_gives_its_rows_their_class(tmp_path):
    """No voucher-type column: a workbook with a "Purchases" and a "Purchase Returns" sheet holds
    invoices and credit notes; a voucher type, where there is one, still decides."""
    import xlsxwriter

    path = tmp_path / "books.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    head = ["Supplier GSTIN", "Invoice No", "Invoice Date", "Taxable Value", "IGST"]
    for name, rows in (("Purchases", [["29AAGCB1286Q1Z0", "P-1", "01-04-2025", 100, 18]]),
                       ("Purchase Returns", [["29AAGCB1286Q1Z0", "CN-1", "02-04-2025", 50, 9]]),
                       ("Sheet3", [["29AAGCB1286Q1Z0", "X-1", "03-04-2025", 10, 1.8]])):
        ws = wb.add_worksheet(name)
        for r, row in enumerate([head, *rows]):
            ws.write_row(r, 0, row)
    wb.close()
    docs = RegisterImporter().read(path, ImportOptions()).documents
    assert dict(zip(docs["doc_no"], docs["doc_class"], strict=True)) == {
        "P-1": "invoice", "CN-1": "credit_note", "X-1": "invoice"}


def test_a_header_over_two_rows(tmp_path):
    """"Tax Amount" merged above "IGST | CGST | SGST" (XLSX), and "IGST" / "CGST" groups above
    "Rate | Amount" (CSV): the second row completes the header; rows keep their spreadsheet numbers."""
    import xlsxwriter

    path = tmp_path / "two.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Purchases")
    for col, name in enumerate(["Supplier GSTIN", "Invoice No", "Invoice Date", "Taxable Value"]):
        ws.merge_range(0, col, 1, col, name)
    ws.merge_range(0, 4, 0, 6, "Tax Amount")
    ws.write_row(1, 4, ["IGST", "CGST", "SGST"])
    ws.write_row(2, 0, ["27AAPFU0939F1ZV", "A-1", "01-04-2025", 100, 0, 9, 9])
    wb.close()
    docs = RegisterImporter().read(path, ImportOptions()).documents
    assert docs.select("doc_no", "taxable_value", "igst", "cgst", "sgst", "src_line").rows() == [
        ("A-1", 100.0, 0.0, 9.0, 9.0, 3)]

    csv = tmp_path / "two.csv"
    csv.write_text("Supplier GSTIN,Invoice No,Invoice Date,Taxable Value,IGST,,CGST,,SGST,\n"
                   ",,,,Rate,Amount,Rate,Amount,Rate,Amount\n"
                   "27AAPFU0939F1ZV,A-1,01-04-2025,100,0,0,9,9,9,9\n")
    docs = RegisterImporter().read(csv, ImportOptions()).documents
    assert docs.select("doc_no", "igst", "cgst", "sgst", "src_line").rows() == [("A-1", 0.0, 9.0, 9.0, 3)]


def test_cancelled_void_and_draft_vouchers_are_left_out(tmp_path):
    path = tmp_path / "can.csv"
    path.write_text(
        "Date,Particulars,Vch Type,Vch No.,Supplier Invoice No.,GSTIN/UIN,Taxable Value,IGST,Status\n"
        "01-04-2025,A Ltd,Purchase,1,A-1,27AAPFU0939F1ZV,100,18,Approved\n"
        "02-04-2025,(cancelled),Purchase,2,,,,,\n"  # Tally shows a cancelled voucher so
        "03-04-2025,B Ltd,Purchase,3,B-1,27AAPFU0939F1ZV,50,9,Void\n"
        "04-04-2025,C Ltd,Purchase,4,C-1,27AAPFU0939F1ZV,70,12.6,DRAFT\n"
    )
    r = RegisterImporter().read(path, ImportOptions())
    assert r.documents["doc_no"].to_list() == ["A-1"]
    assert [(i.row, i.value) for i in r.issues if i.code == "cancelled"] == [(2, "(cancelled)"), (3, "Void"), (4, "DRAFT")]
    assert not r.errors and r.rows_read == 4


# --- the columns a register must have ---------------------------------------------------------

def test_tallys_voucher_ref_columns_are_the_suppliers_number_and_date():
    """Tally names the supplier's invoice number and date "Voucher Ref. No." / "Voucher Ref. Date"
    ("Vch No." is its own voucher number): no mapping file needed."""
    result = read("tally_voucher_ref.csv")
    assert_golden("register_tally_voucher_ref_csv", snapshot(result))
    docs = result.documents
    assert docs.select("doc_no", "voucher_no").rows()[:2] == [("AT/25-26/101", "1"), ("bc 0042", "2")]
    assert str(docs["doc_date"][0]) == "2025-03-30" and not result.errors


@pytest.mark.parametrize(
    ("header", "row", "missing", "line"),
    [
        ("Supplier GSTIN,Invoice No,Taxable Value,IGST", "27AAPFU0939F1ZV,A1,1000,180",
         "the supplier's document date", 'doc_date = "the header of that column"'),
        ("Supplier GSTIN,Invoice No,Dt. of Bill,Taxable Value,IGST", "27AAPFU0939F1ZV,A1,01-04-2025,1000,180",
         "the supplier's document date", 'doc_date = "Dt. of Bill"'),
        ("Party Name,Bill No,Bill Date,Taxable Amt,CGST,SGST", "Alpha,A1,01-04-2025,1000,90,90",
         "the supplier's GSTIN", 'supplier_gstin = "the header of that column"'),
        ("Party Name,Party Tax No,Bill No,Bill Date,Taxable Amt,CGST,SGST", "Alpha,27AAPFU0939F1ZV,A1,01-04-2025,1000,90,90",
         "the supplier's GSTIN", 'supplier_gstin = "Party Tax No"'),
    ],
)
def test_a_missing_column_is_one_file_level_error_with_the_mapping_line_that_fixes_it(tmp_path, header, row,
                                                                                     missing, line):
    path = tmp_path / "books.csv"
    path.write_text(f"Acme Traders\n\n{header}\n{row}\n{row.replace('A1', 'A2')}\n")
    with pytest.raises(InputFileError) as exc:
        RegisterImporter().read(path, ImportOptions())
    reason = exc.value.reason
    assert exc.value.file == "books.csv" and f"no column holds {missing} (" in reason
    assert "the header (row 3) has " + ", ".join(repr(h) for h in header.split(",")) in reason
    assert reason.endswith(f"Name the column in a mapping file (--mapping FILE.toml):\n[columns]\n{line}")
    if "the header of that column" not in line:  # the suggested line, as it is, makes the file readable
        mapping = tmp_path / "m.toml"
        mapping.write_text(reason.split("(--mapping FILE.toml):\n", 1)[1] + "\n")
        docs = RegisterImporter().read(path, ImportOptions(mapping_file=mapping)).documents
        assert docs["doc_no"].to_list() == ["A1", "A2"]


def test_a_register_without_a_gstin_column_is_refused_by_the_cli_and_nothing_is_stored(tmp_path):
    from typer.testing import CliRunner

    from imsrecon.cli.app import app

    pr = tmp_path / "books.csv"
    pr.write_text("Party Name,Bill No,Bill Date,Taxable Amt,CGST,SGST\nAlpha,A1,01-04-2025,1000,90,90\n")
    db, out = tmp_path / "ws.db", tmp_path / "out.csv"
    ims = Path(__file__).parent / "data" / "ims" / "ims_portal.json"
    result = CliRunner().invoke(app, ["reconcile", "--ims", str(ims), "--pr", str(pr), "--gstin", "27AAPFU0939F1ZV",
                                      "--out", str(out), "--db", str(db)])
    assert result.exit_code == 1 and "books.csv: no column holds the supplier's GSTIN" in result.output
    assert not out.exists()


def test_a_sheet_without_the_columns_beside_one_with_them_is_left_out_with_a_warning(tmp_path):
    import xlsxwriter

    path = tmp_path / "books.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    summary = wb.add_worksheet("Summary")
    summary.write_row(0, 0, ["Invoice No", "Invoice Date", "Taxable Value", "IGST"])
    summary.write_row(1, 0, ["All", "April", 1000, 180])
    books = wb.add_worksheet("Purchases")
    books.write_row(0, 0, ["GSTIN/UIN", "Invoice No", "Invoice Date", "Taxable Value", "IGST"])
    books.write_row(1, 0, ["27AAPFU0939F1ZV", "A1", "01-04-2025", 1000, 180])
    wb.close()
    result = RegisterImporter().read(path, ImportOptions())
    assert result.documents["doc_no"].to_list() == ["A1"]
    skipped = [i for i in result.warnings if i.code == "sheet_skipped"]
    assert len(skipped) == 1 and "sheet 'Summary', row 1" in skipped[0].reason


# --- a type column whose words are a ledger side ----------------------------------------------

@pytest.mark.parametrize(
    ("columns", "rows", "classes", "decided_by"),
    [
        ("Document Type,Document Mode", ["CREDIT,B2B", "Credit,b2b", "DEBIT,CDNR", "CREDIT,CDNR", "CREDIT,"],
         ["invoice", "invoice", "debit_note", "credit_note", "invoice"], "Document Mode"),
        ("Document Type,Supply Type", ["CR,Regular", "DR,Credit/Debit Note", "CR,Credit/Debit Note"],
         ["invoice", "debit_note", "credit_note"], "Supply Type"),
        ("Document Type", ["CREDIT", "CREDIT", "DEBIT"], ["invoice", "invoice", "invoice"], None),
        ("Document Type,Remarks", ["CREDIT,as per GRN", "DEBIT,short supply"], ["invoice", "invoice"], None),
    ],
)
def test_credit_and_debit_as_a_ledger_side_are_read_by_the_column_that_decides(tmp_path, columns, rows, classes,
                                                                              decided_by):
    path = tmp_path / "books.csv"
    lines = [f"27AAPFU0939F1ZV,N-{k},01-04-2025,1000,180,{r}" for k, r in enumerate(rows)]
    path.write_text(f"Supplier GSTIN,Invoice No,Invoice Date,Taxable Value,IGST,{columns}\n" + "\n".join(lines) + "\n")
    result = RegisterImporter().read(path, ImportOptions())
    assert result.documents["doc_class"].to_list() == classes
    warned = [i for i in result.warnings if i.code == "doc_type_ambiguous"]
    assert len(warned) == 1 and warned[0].column == "Document Type" and warned[0].row is None
    if decided_by:
        assert f"read from column {decided_by!r}" in warned[0].reason
    else:
        assert "rows read as invoices (negative amounts as credit notes)" in warned[0].reason


@pytest.mark.parametrize(
    ("types", "mapping", "classes"),
    [
        (["Credit Note", "Invoice"], None, ["credit_note", "invoice"]),  # words that say the kind: as before
        (["CREDIT", "INVOICE"], None, ["credit_note", "invoice"]),  # beside invoices, credit means a note
        (["CREDIT", "DEBIT"], '[document_types]\n"CREDIT" = "credit_note"\n"DEBIT" = "debit_note"\n',
         ["credit_note", "debit_note"]),  # the user's mapping decides
    ],
)
def test_unambiguous_or_mapped_types_are_read_as_before_without_a_warning(tmp_path, types, mapping, classes):
    path = tmp_path / "books.csv"
    path.write_text("Supplier GSTIN,Invoice No,Invoice Date,Taxable Value,IGST,Document Type\n"
                    + "".join(f"27AAPFU0939F1ZV,N-{k},01-04-2025,1000,180,{t}\n" for k, t in enumerate(types)))
    options = {}
    if mapping:
        (tmp_path / "m.toml").write_text(mapping)
        options["mapping_file"] = tmp_path / "m.toml"
    result = RegisterImporter().read(path, ImportOptions(**options))
    assert result.documents["doc_class"].to_list() == classes
    assert not [i for i in result.warnings if i.code == "doc_type_ambiguous"]


def test_an_ambiguous_credit_with_negative_amounts_is_still_a_credit_note(tmp_path):
    path = tmp_path / "books.csv"
    path.write_text("Supplier GSTIN,Invoice No,Invoice Date,Taxable Value,IGST,Document Type\n"
                    "27AAPFU0939F1ZV,N-1,01-04-2025,1000,180,CREDIT\n27AAPFU0939F1ZV,CN-2,02-04-2025,-100,-18,CREDIT\n")
    assert RegisterImporter().read(path, ImportOptions()).documents["doc_class"].to_list() == ["invoice", "credit_note"]


# --- amounts --------------------------------------------------------------------------------

LEDGERS = "Supplier GSTIN,Invoice No,Invoice Date,Taxable Value,Input CGST @9%,Input CGST @6%,Input SGST @9%,Input SGST @6%\n"


@pytest.mark.parametrize(
    ("cells", "cgst", "issue"),
    [
        ("90,,90,", 90.0, None),
        ("90,12,90,12", 102.0, None),
        ("90,abc,90,12", None, ("error", "Input CGST @9% + Input CGST @6%", "abc", "not a number")),
        ("90,inf,90,", None, ("error", "Input CGST @9% + Input CGST @6%", "inf", "not a number")),
        ("90,NaN,90,", 90.0, ("warning", "Input CGST @6%", "NaN", "NaN (what pandas writes for an empty cell): read as blank")),
        ("90,-,90,", 90.0, None),  # a dash: blank
    ],
)
def test_summed_ledger_columns_never_turn_a_bad_cell_into_zero(tmp_path, cells, cgst, issue):
    path = tmp_path / "books.csv"
    path.write_text(LEDGERS + f"27AAPFU0939F1ZV,A1,01-04-2025,1000,{cells}\n27AAPFU0939F1ZV,A2,02-04-2025,500,45,,45,\n")
    result = RegisterImporter().read(path, ImportOptions())
    docs = result.documents
    first = docs.filter(pl.col("doc_no") == "A1")
    assert first["cgst"].to_list() == ([] if cgst is None else [cgst]) and docs.height == (1 if cgst is None else 2)
    found = [(i.severity.value, i.column, i.value, i.reason) for i in result.issues if i.row == 1]
    assert found == ([issue] if issue else [])


@pytest.mark.parametrize(
    ("taxable", "warned"),
    [("1000", False), ("9999999999999", False), ("1e13", True), ("1e23", True), ("-2.5E+14", True),
     ("1,00,00,00,00,00,00,000", True)],
)
def test_absurd_magnitudes_are_warned(tmp_path, taxable, warned):
    value = f'"{taxable}"' if "," in taxable else taxable
    result = read_one_row(tmp_path, "Supplier GSTIN,Invoice No,Invoice Date,Taxable Value,IGST,Invoice Value",
                          f"27AAPFU0939F1ZV,A1,01-04-2025,{value},18,1018")
    big = [i for i in result.warnings if i.code == "amount_implausible"]
    assert result.documents.height == 1
    assert [(i.column, i.row) for i in big] == ([("Taxable Value", 1)] if warned else [])
