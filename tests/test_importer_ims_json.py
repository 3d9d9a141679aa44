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


# --- the IMS offline tool's names, an empty month, envelopes, records that cannot be read --------

_REC = {"stin": "29AAGCB1286Q1Z0", "inum": "A1", "idt": "01-04-2025", "val": 118, "pos": "27", "txval": 100,
        "iamt": 18, "camt": 0, "samt": 0, "cess": 0, "action": "N"}


def _write(tmp_path: Path, content: object, name: str = "ims.json") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
    return path


def _one(tmp_path: Path, content: object):
    return ImsJsonImporter().read(_write(tmp_path, content), ImportOptions())


@pytest.mark.parametrize(
    ("spelling", "value", "field", "expected"),
    [
        ("rtnTyp", "R1A", "srcform", "R1A"),  # the offline tool's own names (domain doc §5)
        ("sRtnPrd", "052025", "rtnprd", "052025"),
        ("srcFilStatus", "Not Filed", "srcfilstatus", "Not Filed"),
        ("invTyp", "SEWP", "inv_typ", "SEWP"),
        ("isPendActBlocked", True, "ispendactblocked", "Y"),
        ("isPendActBlocked", "N", "ispendactblocked", "N"),
        ("srcForm", "IFF", "srcform", "IFF"),
        ("rtnPrd", "052025", "rtnprd", "052025"),
        ("prevStatus", "A", None, None),  # kept in the record only
    ],
)
def test_offline_tool_and_camel_case_field_names(tmp_path, spelling, value, field, expected):
    r = _one(tmp_path, {"imsDetails": {"b2b": [{**_REC, spelling: value}]}})
    assert (r.kind.value, r.issues) == ("ims_offline_json", [])
    doc = r.documents.row(0, named=True)
    if field is not None:
        assert doc[field] == expected
    assert json.loads(doc["portal_record"])[spelling] == value  # echoed on upload as downloaded
    if field == "rtnprd":
        assert doc["tax_period"] == "052025"


@pytest.mark.parametrize(
    "content",
    [{"data": {}}, {"status_cd": "1", "data": {}}, {"status_cd": "1", "data": {"b2b": [], "b2bcn": [], "ecom": []}},
     {"imsDetails": {}}, {"gstin": "27AAPFU0939F1ZV", "imsDetails": {"rtin": "27AAPFU0939F1ZV"}},
     {"chksum": "x", "data": {"data": {}}}],
    ids=["data", "status_cd", "empty-sections", "offline", "offline-gstin", "nested"],
)
def test_an_empty_month_is_a_download_with_no_documents(tmp_path, content):
    from imsrecon.importers.registry import detect

    path = _write(tmp_path, content)
    assert isinstance(detect(path, side="ims"), ImsJsonImporter)
    r = ImsJsonImporter().read(path, ImportOptions())
    assert (r.documents.height, r.rows_read, r.issues, r.notes) == (0, 0, [], ["no documents in this download (an empty month)"])
    assert r.summary()["imported"] == 0


@pytest.mark.parametrize(
    "content",
    [{}, {"hello": "world"}, {"data": {"name": "x"}}, {"data": "none"}, {"data": {"foo": [1]}}, [], "b2b", 3],
)
def test_json_that_is_no_download_is_refused(tmp_path, content):
    from imsrecon.importers.registry import detect

    path = _write(tmp_path, content)
    with pytest.raises(InputFileError) as exc:
        detect(path)
    assert exc.value.file == "ims.json" and "unknown kind of file" in exc.value.reason


@pytest.mark.parametrize(
    "wrap",
    [lambda b: {"status_cd": "1", "data": b}, lambda b: {"data": {"data": b}}, lambda b: {"result": {"imsDetails": b}},
     lambda b: {"code": 200, "response": {"payload": {"data": b}}}],
)
def test_sections_at_any_depth(tmp_path, wrap):
    r = _one(tmp_path, wrap({"rtin": "27AAPFU0939F1ZV", "b2b": [_REC], "b2bcn": [{**_REC, "nt_num": "C1", "nt_dt": "02-04-2025"}]}))
    assert r.documents["ims_section"].to_list() == ["b2b", "b2bcn"] and r.recipient_gstin == "27AAPFU0939F1ZV"


@pytest.mark.parametrize(
    ("record", "column", "value", "reason"),
    [
        ({"txval": [1, 2]}, "txval", "[1,2]", "a list where one value belongs"),
        ({"txval": {"a": 1}}, "txval", '{"a":1}', "an object where one value belongs"),
        ({"inum": ["A1"]}, "inum", '["A1"]', "a list where one value belongs"),
        ({"action": {"code": "A"}}, "action", '{"code":"A"}', "an object where one value belongs"),
    ],
)
def test_a_list_or_object_where_a_value_belongs_is_a_row_error(tmp_path, record, column, value, reason):
    r = _one(tmp_path, {"data": {"b2b": [{**_REC, "inum": "A0"}, {**_REC, **record}, {**_REC, "inum": "A2"}]}})
    assert [(i.row, i.column, i.value, i.reason) for i in r.errors] == [(2, column, value, reason)]
    assert r.documents["doc_no"].to_list() == ["A0", "A2"]
    assert r.documents["src_row"].to_list() == [1, 3]  # each record keeps its own position
    assert r.rows_read == 3


def test_records_with_none_of_the_known_keys(tmp_path):
    r = _one(tmp_path, {"data": {"b2b": [{"foo": 1}, {"bar": "x"}], "b2bcn": [{}]}})
    assert [(i.sheet, i.row, i.column, i.reason) for i in r.errors] == [
        ("b2b", 1, "inum", "document number is blank"), ("b2b", 2, "inum", "document number is blank"),
        ("b2bcn", 1, "nt_num", "document number is blank")]
    assert (r.documents.height, r.rows_read) == (0, 3)


