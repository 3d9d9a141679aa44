"""The exact pass and the result contract: categories, differences, duplicates, keys, actions."""

from __future__ import annotations

import polars as pl
import pytest
from builders import S2, R, doc, frame, run
from hypothesis import given, settings
from hypothesis import strategies as st

from imsrecon.reconcile import reconcile
from imsrecon.result import CONTRACT_COLUMNS, RESULT_SCHEMA


def by_status(result: pl.DataFrame) -> dict[str, list]:
    return {s: result.filter(pl.col("match_status") == s)["matching_key"].to_list()
            for s in result["match_status"].unique().sort()}


def test_result_has_the_contract_columns_in_order():
    result = run([doc("ims", "A1")], [doc("pr", "A1")])
    assert result.columns[: len(RESULT_SCHEMA)] == list(RESULT_SCHEMA)
    assert set(CONTRACT_COLUMNS) <= set(result.columns)


@pytest.mark.parametrize(
    ("pr_changes", "status", "differences", "action"),
    [
        ({}, "exact", "", "Accept"),
        ({"cgst": 90.9, "sgst": 89.2}, "exact", "", "Accept"),  # within ₹1 per head
        ({"cgst": 91.5}, "mismatch", "cgst", "Pending"),
        ({"tv": 1100.0}, "mismatch", "taxable_value", "Pending"),
        # any date difference counts; only the date, in the same month: Accept (rule doc_date_only_accept)
        ({"date": "2025-04-03"}, "mismatch", "doc_date", "Accept"),
        ({"date": "2025-03-31"}, "mismatch", "doc_date", "Pending"),  # another tax period and year
        ({"igst": 180.0, "cgst": 0.0, "sgst": 0.0}, "mismatch", "igst;cgst;sgst", "Pending"),
    ],
)
def test_pair_categories(pr_changes, status, differences, action):
    result = run([doc("ims", "INV/0012")], [doc("pr", "inv-12", **pr_changes)])
    row = result.row(0, named=True)
    assert result.height == 1
    assert (row["match_status"], row["differences"], row["recommended_action"]) == (status, differences, action)
    assert row["ims_doc_no"] == "INV/0012" and row["pr_doc_no"] == "inv-12" and row["pr_row"] == 1


def test_percentage_tolerance():
    ims = [doc("ims", "A1", tv=100000.0)]
    pr = [doc("pr", "A1", tv=100400.0)]
    assert run(ims, pr)["match_status"][0] == "mismatch"
    assert run(ims, pr, tolerance_percent=0.5)["match_status"][0] == "exact"


def test_missing_both_ways_and_duplicates():
    ims = [doc("ims", "A1", row=1), doc("ims", "A2", row=2)]
    pr = [doc("pr", "A1", row=1), doc("pr", "A3", row=2, tv=5000.0), doc("pr", "A1", row=3),
          doc("pr", "A3", row=4, tv=5000.0)]
    result = run(ims, pr)
    assert by_status(result) == {
        "duplicate": ["PR/INV/27AAPFU0939F1ZV/A1/2025-26", "PR/INV/27AAPFU0939F1ZV/A3/2025-26#2"],
        "exact": ["IMS/B2B/27AAPFU0939F1ZV/A1/2025-26"],
        "missing_in_ims": ["PR/INV/27AAPFU0939F1ZV/A3/2025-26"],
        "missing_in_pr": ["IMS/B2B/27AAPFU0939F1ZV/A2/2025-26"],
    }
    dup = result.filter(pl.col("pr_row") == 3).row(0, named=True)
    assert dup["reason"] == "booked twice in your books: the same document as register row 1"
    assert dup["recommended_action"] == ""
    a2 = result.filter(pl.col("ims_doc_no") == "A2").row(0, named=True)
    # nearest by amount: the second booking of A1, which is not free
    assert a2["nearest_candidate"] == "register row 3: A1 of 2025-04-01"
    assert a2["nearest_ruled_out_by"] == "taken by a better match"


