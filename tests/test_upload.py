"""IMS upload files: golden SAVE/RESET payloads, exact echo of the downloaded record, every refusal
rule (each tried on both sides of its edge), splitting below a size, skips, atomic writes and the
pydantic payload models."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from golden import assert_golden
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from imsrecon.exporters import upload, upload_schema
from imsrecon.exporters.sanitize import neutralise_frame
from imsrecon.exporters.upload import (
    MAX_REMARKS,
    RULES,
    UPLOAD_RULES,
    UploadPlan,
    plan_upload,
    precheck_frame,
    write_upload,
)
from imsrecon.exporters.upload_schema import dumps, envelope, split_invdata, validate_payload
from imsrecon.importers.base import ImportOptions
from imsrecon.importers.ims_json import ImsJsonImporter
from imsrecon.model import conform
from imsrecon.sections import FIELD_ALIASES, SECTIONS, UPLOAD_SECTION_KEYS, DocClass

R = "27AAPFU0939F1ZV"  # recipient
S1 = "29AAGCB1286Q1Z0"
S2 = "07AAACE1234F1Z6"
DATA = Path(__file__).parent / "data" / "ims"


def record(section: str = "b2b", action: str = "N", n: int = 1, stin: str = S1, tax: float = 45.0,
           **fields: Any) -> dict[str, Any]:
    """A downloaded record of ``section`` as the portal sends it (CGST + SGST of ``tax`` each)."""
    s = SECTIONS[section]
    rec: dict[str, Any] = {} if s.import_of_goods else {"stin": stin}
    rec |= {} if s.import_of_goods or section.startswith("ecom") else {"inv_typ": "R"}  # ecom has none
    rec |= {s.number_field: f"{section.upper()}-{n}", s.date_field: "10-11-2025"}
    if s.orig_number_field:
        rec |= {s.orig_number_field: f"{section.upper()}-{n}-O", s.orig_date_field: "01-11-2025"}
    if s.import_of_goods:
        rec |= {"portcode": "INNSA1", "val": 1180, "txval": 1000, "iamt": 180.0, "cess": 0}
    else:
        rec |= {"val": 500 + 2 * tax, "pos": "27", "txval": 500, "iamt": 0, "camt": tax, "samt": tax, "cess": 0}
    rec |= {"action": action, "ispendactblocked": "N", "srcform": "R1", "rtnprd": "112025",
            "srcfilstatus": "Filed", "hash": f"h{section}{n}"}  # fmt: skip
    return {k: v for k, v in (rec | fields).items() if v is not None}


def row(rec: dict[str, Any] | None, new_action: str | None, section: str = "b2b", **cols: Any) -> dict[str, Any]:
    """The document row the importer would make of ``rec``, with the caller's new values."""
    r = rec or {}
    s = SECTIONS[section]
    get = lambda *names: next((r[k] for k in names if k in r), None)  # noqa: E731
    base = {
        "side": "ims", "src_file": "ims.json", "recipient_gstin": R, "ims_section": section,
        "supplier_gstin": r.get("stin"), "doc_no": r.get(s.number_field), "igst": r.get("iamt"),
        "cgst": r.get("camt"), "sgst": r.get("samt"), "cess": r.get("cess"), "action": r.get("action"),
        "ispendactblocked": get("ispendactblocked", "ispendactnallwd"),
        "is_remarks_blocked": r.get("isRemarksBlocked"),
        "is_itc_red_req_blocked": get("isItcRedReqBlocked", "itcRedReqBlocked"),
        "remarks": r.get("remarks"), "itc_red_req": r.get("itcRedReq"),
        **{f"decl_{h}": r.get(f"decl{h.capitalize()}") for h in ("igst", "cgst", "sgst", "cess")},
        "portal_record": json.dumps(r) if rec is not None else None,
    }  # fmt: skip
    return base | cols | {"new_action": new_action}


# columns the caller adds beside the document schema (plan_upload reads them)
EXTRA = ("new_action", "matching_key", "portal_action", "portal_action_from", "upload_processing")


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    docs = conform(pl.DataFrame([{k: v for k, v in r.items() if k not in EXTRA} for r in rows],
                                infer_schema_length=None))  # fmt: skip
    extra = [c for c in EXTRA if any(c in r for r in rows)]
    return docs.with_columns(pl.Series(c, [r.get(c) for r in rows], dtype=pl.String) for c in extra)


def plan(rows: list[dict[str, Any]]) -> UploadPlan:
    return plan_upload(frame(rows), R)


def all_records(p: UploadPlan) -> list[dict[str, Any]]:
    return [r for recs in (*p.save_records.values(), *p.reset_records.values()) for r in recs]


# --- golden payloads ----------------------------------------------------------------------------


