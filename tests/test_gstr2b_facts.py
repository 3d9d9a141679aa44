"""IMS and GSTR-2B (or GSTR-2A) in one run: one row per document, GSTR-2B's facts on the IMS row."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from builders import S1, S2, R, doc, frame
from hypothesis import given, settings
from hypothesis import strategies as st

from imsrecon.config import MatchConfig
from imsrecon.gstr2b_facts import merge_statement_facts
from imsrecon.reconcile import reconcile

B2B = {"invoice": "b2b", "credit_note": "b2bcn", "debit_note": "b2bdn"}


def two_b(no: str, side: str = "gstr2b", cls: str = "invoice", name: str | None = "Alpha Traders",
          avl: str | None = "Y", period: str = "102025", **kw) -> dict:
    """A GSTR-2B (or 2A) record as the importers write it: no portal action, the trade name, the facts."""
    kw.setdefault("ims_section", B2B[cls])
    return doc(side, no, cls=cls, supplier_name=name, itc_availability=avl, gstr2b_period=period,
               source_kind=f"{side}_json", src_file=f"{side}.json", **kw)


def ims(no: str, **kw) -> dict:
    return doc("ims", no, src_file="ims.json", **kw)


def merged(rows: list[dict]) -> pl.DataFrame:
    out, _ = merge_statement_facts(frame(rows))
    return out


def test_a_2b_record_of_an_ims_document_lends_its_facts_and_is_no_row_of_its_own():
    rows = [ims("INV/001", row=1), ims("INV/002", row=2),
            two_b("INV-001", row=1, avl="N", itc_reason="P", applicable_pct=65.0),  # written another way
            two_b("RC/7", row=2, reverse_charge=True)]  # fmt: skip
    out, count = merge_statement_facts(frame(rows))
    assert count == 1
    assert out.select("side", "doc_no", "supplier_name", "itc_availability", "itc_reason", "applicable_pct",
                      "gstr2b_period").rows() == [
        ("ims", "INV/001", "Alpha Traders", "N", "P", 65.0, "102025"),
        ("ims", "INV/002", None, None, None, None, None),
        ("gstr2b", "RC/7", "Alpha Traders", "Y", None, None, "102025"),
    ]  # fmt: skip
    # the IMS row is the IMS record: its file, row and portal state
    assert out.row(0, named=True) | {} == frame(rows).row(0, named=True) | {
        "supplier_name": "Alpha Traders", "itc_availability": "N", "itc_reason": "P", "applicable_pct": 65.0,
        "gstr2b_period": "102025"}  # fmt: skip


@pytest.mark.parametrize(
    ("other", "merges"),
    [
        ({}, True),
        ({"supplier": S2}, False),  # another supplier
        ({"cls": "credit_note"}, False),  # another class
        ({"date": "2026-04-01"}, False),  # another financial year
        ({"is_amendment": True, "ims_section": "b2ba"}, False),  # an amendment is not the document it amends
        ({"recipient_gstin": "29AAGCB1286Q1Z0"}, False),  # another recipient
        ({"date": "2025-04-20"}, True),  # the date is not part of the identity
    ],
)  # fmt: skip
def test_identity_decides(other, merges):
    out = merged([ims("INV/9"), two_b("INV/9", **other)])
    assert out.height == (1 if merges else 2)
    assert (out["itc_availability"][0] == "Y") is merges


def test_amendments_merge_by_their_revised_number():
    rows = [ims("INV/9A", is_amendment=True, ims_section="b2ba", orig_doc_no="INV/9"),
            two_b("INV/9A", is_amendment=True, ims_section="b2ba", orig_doc_no="INV/9"),
            two_b("INV/9")]  # the original, in an older 2B: another document  # fmt: skip
    out = merged(rows)
    assert out.select("side", "doc_no", "itc_availability").rows() == [("ims", "INV/9A", "Y"), ("gstr2b", "INV/9", "Y")]


def test_gstr2a_behaves_like_gstr2b_and_2b_facts_win():
    rows = [ims("A1", supplier_name="From the IMS file"), two_b("A1", side="gstr2a", name="2A name", avl=None,
                                                                period=None),
            two_b("A1", name=None, avl="N", itc_reason="C"),
            two_b("B2", side="gstr2a", name="Beta"), two_b("B2", name=None),  # 2B and 2A, no IMS: the 2B row
            two_b("C3", side="gstr2a", name="Gamma")]  # fmt: skip
    out = merged(rows)
    assert out.select("side", "doc_no", "supplier_name", "itc_availability", "itc_reason").rows() == [
        ("ims", "A1", "2A name", "N", "C"),  # a statement's trade name over the IMS file's own
        ("gstr2b", "B2", "Beta", "Y", None),
        ("gstr2a", "C3", "Gamma", "Y", None),
    ]


def test_an_identity_ims_holds_twice_gets_the_facts_on_both_rows():
    out = merged([ims("D1", row=1), ims("D1", row=2), two_b("D1", avl="N")])
    assert out.select("src_row", "itc_availability").rows() == [(1, "N"), (2, "N")]


def test_one_source_alone_is_returned_as_it_is():
    only_ims = frame([ims("A1"), ims("A2")])
    assert merge_statement_facts(only_ims)[0] is only_ims
    only_2b = frame([two_b("A1"), two_b("A1")])  # the same number twice in one 2B: not guessed apart
    assert merge_statement_facts(only_2b) == (only_2b, 0)
    no_key = frame([ims("A1", supplier_gstin=None), two_b("A1", supplier_gstin=None)])
    assert merge_statement_facts(no_key)[0].height == 2  # no supplier GSTIN: no identity to join on


_NUMBERS = st.sampled_from(["INV/1", "inv-1", "INV/2", "INV/3", "CN/1"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ims", "gstr2b", "gstr2a"]), _NUMBERS,
                          st.sampled_from(["2025-05-01", "2026-05-01"]), st.sampled_from([S1, S2])),
                min_size=1, max_size=25))  # fmt: skip
def test_one_row_per_document_and_every_ims_record_kept_in_order(records):
    rows = [doc(side, no, date=d, supplier=s, row=i, supplier_name=f"{side}-{i}")
            for i, (side, no, d, s) in enumerate(records)]  # fmt: skip
    docs = frame(rows)
    out, count = merge_statement_facts(docs)
    ident = ["supplier_gstin", "doc_class", "doc_no_norm", "fy"]
    assert out.height + count == docs.height
    # IMS records all stay, in order; a statement record stays only where no better source holds its document
    assert out.filter(pl.col("side") == "ims")["src_row"].to_list() == docs.filter(pl.col("side") == "ims")["src_row"].to_list()
    assert out["src_row"].is_sorted()
    for side, better in (("gstr2b", ["ims"]), ("gstr2a", ["ims", "gstr2b"])):
        held = docs.filter(pl.col("side").is_in(better)).select(ident).unique()
        expected = docs.filter(pl.col("side") == side).join(held, on=ident, how="anti")
        assert out.filter(pl.col("side") == side)["src_row"].to_list() == expected["src_row"].to_list()
    # an IMS row whose document GSTR-2B holds carries the first 2B record's name, else the first 2A record's
    for r in out.filter(pl.col("side") == "ims").iter_rows(named=True):
        same = docs.filter(*(pl.col(c) == r[c] for c in ident))
        lenders = [same.filter(pl.col("side") == s)["supplier_name"].to_list() for s in ("gstr2b", "gstr2a")]
        expected = next((names[0] for names in lenders if names), f"ims-{r['src_row']}")
        assert r["supplier_name"] == expected


# --- end to end through reconcile(): an IMS download and GSTR-2B of the same month ---------------


def _month() -> tuple[list[dict], list[dict], list[dict]]:
    """October 2025: four IMS documents, GSTR-2B with the same four (one without ITC, at 65 %), a
    credit note and two reverse-charge documents that never pass through IMS; the books as they are
    kept: numbers spelled otherwise, a date slip, a credit note with negative amounts, reverse-charge
    bookings (one with no 2B record: an unregistered supplier's)."""
    d = {"date": "2025-10-06"}
    cn = {"cls": "credit_note", "tv": 500.0, "cgst": 45.0, "sgst": 45.0}
    ims_rows = [
        ims("INV/25-26/101", row=1, **d, tax_period="102025", srcfilstatus="Filed"),
        ims("INV/25-26/102", row=2, **d, tv=2000.0, cgst=180.0, sgst=180.0, tax_period="102025"),
        ims("INV/25-26/103", row=3, **d, tv=3000.0, cgst=270.0, sgst=270.0, tax_period="102025"),
        ims("CN/25-26/7", row=4, **d, **cn, ims_section="b2bcn", tax_period="102025"),
        ims("INV/25-26/104", row=5, date="2025-10-20", tv=4000.0, cgst=360.0, sgst=360.0, tax_period="102025"),
    ]
    statement = [
        two_b("INV/25-26/101", row=1, **d, name="Alpha Traders"),
        two_b("INV/25-26/102", row=2, **d, tv=2000.0, cgst=180.0, sgst=180.0, avl="N", itc_reason="P",
              applicable_pct=65.0),
        two_b("INV/25-26/103", row=3, **d, tv=3000.0, cgst=270.0, sgst=270.0),
        two_b("CN/25-26/7", row=1, **d, **cn, src_sheet="cdnr"),
        two_b("INV/25-26/104", row=4, date="2025-10-20", tv=4000.0, cgst=360.0, sgst=360.0),
        two_b("RCM/55", row=5, **d, supplier=S2, name="Legal Services LLP", tv=10000.0, cgst=900.0, sgst=900.0,
              reverse_charge=True),
        two_b("RCM/56", row=6, **d, supplier=S2, name="Legal Services LLP", tv=800.0, cgst=72.0, sgst=72.0,
              reverse_charge=True),
    ]
    books = [
        doc("pr", "inv 101", row=1, **d),
        doc("pr", "INV-102/25-26", row=2, **d, tv=2000.0, cgst=180.0, sgst=180.0),
        doc("pr", "INV/25-26/103", row=3, date="2025-10-09", tv=3000.0, cgst=270.0, sgst=270.0),  # a date slip
        doc("pr", "CN-7", row=4, **d, **cn),
        doc("pr", "RCM-55", row=5, **d, supplier=S2, tv=10000.0, cgst=900.0, sgst=900.0, reverse_charge=True),
        doc("pr", "CASH/9", row=6, **d, supplier=None, tv=1500.0, cgst=135.0, sgst=135.0, reverse_charge=True,
            flags="unregistered_supplier"),
        doc("pr", "INV/25-26/104", row=7, date="2025-10-20", tv=4000.0, cgst=360.0, sgst=360.0),
    ]
    return ims_rows, statement, books


def test_ims_and_gstr2b_of_one_month_give_one_row_per_document():
    ims_rows, statement, books = _month()
    rec = reconcile(frame(ims_rows + statement), frame(books), MatchConfig(), R)
    result = rec.result
    got = {r["ims_doc_no"] or r["pr_doc_no"]: r for r in result.iter_rows(named=True)}
    assert result.height == 7 and sorted(got) == sorted(
        ["INV/25-26/101", "INV/25-26/102", "INV/25-26/103", "CN/25-26/7", "INV/25-26/104", "RCM/55", "RCM/56"])
    assert rec.summary()["statement_records_merged"] == 5 and rec.ims_count == 7
    assert result.filter(pl.col("ims_side") == "ims").height == 5  # the IMS rows are the IMS records
    assert set(result["matching_key"].str.contains("#").to_list()) == {False}

    def look(no: str, *cols: str) -> tuple:
        return tuple(got[no][c] for c in cols)

    facts = ("ims_side", "ims_file", "ims_supplier_name", "itc_availability", "gstr2b_period")
    assert look("INV/25-26/101", *facts) == ("ims", "ims.json", "Alpha Traders", "Y", "102025")
    assert look("INV/25-26/102", "itc_availability", "itc_reason", "applicable_pct") == ("N", "P", 65.0)
    decided = ("match_status", "recommended_action", "recommendation_rule")
    assert look("INV/25-26/101", *decided) == ("probable", "Accept", "books_agree_probably")  # "inv 101"
    assert look("INV/25-26/102", *decided)[1:] == ("Pending", "itc_not_available")
    assert "no ITC available on it (the place of supply" in got["INV/25-26/102"]["reason"]
    assert "tax at 65% of the rate" in got["INV/25-26/102"]["reason"]
    assert look("INV/25-26/103", *decided) == ("mismatch", "Accept", "doc_date_only_accept")
    assert look("CN/25-26/7", *decided) == ("probable", "Accept", "credit_note_books_agree")  # "CN-7"
    assert look("INV/25-26/104", *decided) == ("exact", "Accept", "books_agree")
    # reverse charge: paired with its booking, or not in the books; nothing to do in IMS either way
    assert look("RCM/55", "ims_side", "match_status", "pr_row", "reverse_charge", "recommended_action",
                "recommendation_rule") == ("gstr2b", "exact", 5, True, "", "outside_ims")
    assert look("RCM/56", "match_status", "reverse_charge", "recommended_action", "recommendation_rule") == (
        "missing_in_pr", True, "", "outside_ims")
    assert got["RCM/56"]["reason"].startswith("in GSTR-2B under reverse charge, which never passes through IMS")
    # the unregistered supplier's reverse-charge row stays kept out of matching, the paired one does not
    assert rec.reverse_charge["doc_no"].to_list() == ["CASH/9"]
    assert rec.pr_count == 6


def test_without_the_merge_a_document_in_both_files_would_be_missing_in_pr():
    """The run IMS + 2B as it was: each document twice on the IMS side, one copy paired and the
    other reported missing in the books. The merged run has no such row."""
    ims_rows, statement, books = _month()
    rec = reconcile(frame(ims_rows + statement), frame(books), MatchConfig(), R)
    assert rec.result.filter(pl.col("match_status") == "missing_in_pr")["ims_doc_no"].to_list() == ["RCM/56"]


def test_reverse_charge_documents_pair_only_with_reverse_charge_bookings():
    statement = [two_b("RC/1", reverse_charge=True), two_b("N/2", tv=700.0)]
    books = [doc("pr", "RC/1"), doc("pr", "N/2", tv=700.0, reverse_charge=True)]  # each booked the other way
    rec = reconcile(frame(statement), frame(books), MatchConfig(), R)
    got = {(r["ims_doc_no"], r["pr_doc_no"]): r["match_status"] for r in rec.result.iter_rows(named=True)}
    assert got == {("RC/1", None): "missing_in_pr", ("N/2", None): "missing_in_pr", (None, "RC/1"): "missing_in_ims"}
    # without an IMS download a 2B record is decided like an IMS one; a reverse-charge one never is
    rules = dict(zip(rec.result["ims_doc_no"], rec.result["recommendation_rule"], strict=True))
    assert (rules["RC/1"], rules["N/2"]) == ("outside_ims", "not_booked_pending")
    assert rec.reverse_charge["doc_no"].to_list() == ["N/2"]  # no reverse-charge document took it: kept out


def test_a_run_without_reverse_charge_documents_keeps_every_reverse_charge_row_out():
    rec = reconcile(frame([ims("A1")]), frame([doc("pr", "A1", reverse_charge=True), doc("pr", "A1", row=2)]))
    assert rec.result.select("match_status", "pr_row").rows() == [("exact", 2)]
    assert rec.reverse_charge["src_row"].to_list() == [1] and rec.pr_count == 1


def test_the_pending_window_of_a_merged_credit_note_runs_from_its_2b_period():
    """An IMS credit note of the supplier's Oct-2025 return that GSTR-2B put in Nov-2025: on
    5 Jan 2026 its window is still open (Nov + 1 month: 20 Jan), though Oct's closed on 20 Dec."""
    from imsrecon.recommend import recommend

    cn = {"cls": "credit_note", "ims_section": "b2bcn", "date": "2025-10-28"}
    rec = reconcile(frame([ims("CN/1", tax_period="102025", **cn), two_b("CN/1", period="112025", **cn)]),
                    frame([]), MatchConfig(), R)
    result = rec.result.with_columns(pl.lit(None, pl.String).alias("reason"))  # as build_result gives it
    row = recommend(result, today=dt.date(2026, 1, 5)).row(0, named=True)
    assert (row["gstr2b_period"], row["ims_tax_period"], row["recommended_action"]) == ("112025", "102025", "Pending")
    without = recommend(result.with_columns(pl.lit(None, pl.String).alias("gstr2b_period")), today=dt.date(2026, 1, 5))
    assert without["recommended_action"].to_list() == ["Reject"]
