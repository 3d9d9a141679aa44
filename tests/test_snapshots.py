"""Comparing two IMS downloads: new, changed, removed, unchanged; amendments; review of decisions."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import S1, S2, doc, frame, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imsrecon.snapshots import CHANGED_COLUMNS, diff_snapshots, identity_key_expr, needs_review, section_family


def ims(no: str, **kw) -> dict:
    kw.setdefault("hash", f"h-{no}")
    return doc("ims", no, **kw)


def amendment(no: str, orig: str, section: str = "b2ba", **kw) -> dict:
    return ims(no, ims_section=section, is_amendment=True, orig_doc_no=orig, **kw)


def key(no: str, section: str = "B2B", supplier: str = S1, fy: str = "2025-26") -> str:
    return f"IMS/{section}/{supplier}/{no}/{fy}"


def counts(d) -> tuple[int, int, int, int]:
    return d.new.height, d.changed.height, d.removed.height, d.unchanged_count


# name, previous rows, current rows, (new, changed, removed, unchanged), changed_fields of changed rows
CASES = [
    ("unchanged", [ims("A1")], [ims("A1")], (0, 0, 0, 1), []),
    ("new", [], [ims("A1")], (1, 0, 0, 0), []),
    ("removed", [ims("A1")], [], (0, 0, 1, 0), []),
    ("hash only", [ims("A1")], [ims("A1", hash="h2")], (0, 1, 0, 0), ["hash"]),
    ("value change", [ims("A1")], [ims("A1", hash="h2", tv=1100.0)], (0, 1, 0, 0), ["hash;taxable_value;doc_value"]),
    ("value change, no hash (Excel)", [ims("A1", hash=None)], [ims("A1", hash=None, cgst=95.0, sgst=95.0)],
     (0, 1, 0, 0), ["cgst;sgst;doc_value"]),
    ("hash missing on one side is no change", [ims("A1", hash=None)], [ims("A1")], (0, 0, 0, 1), []),
    ("within half a paisa", [ims("A1")], [ims("A1", cgst=90.004)], (0, 0, 0, 1), []),
    ("blank cess is 0", [ims("A1", cess=None)], [ims("A1")], (0, 0, 0, 1), []),
    ("date change", [ims("A1")], [ims("A1", date="2025-04-02")], (0, 1, 0, 0), ["doc_date"]),
    ("action change", [ims("A1")], [ims("A1", action="A")], (0, 1, 0, 0), ["action"]),
    ("action case only", [ims("A1", action="a")], [ims("A1", action="A")], (0, 0, 0, 1), []),
    ("filing status", [ims("A1", srcfilstatus="Not Filed")], [ims("A1", srcfilstatus="Filed")], (0, 1, 0, 0),
     ["srcfilstatus"]),
    ("filing status case only", [ims("A1", srcfilstatus="FILED")], [ims("A1", srcfilstatus="Filed")], (0, 0, 0, 1),
     []),
    ("pending blocked", [ims("A1")], [ims("A1", ispendactblocked="Y")], (0, 1, 0, 0), ["ispendactblocked"]),
    ("blank pending blocked is N", [ims("A1", ispendactblocked=None)], [ims("A1")], (0, 0, 0, 1), []),
    ("number spelling", [ims("A-1")], [ims("a-1", hash="h-A-1")], (0, 1, 0, 0), ["doc_no"]),
    ("amended under a new number", [ims("A1")], [amendment("A1R", "A1", tv=900.0)], (0, 1, 0, 0),
     ["amended;hash;doc_no;taxable_value;doc_value"]),
    ("amended under the same number", [ims("A1")], [amendment("A1", "A1", hash="h9")], (0, 1, 0, 0),
     ["amended;hash"]),
    ("amendment unchanged", [amendment("A1R", "A1")], [amendment("A1R", "A1")], (0, 0, 0, 1), []),
    ("amended again", [amendment("A1R", "A1")], [amendment("A1S", "A1")], (0, 1, 0, 0), ["amended;hash;doc_no"]),
    ("credit note amended", [ims("C1", cls="credit_note")], [amendment("C1R", "C1", "b2bcna", cls="credit_note")],
     (0, 1, 0, 0), ["amended;hash;doc_no"]),
    ("amendment of another supplier's number", [ims("A1")], [amendment("A1R", "A1", supplier=S2)], (1, 0, 1, 0), []),
    ("amendment of another class", [ims("A1")], [amendment("A1R", "A1", "b2bcna", cls="credit_note")],
     (1, 0, 1, 0), []),
    ("original of another year", [ims("A1", date="2024-04-01")],
     [amendment("A1R", "A1", orig_doc_date=dt.date(2025, 4, 1))], (1, 0, 1, 0), []),
    ("original still there: amendment is new", [ims("A1")], [ims("A1"), amendment("A1R", "A1")], (1, 0, 0, 1), []),
    ("two amendments of one original: not linked", [ims("A1")], [amendment("A1R", "A1"), amendment("A1S", "A1")],
     (2, 0, 1, 0), []),
    ("same number twice, one changed", [ims("A1", row=1), ims("A1", row=2, hash="x")],
     [ims("A1", row=1), ims("A1", row=2, hash="y")], (0, 1, 0, 1), ["hash"]),
    ("other supplier, same number", [ims("A1")], [ims("A1", supplier=S2)], (1, 0, 1, 0), []),
    ("other year, same number", [ims("A1")], [ims("A1", date="2026-04-01")], (1, 0, 1, 0), []),
]


@pytest.mark.parametrize(("prev", "cur", "expected", "fields"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_diff_cases(prev, cur, expected, fields):
    d = diff_snapshots(frame(prev), frame(cur))
    assert counts(d) == expected
    assert d.changed["changed_fields"].to_list() == fields
    assert d.changed.columns == CHANGED_COLUMNS
    s = d.summary()
    assert s["previous"] == expected[1] + expected[2] + expected[3]
    assert s["current"] == expected[0] + expected[1] + expected[3]


def test_a_mixed_download():
    prev = frame([ims("A1"), ims("A2"), ims("A3"), ims("A4", action="P"), ims("A5")])
    cur = frame([ims("A1"), ims("A2", hash="h2x", tv=2000.0), ims("A4", action="A"), amendment("A5R", "A5"),
                 ims("A6")])  # fmt: skip
    d = diff_snapshots(prev, cur)
    assert counts(d) == (1, 3, 1, 1)
    assert d.new["identity_key"].to_list() == [key("A6")]
    assert d.removed["identity_key"].to_list() == [key("A3")]
    assert d.new.columns[0] == "identity_key" and d.new.columns[1:] == frame([]).columns
    changed = {r["identity_key"]: r for r in d.changed.iter_rows(named=True)}
    assert list(changed) == [key("A2"), key("A4"), key("A5")]
    a2 = changed[key("A2")]
    assert (a2["old_taxable_value"], a2["new_taxable_value"], a2["old_hash"], a2["new_hash"]) == (1000.0, 2000.0,
                                                                                                  "h-A2", "h2x")
    assert a2["old_action"] is None and a2["new_action"] is None  # unchanged fields stay blank
    a4 = changed[key("A4")]
    assert (a4["changed_fields"], a4["old_action"], a4["new_action"]) == ("action", "P", "A")
    a5 = changed[key("A5")]
    assert a5["changed_fields"] == "amended;hash;doc_no"
    assert (a5["old_doc_no"], a5["new_doc_no"], a5["current_ims_section"]) == ("A5", "A5R", "b2ba")
    assert a5["current_identity_key"] == key("A5R", "B2BA")
    assert d.summary() == {
        "previous": 5, "current": 5, "new": 1, "changed": 3, "removed": 1, "unchanged": 1, "amended": 1,
        "changed_fields": {"amended": 1, "hash": 2, "doc_no": 1, "taxable_value": 1, "doc_value": 1, "action": 1},
    }  # fmt: skip


def test_needs_review_flags_decided_changed_and_removed_documents():
    prev = frame([ims("A1"), ims("A2"), ims("A3"), ims("A4"), ims("A5")])
    cur = frame([ims("A1"), ims("A2", hash="x"), ims("A4", action="A"), amendment("A5R", "A5")])
    d = diff_snapshots(prev, cur)
    decided = {key("A1"), key("A2"), key("A3"), key("A4"), key("A5"), key("ZZ")}
    review = needs_review(d, decided)
    rows = {r["identity_key"]: r for r in review.iter_rows(named=True)}
    assert list(rows) == [key("A2"), key("A4"), key("A5"), key("A3")]  # unchanged A1 is not flagged
    assert rows[key("A3")]["change"] == "removed"
    assert "no longer in IMS" in rows[key("A3")]["review_reason"]
    assert rows[key("A2")]["changed_fields"] == "hash"
    assert "N -> A" in rows[key("A4")]["review_reason"]
    assert rows[key("A5")]["new_doc_no"] == "A5R"
    assert "amended by the supplier (now B2BA A5R)" in rows[key("A5")]["review_reason"]
    assert needs_review(d, {key("A2")})["identity_key"].to_list() == [key("A2")]
    assert needs_review(d, set()).is_empty()


def test_removed_document_without_a_decision_is_not_flagged():
    d = diff_snapshots(frame([ims("A1"), ims("A2")]), frame([ims("A1")]))
    assert needs_review(d, {key("A1")}).is_empty()
    assert needs_review(d, {key("A2")})["change"].to_list() == ["removed"]


def test_identity_keys_are_the_result_matching_keys():
    rows = [ims("INV/001"), ims("inv-1", row=2), ims("C9", cls="credit_note"), amendment("A1R", "A1"),
            ims("X1", supplier=S2, date="2026-01-05")]  # fmt: skip
    result = run(rows, [])
    d = diff_snapshots(frame([]), frame(rows))
    assert d.new["identity_key"].to_list() == result["matching_key"].to_list()
    assert frame(rows).select(identity_key_expr())[0, 0] == key("INV1")


def test_section_family():
    assert [section_family(s) for s in ("b2ba", "B2BCNA", "cna", "ecoma", "impgseza", "b2b", "dn")] == [
        "b2b", "b2bcn", "b2bcn", "ecom", "impgsez", "b2b", "b2bdn"]


def test_refuses_register_rows_and_other_recipients():
    with pytest.raises(ValueError, match="ims_section"):
        diff_snapshots(frame([doc("pr", "A1")]), frame([]))
    other = frame([ims("A1", recipient_gstin=S2)])
    with pytest.raises(ValueError, match="different recipients"):
        diff_snapshots(frame([ims("A1")]), other)


_rows = st.fixed_dictionaries(
    {
        "no": st.sampled_from(["A1", "a-1", "B2", "C/3", "0"]),
        "ims_section": st.sampled_from(["b2b", "b2ba", "b2bcn", "CNA", "ecom"]),
        "supplier_gstin": st.sampled_from([S1, S2, None]),
        "date": st.sampled_from(["2025-03-31", "2025-04-01", "2026-02-01"]),
        "tv": st.floats(0, 1e7, allow_nan=False),
        "cess": st.none() | st.floats(0, 1e5, allow_nan=False),
        "action": st.sampled_from(["A", "R", "P", "N", None]),
        "hash": st.none() | st.sampled_from(["h1", "h2"]),
        "srcfilstatus": st.none() | st.sampled_from(["Filed", "FILED", "Not Filed"]),
        "orig_doc_no": st.sampled_from(["A1", "B2", "Z9"]),
        "doc_no_norm": st.none() | st.just("A1"),
        "fy": st.none() | st.just("2025-26"),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_rows, max_size=12))
def test_a_download_compared_with_itself_has_no_differences(rows):
    docs = [ims(r.pop("no"), **r) for r in rows]
    x = frame(docs)
    d = diff_snapshots(x, x)
    assert (d.new.height, d.changed.height, d.removed.height) == (0, 0, 0)
    assert d.unchanged_count == x.height


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_rows, max_size=8), st.lists(_rows, max_size=8))
def test_every_document_is_accounted_for_once(prev_rows, cur_rows):
    prev = frame([ims(r.pop("no"), **r) for r in prev_rows])
    cur = frame([ims(r.pop("no"), **r) for r in cur_rows])
    d = diff_snapshots(prev, cur)
    assert d.changed.height + d.removed.height + d.unchanged_count == prev.height
    assert d.new.height + d.changed.height + d.unchanged_count == cur.height
    assert d.new.drop("identity_key").columns == prev.columns
