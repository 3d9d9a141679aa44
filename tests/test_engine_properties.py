"""Invariants of the matching engine on generated data (hypothesis)."""

from __future__ import annotations

import polars as pl
from builders import doc, run
from hypothesis import given, settings
from hypothesis import strategies as st

SUPPLIERS = ["27AAPFU0939F1ZV", "29AAGCB1286Q1Z0", "29AAPFU0939F1ZR"]
NUMBERS = ["INV-101", "INV-110", "INV/2025-26/101", "101", "INV-11", "A/7", "RENT-4", "RENT-5", "CN-9"]
DATES = ["2025-03-30", "2025-04-01", "2025-04-02", "2025-04-15", "2025-05-01"]


def documents(side: str):
    return st.lists(
        st.fixed_dictionaries({
            "no": st.sampled_from(NUMBERS), "date": st.sampled_from(DATES), "supplier": st.sampled_from(SUPPLIERS),
            "tv": st.sampled_from([1000.0, 1000.5, 2000.0, 3000.0, 50000.0]),
            "cls": st.sampled_from(["invoice", "credit_note"]),
        }),
        max_size=8,
    ).map(lambda rows: [  # tax in proportion, so that rows may add up to a document (booked in parts)
        doc(side, r["no"], date=r["date"], supplier=r["supplier"], tv=r["tv"], cls=r["cls"], row=i + 1,
            cgst=round(r["tv"] * 0.09, 2), sgst=round(r["tv"] * 0.09, 2))
        for i, r in enumerate(rows)])


@settings(max_examples=80, deadline=None)
@given(ims=documents("ims"), pr=documents("pr"))
def test_one_row_per_document_one_to_one_and_deterministic(ims, pr):
    result = run(ims, pr)
    ims_rows = result["ims_row"].drop_nulls().to_list()
    pr_rows = result["pr_row"].drop_nulls().to_list()
    assert sorted(ims_rows) == list(range(1, len(ims) + 1))  # every IMS document exactly once
    assert sorted(pr_rows) == list(range(1, len(pr) + 1))  # every register row exactly once
    assert result["matching_key"].n_unique() == result.height
    paired = result.filter(pl.col("ims_row").is_not_null() & pl.col("pr_row").is_not_null())
    assert set(paired["match_status"]) <= {"exact", "probable", "mismatch"}
    unpaired = result.filter(pl.col("ims_row").is_null() | pl.col("pr_row").is_null())
    assert set(unpaired["match_status"]) <= {"missing_in_pr", "missing_in_ims", "duplicate"}
    # a pair is exact only if nothing differs; a mismatch names what differs
    assert (paired.filter(pl.col("match_status") == "exact")["differences"] == "").all()
    assert (paired.filter(pl.col("match_status") == "mismatch")["differences"] != "").all()
    # the same input gives the same answer
    again = run(ims, pr)
    assert again.equals(result)