def golden_rows() -> list[dict[str, Any]]:
    cn = record("b2bcn", "N", isRemarksBlocked="N", isItcRedReqBlocked="N")
    return [
        row(record("b2b", "N", 1), "A"),
        row(record("b2b", "A", 2, stin=S2), "N"),  # reset
        row(record("b2b", "A", 3), "A"),  # unchanged: skipped
        row(record("b2ba", "N", isRemarksBlocked="N"), "R", "b2ba", remarks="rate differs from PO"),
        row(record("b2bdn", "P"), "A", "b2bdn"),
        row(record("b2bdna", "N"), "P", "b2bdna"),
        row(cn, "A", "b2bcn", remarks="ITC availed only in part", itc_red_req="Y", decl_cgst=20.0, decl_sgst=20.0),
        row(record("b2bcn", "R", 2, remarks="not received"), "N", "b2bcn"),  # reset keeps the remark
        row(record("b2bcn", "N", 3, **CN), "A", "b2bcn", itc_red_req="N", remarks="ITC never availed"),  # no reduction
        row(record("b2bcn", "P", 4, **CN), "A", "b2bcn"),  # refused: accepted without a declaration (IMSSAV0054)
        row(record("b2bcna", "A", tax=9.5), "P", "b2bcna"),
        row(record("ecom", "N", stin=S2), "P", "ecom"),
        row(record("ecoma", "R", stin=S2), "A", "ecoma"),
        row(record("impg", "N"), "A", "impg"),
        row(record("impgsez", "P"), "N", "impgsez"),
        row(record("impga", "N"), "R", "impga"),  # refused: import of goods is never rejected
    ]


def test_golden_save_and_reset_payloads(tmp_path: Path):
    p = plan(golden_rows())
    paths = write_upload(p, tmp_path)
    assert [x.name for x in paths] == ["SAVE-1.json", "RESET-1.json", "precheck.csv"]
    save = json.loads((tmp_path / "SAVE-1.json").read_text(encoding="utf-8"))
    reset = json.loads((tmp_path / "RESET-1.json").read_text(encoding="utf-8"))
    assert_golden("upload_save", save)
    assert_golden("upload_reset", reset)
    assert_golden("upload_precheck", pl.read_csv(tmp_path / "precheck.csv"))
    assert list(save["data"]["invdata"]) == ["b2b", "b2ba", "b2bdn", "b2bdna", "b2bcn", "b2bcna", "ecom", "ecoma", "impg"]
    assert list(reset["data"]["invdata"]) == ["b2b", "b2bcn", "impgsez"]
    assert (save["action"], save["data"]["reqtyp"], reset["action"], reset["data"]["reqtyp"]) == (
        "SAVE", "SAVE", "RESETIMS", "RESET")  # fmt: skip
    assert save == envelope("SAVE", R, p.save_records) and reset == envelope("RESET", R, p.reset_records)


def test_import_then_upload_echoes_the_downloaded_file(tmp_path: Path):
    """From the portal JSON through the importer: each record in the files is the file's own."""
    raw = json.loads((DATA / "ims_portal.json").read_text())["data"]
    docs = ImsJsonImporter().read(DATA / "ims_portal.json", ImportOptions(recipient_gstin=R)).documents
    flip = {"N": "A", "A": "N", "P": "A"}
    docs = docs.with_columns(pl.col("action").replace_strict(flip).alias("new_action"))
    p = plan_upload(docs, R)  # the credit-note amendment downloaded without itcRedReq cannot be accepted as it is
    assert [(pr.section, pr.rule) for pr in p.problems] == [("b2bcna", "itc_red_req_missing")]
    declared = pl.when(pl.col("ims_section") == "b2bcna").then(pl.lit("Y")).otherwise("itc_red_req")
    p = plan_upload(docs.with_columns(declared.alias("itc_red_req")), R)  # a full declaration decided
    assert p.problems == [] and p.skipped.height == 0
    originals = {json.dumps({k: v for k, v in r.items() if k not in ("hash", "action")}, sort_keys=True): r
                 for recs in raw.values() for r in recs}  # fmt: skip
    written = all_records(p)
    assert len(written) == docs.height == 10  # every section, two b2b
    assert p.save_records["b2bcna"][0]["itcRedReq"] == "Y"
    for rec in written:
        added = ("prev_status", "action", "itcRedReq") if "declCgst" in rec else ("prev_status", "action")
        key = json.dumps({k: v for k, v in rec.items() if k not in added}, sort_keys=True)
        original = originals[key]  # every downloaded field kept, nothing added but action / prev_status
        assert rec["prev_status"] == original["action"]
        new = flip[original["action"]]
        assert rec.get("action") == (None if new == "N" else new) and "hash" not in rec
    assert set(p.save_records) | set(p.reset_records) == {"b2b", "b2ba", "b2bdn", "b2bdna", "b2bcn", "b2bcna", "ecom",
                                                          "ecoma", "impg"}  # "dn" is uploaded as b2bdn
    write_upload(p, tmp_path)


