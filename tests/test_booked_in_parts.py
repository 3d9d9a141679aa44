"""A supplier document booked in parts (several register rows of one identity whose amounts only
add up to the IMS document's): paired on the sums, the other rows reported as its parts, never
as a double booking, and their ITC counted once."""

from __future__ import annotations

import polars as pl
from builders import S1, doc, pairs_of, run
from hypothesis import given, settings
from hypothesis import strategies as st

from imsrecon.figures import itc_figures

IMS = doc("ims", "INV-77", tv=10000.0, cgst=900.0, sgst=900.0)


def _parts(result: pl.DataFrame) -> pl.DataFrame:
    return result.filter(pl.col("match_status") == "duplicate").sort("pr_row")


def test_two_parts_pair_as_one_document():
    pr = [doc("pr", "INV/77", tv=6000.0, cgst=540.0, sgst=540.0, row=1),
          doc("pr", "inv-077", tv=4000.0, cgst=360.0, sgst=360.0, row=2)]
    result = run([IMS], pr)
    assert pairs_of(result)["INV-77"] == ("exact", 1)  # headed by the first booking
    pair = result.filter(pl.col("ims_doc_no") == "INV-77").row(0, named=True)
    assert pair["differences"] == "" and pair["recommended_action"] == "Accept" and pair["score"] < 1.0
    assert "booked in 2 parts in your books (register rows 1, 2)" in pair["reason"]
    assert pair["comparison"] == ("doc_no=equal_norm doc_date=equal taxable_value=equal igst=equal cgst=equal "
                                  "sgst=equal cess=equal booked_in_parts=2")
    assert pair["pr_taxable_value"] == 6000.0  # the row's own amounts: traceable to it
    part = _parts(result).row(0, named=True)
    assert part["pr_row"] == 2 and part["recommendation_rule"] == "part_of_document"
    assert part["recommended_action"] == "" and "with register row 1 it makes up IMS B2B INV-77" in part["reason"]


def test_the_first_booking_heads_whichever_part_the_assignment_took():
    """The later part is nearer the IMS amounts (the assignment prefers it); the first booking of
    the same date still heads the pair, its number as written."""
    pr = [doc("pr", "INV-77", tv=1000.0, cgst=90.0, sgst=90.0, row=1),
          doc("pr", "INV-77", tv=9000.0, cgst=810.0, sgst=810.0, row=2)]
    result = run([IMS], pr)
    assert pairs_of(result)["INV-77"] == ("exact", 1)
    pair = result.filter(pl.col("ims_doc_no") == "INV-77").row(0, named=True)
    assert pair["comparison"].startswith("doc_no=equal doc_date=equal") and pair["score"] == 1.0


def test_three_parts_on_different_days_and_the_itc_counted_once():
    pr = [doc("pr", "INV-77", tv=5000.0, cgst=450.0, sgst=450.0, row=1, date="2025-04-01"),
          doc("pr", "INV-77", tv=3000.0, cgst=270.0, sgst=270.0, row=2, date="2025-04-05"),
          doc("pr", "INV-77", tv=2000.5, cgst=180.0, sgst=180.0, row=3, date="2025-04-09")]  # 0.50 within ₹1
    result = run([IMS], pr)
    assert pairs_of(result)["INV-77"] == ("exact", 1)  # the part of the document's own date heads it
    assert _parts(result)["pr_row"].to_list() == [2, 3]
    figures = itc_figures(result)["by_category"].to_dicts()
    by = {f["category"]: f for f in figures}
    assert by["available"]["itc"] == 1800.0 and by["available"]["documents"] == 1
    assert by["at_risk"]["documents"] == 0


def test_parts_that_do_not_add_up_stay_a_mismatch_and_a_double_booking():
    pr = [doc("pr", "INV-77", tv=6000.0, cgst=540.0, sgst=540.0, row=1),
          doc("pr", "INV-77", tv=3000.0, cgst=270.0, sgst=270.0, row=2)]
    result = run([IMS], pr)
    assert pairs_of(result)["INV-77"][0] == "mismatch"
    part = _parts(result).row(0, named=True)
    assert part["recommendation_rule"] == "booked_twice" and "booked twice" in part["reason"]
    assert itc_figures(result)["by_category"].filter(pl.col("category") == "at_risk")["documents"][0] == 2


def test_a_date_difference_of_the_heading_part_is_still_named():
    pr = [doc("pr", "INV-77", tv=6000.0, cgst=540.0, sgst=540.0, row=1, date="2025-04-02"),
          doc("pr", "INV-77", tv=4000.0, cgst=360.0, sgst=360.0, row=2, date="2025-04-02")]
    pair = run([IMS], pr).filter(pl.col("ims_doc_no") == "INV-77").row(0, named=True)
    assert pair["match_status"] == "mismatch" and pair["differences"] == "doc_date"
    assert "booked in 2 parts" in pair["reason"]


