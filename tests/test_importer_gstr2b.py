"""GSTR-2B JSON importer: golden file, every section, amounts from items, note types, rejected
documents, the exact message for each bad value, and files that are not GSTR-2B."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import polars as pl
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
    "doc_value", "reverse_charge", "inv_typ", "rtnprd", "flags", "itc_availability", "itc_reason", "applicable_pct",
    "gstr2b_period",
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
    assert set(docs["recipient_gstin"]) == {"27AAPFU0939F1ZV"} and set(docs["gstr2b_period"]) == {"102025"}


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
         "section 'isd' (ISD credit) is not matched: its 2 documents were not imported"),
        (Severity.WARNING, "cdnr", 2, "itcavl", "maybe", "not Y/N (or T, temporary): left blank"),
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
    assert (doc["recipient_gstin"], doc["tax_period"], doc["rtnprd"], doc["gstr2b_period"]) == (
        "27AAPFU0939F1ZV", "102025", None, None)


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
        (b"[1, 2]", "not a GSTR-2B download: no 'docdata' in this JSON"),
        (b'{"data": {"b2b": []}}', "not a GSTR-2B download: no 'docdata' in this JSON"),
        (b'{"data": {"docdata": {}, "docRejdata": [1]}}', "'docRejdata' is a list of numbers: imsrecon reads GSTR-2B's "
         "'docRejdata' as an object of sections (b2b, cdnr, \u2026) or a list of documents each naming its invoice_type"),
        (b'{"data": {"data": {"docdata": "b2b"}}}', "'docdata' is a text: imsrecon reads"),
        (b'{"data": {"docdata": [["B2B"]]}}', "'docdata' is a list of lists: imsrecon reads"),
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


# --- envelopes at any depth, the GSP-flattened form ---------------------------------------------

_BODY = json.loads(SAMPLE.read_text())["data"]


@pytest.mark.parametrize(
    "wrap",
    [
        lambda b: {"chksum": "ab12", "data": b},  # the portal's
        lambda b: {"chksum": "ab12", "data": {"data": b}},
        lambda b: {"code": 200, "message": "OK", "data": {"data": {"data": b}}},
        lambda b: {"status_cd": "1", "result": b},
        lambda b: {"success": True, "response": {"payload": b}},
    ],
    ids=["chksum-data", "chksum-data-data", "code-data-data-data", "result", "response-payload"],
)
def test_envelopes_at_any_depth_read_the_same(tmp_path, wrap):
    r = read(write(tmp_path, wrap(_BODY), SAMPLE.name))
    assert r.documents.height == 16
    assert_frame_equal(r.documents, read().documents)
    assert r.issues == read().issues and r.recipient_gstin == "27AAPFU0939F1ZV"


def _flatten(body: dict, spelling) -> dict:
    """The sample as a GSP writes it: one list of documents, each with its supplier's fields and
    the section named in ``invoice_type`` (in the spelling ``spelling`` gives)."""
    docs = []
    for key, entries in body["docdata"].items():
        for entry in entries:
            child = next((entry[k] for k in ("inv", "nt", "boe", "doclist") if k in entry), None)
            head = {k: v for k, v in entry.items() if not isinstance(v, list)}
            for d in child if child is not None else [entry]:
                if isinstance(d, dict):
                    docs.append({"invoice_type": spelling(key), **(head if child is not None else {}), **d})
    return {"data": {"gstin": body["gstin"], "rtnprd": body["rtnprd"], "docdata": docs}}


@pytest.mark.parametrize("spelling", [str.upper, str.lower, lambda k: {"b2ba": "B2B-A", "cdnra": "CDNR_A",
                                                                          "impgsez": "Impg_Sez"}.get(k, k.title())])
def test_gsp_flattened_docdata_reads_as_the_nested_one(tmp_path, spelling):
    flat = read(write(tmp_path, _flatten(_BODY, spelling)))
    nested = read().documents.filter(pl.col("flags").is_null())
    by = ["ims_section", "doc_no"]
    drop = ["src_file", "src_sheet", "src_row", "portal_record"]
    assert_frame_equal(flat.documents.drop(drop).sort(by), nested.drop(drop).sort(by))
    assert set(flat.documents["src_sheet"]) == {"docdata"}
    # every document is one record of the list: its position is its row
    rows = flat.documents["src_row"].to_list()
    assert rows == sorted(rows) and len(set(rows)) == len(rows)
    assert [i.code for i in flat.warnings if i.code == "not_matched"] == ["not_matched"]


def test_gsp_flat_fixture():
    r = read(DATA / "gstr2b_gsp_flat.json")
    docs = r.documents
    assert (r.recipient_gstin, r.kind.value, r.side.value) == ("27AAPFU0939F1ZV", "gstr2b_json", "gstr2b")
    by_no = {d["doc_no"]: d for d in docs.iter_rows(named=True)}
    assert {n: by_no[n]["ims_section"] for n in ("INV/25-26/0212", "KA/1201", "CN/25-26/014", "DN-0055",
                                                  "GC-CN-21A", "INV/25-26/0199R", "ECO/2001", "5567123",
                                                  "8788990", "PP/652")} == {
        "INV/25-26/0212": "b2b", "KA/1201": "b2b", "CN/25-26/014": "b2bcn", "DN-0055": "b2bdn",
        "GC-CN-21A": "b2bcna", "INV/25-26/0199R": "b2ba", "ECO/2001": "ecom", "5567123": "impg",
        "8788990": "impgsez", "PP/652": "b2b"}
    assert by_no["GC-CN-21A"]["orig_doc_no"] == "GC-CN-21" and by_no["INV/25-26/0199R"]["orig_doc_no"] == "INV/25-26/0199"
    assert by_no["PP/652"]["flags"] == "rejected_in_2b" and by_no["KA/1201"]["reverse_charge"] is True
    assert (by_no["KA/1201"]["tax_period"], by_no["KA/1201"]["gstr2b_period"]) == ("102025", "112025")
    assert [str(i) for i in r.issues] == [
        "error: gstr2b_gsp_flat.json [docdata] record 11, column 'invoice_type': document names no section "
        "(invoice_type B2B, B2BA, CDNR, CDNRA, ECOM, ECOMA, IMPG, IMPGSEZ, ISD)",
        "error: gstr2b_gsp_flat.json [docdata] record 12, column 'dt': value '31-11-2025': not a date "
        "(use DD-MM-YYYY, DD-Mon-YYYY or YYYY-MM-DD)",
        "warning: gstr2b_gsp_flat.json [docdata]: section 'isd' (ISD credit) is not matched: its 1 document was "
        "not imported",
    ]
    assert r.rows_read == 13 and docs.height == 10


# --- GSTR-2B's own facts --------------------------------------------------------------------------


def test_facts_of_the_sample():
    docs = {d["doc_no"]: d for d in read().documents.iter_rows(named=True)}
    facts = {n: (docs[n]["itc_availability"], docs[n]["itc_reason"], docs[n]["applicable_pct"], docs[n]["tax_period"],
                 docs[n]["rtnprd"], docs[n]["gstr2b_period"])
             for n in ("INV/25-26/0012", "KA/1088", "KA/RCM/7", "GC-2025-780", "CN/25-26/004", "DN-0045", "4567123")}
    assert facts == {
        "INV/25-26/0012": ("Y", None, 100.0, "102025", "102025", "102025"),
        "KA/1088": ("Y", None, 100.0, "092025", "092025", "102025"),  # "Yes"; filed late: September's
        "KA/RCM/7": ("N", "C", 65.0, "092025", "092025", "102025"),  # diffprcnt 0.65
        "GC-2025-780": ("N", "P", None, "102025", "102025", "102025"),  # supprd "Oct-25"; diffprcnt ""
        "CN/25-26/004": ("T", None, 100.0, "102025", "102025", "102025"),  # temporary
        "DN-0045": (None, None, 65.0, "102025", "102025", "102025"),  # itcavl "maybe" (warned); "65%"
        "4567123": (None, None, None, "102025", None, "102025"),  # no supplier period: the 2B period
    }


@pytest.mark.parametrize(
    ("itcavl", "diffprcnt", "supprd", "expected"),
    [
        ("Y", 1, "112025", ("Y", 100.0, "112025", [])),
        (True, 0.65, "Nov-25", ("Y", 65.0, "112025", [])),
        (False, "0.65", "Nov'25", ("N", 65.0, "112025", [])),
        ("temporary", 65, 112025, ("T", 65.0, "112025", [])),
        ("no", "", "November 2025", ("N", None, "112025", [])),
        ("?", "all", "13-2025", (None, None, "102025", ["itcavl", "diffprcnt", "supprd"])),
        (None, None, None, (None, None, "102025", [])),
    ],
)
def test_facts_in_every_spelling(tmp_path, itcavl, diffprcnt, supprd, expected):
    doc = {"inum": "K1", "dt": "01-10-2025", "val": 118, "pos": "27", "rev": "N", "typ": "R", "txval": 100,
           "igst": 18, "cgst": 0, "sgst": 0, "cess": 0, "itcavl": itcavl, "diffprcnt": diffprcnt}
    body = {"data": {"rtnprd": "102025", "docdata": {"b2b": [{"ctin": "29AAGCB7383J1Z4", "supprd": supprd,
                                                               "inv": [doc]}]}}}
    r = read(write(tmp_path, body))
    got = r.documents.row(0, named=True)
    assert (got["itc_availability"], got["applicable_pct"], got["tax_period"],
            sorted(i.column for i in r.warnings)) == (*expected[:3], sorted(expected[3]))


def test_the_2b_period_as_written(tmp_path):
    body = {"data": {"rtnprd": "Oct-2025", "docdata": {"impg": [
        {"boenum": "1", "boedt": "10-09-2025", "txval": 1, "igst": 0, "cess": 0}]}}}
    doc = read(write(tmp_path, body)).documents.row(0, named=True)
    assert (doc["gstr2b_period"], doc["tax_period"]) == ("102025", "102025")
    bad = read(write(tmp_path, {"data": {"rtnprd": "soon", "docdata": body["data"]["docdata"]}}))
    assert [(i.column, i.value) for i in bad.warnings] == [("rtnprd", "soon")]
    assert bad.documents["tax_period"].to_list() == ["092025"]  # no period: the document's date


def test_an_empty_gstr2b(tmp_path):
    r = read(write(tmp_path, {"chksum": "x", "data": {"gstin": "27AAPFU0939F1ZV", "rtnprd": "102025", "docdata": {}}}))
    assert (r.documents.height, r.rows_read, r.issues, r.notes) == (0, 0, [], ["no documents in this GSTR-2B"])


@pytest.mark.parametrize("importer", ["gstr2b", "gstr2a"])
def test_downloads_over_the_full_parser_limit_are_refused(importer):
    from imsrecon.importers.gstr2a_json import Gstr2aJsonImporter

    path = SAMPLE if importer == "gstr2b" else Path(__file__).parent / "data" / "gstr2a" / "gstr2a_offline.json"
    reader = Gstr2bJsonImporter() if importer == "gstr2b" else Gstr2aJsonImporter()
    size = path.stat().st_size
    with pytest.raises(InputFileError) as exc:
        reader.read(path, ImportOptions(max_json_full_parse_bytes=size - 1))
    assert exc.value.file == path.name and f"({size:,} bytes); the limit for this JSON is" in exc.value.reason
    assert reader.read(path, ImportOptions(max_json_full_parse_bytes=size)).documents.height > 0