# --- echo exactness (property) ------------------------------------------------------------------

_RESERVED = {"action", "prev_status", "hash", "portcode", *FIELD_ALIASES, *FIELD_ALIASES.values(), "isRemarksBlocked",
             *(f for s in SECTIONS.values() for f in (s.number_field, s.date_field, s.orig_number_field) if f)}
_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=20) | st.floats(
    allow_nan=False, allow_infinity=False)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                             max_size=3), max_leaves=6)
_keys = st.text(min_size=1, max_size=12).filter(lambda k: k not in _RESERVED)


@st.composite
def documents(draw: st.DrawFn) -> tuple[dict[str, Any], str, str]:
    section = draw(st.sampled_from(sorted(SECTIONS)))
    rec = draw(st.dictionaries(_keys, _values, max_size=12))
    current = draw(st.sampled_from("ARPN"))
    new = draw(st.sampled_from([a for a in "ARPN" if a != current and not (a == "R" and SECTIONS[section].import_of_goods)]))
    # the action and hash sit wherever the portal put them
    items = list(rec.items())
    items.insert(draw(st.integers(0, len(items))), ("action", current))
    if new == "A" and SECTIONS[section].doc_class is DocClass.CREDIT_NOTE:  # accepted with a declaration
        items.insert(draw(st.integers(0, len(items))), ("itcRedReq", draw(st.sampled_from(["Y", True]))))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), ("hash", draw(st.text(max_size=10))))
    return dict(items), section, new


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(documents(), min_size=1, max_size=4))
def test_echo_is_exact(docs: list[tuple[dict[str, Any], str, str]]):
    docs = [({SECTIONS[section].number_field: f"D{i}"} | rec | {"n": i}, section, new)
            for i, (rec, section, new) in enumerate(docs)]  # fmt: skip
    rows = [{"ims_section": section, "doc_no": f"D{i}", "portal_record": json.dumps(rec), "new_action": new}
            for i, (rec, section, new) in enumerate(docs)]  # fmt: skip
    p = plan(rows)
    assert p.problems == [] and p.skipped.height == 0
    assert len(p.planned) == len(docs)
    by_n = {pa.record["n"]: pa for pa in p.planned}
    for i, (rec, section, new) in enumerate(docs):
        pa = by_n[i]
        expected = {k: v for k, v in rec.items() if k != "hash"}
        if new == "N":
            del expected["action"]
        else:
            expected["action"] = new
        expected["prev_status"] = rec["action"]
        assert pa.record == expected
        assert list(pa.record) == list(expected)  # same keys in the same order
        assert all(type(pa.record[k]) is type(v) for k, v in expected.items())
        assert (pa.request, pa.section) == ("RESET" if new == "N" else "SAVE", UPLOAD_SECTION_KEYS[section])
    # and the written bytes read back to the same records
    for name, data in upload.upload_payloads(p):
        assert json.loads(data)["data"]["invdata"] == (p.save_records if name.startswith("SAVE") else p.reset_records)


# --- refusal rules --------------------------------------------------------------------------------

