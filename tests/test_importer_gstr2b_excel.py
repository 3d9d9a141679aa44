"""The portal's GSTR-2B Excel download: golden file, every section and twin sheet, note types,
ITC availability and reverse charge, the workbook's period, the exact message for each bad cell,
identification beside registers and the IMS offline tool, fuzzed cells, and the command line."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from golden import assert_golden
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from imsrecon.cli.app import app
from imsrecon.importers.base import ImportOptions
from imsrecon.importers.gstr2b_excel import Gstr2bExcelImporter
from imsrecon.importers.gstr2b_excel_names import (
    REJECTED_FLAG,
    REVERSAL_FLAG,
    classify,
    period_from_file_name,
    sheet_kind,
    workbook_period,
)
from imsrecon.importers.gstr2b_json import applicable_pct
from imsrecon.importers.ims_excel import ImsExcelImporter
from imsrecon.importers.portal_excel import text_frame
from imsrecon.importers.register import RegisterImporter
from imsrecon.importers.registry import detect
from imsrecon.importers.tabular import cell_text
from imsrecon.issues import InputFileError, Severity
from imsrecon.normalise.amounts import applicable_pct_expr

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "gstr2b_excel" / "gstr2b_portal.xlsx"
# loaded under a name of its own: tests/data/ims_excel has a make_fixtures module too
_spec = importlib.util.spec_from_file_location("gstr2b_make_fixtures", DATA / "gstr2b_excel" / "make_fixtures.py")
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)

COLUMNS = [
    "side", "source_kind", "src_sheet", "src_row", "src_line", "recipient_gstin", "supplier_gstin", "supplier_name",
    "doc_class", "ims_section", "is_amendment", "doc_no", "doc_no_norm", "doc_date", "fy", "tax_period",
    "orig_doc_no", "orig_doc_date", "place_of_supply", "taxable_value", "igst", "cgst", "sgst", "cess", "doc_value",
    "reverse_charge", "inv_typ", "rtnprd", "flags", "itc_availability", "itc_reason", "applicable_pct",
    "gstr2b_period", "portal_record",
]  # fmt: skip
DOCUMENT_SHEETS = [n for n in make_fixtures.DOCUMENT_SHEETS if not n.startswith("ISD")]


def read(path: Path = FIXTURE, **kw):
    return Gstr2bExcelImporter().read(path, ImportOptions(**kw))


@pytest.fixture(scope="module")
def result():
    return read()


def by_no(result) -> dict[str, dict]:
    return {r["doc_no"]: r for r in result.documents.iter_rows(named=True)}


def test_portal_workbook_golden(result):
    assert_golden("gstr2b_excel_portal", {
        "summary": result.summary(),
        "recipient_gstin": result.recipient_gstin,
        "notes": result.notes,
        "documents": result.documents.select(COLUMNS),
        "issues": [str(i) for i in result.issues],
    })


def test_committed_fixture_is_what_the_script_writes(tmp_path, result):
    rebuilt = read(make_fixtures.build(tmp_path / FIXTURE.name))
    assert_frame_equal(result.documents, rebuilt.documents)
    assert result.issues == rebuilt.issues and result.notes == rebuilt.notes


def test_header_found_when_title_rows_move(tmp_path, result):
    moved = read(make_fixtures.build(tmp_path / FIXTURE.name, extra_rows=3))
    assert_frame_equal(result.documents.drop("src_line"), moved.documents.drop("src_line"))
    assert (moved.documents["src_line"] - result.documents["src_line"]).unique().to_list() == [3]
    shifted = [(i.severity, i.sheet, i.row, None if i.line is None else i.line + 3, i.column, i.value, i.reason)
               for i in result.issues]
    assert shifted == [(i.severity, i.sheet, i.row, i.line, i.column, i.value, i.reason) for i in moved.issues]


def test_every_sheet_is_read_as_its_section(result):
    docs = by_no(result)
    expected = {
        "INV/25-26/0101": ("b2b", "invoice"), "KA/2201": ("b2b", "invoice"),
        "INV/25-26/0077A": ("b2ba", "invoice"),
        "CN/25-26/011": ("b2bcn", "credit_note"), "GC-CN-3": ("b2bcn", "credit_note"),  # "Credit Note", "C"
        "KA-DN-9": ("b2bdn", "debit_note"), "PP-DN-1": ("b2bdn", "debit_note"),  # "Debit Note", "D"
        "CN/25-26/008A": ("b2bcna", "credit_note"), "KA-DN-7R": ("b2bdna", "debit_note"),
        "ECO/5001": ("ecom", "invoice"), "ECO/4990A": ("ecoma", "invoice"),
        "4567123": ("impg", "invoice"), "7788990": ("impgsez", "invoice"),
        "DL-512": ("b2b", "invoice"), "DL/DN/40": ("b2bdn", "debit_note"),  # the ITC-reversal twins
        "PP/552": ("b2b", "invoice"), "CN/25-26/009": ("b2bcn", "credit_note"),  # the rejected twins
    }
    assert {n: (docs[n]["ims_section"], docs[n]["doc_class"]) for n in expected} == expected
    sheets = set(result.documents["src_sheet"])
    assert sheets == {"B2B", "B2BA", "B2B-CDNR", "B2B-CDNRA", "ECO", "ECOA", "IMPG", "IMPGSEZ", "B2B(ITC Reversal)",
                      "B2B-DNR", "B2B (Rejected)", "B2B-CDNR (Rejected)"}
    assert set(result.documents["side"]) == {"gstr2b"} and set(result.documents["source_kind"]) == {"gstr2b_excel"}
    assert result.documents["portal_record"].null_count() == result.documents.height  # 2B is never uploaded


def test_amendments_carry_the_original_document(result):
    docs = by_no(result)
    got = {n: (docs[n]["orig_doc_no"], str(docs[n]["orig_doc_date"]), docs[n]["is_amendment"])
           for n in ("INV/25-26/0077A", "GC-2025-700", "CN/25-26/008A", "KA-DN-7R", "ECO/4990A")}
    assert got == {
        "INV/25-26/0077A": ("INV/25-26/0077", "2025-10-28", True), "GC-2025-700": ("GC-2025-700", "2025-10-15", True),
        "CN/25-26/008A": ("CN/25-26/008", "2025-10-25", True), "KA-DN-7R": ("KA-DN-7", "2025-10-20", True),
        "ECO/4990A": ("ECO/4990", "2025-10-29", True),
    }
    assert (docs["4567999"]["is_amendment"], docs["4567123"]["is_amendment"]) == (True, False)  # "Amended (Yes)"


def test_2b_facts_on_each_document(result):
    docs = by_no(result)
    facts = {n: (docs[n]["itc_availability"], docs[n]["itc_reason"], docs[n]["applicable_pct"],
                 docs[n]["reverse_charge"]) for n in ("INV/25-26/0101", "GC/RCM/45", "DL-887", "1234", "KA/2202",
                                                      "PP/0911", "CN/25-26/012")}
    assert facts == {
        "INV/25-26/0101": ("Y", None, None, False),
        "GC/RCM/45": ("Y", None, None, True),  # Supply Attract Reverse Charge: Yes
        "DL-887": ("N", "Return filed post annual cut-off", None, False),
        "1234": ("Y", None, 65.0, False),  # "65%"
        "KA/2202": ("T", None, 65.0, False),  # "Temporary", 0.65 in a percentage cell
        "PP/0911": ("Y", None, 100.0, False),  # "100"; reverse charge "Maybe": read as No, warned
        "CN/25-26/012": ("N", "Return filed post annual cut-off", None, False),
    }
    assert result.summary()["reverse_charge"] == 1
    assert set(result.documents["gstr2b_period"]) == {"112025"}  # Read me: FY 2025-26, Tax Period November
    assert result.recipient_gstin == "27AAPFU0939F1ZV" and set(result.documents["recipient_gstin"]) == {
        "27AAPFU0939F1ZV"}


def test_tax_period_is_the_suppliers_return_period(result):
    docs = by_no(result)
    # "Nov'25", "112025", "Nov-2025", "October 2025", 112025 as a number; "13-2025": from the date
    got = {n: (docs[n]["rtnprd"], docs[n]["tax_period"]) for n in ("INV/25-26/0101", "KA/2201", "GC/RCM/45", "DL-887",
                                                                   "1234", "PP/0911", "DL-512")}
    assert got == {"INV/25-26/0101": ("112025", "112025"), "KA/2201": ("112025", "112025"),
                   "GC/RCM/45": ("112025", "112025"), "DL-887": ("102025", "102025"), "1234": ("112025", "112025"),
                   "PP/0911": (None, "112025"), "DL-512": ("032025", "032025")}


def test_twin_sheets_are_flagged(result):
    flags = dict(zip(result.documents["doc_no"], result.documents["flags"], strict=True))
    assert {n for n, f in flags.items() if f == REJECTED_FLAG} == {"PP/552", "CN/25-26/009"}
    assert {n for n, f in flags.items() if f == REVERSAL_FLAG} == {"DL-512", "DL/DN/40"}
    assert sum(f is None for f in flags.values()) == len(flags) - 4


def test_summary_and_read_me_sheets_are_not_documents(result):
    assert set(result.documents["src_sheet"]) <= set(DOCUMENT_SHEETS)
    skipped = [n for n in result.notes if "not documents" in n]
    assert skipped == ["sheet 'Read me': the return's details and instructions, not documents",
                       "sheets 'ITC Available', 'ITC not available', 'ITC Reversal', 'ITC Rejected': summaries of "
                       "totals by section, not documents: skipped"]
    assert list(make_fixtures.SUMMARIES) == ["ITC Available", "ITC not available", "ITC Reversal", "ITC Rejected"]
    headings = {str(c) for rows in make_fixtures.SUMMARIES.values() for row in rows for c in row[:3] if c}
    assert not set(result.documents["doc_no"]) & headings  # no line of totals became a document


def test_isd_documents_are_counted_not_reconciled(result):
    isd = [i for i in result.issues if i.sheet == "ISD"]
    assert [str(i) for i in isd] == [
        "warning: gstr2b_portal.xlsx [ISD]: 2 documents from an Input Service Distributor were read but are not "
        "reconciled: ISD credit never passes through IMS"]
    assert not result.documents["doc_no"].str.starts_with("ISD").any()


def test_every_row_is_a_document_or_an_issue(result):
    rejected = {(i.sheet, i.row) for i in result.errors}
    totals = {(i.sheet, i.row) for i in result.issues if i.code == "total_row"}
    imported = set(zip(result.documents["src_sheet"], result.documents["src_row"], strict=True))
    assert not rejected & imported and not totals & imported
    assert result.rows_read == len(rejected) + len(totals) + len(imported) + 2  # + the 2 ISD documents
    written = sum(1 for name, spec in make_fixtures.DOCUMENT_SHEETS.items() for row in spec["rows"] if row)
    assert result.rows_read == written


@pytest.mark.parametrize(
    ("severity", "sheet", "row", "line", "column", "value", "reason"),
    [
        (Severity.ERROR, "B2B", 7, 13, "Invoice Date", "31-11-2025",
         "not a date (use DD-MM-YYYY, DD-Mon-YYYY or YYYY-MM-DD)"),
        (Severity.ERROR, "B2B", 9, 15, "Invoice number", None, "document number is blank"),
        (Severity.WARNING, "B2B", 10, 16, "Supply Attract Reverse Charge", "Maybe", "not Yes/No: read as No"),
        (Severity.WARNING, "B2B", 10, 16, "GSTR-1/IFF/GSTR-5 Period", "13-2025",
         "not a return period (MMYYYY, Nov'25, Nov-2025): left blank"),
        (Severity.WARNING, "B2B", 11, 17, "Applicable % of Tax Rate", "sixty",
         "not a percentage of the tax rate (65%, 65 or 0.65): left blank"),
        (Severity.WARNING, "B2B", 11, 17, "Place of supply", "Karnatka", "names no state: left blank"),
        (Severity.INFO, "B2B", 12, 18, None, "Total", "total row left out (not a document)"),
        (Severity.ERROR, "B2BA", 3, 10, "Invoice Date (Original details)", "2025-13-01",
         "not a date (use DD-MM-YYYY, DD-Mon-YYYY or YYYY-MM-DD)"),
        (Severity.ERROR, "B2B-CDNR", 5, 11, "Note type", "Refund voucher",
         "note type must be Credit Note or Debit Note (C/D)"),
        (Severity.ERROR, "B2B-CDNR", 6, 12, "Note type", None, "note type must be Credit Note or Debit Note (C/D)"),
        (Severity.INFO, "B2B-CDNR", 9, 15, None, "Grand Total", "total row left out (not a document)"),
    ],
)
def test_bad_cell_messages(result, severity, sheet, row, line, column, value, reason):
    issues = [i for i in result.issues if i.sheet == sheet and i.row == row and i.column == column
              and i.reason == reason]
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.severity, issue.file, issue.line, issue.value) == (severity, "gstr2b_portal.xlsx", line, value)
    shown = "" if value is None else f" value {value!r}:"
    where = f", column '{column}'" if column else ""
    assert str(issue) == (f"{severity.value}: gstr2b_portal.xlsx [{sheet}] row {line} (data row {row}){where}:"
                          f"{shown} {reason}")


def test_no_other_issues(result):
    """Clean rows raise nothing: the issues are exactly the planted ones (and the ISD count)."""
    assert len(result.issues) == 12


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "what", "section", "flag"),
    [
        ("B2B", "documents", "b2b", None), ("b2b-cdnr", "documents", "cdnr", None),
        ("B2B-CDNRA (Rejected)", "documents", "cdnra", REJECTED_FLAG), ("B2B (Rejected)", "documents", "b2b", REJECTED_FLAG),
        ("B2B(ITC Reversal)", "documents", "b2b", REVERSAL_FLAG), ("B2BA (ITC Reversal)", "documents", "b2ba", REVERSAL_FLAG),
        ("B2B-DNR", "documents", "cdnr", REVERSAL_FLAG), ("ECO", "documents", "ecom", None),
        ("ECOA (Rejected)", "documents", "ecoma", REJECTED_FLAG), ("IMPG SEZ", "documents", "impgsez", None),
        ("ISD", "isd", None, None), ("ISDA (Rejected)", "isd", None, REJECTED_FLAG),
        ("Read me", "summary", None, None), ("ITC Available", "summary", None, None),
        ("ITC not available", "summary", None, None), ("ITC Rejected", "summary", None, None),
        ("ITC Reversal", "summary", None, None), ("TDS", "unknown", None, None), ("Sheet1", "unknown", None, None),
    ],
)
def test_sheet_kinds(name, what, section, flag):
    kind = sheet_kind(name)
    assert (kind.what, kind.section, kind.flag) == (what, section, flag)


@pytest.mark.parametrize(
    ("name", "group", "field"),
    [
        ("GSTIN of supplier", None, "supplier_gstin"), ("GSTIN of ECO", None, "supplier_gstin"),
        ("Trade/Legal name", None, "supplier_name"), ("Invoice Value(₹)", "Invoice details", "doc_value"),
        ("Note type", "Credit note/Debit note details", "note_type"), ("Note Supply type", None, "inv_typ"),
        ("Supply Attract Reverse Charge", None, "reverse_charge"), ("Taxable Value (₹)", None, "taxable_value"),
        ("State/UT Tax(₹)", "Tax Amount", "sgst"), ("GSTR-1/IFF/GSTR-5 Period", None, "rtnprd"),
        ("GSTR-1/IFF period", None, "rtnprd"), ("GSTR-1/IFF/GSTR-5 Filing Date", None, "_ignore"),
        ("ITC Availability", None, "itc_availability"), ("Reason", None, "itc_reason"),
        ("Applicable % of Tax Rate", None, "applicable_pct"), ("Number", "Bill of Entry Details", "doc_no"),
        ("Date", "Bill of Entry Details", "doc_date"), ("Value", "Bill of Entry Details", "doc_value"),
        ("Invoice number", "Original details", "orig_doc_no"), ("Note number(Original)", None, "orig_doc_no"),
        ("Original invoice date", None, "orig_doc_date"), ("Note type", "Original details", "_orig_note_type"),
        ("Invoice type", "Original details", "_ignore"), ("Amended (Yes)", None, "_amended"),
        ("IRN", None, "_ignore"), ("Number", None, None), ("Status", None, None), ("Voucher No", None, None),
    ],
)
def test_classify(name, group, field):
    assert classify(name, group) == field


@pytest.mark.parametrize(
    ("rows", "period"),
    [
        ([[None, "Financial Year", "2025-26"], [None, "Tax Period", "November"]], "112025"),
        ([[None, "Financial Year", "2025-26"], [None, "Tax Period", "January"]], "012026"),  # Jan-Mar: 2nd year
        ([[None, "Financial Year", "2024-2025"], [None, "Tax Period", "Mar"]], "032025"),
        ([["Return period: Nov 2025"]], "112025"),
        ([["Tax Period", "112025"]], "112025"),
        ([["Tax period:", "Nov'25"]], "112025"),
        ([["Goods and Services Tax - GSTR 2B"], ["Return Period : November-2025"]], "112025"),
        ([[None, "Tax Period", "November"]], None),  # a month without its financial year
        ([["GSTR-1/IFF/GSTR-5 Period", "Period for which GSTR-1/IFF/GSTR-5 has been filed"]], None),
        ([], None),
    ],
)
def test_workbook_period(rows, period):
    assert workbook_period(rows) == period


@pytest.mark.parametrize(
    ("name", "period"),
    [("112025_27AAPFU0939F1ZV_GSTR2B_14122025.xlsx", "112025"), ("042024-27BQIPP6925L1Z5-GSTR2B-25062024.xlsx",
                                                                 "042024"), ("gstr2b.xlsx", None)],
)
def test_period_from_file_name(name, period):
    assert period_from_file_name(name) == period


@pytest.mark.parametrize(
    ("cell", "pct"),
    [("65%", 65.0), ("65", 65.0), ("0.65", 65.0), ("65.00 %", 65.0), ("1", 100.0), ("100%", 100.0), ("100", 100.0),
     (None, None), ("-", None), ("sixty", None), ("150", None), ("-65", None)],
)
def test_applicable_pct(cell, pct):
    """One rule for the workbook's cells and the JSON's diffprcnt (normalise.amounts)."""
    got = pl.DataFrame({"c": [cell]}, schema={"c": pl.String}).select(applicable_pct_expr(pl.col("c")))[0, 0]
    assert got == pct
    assert applicable_pct(cell) == pct


def test_period_from_title_rows_or_file_name_when_there_is_no_read_me(tmp_path):
    titled = read(make_fixtures.build(tmp_path / "a.xlsx", readme=False, title_period="Return period: Nov 2025"))
    assert set(titled.documents["gstr2b_period"]) == {"112025"} and titled.recipient_gstin is None
    named = read(make_fixtures.build(tmp_path / "102025_27AAPFU0939F1ZV_GSTR2B.xlsx", readme=False),
                 recipient_gstin="27aapfu0939f1zv")
    assert set(named.documents["gstr2b_period"]) == {"102025"}
    assert "GSTR-2B period 102025 taken from the file name" in named.notes
    assert set(named.documents["recipient_gstin"]) == {"27AAPFU0939F1ZV"}
    unknown = read(make_fixtures.build(tmp_path / "b.xlsx", readme=False))
    assert unknown.documents["gstr2b_period"].null_count() == unknown.documents.height
    assert "the workbook does not say its GSTR-2B period: gstr2b_period left blank" in unknown.notes


# --- identification and files that are not GSTR-2B downloads ------------------------------------------


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
    wb.close()
    return path


HEADER = ["GSTIN of supplier", "Trade/Legal name", "Invoice number", "Invoice type", "Invoice Date",
          "Invoice Value(₹)", "Place of supply", "Supply Attract Reverse Charge", "Taxable Value (₹)",
          "Integrated Tax(₹)", "Central Tax(₹)", "State/UT Tax(₹)", "Cess(₹)", "GSTR-1/IFF/GSTR-5 Period",
          "ITC Availability"]
ROW = ["27AABCU9603R1ZN", "UMBRELLA TRADERS", "A-1", "Regular", "05-11-2025", 1180, "27", "No", 1000, 0, 90, 90, 0,
       "112025", "Yes"]


def test_the_registry_detects_the_download_by_its_content():
    assert Gstr2bExcelImporter().identify(FIXTURE, b"")
    assert isinstance(detect(FIXTURE), Gstr2bExcelImporter)
    assert isinstance(detect(FIXTURE, "ims"), Gstr2bExcelImporter)
    with pytest.raises(InputFileError) as exc:
        detect(FIXTURE, "pr")
    assert exc.value.reason == "looks like a GSTR-2B download, not a purchase register"


def test_the_ims_tool_does_not_claim_it_and_it_claims_no_ims_or_register_file():
    assert not ImsExcelImporter().identify(FIXTURE, b"")
    registers = sorted((DATA / "registers").glob("*.xls*"))
    others = [DATA / "ims_excel" / "ims_offline.xlsx", *registers]
    assert len(registers) >= 2
    assert not any(Gstr2bExcelImporter().identify(p, b"") for p in others)
    assert all(isinstance(detect(p), RegisterImporter) for p in registers)
    assert isinstance(detect(DATA / "ims_excel" / "ims_offline.xlsx"), ImsExcelImporter)


@pytest.mark.parametrize(
    ("sheets", "claimed"),
    [
        ({"B2B": [["Goods and Services Tax - GSTR 2B"], HEADER, ROW]}, True),
        # a rejected-twin header has no ITC availability: a GSTR-2B title says what it is
        ({"B2B (Rejected)": [["GSTR-2B"], HEADER[:-1], ROW[:-1]]}, True),
        ({"B2B (Rejected)": [["Purchases"], HEADER[:-1], ROW[:-1]]}, False),
        # books with a B2B sheet: voucher columns
        ({"B2B": [["Voucher No", *HEADER], ["1", *ROW]]}, False),
        # the IMS offline tool's B2B sheet: a Status column
        ({"B2B": [[*HEADER, "Status"], [*ROW, "Accepted"]]}, False),
        ({"Sheet1": [HEADER, ROW]}, False),
    ],
)
def test_identify(tmp_path, sheets, claimed):
    assert Gstr2bExcelImporter().identify(_workbook(tmp_path / "x.xlsx", sheets), b"") is claimed


def test_identify_looks_past_sheets_that_do_not_tell(tmp_path):
    """An empty twin and an import-of-goods header (no 2B-only column) say nothing; B2B does."""
    boe = ["Icegate Reference Date", "Port Code", "Bill of Entry Number", "Bill of Entry Date", "Taxable Value",
           "Integrated Tax"]
    path = _workbook(tmp_path / "x.xlsx", {"B2B": [HEADER, ROW], "B2BA (Rejected)": [["No records"]],
                                           "IMPG (Rejected)": [boe]})
    assert Gstr2bExcelImporter().identify(path, b"")


def test_a_minimal_download(tmp_path):
    path = _workbook(tmp_path / "x.xlsx", {"B2B": [["GSTR-2B"], ["Return period: Dec 2025"], HEADER, ROW]})
    assert isinstance(detect(path), Gstr2bExcelImporter)
    doc = read(path).documents.row(0, named=True)
    assert (doc["doc_no"], doc["src_line"], doc["cgst"], doc["itc_availability"], doc["gstr2b_period"]) == (
        "A-1", 4, 90.0, "Y", "122025")


def test_an_amendment_without_original_labels_reads_the_first_note_as_the_original(tmp_path):
    header = ["Note type", "Note number", "Note date", "GSTIN of supplier", "Note number", "Note type", "Note date",
              "Taxable Value", "Central Tax", "State/UT Tax", "ITC Availability"]
    row = ["Credit Note", "KA-CN-1", "01-10-2025", "27AABCU9603R1ZN", "KA-DN-1", "Debit Note", "05-11-2025", 100, 9, 9,
           "Yes"]
    doc = read(_workbook(tmp_path / "x.xlsx", {"B2B-CDNRA": [["GSTR-2B"], header, row]})).documents.row(0, named=True)
    assert (doc["ims_section"], doc["doc_class"], doc["doc_no"], doc["orig_doc_no"], str(doc["orig_doc_date"])) == (
        "b2bdna", "debit_note", "KA-DN-1", "KA-CN-1", "2025-10-01")


def test_dates_are_day_first_as_the_portal_writes_them(tmp_path):
    """One date that reads only month-first (a slip) is an error; it never turns the others around."""
    rows = [[*ROW[:2], "A-1", "Regular", "05-11-2025", *ROW[5:]], [*ROW[:2], "A-2", "Regular", "11-25-2025", *ROW[5:]]]
    r = read(_workbook(tmp_path / "x.xlsx", {"B2B": [["GSTR-2B"], HEADER, *rows]}))
    assert [(d["doc_no"], str(d["doc_date"])) for d in r.documents.iter_rows(named=True)] == [("A-1", "2025-11-05")]
    assert [(i.severity, i.row, i.value) for i in r.issues] == [(Severity.ERROR, 2, "11-25-2025")]


def test_an_empty_download_has_no_documents_and_no_errors(tmp_path):
    path = _workbook(tmp_path / "x.xlsx", {"Read me": [["Tax Period", "112025"]], "B2B": [["GSTR-2B"], HEADER],
                                           "B2B-CDNR": [["GSTR-2B"], HEADER]})
    r = read(path)
    assert (r.documents.height, r.rows_read, r.issues) == (0, 0, [])


def test_a_notes_sheet_without_note_type_is_not_guessed(tmp_path):
    notes = ["Note number" if h == "Invoice number" else "Note date" if h == "Invoice Date" else h for h in HEADER]
    path = _workbook(tmp_path / "x.xlsx", {"B2B": [HEADER, ROW], "B2B-CDNR": [notes, ROW, ROW]})
    r = read(path)
    assert r.documents["src_sheet"].to_list() == ["B2B"] and r.rows_read == 3
    assert [str(i) for i in r.issues] == [
        "warning: x.xlsx [B2B-CDNR]: no column gives the Note type (credit or debit note): the sheet's 2 rows were "
        "not imported"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("2b.csv", b"GSTIN of supplier,Invoice number\n", "not an Excel workbook (.xlsx, .xls or .xlsm)"),
        ("2b.xlsx", b"PK\x03\x04 not really a zip", "cannot read as a spreadsheet"),
    ],
)
def test_files_that_are_not_workbooks(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    assert not Gstr2bExcelImporter().identify(path, content)
    with pytest.raises(InputFileError) as exc:
        read(path)
    assert exc.value.file == name and reason in exc.value.reason


def test_workbooks_without_a_2b_sheet_or_header(tmp_path):
    with pytest.raises(InputFileError, match=r"no GSTR-2B document sheet \(B2B, B2BA, B2B-CDNR, ECO, IMPG …\)"):
        read(_workbook(tmp_path / "a.xlsx", {"Sheet1": [HEADER, ROW]}))
    with pytest.raises(InputFileError) as exc:
        read(_workbook(tmp_path / "b.xlsx", {"B2B": [["nothing"], ["here"]]}))
    assert exc.value.reason == "sheet 'B2B' has no GSTR-2B header row: this is not a GSTR-2B download"


_CELL = st.one_of(st.none(), st.text(max_size=12), st.integers(-10**6, 10**9), st.floats(allow_nan=False,
                                                                                         allow_infinity=False),
                  st.sampled_from(["Yes", "No", "Temporary", "Credit Note", "D", "31-02-2025", "Nov'25", "65%",
                                   "Total", "=1+1", "", " "]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_CELL, min_size=len(HEADER), max_size=len(HEADER)), min_size=1, max_size=6),
       st.sampled_from(["B2B", "B2B-CDNR", "B2BA"]))
def test_fuzzed_cells_become_documents_or_issues(tmp_path, rows, sheet):
    header = ["Note type" if h == "Invoice type" and sheet == "B2B-CDNR" else h for h in HEADER]
    path = _workbook(tmp_path / "f.xlsx", {sheet: [["GSTR-2B"], header, *rows]})
    r = read(path)
    rejected = {i.row for i in r.errors} | {i.row for i in r.issues if i.code == "total_row"}
    imported = set(r.documents["src_row"])
    assert not rejected & imported
    assert r.rows_read == len(rejected | imported) == r.documents.height + len(rejected)
    docs = r.documents
    assert docs.select(pl.col("taxable_value", "igst", "cgst", "sgst", "cess").null_count()).sum_horizontal()[0] == 0
    assert (docs["doc_no"].str.strip_chars().str.len_chars() > 0).all() and docs["doc_date"].null_count() == 0
    assert set(r.documents["itc_availability"].drop_nulls()) <= {"Y", "N", "T"}


_ANY_CELL = st.one_of(st.none(), st.text(max_size=8), st.floats(), st.integers(-10**16, 10**16), st.booleans(),
                      st.dates(), st.datetimes(), st.timedeltas(max_value=dt.timedelta(days=3)),
                      st.floats(-1e6, 1e6).map(lambda f: float(round(f))))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_ANY_CELL, max_size=5), max_size=8), st.integers(1, 6))
@example([[1.5e-7, 1e-05, -3e-9, 1e20, 2.5e16, 1234567890123456.5, float("inf"), float("nan"), 0.1 + 0.2]], 9)
def test_text_frame_reads_cells_as_cell_text_does(rows, width):
    """The column-wise reader of big sheets gives exactly what the cell-by-cell one gives."""
    frame = text_frame(rows, width)
    expected = [[cell_text(r[c]) if c < len(r) else None for c in range(width)] for r in rows]
    assert frame.height == len(rows) and [list(r) for r in frame.rows()] == expected


# --- the command line ---------------------------------------------------------------------------------

runner = CliRunner()
BOOKS = """Supplier GSTIN,Supplier Name,Supplier Invoice No.,Supplier Invoice Date,Voucher Type,Taxable Value,IGST,CGST,SGST,Cess,Reverse Charge
27AABCU9603R1ZN,Umbrella Traders,INV/25-26/0101,05-11-2025,Purchase,100000,0,9000,9000,0,N
29AAGCB7383J1Z4,Bangalore Components,KA-2201,07-11-2025,Purchase,50000,9000,0,0,0,N
24AAACC1206D1ZM,Gujarat Chemicals,GC/RCM/45,10-11-2025,Purchase,20000,3600,0,0,0,Y
27AABCU9603R1ZN,Umbrella Traders,CN/25-26/011,20-11-2025,Credit Note,-10000,0,-900,-900,0,N
29AAGCB7383J1Z4,Bangalore Components,KA-DN-9,22-11-2025,Debit Note,2000,360,0,0,0,N
07AAFCD5862R1ZX,Delhi Logistics,DL-887,12-11-2025,Purchase,10000,1800,0,0,0,N
27AADCB2230M1ZT,Pune Packaging,PP/0999,25-11-2025,Purchase,3000,0,270,270,0,N
"""


def test_cli_imports_and_reconciles_the_download(tmp_path):
    books = tmp_path / "books.csv"
    books.write_text(BOOKS)
    two_b = tmp_path / "2b.xlsx"
    two_b.write_bytes(FIXTURE.read_bytes())
    db = tmp_path / "ws.db"
    out = runner.invoke(app, ["import", str(two_b), "--db", str(db), "--json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)["files"][0]
    assert (summary["kind"], summary["side"], summary["imported"], summary["reverse_charge"]) == (
        "gstr2b_excel", "gstr2b", 27, 1)
    refused = runner.invoke(app, ["import", str(two_b), "--side", "pr", "--db", ":memory:"])
    assert refused.exit_code == 1 and "2b.xlsx: looks like a GSTR-2B download, not a purchase register" in refused.output
    accepted = runner.invoke(app, ["import", str(two_b), "--side", "ims", "--db", ":memory:", "--json"])
    assert accepted.exit_code == 0 and json.loads(accepted.output)["files"][0]["kind"] == "gstr2b_excel"

    from imsrecon.store.workspace import Workspace

    with Workspace.open(str(db)) as ws:
        docs = ws.load_documents([summary["import_id"]])
    stored = {r["doc_no"]: r for r in docs.iter_rows(named=True)}
    assert (stored["CN/25-26/011"]["doc_class"], stored["CN/25-26/011"]["ims_section"]) == ("credit_note", "b2bcn")
    assert stored["GC/RCM/45"]["reverse_charge"] is True
    assert (stored["KA/2202"]["itc_availability"], stored["DL-887"]["itc_availability"]) == ("T", "N")
    assert set(docs["gstr2b_period"]) == {"112025"}

    csv = tmp_path / "r.csv"
    run = runner.invoke(app, ["reconcile", "--ims", str(two_b), "--pr", str(books), "--out", str(csv),
                              "--db", str(db), "--json"], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    frame = pl.read_csv(csv, infer_schema=False)
    got = {r["ims_doc_no"] or r["pr_doc_no"]: (r["match_status"], r["ims_section"], r["doc_class"])
           for r in frame.iter_rows(named=True)}
    assert got["INV/25-26/0101"] == ("exact", "b2b", "invoice")
    assert got["KA/2201"] == ("exact", "b2b", "invoice")  # booked as KA-2201
    assert got["CN/25-26/011"] == ("exact", "b2bcn", "credit_note")  # booked with negative amounts
    assert got["KA-DN-9"] == ("exact", "b2bdn", "debit_note")
    assert got["DL-887"] == ("exact", "b2b", "invoice")
    assert got["PP/0999"] == ("missing_in_ims", None, "invoice")
    assert got["ECO/5001"][0] == "missing_in_pr" and got["4567123"][1] == "impg"
    assert "GC/RCM/45" in got  # the reverse-charge document is reconciled like any other 2B document
    assert frame.height == json.loads(run.output)["ims_documents"] + 1