@pytest.mark.parametrize(
    "records",
    [
        [{**_REC, "inum": 123456789012345678901234567890}, {**_REC, "inum": "A2"}],  # beyond 64 bits beside text
        [{**_REC, "inum": 1e20}, {**_REC, "inum": 12.0}],
        [{**_REC, "inum": 2**200}],
        [{**_REC, "txval": 2**70}, {**_REC, "txval": "5"}],
    ],
)
def test_huge_numbers_are_values_not_crashes(tmp_path, records):
    r = _one(tmp_path, {"data": {"b2b": records}})
    assert r.rows_read == len(records) and r.documents.height + len(r.errors) == len(records)
    assert all(n == str(n).strip() for n in r.documents["doc_no"])


def test_a_section_that_is_not_a_list_is_said(tmp_path):
    r = _one(tmp_path, {"data": {"b2b": [_REC, "x"], "b2bcn": {"nt_num": "C1"}, "ecom": None}})
    assert [str(i) for i in r.issues] == [
        "error: ims.json [b2b] record 2: value \"'x'\": record is not a JSON object",
        "warning: ims.json [b2bcn]: section 'b2bcn' is not a list of records: not imported",
    ]
    assert r.documents["doc_no"].to_list() == ["A1"]


def test_flags_as_json_booleans_fast_and_full(tmp_path):
    """JSON true/false in every flag become Y/N (normalise/flags.py), by the fast reader (flat records)
    and by the full parser (a list elsewhere in the record sends the file there)."""
    flags = {"ispendactblocked": True, "isRemarksBlocked": False, "isItcRedReqBlocked": True, "itcRedReq": False}
    for extra in ({}, {"extra": [1]}):
        r = _one(tmp_path, {"data": {"b2bcn": [{**_REC, "nt_num": "C1", "nt_dt": "02-04-2025", **flags, **extra}]}})
        d = r.documents.row(0, named=True)
        assert (d["ispendactblocked"], d["is_remarks_blocked"], d["is_itc_red_req_blocked"], d["itc_red_req"]) == (
            "Y", "N", "Y", "N"), extra
        assert r.issues == []


# --- the size limits of JSON files (memory) ------------------------------------------------------


def test_a_json_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    # cut short: read at all, it would be "not valid JSON"; refused by its size, it is never read
    path = _write(tmp_path, json.dumps({"data": {"b2b": [_REC] * 50}})[:-3].encode())
    size = path.stat().st_size
    with pytest.raises(InputFileError) as exc:
        ImsJsonImporter().read(path, ImportOptions(max_json_bytes=size - 1))
    reason = exc.value.reason
    assert exc.value.file == "ims.json"
    assert f"file is {size / 10**6:.1f} MB ({size:,} bytes); the limit for this JSON is" in reason
    assert f"({size - 1:,} bytes" not in reason and "about 4.0 bytes of memory per byte of file" in reason
    assert "download it per section (B2B, CDNR, …) or per return period and import the parts" in reason
    assert "IMSRECON_MAX_JSON_MB=<megabytes>" in reason


def test_a_file_the_fast_reader_declines_has_the_lower_limit(tmp_path):
    flat = _write(tmp_path, {"data": {"b2b": [_REC] * 20}}, "flat.json")
    nested = _write(tmp_path, {"data": {"b2b": [{**_REC, "items": [1]}] * 20}}, "nested.json")
    limit = max(flat.stat().st_size, nested.stat().st_size)
    options = ImportOptions(max_json_bytes=limit, max_json_full_parse_bytes=limit // 4)
    assert ImsJsonImporter().read(flat, options).documents.height == 20  # read fast: within its limit
    with pytest.raises(InputFileError) as exc:
        ImsJsonImporter().read(nested, options)
    assert "it is read by the full JSON parser (GSTR-2B, GSTR-2A, IMS records that are not flat), which needs about " \
           "12.5 bytes of memory per byte of file" in exc.value.reason
    assert ImsJsonImporter().read(nested, ImportOptions()).documents.height == 20


def test_the_limits_follow_the_environment(monkeypatch):
    from imsrecon.importers.base import DEFAULT_MAX_JSON_BYTES, DEFAULT_MAX_JSON_FULL_PARSE_BYTES

    assert (ImportOptions().max_json_bytes, ImportOptions().max_json_full_parse_bytes) == (
        DEFAULT_MAX_JSON_BYTES, DEFAULT_MAX_JSON_FULL_PARSE_BYTES) == (1_500_000_000, 480_000_000)
    monkeypatch.setenv("IMSRECON_MAX_JSON_MB", "3000")
    assert (ImportOptions().max_json_bytes, ImportOptions().max_json_full_parse_bytes) == (3_000_000_000, 960_000_000)
    monkeypatch.setenv("IMSRECON_MAX_JSON_MB", "lots")  # not a number: the defaults
    assert ImportOptions().max_json_bytes == DEFAULT_MAX_JSON_BYTES


def test_the_command_line_refuses_a_file_over_the_limit_and_writes_nothing(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from imsrecon.cli.app import app
    from imsrecon.store.workspace import Workspace

    path = _write(tmp_path, {"data": {"b2b": [_REC] * 3000}})  # ~0.5 MB
    monkeypatch.setenv("IMSRECON_MAX_JSON_MB", "0.1")
    db = tmp_path / "ws.db"
    result = CliRunner().invoke(app, ["import", str(path), "--db", str(db)])
    size = path.stat().st_size
    assert result.exit_code == 1
    assert f"ims.json: file is {size / 10**6:.1f} MB ({size:,} bytes); the limit for this JSON is 0.1 MB" in result.output
    with Workspace.open(str(db)) as ws:
        assert ws.imports().height == 0