CN = {"isRemarksBlocked": "N", "isItcRedReqBlocked": "N"}
ITC_OK = {"itc_red_req": "Y", "decl_cgst": 20.0, "decl_sgst": 20.0, "remarks": "ITC availed in part"}
# id -> (section, record fields, current action, new action, row columns, rules expected ([] = uploaded))
CASES: dict[str, tuple[str, dict, str, str | None, dict, list[str]]] = {
    "pending_blocked": ("b2bcn", {"ispendactblocked": "Y"}, "N", "P", {}, ["pending_blocked"]),
    "pending_blocked_old_spelling": ("b2b", {"ispendactblocked": None, "ispendactnallwd": "Y"}, "N", "P",
                                     {"ispendactblocked": None}, ["pending_blocked"]),  # from the record alone
    "remarks_blocked_record_only": ("b2b", {"isRemarksBlocked": "Y"}, "N", "R", {"remarks": "x", "is_remarks_blocked": None},
                                    ["remarks_blocked"]),
    "pending_allowed": ("b2bcn", {"ispendactblocked": "N"}, "N", "P", {}, []),
    "blocked_pending_but_accept": ("b2bcn", {"ispendactblocked": "Y"}, "N", "A", {"itc_red_req": "Y"}, []),
    # accepting a specified record needs a declaration (IMSSAV0054), unless the record blocks it
    "accept_credit_note_undeclared": ("b2bcn", CN, "N", "A", {}, ["itc_red_req_missing"]),
    "accept_cn_amendment_undeclared": ("b2bcna", {}, "P", "A", {}, ["itc_red_req_missing"]),
    "accept_marked_amendment_undeclared": ("b2bdna", {"isItcRedReqBlocked": "N"}, "N", "A", {}, ["itc_red_req_missing"]),
    "accept_unmarked_amendment_undeclared": ("b2ba", {}, "N", "A", {}, []),
    "accept_blocked_undeclared": ("b2bcn", CN | {"isItcRedReqBlocked": "Y"}, "N", "A", {}, []),
    "accept_blocked_other_spelling": ("b2bcn", {"itcRedReqBlocked": True}, "N", "A", {"is_itc_red_req_blocked": None},
                                      []),
    "accept_declared_in_download": ("b2bcn", CN | {"itcRedReq": "N", "remarks": "reversed"}, "N", "A", {}, []),
    "accept_declared_in_download_bool": ("b2bcn", CN | {"itcRedReq": True}, "P", "A", {"itc_red_req": None}, []),
    "reject_credit_note_undeclared": ("b2bcn", CN, "N", "R", {}, []),
    "pending_credit_note_undeclared": ("b2bcn", CN, "A", "P", {}, []),
    **{f"reject_{s}": (s, {}, "N", "R", {}, ["reject_import_of_goods"]) for s in ("impg", "impga", "impgsez", "impgseza")},
    "impg_pending": ("impg", {}, "N", "P", {}, []),
    "impg_accept": ("impgsez", {}, "P", "A", {}, []),
    "unknown_action_x": ("b2b", {}, "N", "X", {}, ["unknown_action"]),
    "unknown_action_lower": ("b2b", {}, "N", "a", {}, ["unknown_action"]),
    "unknown_action_null": ("b2b", {}, "N", None, {}, ["unknown_action"]),
    "unknown_action_word": ("b2b", {}, "N", "Accept", {}, ["unknown_action"]),
    "remarks_blocked": ("b2b", {"isRemarksBlocked": "Y"}, "N", "R", {"remarks": "wrong rate"}, ["remarks_blocked"]),
    "remarks_blocked_unchanged": ("b2b", {"isRemarksBlocked": "Y", "remarks": "old"}, "N", "R", {"remarks": "old"}, []),
    "remarks_max": ("b2b", {}, "N", "R", {"remarks": "क" * MAX_REMARKS}, []),
    "remarks_too_long": ("b2b", {}, "N", "P", {"remarks": "क" * (MAX_REMARKS + 1)}, ["remarks_too_long"]),
    "remarks_on_plain_accept": ("b2b", {}, "N", "A", {"remarks": "matched"}, ["remarks_not_allowed"]),
    "remarks_on_reset": ("b2b", {}, "R", "N", {"remarks": "changed my mind"}, ["remarks_not_allowed"]),
    "blank_remarks_ignored": ("b2b", {}, "N", "A", {"remarks": "  "}, []),
    "itc_blocked": ("b2bcn", CN | {"isItcRedReqBlocked": "Y"}, "N", "A", ITC_OK, ["itc_red_req_blocked"]),
    "itc_blocked_other_spelling": ("b2bcna", {"itcRedReqBlocked": "Y"}, "N", "A", ITC_OK, ["itc_red_req_blocked"]),
    "itc_on_invoice": ("b2b", {}, "N", "A", ITC_OK, ["itc_red_req_not_specified"]),
    "itc_on_debit_note": ("b2bdn", {}, "N", "A", ITC_OK, ["itc_red_req_not_specified"]),
    "itc_on_unmarked_amendment": ("b2ba", {}, "N", "A", ITC_OK, ["itc_red_req_not_specified"]),
    "itc_on_marked_amendment": ("b2ba", {"isItcRedReqBlocked": "N"}, "N", "A", ITC_OK, []),
    "itc_on_marked_ecom_amendment": ("ecoma", {"itcRedReqBlocked": "N"}, "N", "A", ITC_OK, []),
    "itc_on_credit_note": ("b2bcn", CN, "N", "A", ITC_OK, []),
    "itc_on_reject": ("b2bcn", CN, "N", "R", ITC_OK, ["itc_red_req_not_accept"]),
    "itc_on_pending": ("b2bcn", CN, "N", "P", {"itc_red_req": "N", "remarks": "not availed"}, ["itc_red_req_not_accept"]),
    "itc_on_reset": ("b2bcn", CN, "A", "N", {"itc_red_req": "Y"}, ["itc_red_req_not_accept"]),
    "itc_value_x": ("b2bcn", CN, "N", "A", {"itc_red_req": "X"}, ["itc_red_req_value"]),
    "itc_value_lower": ("b2bcn", CN, "N", "A", {"itc_red_req": "y"}, []),  # read as Y (normalise.flags)
    "itc_value_word": ("b2bcn", CN, "N", "A", {"itc_red_req": "maybe"}, ["itc_red_req_value"]),
    "decl_without_itc_red_req": ("b2bcn", CN, "N", "A", {"decl_cgst": 45.0, "decl_sgst": 45.0}, ["itc_red_req_value"]),
    "full_reduction": ("b2bcn", CN, "N", "A", {"itc_red_req": "Y"}, []),
    "full_declared": ("b2bcn", CN, "N", "A", {"itc_red_req": "Y", "decl_cgst": 45.0, "decl_sgst": 45.0}, []),
    "decl_negative": ("b2bcn", CN, "N", "A", ITC_OK | {"decl_cgst": -1.0, "decl_sgst": -1.0}, ["decl_negative"]),
    "decl_nan": ("b2bcn", CN, "N", "A", ITC_OK | {"decl_cess": math.nan}, ["decl_negative"]),
    "decl_above_tax": ("b2bcn", CN, "N", "A", ITC_OK | {"decl_cgst": 45.01, "decl_sgst": 45.01}, ["decl_above_tax"]),
    "decl_igst_on_intra_state": ("b2bcn", CN, "N", "A", ITC_OK | {"decl_igst": 1.0}, ["decl_above_tax"]),
    "decl_cgst_ne_sgst": ("b2bcn", CN, "N", "A", ITC_OK | {"decl_sgst": 19.0}, ["decl_cgst_ne_sgst"]),
    "decl_cgst_alone": ("b2bcn", CN, "N", "A", ITC_OK | {"decl_sgst": None}, ["decl_cgst_ne_sgst"]),
    "partial_without_remarks": ("b2bcn", CN, "N", "A", ITC_OK | {"remarks": None}, ["decl_without_remarks"]),
    "nil_y_without_remarks": ("b2bcn", CN, "N", "A", {"itc_red_req": "Y", "decl_igst": 0.0, "decl_cgst": 0.0,
                                                      "decl_sgst": 0.0, "decl_cess": 0.0}, ["decl_without_remarks"]),
    "nil_n_without_remarks": ("b2bcn", CN, "N", "A", {"itc_red_req": "N"}, ["decl_without_remarks"]),
    "nil_n_with_remarks": ("b2bcn", CN, "N", "A", {"itc_red_req": "N", "remarks": "ITC never availed"}, []),
    "amounts_with_n": ("b2bcn", CN, "N", "A", ITC_OK | {"itc_red_req": "N"}, ["decl_with_itc_red_req_n"]),
    "downloaded_declaration_echoed": ("b2bcna", {"itcRedReq": "Y", "declCgst": 9, "declSgst": 9, "remarks": "short"},
                                      "N", "A", {"decl_cgst": 9.0, "decl_sgst": 9.0, "remarks": "short"}, []),
    "downloaded_heads_without_itc_red_req": ("b2bcna", {"declCgst": 9, "declSgst": 9, "remarks": "short"}, "N", "A",
                                             {"decl_cgst": 9.0, "decl_sgst": 9.0, "remarks": "short"},
                                             ["itc_red_req_missing"]),  # nothing declared yet (domain doc §4)
    "no_portal_record": ("b2b", {"__none__": True}, "N", "A", {"action": "N"}, ["no_portal_record"]),
    "portal_record_not_json": ("b2b", {}, "N", "A", {"portal_record": '{"stin": '}, ["no_portal_record"]),
    "portal_record_not_object": ("b2b", {}, "N", "A", {"portal_record": "[1, 2]"}, ["no_portal_record"]),
    "portal_record_nan": ("b2b", {}, "N", "A", {"portal_record": '{"action": "N", "val": NaN}'}, ["no_portal_record"]),
    "no_current_action": ("b2b", {"__none__": True}, "N", "A", {"action": None}, ["no_current_action"]),
    "not_ims": ("b2b", {}, "N", "A", {"side": "pr"}, ["not_ims"]),
    "unknown_section": ("b2b", {}, "N", "A", {"ims_section": "isd"}, ["unknown_section"]),
    "other_recipient": ("b2b", {}, "N", "A", {"recipient_gstin": "29AAGCB1286Q1Z0"}, ["other_recipient"]),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_refusal_rule(case: str):
    section, fields, current, new, cols, expected = CASES[case]
    rec = None if fields.get("__none__") else record(section, current, **fields)
    p = plan([row(rec, new, section, **cols)])
    assert [pr.rule for pr in p.problems] == expected, [pr.message for pr in p.problems]
    assert len(all_records(p)) == (0 if expected else 1)  # a refused document is in no file
    for pr in p.problems:
        assert pr.message and pr.new_action == new and pr.section == cols.get("ims_section", section)


def test_every_rule_is_tried():
    tried = {rule for *_, rules in CASES.values() for rule in rules} | {"duplicate_document", "upload_in_progress"}
    structural = {"unknown_action", "no_current_action", "not_ims", "no_portal_record", "unknown_section",
                  "other_recipient", "duplicate_document", "upload_in_progress"}  # fmt: skip
    assert tried == set(UPLOAD_RULES) | structural
    # the rules on how a decision names its declaration are tried in test_decisions_declaration
    assert set(RULES) - set(UPLOAD_RULES) == {"decl_partial_heads_missing", "decl_amounts_with_full"}


def test_a_missing_declaration_says_how_to_decide_one():
    p = plan([row(record("b2bcn", "N", **CN), "A", "b2bcn", matching_key="IMS/B2BCN/S1/CN1/2025-26")])
    [problem] = p.problems
    assert problem.rule == "itc_red_req_missing" and "IMSSAV0054" in problem.message
    assert "imsrecon decide IMS/B2BCN/S1/CN1/2025-26 --action accept --itc-reduction full|partial|none" in problem.message


# --- the portal's action now (set by an upload after the download) -------------------------------


def test_the_portal_action_set_by_an_upload_is_prev_status_and_an_equal_action_is_skipped():
    rows = [row(record("b2b", "N", 1), "A", portal_action="A", portal_action_from="upload 3 (SAVE-1.json)"),
            row(record("b2b", "N", 2), "R", portal_action="A", portal_action_from="upload 3 (SAVE-1.json)"),
            row(record("b2b", "A", 3), "N", portal_action="P", portal_action_from="upload 4 (SAVE-2.json)"),
            row(record("b2b", "N", 4), "A", portal_action=None)]  # fmt: skip
    p = plan(rows)
    assert p.problems == []
    assert p.skipped["doc_no"].to_list() == ["B2B-1"]
    assert p.skipped["reason"].item() == "action already Accept (A) on the portal, set by upload 3 (SAVE-1.json)"
    sent = {r["inum"]: (r.get("action"), r["prev_status"]) for r in all_records(p)}
    assert sent == {"B2B-2": ("R", "A"), "B2B-3": (None, "P"), "B2B-4": ("A", "N")}


def test_a_document_of_an_upload_still_processing_is_refused():
    rows = [row(record("b2b", "N", 1), "A", upload_processing="upload 2 (SAVE-1.json)"),
            row(record("b2b", "A", 2), "A", upload_processing="upload 2 (SAVE-1.json)"),  # even when unchanged
            row(record("b2b", "N", 3), "A", upload_processing=None)]  # fmt: skip
    p = plan(rows)
    assert [(pr.doc_no, pr.rule) for pr in p.problems] == [("B2B-1", "upload_in_progress"), ("B2B-2", "upload_in_progress")]
    assert "upload 2 (SAVE-1.json)" in p.problems[0].message and "imsrecon upload-status" in p.problems[0].message
    assert [r["inum"] for r in all_records(p)] == ["B2B-3"] and p.skipped.height == 0


def test_new_values_are_set_in_the_downloaded_spelling():
    rec = record("b2bcn", "N", **CN) | {"itc_red_req": "N", "decl_cgst": "0.00", "decl_sgst": "0.00"}  # snake_case
    rec.pop("isItcRedReqBlocked")
    p = plan([row(rec, "A", "b2bcn", itc_red_req="Y", decl_cgst=20.004, decl_sgst=20.0, remarks="part")])
    assert p.problems == []
    out = p.save_records["b2bcn"][0]
    assert (out["itc_red_req"], out["decl_cgst"], out["decl_sgst"], out["remarks"]) == ("Y", "20.00", "20.00", "part")
    assert "itcRedReq" not in out and "declCgst" not in out
    assert list(out)[-1] == "prev_status" and out["action"] == "A"


def test_duplicates_are_refused_both_times():
    rec = record("b2b", "N")
    p = plan([row(rec, "A"), row(rec, "R"), row(record("b2b", "N", 2), "A")])
    assert [(pr.rule, pr.new_action) for pr in p.problems] == [("duplicate_document", "A"), ("duplicate_document", "R")]
    assert [r["inum"] for r in p.save_records["b2b"]] == ["B2B-2"]


def test_recipient_and_columns_are_checked():
    with pytest.raises(ValueError, match="15-character"):
        plan_upload(frame([row(record(), "A")]), "27AAPFU0939")
    with pytest.raises(ValueError, match="new_action"):
        plan_upload(frame([row(record(), "A")]).drop("new_action"), R)
    assert plan_upload(frame([row(record(), "A")]), " 27aapfu0939f1zv ").recipient_gstin == R


# --- skipped ----------------------------------------------------------------------------------------


def test_unchanged_actions_are_skipped_with_a_reason(tmp_path: Path):
    rows = [row(record("b2b", "A", 1), "A"), row(record("b2b", "N", 2), "N"),
            row(record("b2b", "R", 3), "R", remarks="new remark"), row(record("b2b", "N", 4), "P")]  # fmt: skip
    p = plan(rows)
    assert p.skipped["doc_no"].to_list() == ["B2B-1", "B2B-2", "B2B-3"]
    assert p.skipped["reason"].to_list() == [
        "action already Accept (A)", "action already No action (N)",
        "action already Reject (R); the new remarks / ITC declaration are not sent",
    ]  # fmt: skip
    assert [r["inum"] for r in all_records(p)] == ["B2B-4"] and p.problems == []
    assert p.skipped.columns == [*frame(rows).columns, "reason"]
    write_upload(p, tmp_path)
    pre = pl.read_csv(tmp_path / "precheck.csv")
    assert pre["kind"].to_list() == ["skipped"] * 3 and pre["rule"].unique().to_list() == ["unchanged"]


def test_precheck_is_neutralised():
    p = plan([row(record("b2b", "N", inum="=HYPERLINK(1)"), "X", doc_no="=HYPERLINK(1)")])
    csv = neutralise_frame(precheck_frame(p)).write_csv()
    assert "'=HYPERLINK(1)" in csv


# --- splitting --------------------------------------------------------------------------------------


def many(n: int) -> UploadPlan:
    sections = ["b2b", "b2bcn", "ecom"]
    return plan([row(record(sections[i % 3], "R" if i % 5 == 0 else "N", i, remarks="रु" * (i % 7)),
                     "N" if i % 5 == 0 else "A", sections[i % 3]) for i in range(n)])  # fmt: skip


def test_split_below_max_bytes(tmp_path: Path):
    p = many(40)
    paths = write_upload(p, tmp_path, max_bytes=2_000)
    saves = [x for x in paths if x.name.startswith("SAVE")]
    resets = [x for x in paths if x.name.startswith("RESET")]
    assert len(saves) > 3 and len(resets) > 1
    assert [x.name for x in saves] == [f"SAVE-{i}.json" for i in range(1, len(saves) + 1)]
    for request, files, expected in (("SAVE", saves, p.save_records), ("RESET", resets, p.reset_records)):
        union: dict[str, list] = {}
        for f in files:
            data = f.read_bytes()
            assert len(data) < 2_000
            payload = json.loads(data.decode("utf-8"))
            validate_payload(request, payload)
            for key, recs in payload["data"]["invdata"].items():
                union.setdefault(key, []).extend(recs)
        assert union == expected  # every record once, in order


@settings(max_examples=40, deadline=None)
@given(max_bytes=st.integers(700, 6_000))
def test_split_is_exact_and_greedy(max_bytes: int):
    p = many(25)
    chunks = list(split_invdata("SAVE", R, p.save_records, max_bytes))
    sizes = [len(dumps(envelope("SAVE", R, c))) for c in chunks]
    assert all(s < max_bytes for s in sizes)
    flat = [(k, r) for c in chunks for k, recs in c.items() for r in recs]
    assert flat == [(k, r) for k, recs in p.save_records.items() for r in recs]
    for chunk, nxt in zip(chunks, chunks[1:], strict=False):  # the next record would not have fitted
        key, first = next(iter(nxt.items()))
        grown = {k: list(v) for k, v in chunk.items()}
        grown.setdefault(key, []).append(first[0])
        assert len(dumps(envelope("SAVE", R, grown))) >= max_bytes


def test_a_record_larger_than_the_limit_is_an_error():
    with pytest.raises(ValueError, match="cannot fit"):
        list(split_invdata("SAVE", R, many(3).save_records, 300))


def test_nothing_to_upload_writes_only_the_precheck(tmp_path: Path):
    assert [x.name for x in write_upload(plan([row(record(), "N")]), tmp_path)] == ["precheck.csv"]


# --- atomic writes ------------------------------------------------------------------------------------


def test_failed_serialisation_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "SAVE-1.json").write_text("earlier run")
    real, calls = upload_schema.dumps, []

    def failing(obj: Any) -> bytes:
        if isinstance(obj, dict) and "reqtyp" in obj.get("data", {}) and obj["data"]["invdata"]:
            calls.append(1)
            if len(calls) == 2:
                raise TypeError("cannot serialise")
        return real(obj)

    monkeypatch.setattr(upload_schema, "dumps", failing)
    with pytest.raises(TypeError):
        write_upload(many(20), tmp_path, max_bytes=2_000)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["SAVE-1.json"]
    assert (tmp_path / "SAVE-1.json").read_text() == "earlier run"