def test_the_same_number_twice_in_ims_is_not_guessed_apart():
    """Two IMS documents of one identity: whose parts are whose cannot be told, so nothing is summed."""
    ims = [IMS, doc("ims", "INV-77", tv=10000.0, cgst=900.0, sgst=900.0, row=2)]
    pr = [doc("pr", "INV-77", tv=6000.0, cgst=540.0, sgst=540.0, row=1),
          doc("pr", "INV-77", tv=4000.0, cgst=360.0, sgst=360.0, row=2),
          doc("pr", "INV-77", tv=7000.0, cgst=630.0, sgst=630.0, row=3)]
    result = run(ims, pr)
    assert "booked in" not in " ".join(result["reason"].drop_nulls().to_list())
    assert result.filter(pl.col("ims_doc_no").is_not_null())["match_status"].to_list() == ["mismatch", "mismatch"]


def test_an_exact_copy_beside_the_parts_is_still_a_double_booking():
    pr = [doc("pr", "INV-77", tv=10000.0, cgst=900.0, sgst=900.0, row=1),
          doc("pr", "INV-77", tv=10000.0, cgst=900.0, sgst=900.0, row=2, supplier=S1)]
    result = run([IMS], pr)
    assert pairs_of(result)["INV-77"] == ("exact", 1)
    assert _parts(result).row(0, named=True)["recommendation_rule"] == "booked_twice"


@settings(max_examples=40, deadline=None)
@given(shares=st.lists(st.integers(1, 99), min_size=1, max_size=3), off=st.sampled_from([0.0, 0.4, 2.0, -5.0]),
       order=st.permutations(range(4)))
def test_parts_that_add_up_always_pair_and_others_never(shares, off, order):
    """An IMS document split at random into 2-4 rows (in any file order), the last part off by
    ``off`` rupees of taxable value: within ₹1 the parts pair as one document headed by the
    first row, beyond it nothing is summed; every row is reported once either way."""
    cuts = sorted({*shares})
    bounds = [0, *cuts, 100]
    amounts = [(b - a) * 100.0 for a, b in zip(bounds, bounds[1:], strict=False)]  # taxable, sums to 10000
    amounts[-1] += off
    rows = sorted(range(len(amounts)), key=lambda k: order.index(k) if k < len(order) else k)
    pr = [doc("pr", "INV-77", tv=amounts[k], cgst=round(amounts[k] * 0.09, 2), sgst=round(amounts[k] * 0.09, 2),
              row=n + 1) for n, k in enumerate(rows)]
    for p, k in zip(pr, rows, strict=True):  # the tax heads add up to the document's exactly
        if k == len(amounts) - 1:
            p["cgst"] = round(900.0 - sum(round(amounts[j] * 0.09, 2) for j in range(len(amounts) - 1)), 2)
            p["sgst"] = p["cgst"]
    result = run([IMS], pr)
    assert sorted(result["pr_row"].drop_nulls().to_list()) == list(range(1, len(pr) + 1))
    status, head = pairs_of(result)["INV-77"]
    summed = abs(off) <= 1.0 and len(pr) > 1
    if summed:
        assert (status, head) == ("exact", 1)
        assert _parts(result)["recommendation_rule"].to_list() == ["part_of_document"] * (len(pr) - 1)
    else:
        assert "booked in" not in (result.filter(pl.col("ims_doc_no") == "INV-77")["reason"][0] or "")
        assert set(_parts(result)["recommendation_rule"].to_list()) <= {"booked_twice"}


def test_a_row_that_would_make_up_two_documents_is_nobodys_part():
    """IMS holds INV-77 and (as MH/INV-77, another number whose core is the same) a second
    document; each is paired with a register row INV-77 and the one open row adds up for both."""
    other = doc("ims", "MH/INV-77", tv=10000.0, cgst=900.0, sgst=900.0, row=2)
    pr = [doc("pr", "INV-77", tv=6000.0, cgst=540.0, sgst=540.0, row=1),
          doc("pr", "INV-77", tv=6000.0, cgst=540.0, sgst=540.0, row=2),
          doc("pr", "INV-77", tv=4000.0, cgst=360.0, sgst=360.0, row=3)]
    result = run([IMS, other], pr)
    assert sorted(result["pr_row"].drop_nulls().to_list()) == [1, 2, 3]
    assert "booked in" not in " ".join(result["reason"].drop_nulls().to_list())


def test_parts_whose_number_another_documents_typo_also_carries():
    """INV-1948 is booked in two parts; INV-1984's booking carries the number INV-1948 by a typo
    and agrees with INV-1984: it takes nothing from the parts (found by the accuracy benchmark)."""
    ims = [doc("ims", "INV-1948", tv=10000.0, cgst=900.0, sgst=900.0, row=1),
           doc("ims", "INV-1984", tv=480.0, cgst=43.2, sgst=43.2, date="2025-04-06", row=2)]
    pr = [doc("pr", "INV-1948", tv=480.0, cgst=43.2, sgst=43.2, date="2025-04-06", row=1),
          doc("pr", "INV-1948", tv=6000.0, cgst=540.0, sgst=540.0, row=2),
          doc("pr", "INV-1948", tv=4000.0, cgst=360.0, sgst=360.0, row=3)]
    result = run(ims, pr)
    assert pairs_of(result) == {"INV-1948": ("exact", 2), "INV-1984": ("probable", 1)}
    assert _parts(result)["pr_row"].to_list() == [3]