def test_class_and_supplier_and_fy_are_part_of_identity():
    ims = [doc("ims", "A1"), doc("ims", "A1", cls="credit_note"), doc("ims", "A1", supplier=S2)]
    pr = [doc("pr", "A1", cls="credit_note"), doc("pr", "A1", date="2026-04-01")]
    result = run(ims, pr)
    assert sorted(result["match_status"].to_list()) == ["exact", "missing_in_ims", "missing_in_pr", "missing_in_pr"]


def test_blocked_pending_and_import_of_goods_rules():
    ims = [
        doc("ims", "B1", ispendactblocked="Y"),
        doc("ims", "B2", ispendactblocked="Y", ims_section="impg"),
        doc("ims", "B3"),
    ]
    result = run(ims, [])
    actions = dict(zip(result["ims_doc_no"], result["recommended_action"], strict=True))
    assert actions == {"B1": "Reject", "B2": "Accept", "B3": "Pending"}
    rules = dict(zip(result["ims_doc_no"], result["recommendation_rule"], strict=True))
    assert rules == {"B1": "not_booked_reject", "B2": "not_booked_import_accept", "B3": "not_booked_pending"}


def test_reverse_charge_rows_are_kept_out_and_listed():
    pr = [doc("pr", "A1"), doc("pr", "RC1", reverse_charge=True)]
    rec = reconcile(frame([doc("ims", "A1")]), frame(pr))
    assert rec.result["match_status"].to_list() == ["exact"]
    assert rec.reverse_charge["doc_no"].to_list() == ["RC1"]


def test_recipient_filter_and_fill():
    ims = [doc("ims", "A1"), doc("ims", "A2", recipient_gstin="29AAGCB1286Q1Z0")]
    pr = [doc("pr", "A1", recipient_gstin=None)]
    rec = reconcile(frame(ims), frame(pr), recipient_gstin=R)
    assert rec.result["ims_doc_no"].to_list() == ["A1"] and rec.result["match_status"][0] == "exact"


def test_matching_keys_are_stable_and_unique():
    ims = [doc("ims", f"N{i}", row=i) for i in range(20)]
    pr = [doc("pr", f"N{i}", row=i) for i in range(0, 30, 2)] + [doc("pr", "N2", row=99)]
    first = run(ims, pr)
    second = run(list(reversed(ims)), pr)
    assert first["matching_key"].n_unique() == first.height
    assert sorted(first["matching_key"]) == sorted(second["matching_key"])
    key_status = dict(zip(first["matching_key"], first["match_status"], strict=True))
    assert key_status == dict(zip(second["matching_key"], second["match_status"], strict=True))


@settings(max_examples=60, deadline=None)
@given(
    ims_nos=st.lists(st.integers(1, 15), max_size=12, unique=True),
    pr_nos=st.lists(st.integers(1, 15), max_size=16),
)
def test_every_document_appears_exactly_once(ims_nos, pr_nos):
    # each number has its own amount, so no two different numbers look like one document
    ims = [doc("ims", f"X{n}", row=i + 1, tv=1000.0 + 37 * n) for i, n in enumerate(ims_nos)]
    pr = [doc("pr", f"X{n}", row=i + 1, tv=1000.0 + 37 * n) for i, n in enumerate(pr_nos)]
    result = run(ims, pr)
    assert sorted(result["ims_row"].drop_nulls().to_list()) == list(range(1, len(ims) + 1))
    assert sorted(result["pr_row"].drop_nulls().to_list()) == list(range(1, len(pr) + 1))
    paired = result.filter(pl.col("ims_row").is_not_null() & pl.col("pr_row").is_not_null())
    assert paired.height == len(set(ims_nos) & set(pr_nos))
    assert result.filter(pl.col("match_status") == "duplicate").height == len(pr_nos) - len(set(pr_nos))
    assert result["matching_key"].n_unique() == result.height


def test_unregistered_supplier_rows_are_kept_out_and_listed():
    pr = [doc("pr", "A1"), doc("pr", "U1", supplier_gstin=None, flags="unregistered_supplier")]
    rec = reconcile(frame([doc("ims", "A1")]), frame(pr))
    assert rec.result["match_status"].to_list() == ["exact"]  # no "missing in IMS" to follow up
    assert rec.reverse_charge["doc_no"].to_list() == ["U1"]