def test_failed_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def half(tmp: Path, data: bytes) -> None:
        tmp.write_bytes(data[: len(data) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(upload, "_emit", half)
    with pytest.raises(OSError, match="disk full"):
        write_upload(many(5), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_stale_request_files_are_removed(tmp_path: Path):
    write_upload(many(40), tmp_path, max_bytes=2_000)
    (tmp_path / "notes.json").write_text("{}")
    paths = write_upload(many(4), tmp_path)
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted([*(x.name for x in paths), "notes.json"])


# --- payload models -------------------------------------------------------------------------------


def good_save() -> dict[str, Any]:
    return envelope("SAVE", R, {"b2b": [{"stin": S1, "inum": "1", "action": "A", "prev_status": "N", "x": [1]}]})


def good_reset() -> dict[str, Any]:
    return envelope("RESET", R, {"b2bcn": [{"stin": S1, "nt_num": "1", "prev_status": "R"}]})


def _set(payload: dict, path: str, value: Any) -> dict:
    node = payload
    *parents, last = path.split(".")
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return payload


_DELETE = object()
REC = "data.invdata.b2b.0"
BAD_SAVE = {
    "hash": (f"{REC}.hash", "abc"),
    "action_n": (f"{REC}.action", "N"),
    "action_unchanged": (f"{REC}.prev_status", "A"),
    "no_prev_status": (f"{REC}.prev_status", _DELETE),
    "prev_status_word": (f"{REC}.prev_status", "Accepted"),
    "no_action": (f"{REC}.action", _DELETE),
    "rtin": ("data.rtin", "27AAPFU"),
    "reqtyp": ("data.reqtyp", "RESET"),
    "envelope_action": ("action", "RESETIMS"),
    "section": ("data.invdata", {"isd": [{"action": "A", "prev_status": "N"}]}),
    "empty_invdata": ("data.invdata", {}),
    "empty_section": ("data.invdata", {"b2b": []}),
    "extra_key": ("data.extra", 1),
    "record_not_object": (REC, "text"),
}  # fmt: skip


def test_good_payloads_validate():
    validate_payload("SAVE", good_save())
    validate_payload("RESET", good_reset())


@pytest.mark.parametrize("case", BAD_SAVE)
def test_malformed_save_payload_raises(case: str):
    path, value = BAD_SAVE[case]
    with pytest.raises(ValidationError):
        validate_payload("SAVE", _set(good_save(), path, value))


@pytest.mark.parametrize("path,value", [
    ("data.invdata.b2bcn.0.action", "A"), ("data.invdata.b2bcn.0.prev_status", "N"), ("action", "RESET"),
    ("data.reqtyp", "SAVE"), ("data.invdata.b2bcn.0.hash", "h"),
])  # fmt: skip
def test_malformed_reset_payload_raises(path: str, value: Any):
    with pytest.raises(ValidationError):
        validate_payload("RESET", _set(good_reset(), path, value))


def test_a_plan_that_breaks_the_model_is_never_written(tmp_path: Path):
    p = plan([row(record(), "A")])
    p.planned[0].record["hash"] = "sneaked in"
    with pytest.raises(ValidationError):
        write_upload(p, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("spelling", ["y", "Yes", "true", True])
def test_itc_red_req_in_any_flag_spelling_is_sent_as_y(spelling):
    p = plan([row(record("b2bcn", "N", **CN), "A", "b2bcn", itc_red_req=spelling)])
    assert p.problems == []
    assert p.save_records["b2bcn"][0]["itcRedReq"] == "Y"


def test_json_boolean_flags_in_the_download_are_read_as_y_and_n():
    # ispendactblocked: true blocks Pending; isItcRedReqBlocked: false allows a declaration
    rec = record("b2bcn", "N") | {"ispendactblocked": True, "isItcRedReqBlocked": False, "isRemarksBlocked": False}
    p = plan([row(rec, "P", "b2bcn", ispendactblocked=None, is_itc_red_req_blocked=None, is_remarks_blocked=None)])
    assert [pr.rule for pr in p.problems] == ["pending_blocked"]
    p = plan([row(rec, "A", "b2bcn", itc_red_req="Y", ispendactblocked=None, is_itc_red_req_blocked=None)])
    assert p.problems == [] and p.save_records["b2bcn"][0]["ispendactblocked"] is True  # echoed as downloaded
