"""IMS offline-tool Excel importer: golden files, the exact message for each bad cell, header
detection wherever the title rows put it, and identify() on look-alike workbooks."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest
import xlsxwriter
from golden import assert_golden
from polars.testing import assert_frame_equal

from imsrecon.importers.base import ImportOptions
from imsrecon.importers.ims_excel import ImsExcelImporter, classify, locate_header, return_period, sheet_section
from imsrecon.issues import InputFileError, Severity

DATA = Path(__file__).parent / "data" / "ims_excel"
FIXTURE = DATA / "ims_offline.xlsx"
sys.path.insert(0, str(DATA))
import make_fixtures  # noqa: E402

COLUMNS = [
    "src_sheet", "src_row", "src_line", "recipient_gstin", "supplier_gstin", "supplier_name", "doc_class",
    "ims_section", "is_amendment", "doc_no", "doc_no_norm", "doc_date", "fy", "tax_period", "orig_doc_no",
    "orig_doc_date", "place_of_supply", "taxable_value", "igst", "cgst", "sgst", "cess", "doc_value", "action",
    "ispendactblocked", "srcform", "rtnprd", "srcfilstatus", "inv_typ", "remarks", "itc_red_req", "decl_igst",
    "decl_cgst", "decl_sgst", "decl_cess", "is_remarks_blocked",
]  # fmt: skip


def read(path: Path, **kw):
    return ImsExcelImporter().read(path, ImportOptions(**kw))


def snapshot(result) -> dict:
    return {
        "summary": result.summary(),
        "recipient_gstin": result.recipient_gstin,
        "notes": result.notes,
        "documents": result.documents.select(COLUMNS),
        "portal_records": [orjson.loads(r) for r in result.documents["portal_record"]],
        "issues": [str(i) for i in result.issues],
    }


def test_offline_workbook_golden():
    assert_golden("ims_excel_offline", snapshot(read(FIXTURE)))


def test_committed_fixture_is_what_the_script_writes(tmp_path):
    committed, rebuilt = read(FIXTURE), read(make_fixtures.build(tmp_path / FIXTURE.name))
    assert_frame_equal(committed.documents, rebuilt.documents)
    assert committed.issues == rebuilt.issues and committed.notes == rebuilt.notes


def test_header_found_when_title_rows_move(tmp_path):
    base = read(FIXTURE)
    moved = read(make_fixtures.build(tmp_path / FIXTURE.name, extra_rows=3))
    assert_frame_equal(base.documents.drop("src_line"), moved.documents.drop("src_line"))
    assert (moved.documents["src_line"] - base.documents["src_line"]).unique().to_list() == [3]
    shifted = [(i.severity, i.sheet, i.row, None if i.line is None else i.line + 3, i.column, i.value, i.reason)
               for i in base.issues]
    assert shifted == [(i.severity, i.sheet, i.row, i.line, i.column, i.value, i.reason) for i in moved.issues]


@pytest.mark.parametrize(
    ("severity", "sheet", "row", "line", "column", "value", "reason"),
    [
        (Severity.ERROR, "B2B", 3, 9, "Invoice date", "31-02-2025",
         "not a date (use DD-MM-YYYY, DD-Mon-YYYY or YYYY-MM-DD)"),
        (Severity.ERROR, "B2B", 4, 10, "Invoice number", None, "document number is blank"),
        (Severity.WARNING, "B2B", 7, 13, "Status", "Maybe",
         "not an IMS action (Accepted, Rejected, Pending, No action or A/R/P/N): left blank"),
        (Severity.ERROR, "B2BA", 3, 10, "Invoice date (Original details)", "2025-13-01",
         "not a date (use DD-MM-YYYY, DD-Mon-YYYY or YYYY-MM-DD)"),
        (Severity.ERROR, "B2B-DN", 3, 9, "Taxable value (₹)", "two thousand", "not a number"),
        (Severity.ERROR, "B2B-CN", 3, 9, "Central tax (ITC reduction declared)", "x", "not a number"),
    ],
)
def test_bad_cell_messages(severity, sheet, row, line, column, value, reason):
    issues = [i for i in read(FIXTURE).issues if i.sheet == sheet and i.row == row and i.column == column]
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.severity, issue.file, issue.line, issue.value, issue.reason) == (
        severity, "ims_offline.xlsx", line, value, reason)
    shown = "" if value is None else f" value {value!r}:"
    assert str(issue) == (f"{severity.value}: ims_offline.xlsx [{sheet}] row {line} (data row {row}), "
                          f"column '{column}':{shown} {reason}")


def test_every_row_is_a_document_or_an_issue():
    r = read(FIXTURE)
    rejected = {(i.sheet, i.row) for i in r.errors}
    imported = set(zip(r.documents["src_sheet"], r.documents["src_row"], strict=True))
    assert not rejected & imported
    assert r.rows_read == len(rejected) + len(imported) + 2  # + the 2 rows of the ISD sheet
    unknown = [i for i in r.issues if i.code == "unknown_section"]
    assert [str(i) for i in unknown] == [
        "warning: ims_offline.xlsx [ISD]: sheet 'ISD' is not an IMS section: its 2 rows were not imported"]


def test_values_are_portal_codes():
    docs = read(FIXTURE).documents
    b2b = {r["doc_no"]: r for r in docs.filter(docs["src_sheet"] == "B2B").iter_rows(named=True)}
    assert (b2b["KA/1088"]["action"], b2b["KA/1088"]["ispendactblocked"]) == ("R", "Y")  # "R", "Y"
    assert (b2b["1234"]["action"], b2b["1234"]["ispendactblocked"], b2b["1234"]["rtnprd"]) == ("N", "Y", "092025")
    assert b2b["INV/25-26/0013"]["rtnprd"] == "102025"  # "Oct-2025"
    assert b2b["INV/25-26/0013"]["remarks"] == "Old remark"  # the second Remarks column when the first is blank
    assert b2b["INV/25-26/0012"]["place_of_supply"] == "27"  # "27-Maharashtra"
    eco = docs.filter(docs["doc_no"] == "ECO/1002").row(0, named=True)
    assert eco["action"] == "N"  # blank Status
    cn = docs.filter(docs["doc_no"] == "CN/25-26/004").row(0, named=True)
    assert (cn["itc_red_req"], cn["decl_cgst"], cn["decl_sgst"], cn["cgst"]) == ("Y", 900.0, 900.0, 900.0)


def test_portal_record_uses_api_names():
    docs = read(FIXTURE).documents
    cna = orjson.loads(docs.filter(docs["doc_no"] == "GC-CN-11A")["portal_record"][0])
    assert cna == {
        "stin": "24AAACC1206D1ZM", "nt_num": "GC-CN-11A", "nt_dt": "05-10-2025", "ont_num": "GC-CN-11",
        "ont_dt": "22-09-2025", "inv_typ": "R", "val": 11800.0, "pos": "27", "txval": 10000.0, "iamt": 1800.0,
        "camt": 0.0, "samt": 0.0, "cess": 0.0, "action": "A", "ispendactblocked": "N", "srcform": "GSTR-1",
        "rtnprd": "102025", "srcfilstatus": "Filed", "prev_status": "N", "isRemarksBlocked": "N",
        "itcRedReq": "Y", "declIgst": 1800.0, "declCgst": 0.0, "declSgst": 0.0, "declCess": 0.0,
    }
    impg = orjson.loads(docs.filter(docs["doc_no"] == "4567999")["portal_record"][0])
    assert impg == {"boenum": "4567999", "boedt": "12-10-2025", "txval": 50000.0, "iamt": 9000.0, "cess": 0.0,
                    "action": "P", "ispendactblocked": "N", "prev_status": "N", "portcode": "INBOM4",
                    "refdt": "18-10-2025"}


# --- header detection ------------------------------------------------------------------------

NAMES = ["GSTIN of supplier", "Invoice number", "Invoice date", "Status", "Taxable value"]


@pytest.mark.parametrize(
    ("rows", "header_line", "fields"),
    [
        # one header row under an instruction row (not a group row)
        ([["Title"], ["Fill in Status only"], NAMES, ["27AABCU9603R1ZN", "A1", "01-10-2025", "A", "5"]],
         3, ["supplier_gstin", "doc_no", "doc_date", "action", "taxable_value"]),
        # the group row scores best (names merged down): the row below still counts
        ([["Title"], ["GSTIN of supplier", "Invoice details", None, "Status", "Taxable value"],
          [None, "Invoice number", "Invoice date", None, None], ["27AABCU9603R1ZN", "A1", "01-10-2025", "A", "5"]],
         3, ["supplier_gstin", "doc_no", "doc_date", "action", "taxable_value"]),
        # amendment: the group above says which number is the original one
        ([["Original details", None, "Revised details", None, None, None, None],
          ["Invoice number", "Invoice date", "GSTIN of supplier", "Invoice number", "Invoice date", "Status", "Cess"],
          ["O1", "01-09-2025", "27AABCU9603R1ZN", "A1", "01-10-2025", "A", "0"]],
         2, ["orig_doc_no", "orig_doc_date", "supplier_gstin", "doc_no", "doc_date", "action", "cess"]),
    ],
)
def test_locate_header(rows, header_line, fields):
    width = max(len(r) for r in rows)
    rows = [(r + [None] * width)[:width] for r in rows]
    layout = locate_header("B2BA", rows, None, sheet_section("B2BA"))
    assert layout is not None and layout.header_line == header_line
    assert [layout.columns[c] for c in sorted(layout.columns)] == fields
    assert layout.frame.height == 1


def test_amendment_without_group_labels_takes_the_first_number_as_the_original():
    rows = [["Invoice number", "Invoice date", "GSTIN of supplier", "Invoice number", "Invoice date", "Status"]]
    layout = locate_header("B2BA", rows, None, sheet_section("B2BA"))
    assert list(layout.columns.values()) == ["orig_doc_no", "orig_doc_date", "supplier_gstin", "doc_no", "doc_date",
                                             "action"]


@pytest.mark.parametrize(
    ("name", "group", "field"),
    [
        ("GSTIN of supplier", None, "supplier_gstin"), ("Trade/Legal name", None, "supplier_name"),
        ("Credit note number", None, "doc_no"), ("Debit Note No.", None, "doc_no"), ("Note date", None, "doc_date"),
        ("Invoice Value (₹)", None, "doc_value"), ("State/UT Tax (Rs.)", None, "sgst"), ("ACTION", None, "action"),
        ("Invoice number", "Original details", "orig_doc_no"), ("Original note date", None, "orig_doc_date"),
        ("Invoice type", "Original details", None), ("Integrated tax", "ITC reduction declared", "decl_igst"),
        ("Declared CGST", None, "decl_cgst"), ("ITC reduction required", "ITC reduction declared", "itc_red_req"),
        ("Is pending blocked", None, "ispendactblocked"), ("Sheet validation errors", None, "_ignore"),
        ("Voucher No", None, None),
    ],
)
def test_classify(name, group, field):
    assert classify(name, group) == field


@pytest.mark.parametrize(
    ("name", "section"),
    [("B2B", "b2b"), ("b2b-cn", "b2bcn"), (" B2B - DNA ", "b2bdna"), ("B2B_CNA", "b2bcna"), ("eco", "ecom"),
     ("ECOA", "ecoma"), ("IMPG SEZ", "impgsez"), ("Read Me", None), ("B2B summary", None)],
)
def test_sheet_names(name, section):
    found = sheet_section(name)
    assert (found.key if found else None) == section


@pytest.mark.parametrize(
    ("text", "period"),
    [("102025", "102025"), ("92025", "092025"), ("09-2025", "092025"), ("9/2025", "092025"),
     ("Oct-2025", "102025"), ("October 2025", "102025"), ("Sep-25", "092025"), ("2025-10-01", "102025"),
     ("132025", None), ("Q3 2025", None), ("", None)],
)
def test_return_period(text, period):
    assert return_period(text) == period


# --- identify() and files that are not IMS workbooks ----------------------------------------


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
    wb.close()
    return path


REGISTER_HEADER = ["Voucher No", "Voucher Date", "GSTIN of supplier", "Supplier Name", "Invoice number",
                   "Invoice date", "Taxable value", "IGST", "CGST", "SGST", "Status"]
GSTR2B_HEADER = ["GSTIN of supplier", "Trade/Legal name", "Invoice number", "Invoice type", "Invoice date",
                 "Invoice value", "Place of supply", "Supply attract reverse charge", "Taxable value",
                 "Integrated Tax", "Central Tax", "State/UT Tax", "Cess", "ITC availability", "Source"]


def test_identify_the_offline_workbook():
    assert ImsExcelImporter().identify(FIXTURE, FIXTURE.read_bytes()[:4096])


def test_identify_an_xls_workbook(tmp_path):
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("B2B")
    ws.write(0, 0, "IMS - B2B invoices")
    ws.write_merge(2, 2, 1, 2, "Invoice details")
    for c, name in enumerate(["GSTIN of supplier", "Invoice number", "Invoice date", "Status", "Taxable value"]):
        ws.write(3, c, name)
    for c, value in enumerate(["27AABCU9603R1ZN", "A-1", "01-10-2025", "Accepted", 100]):
        ws.write(4, c, value)
    path = tmp_path / "ims.xls"
    wb.save(str(path))
    assert ImsExcelImporter().identify(path, b"")
    doc = read(path).documents.row(0, named=True)
    assert (doc["doc_no"], doc["action"], doc["taxable_value"], doc["src_line"]) == ("A-1", "A", 100.0, 5)


def test_a_register_with_a_b2b_sheet_is_not_ims(tmp_path):
    path = _workbook(tmp_path / "purchases.xlsx", {"B2B": [["Purchase register"], REGISTER_HEADER,
                                                          ["1", "02-10-2025", "27AABCU9603R1ZN", "X", "A1",
                                                           "01-10-2025", 100, 0, 9, 9, "Posted"]]})
    assert not ImsExcelImporter().identify(path, b"")
    with pytest.raises(InputFileError) as exc:
        read(path)
    assert exc.value.reason == (
        "sheet 'B2B' has no IMS offline-tool header row (GSTIN of supplier, Invoice number, Invoice date, "
        "Status …): this is not an IMS offline-tool workbook")


def test_a_gstr2b_workbook_is_not_ims(tmp_path):
    path = _workbook(tmp_path / "gstr2b.xlsx", {"B2B": [["GSTR-2B"], GSTR2B_HEADER], "B2BA": [GSTR2B_HEADER]})
    assert not ImsExcelImporter().identify(path, b"")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("ims.csv", b"GSTIN of supplier,Invoice number,Status\n", "not an Excel workbook (.xlsx, .xls or .xlsm)"),
        ("ims.xlsx", b"PK\x03\x04 not really a zip", "cannot read as a spreadsheet"),
    ],
)
def test_files_that_are_not_workbooks(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    assert not ImsExcelImporter().identify(path, content)
    with pytest.raises(InputFileError) as exc:
        read(path)
    assert exc.value.file == name and reason in exc.value.reason


def test_a_workbook_without_offline_sheets(tmp_path):
    path = _workbook(tmp_path / "ims.xlsx", {"Sheet1": [NAMES]})
    assert not ImsExcelImporter().identify(path, b"")
    with pytest.raises(InputFileError, match=r"no IMS offline-tool sheet \(B2B, B2BA, B2B-DN, B2B-CN, ECO …\)"):
        read(path)


def test_a_sheet_without_header_is_reported_and_the_others_are_read(tmp_path):
    path = _workbook(tmp_path / "ims.xlsx", {
        "B2B": [NAMES, ["27AABCU9603R1ZN", "A1", "01-10-2025", "Pending", 5]],
        "B2B-CN": [["Credit notes"], ["nothing here but notes"]],
    })
    r = read(path, recipient_gstin="27aapfu0939f1zv")
    assert r.documents["doc_no"].to_list() == ["A1"] and r.recipient_gstin == "27AAPFU0939F1ZV"
    assert [str(i) for i in r.issues] == [
        "warning: ims.xlsx [B2B-CN]: no IMS header row (GSTIN of supplier, Invoice number, Invoice date, "
        "Status …) in the first 60 rows: sheet not imported"]


def test_identify_looks_past_a_blank_b2b_sheet(tmp_path):
    path = _workbook(tmp_path / "ims.xlsx", {"B2B": [["No records"]], "B2B-CN": [["Credit notes"], NAMES]})
    assert ImsExcelImporter().identify(path, b"")


def test_the_registry_picks_this_importer_and_leaves_registers_alone(tmp_path):
    from imsrecon.importers.register import RegisterImporter
    from imsrecon.importers.registry import detect

    assert isinstance(detect(FIXTURE), ImsExcelImporter)
    register = _workbook(tmp_path / "purchases.xlsx", {"B2B": [REGISTER_HEADER]})
    assert isinstance(detect(register), RegisterImporter)
