"""GSTR-2A JSON importer: the portal's offline download and the API's envelope, every section,
amounts summed over items, note types, the supplier's filing status and period, sections that are
not matched, identification beside IMS and GSTR-2B, and a reconcile through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import polars as pl
import pytest
from golden import assert_golden
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from imsrecon.cli.app import app
from imsrecon.importers.base import ImportOptions
from imsrecon.importers.gstr2a_json import Gstr2aJsonImporter
from imsrecon.importers.gstr2b_json import Gstr2bJsonImporter
from imsrecon.importers.ims_json import ImsJsonImporter
from imsrecon.importers.registry import detect
from imsrecon.issues import InputFileError, Severity

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "gstr2a" / "gstr2a_offline.json"
BOOKS = DATA / "gstr2a" / "books_nov25.csv"
COLUMNS = [
    "side", "source_kind", "src_sheet", "src_row", "recipient_gstin", "supplier_gstin", "supplier_name",
    "doc_class", "ims_section", "is_amendment", "doc_no", "doc_no_norm", "doc_date", "fy", "tax_period",
    "orig_doc_no", "orig_doc_date", "place_of_supply", "taxable_value", "igst", "cgst", "sgst", "cess",
    "doc_value", "reverse_charge", "inv_typ", "rtnprd", "srcfilstatus", "flags",
]  # fmt: skip


def read(path: Path = SAMPLE, **kw):
    return Gstr2aJsonImporter().read(path, ImportOptions(**kw))


def write(tmp_path: Path, content: object, name: str = "2a.json") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return path


def _by_no(docs: pl.DataFrame) -> dict[str, dict]:
    return {d["doc_no"]: d for d in docs.iter_rows(named=True)}


def test_offline_download_golden():
    r = read()
    assert_golden("gstr2a_offline_json", {
        "summary": r.summary(), "recipient_gstin": r.recipient_gstin, "notes": r.notes,
        "documents": r.documents.select(COLUMNS), "issues": [str(i) for i in r.issues],
    })


def test_kind_side_and_every_section():
    r = read()
    assert (r.kind.value, r.side.value, r.summary()["kind"], r.summary()["side"]) == (
        "gstr2a_json", "gstr2a", "gstr2a_json", "gstr2a")
    docs = r.documents
    assert set(docs["side"]) == {"gstr2a"} and set(docs["source_kind"]) == {"gstr2a_json"}
    assert set(docs["ims_section"]) == {"b2b", "b2ba", "b2bcn", "b2bdn", "b2bcna", "impg", "impgsez"}
    by_no = _by_no(docs)
    assert (by_no["CN/25-26/004"]["doc_class"], by_no["DN-0045"]["doc_class"]) == ("credit_note", "debit_note")
    # the note's own number, never the invoice it adjusts (`inum` inside the note)
    assert "INV/25-26/0112" in by_no and by_no["CN/25-26/004"]["src_sheet"] == "cdn"
    assert (by_no["GC-CN-11A"]["ims_section"], by_no["GC-CN-11A"]["orig_doc_no"]) == ("b2bcna", "GC-CN-11")
    assert (by_no["INV/25-26/0099R"]["orig_doc_no"], str(by_no["INV/25-26/0099R"]["orig_doc_date"])) == (
        "INV/25-26/0099", "2025-10-28")
    assert (by_no["4567999"]["ims_section"], str(by_no["4567999"]["doc_date"])) == ("impg", "2025-10-28")
    assert (by_no["7788990"]["supplier_gstin"], by_no["7788990"]["supplier_name"]) == (
        "33AAACT2727Q1Z3", "Chennai SEZ Exports Ltd")  # impgsez: sgstin, tdname


@pytest.mark.parametrize(
    ("doc_no", "heads"),
    [
        ("INV/25-26/0112", (100000.0, 0.0, 9000.0, 9000.0, 0.0, 118000.0)),
        ("INV/25-26/0113", (20000.0, 0.0, 1650.0, 1650.0, 0.0, 22800.0)),  # two items
        ("KA/1091", (10000.0, 1800.0, 0.0, 0.0, 0.0, 11800.0)),  # amounts written as text
        ("4567123", (100000.0, 18000.0, 0.0, 0.0, 0.0, 118000.0)),  # impg: on the document, csamt
    ],
)
def test_amounts_summed_over_items(doc_no, heads):
    d = _by_no(read().documents)[doc_no]
    assert (d["taxable_value"], d["igst"], d["cgst"], d["sgst"], d["cess"], d["doc_value"]) == heads


@pytest.mark.parametrize(
    ("doc_no", "facts"),
    [
        ("INV/25-26/0112", ("Filed", "112025", "112025", False)),  # cfs Y, flprdr1 "Nov-25"
        ("KA/1088", ("Not Filed", "112025", "112025", False)),  # cfs N, flprdr1 "112025"
        ("KA/RCM/7", ("Not Filed", "112025", "112025", True)),  # rchrg Y
        ("GC-2025-780", ("Filed", "102025", "102025", False)),  # flprdr1 "Oct'25"
        ("DN-0045", ("Not Filed", "112025", "112025", False)),  # flprdr1 "November 2025"
        ("4567123", (None, None, "112025", False)),  # no supplier period: the download's fp
        ("4567999", (None, None, "112025", False)),  # … even for a bill of entry of October
    ],
)
def test_filing_status_period_and_reverse_charge(doc_no, facts):
    d = _by_no(read().documents)[doc_no]
    assert (d["srcfilstatus"], d["rtnprd"], d["tax_period"], d["reverse_charge"]) == facts


@pytest.mark.parametrize(
    ("severity", "sheet", "row", "column", "value", "reason"),
    [
        (Severity.ERROR, "b2b", 5, "idt", "31-11-2025", "not a date (use DD-MM-YYYY, DD-Mon-YYYY or YYYY-MM-DD)"),
        (Severity.ERROR, "b2b", 7, "txval", "1O000", "not a number"),
        (Severity.ERROR, "b2b", 8, "inum", "", "document number is blank"),
        (Severity.ERROR, "b2b", 9, None, "'GC-2025-779'", "document is not a JSON object"),
        (Severity.ERROR, "cdn", 3, "ntty", "R", "note type must be C (credit note) or D (debit note)"),
        (Severity.WARNING, "isd", None, None, None, "section 'isd' (ISD credit) is not matched: its 2 documents "
                                                    "were not imported"),
        (Severity.WARNING, "tds", None, None, None, "section 'tds' (TDS credit) is not matched: its 1 document "
                                                    "was not imported"),
    ],
)
def test_bad_values_and_sections_not_matched(severity, sheet, row, column, value, reason):
    found = [i for i in read().issues if i.sheet == sheet and i.row == row and i.column == column]
    assert [(i.severity, i.file, i.value, i.reason) for i in found] == [(severity, SAMPLE.name, value, reason)]


def test_every_document_is_imported_or_reported():
    r = read()
    assert r.rows_read == 21  # 18 in matched sections + isd 2 + tds 1
    reported = {(i.sheet, i.row) for i in r.errors}
    imported = set(zip(r.documents["src_sheet"], r.documents["src_row"], strict=True))
    assert not reported & imported and len(reported) + len(imported) == 18


def test_portal_record_is_the_document_with_its_supplier():
    raw = json.loads(SAMPLE.read_text())
    record = orjson.loads(_by_no(read().documents)["DN-0045"]["portal_record"])
    supplier = raw["cdn"][1]
    assert record == {**{k: v for k, v in supplier.items() if k != "nt"}, **supplier["nt"][0]}
    assert read(keep_portal_record=False).documents["portal_record"].null_count() == 13


_BODY = json.loads(SAMPLE.read_text())


@pytest.mark.parametrize(
    "wrap",
    [
        lambda b: {"status_cd": "1", "data": b},  # the API
        lambda b: {"status_cd": "1", "data": {"data": b}},
        lambda b: {"code": 200, "result": {"payload": b}},
    ],
    ids=["status_cd-data", "data-data", "result-payload"],
)
def test_api_envelopes_read_the_same(tmp_path, wrap):
    r = read(write(tmp_path, wrap(_BODY), SAMPLE.name))
    assert isinstance(detect(tmp_path / SAMPLE.name, side="ims"), Gstr2aJsonImporter)
    assert_frame_equal(r.documents, read().documents)
    assert r.issues == read().issues and r.recipient_gstin == "27AAPFU0939F1ZV"


def test_json_booleans_and_gsp_spellings(tmp_path):
    body = {"data": {"gstin": "27AAPFU0939F1ZV", "fp": "112025", "CDNR": [{"ctin": "29AAGCB7383J1Z4", "cfs": True,
            "flprdr1": "Nov-2025", "nt": [{"ntty": "c", "ntnum": "C-9", "nt_dt": "09-11-2025", "val": 118, "pos": "27",
                                           "rchrg": True, "itms": [{"itm_det": {"txval": 100, "igst": 18}}]}]}]}}
    d = read(write(tmp_path, body)).documents.row(0, named=True)
    assert (d["ims_section"], d["doc_no"], d["srcfilstatus"], d["reverse_charge"], d["taxable_value"], d["igst"]) == (
        "b2bcn", "C-9", "Filed", True, 100.0, 18.0)


def test_an_empty_gstr2a(tmp_path):
    path = write(tmp_path, {"gstin": "27AAPFU0939F1ZV", "fp": "112025", "b2b": [], "cdn": []})
    assert isinstance(detect(path), Gstr2aJsonImporter)
    r = read(path)
    assert (r.documents.height, r.rows_read, r.issues) == (0, 0, [])
    assert r.notes == ["GSTR-2A of return period 112025", "no documents in this GSTR-2A"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"gstin": "27AAPFU0939F1ZV", "fp": "112025", "b2b": [{"ctin": "29AAGCB7383J1Z4", "inv": [{"inum": "1", '
         b'"itms": [{"num": 1, "itm_det": {"txval": 1}}]}]}], "b2cs": [], "hsn": {}}',
         "this looks like a GSTR-1 return (your own outward supplies: b2cs, hsn), not a GSTR-2A download"),
        (b'{"status_cd": "1", "data": {"cfs": "Y"}}', "not a GSTR-2A download: no GSTR-2A sections"),
        (b'{"fp": "112025", "b2b": [', "not valid JSON"),
    ],
)
def test_files_that_are_not_gstr2a(tmp_path, content, reason):
    with pytest.raises(InputFileError) as exc:
        read(write(tmp_path, content))
    assert exc.value.file == "2a.json" and reason in exc.value.reason


IMS = DATA / "ims" / "ims_portal.json"
OFFLINE = DATA / "ims" / "ims_offline.json"
GSTR2B = DATA / "gstr2b" / "gstr2b_sample.json"


@pytest.mark.parametrize(
    ("path", "kind"),
    [(SAMPLE, Gstr2aJsonImporter), (IMS, ImsJsonImporter), (OFFLINE, ImsJsonImporter), (GSTR2B, Gstr2bJsonImporter)],
)
def test_identified_by_content_without_stealing_ims_or_2b(path, kind):
    assert isinstance(detect(path), kind)
    head = path.read_bytes()[:65536]
    assert Gstr2aJsonImporter().identify(path, head) is (kind is Gstr2aJsonImporter)
    assert ImsJsonImporter().identify(path, head) is (kind is ImsJsonImporter)


def test_reconcile_a_gstr2a_against_the_books(tmp_path):
    out = tmp_path / "r.csv"
    runner = CliRunner()
    result = runner.invoke(app, ["reconcile", "--ims", str(SAMPLE), "--pr", str(BOOKS), "--gstin", "27AAPFU0939F1ZV",
                                 "--out", str(out), "--db", ":memory:", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    files = {f["file"]: f for f in json.loads(result.output)["files"]}
    assert (files[SAMPLE.name]["kind"], files[SAMPLE.name]["side"], files[SAMPLE.name]["imported"]) == (
        "gstr2a_json", "gstr2a", 13)
    frame = pl.read_csv(out, infer_schema=False)
    got = {r["ims_doc_no"] or r["pr_doc_no"]: (r["match_status"], r["ims_section"]) for r in frame.iter_rows(named=True)}
    assert got["INV/25-26/0112"] == ("exact", "b2b")
    assert got["INV/25-26/0113"][0] in ("exact", "probable")  # booked as inv/25-26/113
    assert got["CN/25-26/004"] == ("exact", "b2bcn") and got["DN-0045"] == ("exact", "b2bdn")
    assert got["KA/1099"][0] == "missing_in_ims" and got["GC-CN-11A"][0] == "missing_in_pr"
    assert frame.filter(pl.col("ims_doc_no") == "KA/1088")["ims_srcfilstatus"].to_list() == ["Not Filed"]
