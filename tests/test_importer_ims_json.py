"""IMS JSON importer: the portal envelope, the offline tool's envelope, every section, both
spellings of keys, and the exact message for each bad record."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from golden import assert_golden

from imsrecon.importers.base import ImportOptions
from imsrecon.importers.ims_json import ImsJsonImporter
from imsrecon.issues import InputFileError

DATA = Path(__file__).parent / "data" / "ims"
COLUMNS = [
    "src_sheet", "src_row", "recipient_gstin", "supplier_gstin", "doc_class", "ims_section", "is_amendment",
    "doc_no", "doc_no_norm", "doc_date", "fy", "tax_period", "orig_doc_no", "orig_doc_date",
    "place_of_supply", "taxable_value", "igst", "cgst", "sgst", "cess", "doc_value", "action",
    "ispendactblocked", "srcform", "rtnprd", "srcfilstatus", "inv_typ", "hash", "remarks", "itc_red_req",
    "decl_cgst", "decl_sgst", "is_remarks_blocked", "is_itc_red_req_blocked",
]  # fmt: skip


def read(name: str, **kw):
    return ImsJsonImporter().read(DATA / name, ImportOptions(**kw))


def test_portal_json_golden():
    r = read("ims_portal.json", recipient_gstin="27AAPFU0939F1ZV")
    assert_golden("ims_portal_json", {
        "summary": r.summary(), "documents": r.documents.select(COLUMNS), "issues": [str(i) for i in r.issues],
    })


def test_every_section_and_both_spellings():
    docs = read("ims_portal.json").documents
    assert set(docs["ims_section"]) == {"b2b", "b2ba", "b2bdn", "b2bdna", "b2bcn", "b2bcna", "ecom", "ecoma", "impg"}
    dn = docs.filter(docs["ims_section"] == "b2bdn").row(0, named=True)
    assert dn["ispendactblocked"] == "N" and dn["doc_class"] == "debit_note"  # from "dn" / ispendactnallwd
    cn = docs.filter(docs["ims_section"] == "b2bcn").row(0, named=True)
    assert cn["is_itc_red_req_blocked"] == "N"  # from itcRedReqBlocked
    cna = docs.filter(docs["ims_section"] == "b2bcna").row(0, named=True)
    assert (cna["orig_doc_no"], str(cna["orig_doc_date"]), cna["decl_cgst"]) == ("CN/7", "2025-05-20", 9.0)


def test_portal_record_is_echoed_exactly():
    raw = json.loads((DATA / "ims_portal.json").read_text())["data"]
    docs = read("ims_portal.json").documents
    b2ba = docs.filter(docs["ims_section"] == "b2ba")["portal_record"][0]
    assert orjson.loads(b2ba) == raw["b2ba"][0]
    dn = docs.filter(docs["ims_section"] == "b2bdn")["portal_record"][0]
    assert orjson.loads(dn) == raw["dn"][0]  # the downloaded spelling is kept for the upload


def test_bad_record_errors_and_unknown_section():
    r = read("ims_portal.json")
    messages = [str(i) for i in r.errors]
    assert messages == [
        "error: ims_portal.json [b2b] record 3, column 'val': value 'abc': not a number",
        "error: ims_portal.json [b2b] record 3, column 'idt': value '31-04-2025': not a date (use DD-MM-YYYY, DD-Mon-YYYY or YYYY-MM-DD)",
    ]
    unknown = [i for i in r.warnings if i.code == "unknown_section"]
    assert [i.reason for i in unknown] == ["section 'isd' is not an IMS section: its 1 records were not imported"]
    assert r.rows_read == 12 and r.documents.height == 10


def test_offline_tool_envelope_and_snake_case():
    r = read("ims_offline.json")
    assert r.kind.value == "ims_offline_json"
    docs = r.documents
    assert docs["recipient_gstin"].to_list() == ["27AAPFU0939F1ZV", "27AAPFU0939F1ZV"]
    b2b = docs.row(0, named=True)
    assert (b2b["doc_no"], b2b["doc_no_norm"], b2b["inv_typ"], b2b["srcform"], b2b["srcfilstatus"]) == (
        "0001", "1", "R", "R1", "FILED")
    assert (b2b["taxable_value"], b2b["cgst"], b2b["ispendactblocked"]) == (1000.0, 90.0, "N")
    cn = docs.row(1, named=True)
    assert (cn["ispendactblocked"], cn["itc_red_req"]) == ("Y", "Y")
    assert [str(i) for i in r.errors] == [
        "error: ims_offline.json [cn] record 2: value \"'not a record'\": record is not a JSON object"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "the JSON is not an object"),
        (b'{"data": {"foo": []}}', "no IMS sections (b2b, b2ba, b2bcn, \u2026) in this JSON"),
    ],
)
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "ims.json"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as exc:
        ImsJsonImporter().read(path, ImportOptions())
    assert exc.value.file == "ims.json" and message in exc.value.reason


def test_negative_ims_amount_is_a_warning_not_a_rejection(tmp_path):
    rec = {"stin": "27AAPFU0939F1ZV", "inum": "X1", "idt": "01-04-2025", "val": -5, "pos": "27",
           "txval": -5, "iamt": 0, "camt": 0, "samt": 0, "cess": 0, "action": "N"}
    path = tmp_path / "ims.json"
    path.write_text(json.dumps({"data": {"b2b": [rec]}}))
    r = ImsJsonImporter().read(path, ImportOptions())
    assert r.documents.height == 1
    assert [(i.column, i.reason) for i in r.warnings if i.code == "negative"] == [
        ("txval", "IMS amounts should never be negative"), ("val", "IMS amounts should never be negative")]
