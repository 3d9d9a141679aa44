"""GSTR-2B JSON importer: golden file, every section, amounts from items, note types, rejected
documents, the exact message for each bad value, and files that are not GSTR-2B."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from golden import assert_golden
from polars.testing import assert_frame_equal

from imsrecon.importers.base import ImportOptions
from imsrecon.importers.gstr2b_json import Gstr2bJsonImporter
from imsrecon.importers.ims_json import ImsJsonImporter
from imsrecon.issues import InputFileError, Severity

DATA = Path(__file__).parent / "data" / "gstr2b"
SAMPLE = DATA / "gstr2b_sample.json"
COLUMNS = [
    "side", "source_kind", "src_sheet", "src_row", "recipient_gstin", "supplier_gstin", "supplier_name",
    "doc_class", "ims_section", "is_amendment", "doc_no", "doc_no_norm", "doc_date", "fy", "tax_period",
    "orig_doc_no", "orig_doc_date", "place_of_supply", "taxable_value", "igst", "cgst", "sgst", "cess",
    "doc_value", "reverse_charge", "inv_typ", "rtnprd", "flags",
]  # fmt: skip


def read(path: Path = SAMPLE, **kw):
    return Gstr2bJsonImporter().read(path, ImportOptions(**kw))


def write(tmp_path: Path, content: object, name: str = "2b.json") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return path


def test_sample_golden():
    r = read()
    assert_golden("gstr2b_sample_json", {
        "summary": r.summary(),
        "recipient_gstin": r.recipient_gstin,
        "documents": r.documents.select(COLUMNS),
        "issues": [str(i) for i in r.issues],
    })


def test_sections_note_types_and_rejected():
    docs = read().documents
    assert set(docs["ims_section"]) == {"b2b", "b2ba", "b2bcn", "b2bdn", "b2bcna", "b2bdna", "ecom", "impg",
                                        "impgsez"}
    by_no = {r["doc_no"]: r for r in docs.iter_rows(named=True)}
    assert (by_no["CN/25-26/004"]["doc_class"], by_no["DN-0045"]["doc_class"]) == ("credit_note", "debit_note")
    assert (by_no["GC-CN-11A"]["ims_section"], by_no["GC-CN-11A"]["orig_doc_no"]) == ("b2bcna", "GC-CN-11")
    assert (by_no["DL/DN/70A"]["ims_section"], by_no["DL/DN/70A"]["orig_doc_no"]) == ("b2bdna", "DL/DN/70")
    assert by_no["KA/RCM/7"]["reverse_charge"] is True
    assert by_no["GC-2025-780"]["inv_typ"] == "SEZWOP"
    assert (by_no["4567123"]["ims_section"], str(by_no["4567123"]["doc_date"])) == ("impg", "2025-10-10")
    assert by_no["4567999"]["doc_no"] == "4567999"  # a number in the JSON
    assert by_no["7788990"]["supplier_gstin"] == "33AAACT2727Q1Z3"
    rejected = docs.filter(docs["flags"] == "rejected_in_2b")
    assert rejected["doc_no"].to_list() == ["PP/552", "CN/25-26/002"]
    assert rejected["src_sheet"].to_list() == ["docRejdata.b2b", "docRejdata.cdnr"]
    assert docs.filter(docs["flags"].is_null()).height == docs.height - 2
    assert set(docs["recipient_gstin"]) == {"27AAPFU0939F1ZV"} and set(docs["tax_period"]) == {"102025"}


def test_amounts_summed_from_items():
    doc = read().documents.filter(doc_no="INV/25-26/0013").row(0, named=True)
    assert (doc["taxable_value"], doc["igst"], doc["cgst"], doc["sgst"], doc["cess"], doc["doc_value"]) == (
        20000.0, 0.0, 1650.0, 1650.0, 0.0, 22800.0)


def test_portal_record_is_the_document_with_its_supplier():
    raw = json.loads(SAMPLE.read_text())["data"]["docdata"]
    docs = read().documents
    record = orjson.loads(docs.filter(doc_no="DN-0045")["portal_record"][0])
    supplier = raw["cdnr"][1]
    assert record == {**{k: v for k, v in supplier.items() if k != "nt"}, **supplier["nt"][0]}
    assert record["ctin"] == "29AAGCB7383J1Z4"
    impg = orjson.loads(docs.filter(doc_no="4567123")["portal_record"][0])
    assert impg == raw["impg"][0]


@pytest.mark.parametrize(
    ("severity", "sheet", "row", "column", "value", "reason"),
    [
        (Severity.ERROR, "b2b", 4, "dt", "32-10-2025", "not a date (use DD-MM-YYYY, DD-Mon-YYYY or YYYY-MM-DD)"),
        (Severity.ERROR, "b2b", 6, "txval", "1O000", "not a number"),
        (Severity.ERROR, "b2b", 7, "inum", "", "document number is blank"),
        (Severity.ERROR, "cdnr", 3, "typ", "X", "note type must be C (credit note) or D (debit note)"),
        (Severity.ERROR, "ecom", 2, None, "'ECO/1003'", "document is not a JSON object"),
        (Severity.WARNING, "isd", None, None, None,
         "section 'isd' is not an IMS-equivalent section: its 2 records were not imported"),
    ],
)
def test_bad_value_messages(severity, sheet, row, column, value, reason):
    found = [i for i in read().issues if i.sheet == sheet and i.row == row and i.column == column]
    assert len(found) == 1
    issue = found[0]
    assert (issue.severity, issue.file, issue.value, issue.reason, issue.line) == (
        severity, "gstr2b_sample.json", value, reason, None)
    where = f"gstr2b_sample.json [{sheet}]" + (f" record {row}" if row else "")
    where += f", column '{column}'" if column else ""
    shown = "" if value is None else f" value {value!r}:"
    assert str(issue) == f"{severity.value}: {where}:{shown} {reason}"


def test_every_document_is_imported_or_reported():
    r = read()
    assert r.rows_read == 23  # 21 documents in known sections + 2 in isd
    reported = {(i.sheet, i.row) for i in r.errors}
    imported = set(zip(r.documents["src_sheet"], r.documents["src_row"], strict=True))
    assert not reported & imported and len(reported) + len(imported) == 21


def test_envelope_without_data_reads_the_same(tmp_path):
    body = json.loads(SAMPLE.read_text())["data"]
    bare = read(write(tmp_path, body, SAMPLE.name))
    assert_frame_equal(bare.documents, read().documents)
    assert bare.issues == read().issues


def test_recipient_from_options_when_the_file_has_none(tmp_path):
    body = {"docdata": {"b2b": [{"ctin": "29AAGCB7383J1Z4", "inv": [
        {"inum": "K1", "dt": "01-10-2025", "val": 118, "pos": "27", "rev": "N", "typ": "R", "txval": 100,
         "igst": 18, "cgst": 0, "sgst": 0, "cess": 0}]}]}}
    r = read(write(tmp_path, body), recipient_gstin="27aapfu0939f1zv")
    doc = r.documents.row(0, named=True)
    assert (doc["recipient_gstin"], doc["tax_period"], doc["rtnprd"]) == ("27AAPFU0939F1ZV", "102025", None)


def test_identify():
    importer = Gstr2bJsonImporter()
    assert importer.identify(SAMPLE, SAMPLE.read_bytes()[:65536])
    ims = Path(__file__).parent / "data" / "ims" / "ims_portal.json"
    assert not importer.identify(ims, ims.read_bytes()[:65536])
    assert not importer.identify(Path("2b.txt"), b'{"data": {"docdata": {}}}')
    assert not ImsJsonImporter().identify(SAMPLE, SAMPLE.read_bytes()[:65536])


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "not a GSTR-2B download: no 'docdata' object in this JSON"),
        (b'{"data": {"b2b": []}}', "not a GSTR-2B download: no 'docdata' object in this JSON"),
        (b'{"data": {"docdata": {}, "docRejdata": [1]}}', "'docRejdata' is not an object"),
    ],
)
def test_files_that_are_not_gstr2b(tmp_path, content, reason):
    with pytest.raises(InputFileError) as exc:
        read(write(tmp_path, content))
    assert exc.value.file == "2b.json" and reason in exc.value.reason


def test_numbers_written_as_json_numbers_stay_whole(tmp_path):
    body = {"data": {"gstin": "27AAPFU0939F1ZV", "rtnprd": 92025, "docdata": {"impg": [
        {"refdt": "16-09-2025", "portcode": "INNSA1", "boenum": 4567123, "boedt": "10-09-2025", "isamd": "N",
         "txval": 100000.5, "igst": 18000.09, "cess": 0}]}}}
    doc = read(write(tmp_path, body)).documents.row(0, named=True)
    assert (doc["doc_no"], doc["tax_period"], doc["taxable_value"], doc["igst"]) == ("4567123", "092025", 100000.5,
                                                                                      18000.09)


def test_the_registry_picks_this_importer():
    from imsrecon.importers.registry import detect

    assert isinstance(detect(SAMPLE), Gstr2bJsonImporter)
    assert isinstance(detect(SAMPLE, side="ims"), Gstr2bJsonImporter)  # 2B goes on the IMS side of the engine
