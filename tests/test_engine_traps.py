"""Hand-written regression tests, one per trap that fools other reconcilers."""

from __future__ import annotations

import polars as pl
import pytest
from builders import S1, S2, R, doc, frame, pairs_of, run

from imsrecon.config import MatchConfig
from imsrecon.reconcile import reconcile

BRANCH = "29AAPFU0939F1ZR"  # same PAN as S1, Karnataka registration


def assert_both_unpaired(result: pl.DataFrame, ims_no: str) -> None:
    """The one IMS document and the one register row (row 1) stay apart."""
    assert pairs_of(result) == {ims_no: ("missing_in_pr", None)}
    assert result.filter(pl.col("pr_row") == 1)["match_status"].to_list() == ["missing_in_ims"]


def test_recurring_equal_amounts_pair_with_their_own_month():
    # rent of 50,000 every month; the books spell the numbers differently and skip May
    months = ["2025-04-05", "2025-05-05", "2025-06-05", "2025-07-05", "2025-08-05"]
    ims = [doc("ims", f"RENT/{m:02d}", date=d, tv=50000, cgst=4500, sgst=4500, row=m)
           for m, d in enumerate(months, start=1)]
    pr = [doc("pr", f"rent-{m}", date=d, tv=50000, cgst=4500, sgst=4500, row=m)
          for m, d in enumerate(months, start=1) if m != 2]
    got = pairs_of(run(ims, pr))
    assert got == {"RENT/01": ("exact", 1), "RENT/02": ("missing_in_pr", None), "RENT/03": ("exact", 3),
                   "RENT/04": ("exact", 4), "RENT/05": ("exact", 5)}


def test_recurring_amounts_with_unreadable_numbers_still_find_the_true_month():
    # the books carry their own voucher numbers: only amounts and dates tell documents apart; the
    # rent of the other month is a month away, so a day's slip within the window still pairs
    ims = [doc("ims", "R-APR", date="2025-04-05", tv=50000, row=1), doc("ims", "R-MAY", date="2025-05-05", tv=50000, row=2)]
    pr = [doc("pr", "V9001", date="2025-05-06", tv=50000, row=1), doc("pr", "V9002", date="2025-04-05", tv=50000, row=2)]
    assert pairs_of(run(ims, pr)) == {"R-APR": ("probable", 2), "R-MAY": ("mismatch", 1)}


def test_an_amount_billed_again_within_the_window_pairs_only_on_the_very_date():
    # the same, billed weekly: the week before is within the window, so a day's slip no longer
    # tells (R-W2 stays unpaired, its nearest candidate shown)
    ims = [doc("ims", "R-W1", date="2025-04-05", tv=50000, row=1), doc("ims", "R-W2", date="2025-04-12", tv=50000, row=2)]
    pr = [doc("pr", "V9001", date="2025-04-13", tv=50000, row=1), doc("pr", "V9002", date="2025-04-05", tv=50000, row=2)]
    result = run(ims, pr)
    assert pairs_of(result) == {"R-W1": ("probable", 2), "R-W2": ("missing_in_pr", None)}
    w2 = result.filter(pl.col("ims_doc_no") == "R-W2").row(0, named=True)
    # the date rules it out: with the amount recurring, only the very date could have told
    assert w2["nearest_candidate"].startswith("register row 1: V9001") and w2["nearest_ruled_out_by"] == "doc_date"
    row1 = result.filter(pl.col("pr_row") == 1).row(0, named=True)
    assert row1["match_status"] == "missing_in_ims" and row1["nearest_candidate"].startswith("IMS B2B R-W2")


def test_a_recurring_amount_does_not_pair_two_documents_of_other_numbers_and_dates():
    # a supplier who bills 11,582 every week: the books pair by number, but the IMS document of
    # 30 June was never booked and the row of 6 July (another number) was never reported: the
    # same amount a few days apart is not the same document (found by the accuracy benchmark)
    booked = [("0001810", "2025-06-09"), ("0001811", "2025-06-16"), ("0001812", "2025-06-23")]
    ims = [doc("ims", n, date=d, tv=11582, igst=2084.76, row=k) for k, (n, d) in
           enumerate([*booked, ("0001818", "2025-06-30")], start=1)]
    pr = [doc("pr", n, date=d, tv=11582, igst=2084.76, row=k) for k, (n, d) in
          enumerate([*booked, ("0001855", "2025-07-06")], start=1)]
    result = run(ims, pr)
    assert pairs_of(result) == {"0001810": ("exact", 1), "0001811": ("exact", 2), "0001812": ("exact", 3),
                                "0001818": ("missing_in_pr", None)}
    assert result.filter(pl.col("pr_row") == 4)["match_status"].to_list() == ["missing_in_ims"]
    # on the very date the amounts do tell: the same row dated 30 June pairs as probable
    pr[3] = doc("pr", "0001855", date="2025-06-30", tv=11582, igst=2084.76, row=4)
    assert pairs_of(run(ims, pr))["0001818"] == ("probable", 4)


def test_two_slips_in_one_booking_pair_when_the_amount_is_billed_once():
    # RJ/25-26/32 booked as RJ/25-26/3 three days early: the numbers' cores (32, 3) are too short
    # to call similar, but an amount the supplier bills once, within the window, still tells
    ims = [doc("ims", "RJ/25-26/32", date="2026-02-20", tv=4772.0, row=1),
           doc("ims", "RJ/25-26/40", date="2026-02-25", tv=9100.0, row=2)]
    pr = [doc("pr", "RJ/25-26/3", date="2026-02-17", tv=4772.0, row=1),
          doc("pr", "RJ/25-26/40", date="2026-02-25", tv=9100.0, row=2)]
    result = run(ims, pr)
    assert pairs_of(result)["RJ/25-26/32"] == ("mismatch", 1)
    assert result.filter(pl.col("pr_row") == 1)["differences"].to_list() == ["doc_date"]
    # the same amount billed again, and that document booked exactly: it cannot be mistaken for
    # another, so the amount still tells
    ims[1] = doc("ims", "RJ/25-26/40", date="2026-02-25", tv=4772.0, row=2)
    pr[1] = doc("pr", "RJ/25-26/40", date="2026-02-25", tv=4772.0, row=2)
    assert pairs_of(run(ims, pr)) == {"RJ/25-26/32": ("mismatch", 1), "RJ/25-26/40": ("exact", 2)}
    # ... but not booked at all: two open documents of one amount five days apart, and a row
    # between them that matches neither number: the amount no longer tells, the date must
    assert pairs_of(run(ims, pr[:1])) == {"RJ/25-26/32": ("missing_in_pr", None), "RJ/25-26/40": ("missing_in_pr", None)}


def test_another_number_of_the_suppliers_series_is_another_document():
    # 25-26/BL/794 was never booked and 25-26/BL/850 never reported: the same amount five days
    # apart, but 850 is one of the supplier's own numbers, not a slip: both stay unpaired
    ims = [doc("ims", "25-26/BL/794", date="2025-06-12", tv=7602.0, row=1)]
    pr = [doc("pr", "25-26/BL/850", date="2025-06-17", tv=7602.0, row=1)]
    assert_both_unpaired(run(ims, pr), "25-26/BL/794")
    # the books' own receipt number is written another way: no such evidence
    got = pairs_of(run(ims, [doc("pr", "GRN/40871", date="2025-06-17", tv=7602.0, row=1)]))
    assert got == {"25-26/BL/794": ("mismatch", 1)}
    # nor a slip in the year token (the core keeps it, the number as written is a keystroke away)
    ims = [doc("ims", "PI/214/25-26", date="2025-04-25", tv=25072.0, row=1)]
    got = pairs_of(run(ims, [doc("pr", "PI/214/25-36", date="2025-04-20", tv=25072.0, row=1)]))
    assert got == {"PI/214/25-26": ("mismatch", 1)}


def test_the_very_document_booked_under_another_supplier():
    # the clerk picked the wrong ledger: the same number, date and amounts under another PAN
    ims = [doc("ims", "MH/RS/828", supplier=S1, row=1)]
    result = run(ims, [doc("pr", "MH/RS/828", supplier=S2, row=1)])
    row = result.row(0, named=True)
    assert (row["match_status"], row["pr_row"], row["differences"]) == ("mismatch", 1, "supplier_gstin")
    # another supplier's own document of the same number is another document
    assert pairs_of(run(ims, [doc("pr", "MH/RS/828", supplier=S2, tv=2000.0, row=1)]))["MH/RS/828"][0] == "missing_in_pr"
    assert pairs_of(run(ims, [doc("pr", "MH/RS/828", supplier=S2, date="2025-04-02", row=1)]))["MH/RS/828"][0] == "missing_in_pr"
    assert run(ims, [doc("pr", "MH/RS/828", supplier=S2, row=1)], other_supplier_pass=False)["match_status"].to_list() \
        == ["missing_in_pr", "missing_in_ims"]


def test_explain_shows_the_booking_under_another_supplier():
    from imsrecon.match.inspect import candidate_table

    ims = frame([doc("ims", "MH/RS/828", supplier=S1, row=1)])
    pr = frame([doc("pr", "MH/RS/828", supplier=S2, row=1), doc("pr", "MH/RS/829", supplier=S2, row=2)])
    table = candidate_table(ims, pr, MatchConfig(), ims_index=0)
    # the very number and date under another supplier is shown (and could pair); its other documents are not
    assert table.select("candidate_doc_no", "candidate_gstin", "accept").rows() == [("MH/RS/828", S2, True)]


def test_a_slip_onto_a_number_whose_own_booking_went_to_another_supplier():
    # MH/RS/882 was booked as MH/RS/828 (a transposition onto a real number), and MH/RS/828 itself
    # under another supplier: the number's row under the right supplier is 882's, not 828's
    ims = [doc("ims", "MH/RS/828", tv=5000.0, cgst=450, sgst=450, row=1),
           doc("ims", "MH/RS/882", tv=7000.0, cgst=630, sgst=630, date="2025-04-03", row=2)]
    pr = [doc("pr", "MH/RS/828", tv=7000.0, cgst=630, sgst=630, date="2025-04-03", row=1),
          doc("pr", "MH/RS/828", supplier=S2, tv=5000.0, cgst=450, sgst=450, row=2)]
    assert pairs_of(run(ims, pr)) == {"MH/RS/828": ("mismatch", 2), "MH/RS/882": ("probable", 1)}


def test_the_very_number_is_not_left_unpaired_for_a_similar_one_that_agrees():
    # KA/257 is booked with other values; KA/258, never reported, agrees with KA/257 to the rupee
    # on the same day: a similar number may not take KA/257 and leave its own booking unpaired
    # (found by the accuracy benchmark, messy mix)
    ims = [doc("ims", "KA/25-26/257", tv=50887.0, igst=9159.66, cgst=0, sgst=0, row=1)]
    pr = [doc("pr", "KA/25-26/257", tv=45798.3, igst=8243.69, cgst=0, sgst=0, row=1),
          doc("pr", "KA/25-26/258", tv=50886.29, igst=9159.53, cgst=0, sgst=0, row=2)]
    result = run(ims, pr)
    assert pairs_of(result) == {"KA/25-26/257": ("mismatch", 1)}
    row2 = result.filter(pl.col("pr_row") == 2).row(0, named=True)
    assert (row2["match_status"], row2["nearest_ruled_out_by"]) == ("missing_in_ims", "taken by a better match")


def test_one_keystroke_apart_is_solved_globally_not_greedily():
    # A's number was typed as B's; B's as C's. Greedy pairing by number links B with A's row.
    ims = [doc("ims", "INV-1010", tv=1000, row=1), doc("ims", "INV-1011", tv=2000, date="2025-04-02", row=2)]
    pr = [doc("pr", "INV-1011", tv=1000, row=1), doc("pr", "INV-1012", tv=2000, date="2025-04-02", row=2)]
    assert pairs_of(run(ims, pr)) == {"INV-1010": ("probable", 1), "INV-1011": ("probable", 2)}


def test_transposed_digit_equal_to_another_real_invoice():
    ims = [doc("ims", "INV-123", tv=1000, row=1), doc("ims", "INV-132", tv=7000, row=2)]
    pr = [doc("pr", "INV-123", tv=1000, row=1), doc("pr", "INV-123", tv=7000, row=2)]  # 132 booked as 123
    result = run(ims, pr)
    assert pairs_of(result) == {"INV-123": ("exact", 1), "INV-132": ("probable", 2)}
    assert "duplicate" not in result["match_status"].to_list()


@pytest.mark.parametrize("booked", ["INV/12", "INV/25-26/12", "INV/2025/26/12", "INV/2025-2026/12", "FY25-26/INV/12",
                                    "inv 2025-26 0012", "INV/20252026/12"])
def test_financial_year_tokens(booked):
    assert pairs_of(run([doc("ims", "INV/2025-26/0012")], [doc("pr", booked)]))["INV/2025-26/0012"][1] == 1


@pytest.mark.parametrize(("ims_no", "booked"), [
    ("SI/2526/0045", "SI/45"), ("2526/SI/45", "SI-45"), ("INV/2025/77", "INV/77"), ("INV/77/2025", "INV-77"),
    ("INV/25-26/99", "INV/99"),
])
def test_a_year_segment_dropped_by_the_books_keeps_the_identity(ims_no, booked):
    # the books leave out the year of SI/2526/0045 and the amount differs: the number's core
    # still names the document, so it pairs as a mismatch instead of two unpaired documents
    ims = [doc("ims", ims_no, tv=10000, cgst=900, sgst=900, row=1), doc("ims", "SI/2526/0046", tv=600, row=2)]
    pr = [doc("pr", booked, tv=10500, cgst=945, sgst=945, row=1), doc("pr", "SI/2526/0046", tv=600, row=2)]
    result = run(ims, pr)
    assert pairs_of(result)[ims_no] == ("mismatch", 1)
    row = result.filter(pl.col("pr_row") == 1).row(0, named=True)
    assert row["differences"] == "taxable_value;cgst;sgst" and "doc_no=equal_core" in row["comparison"]


@pytest.mark.parametrize(("ims_no", "booked", "status"), [
    ("DN/25-26/005", "DN-5", "mismatch"), ("DN/2526/5", "DN/5", "mismatch"), ("25-26/DN/3", "DN3", "mismatch"),
    # a core of one character without the prefix that would back it, or under another prefix: no
    ("DN/25-26/005", "5", "missing_in_pr"), ("DN/25-26/005", "RT/5", "missing_in_pr"),
])
def test_a_short_counter_keeps_its_identity_by_its_prefix(ims_no, booked, status):
    # a debit note's counter is short: its core ("5") alone names nothing, but with the prefix
    # kept only the year tells the two numbers apart
    ims = [doc("ims", ims_no, cls="debit_note", tv=2000, cgst=180, sgst=180, row=1)]
    pr = [doc("pr", booked, cls="debit_note", tv=2300, cgst=207, sgst=207, row=1)]
    result = run(ims, pr)
    assert pairs_of(result)[ims_no] == (status, 1 if status == "mismatch" else None)
    if status == "mismatch":
        assert "doc_no=equal_core" in result.filter(pl.col("pr_row") == 1)["comparison"][0]


@pytest.mark.parametrize("booked", ["INV/137 dt 12.03.25", "INV 137 (Ramesh)", "inv/137 dated 12/03/2025"])
def test_a_remark_after_the_number_keeps_the_identity(booked):
    # a hand-kept register types the date or a note after the number, and the amount differs
    ims = [doc("ims", "INV/137", tv=10000, cgst=900, sgst=900, row=1)]
    pr = [doc("pr", booked, tv=10400, cgst=936, sgst=936, row=1)]
    assert pairs_of(run(ims, pr)) == {"INV/137": ("mismatch", 1)}


def test_two_counters_of_a_year_series_are_not_one_number():
    # counter/year numbering: 2019/2025 was never booked, 2020/2025 never reported; the year is
    # the documents' own (2025), the counters 2019 and 2020 stay, and so do the two documents
    ims = [doc("ims", "2019/2025", date="2025-06-10", tv=10000, row=1)]
    pr = [doc("pr", "2020/2025", date="2025-06-12", tv=12000, row=1)]
    assert_both_unpaired(run(ims, pr), "2019/2025")


def test_a_slip_in_the_year_token_beats_another_number_of_the_same_day():
    # 25-26 keyed as 25-62: the cores differ (no year pair left), but as written the numbers are
    # a keystroke apart; another document of the same day and amount must not tie with it
    ims = [doc("ims", "TI/54463/25-26", date="2025-06-10", tv=5000, row=1)]
    pr = [doc("pr", "TI/54570/25-26", date="2025-06-10", tv=5000, row=1),
          doc("pr", "TI/54463/25-62", date="2025-06-10", tv=5000, row=2)]
    result = run(ims, pr)
    assert pairs_of(result) == {"TI/54463/25-26": ("probable", 2)}
    assert "doc_no=similar" in result.filter(pl.col("pr_row") == 2)["comparison"][0]


def test_a_part_of_a_booking_is_not_pushed_onto_another_document():
    # GST/12682 booked in two parts; GST/12702 of the same day booked with its year keyed 25-62,
    # and its amount within a rupee of the second part: the part is not paired with it merely
    # because its number is another document's
    day = "2026-03-08"
    ims = [doc("ims", "GST/12682/25-26", date=day, tv=4035.0, cgst=363.15, sgst=363.15, row=1),
           doc("ims", "GST/12702/25-26", date=day, tv=1738.0, cgst=156.42, sgst=156.42, row=2)]
    pr = [doc("pr", "GST/12682/25-26", date=day, tv=2296.72, cgst=206.70, sgst=206.70, row=1),
          doc("pr", "GST/12682/25-26", date=day, tv=1738.28, cgst=156.45, sgst=156.45, row=2),
          doc("pr", "GST/12702/25-62", date=day, tv=1738.0, cgst=156.42, sgst=156.42, row=3)]
    result = run(ims, pr)
    assert pairs_of(result) == {"GST/12682/25-26": ("exact", 1), "GST/12702/25-26": ("probable", 3)}
    assert result.filter(pl.col("pr_row") == 2)["match_status"].to_list() == ["duplicate"]


def test_a_row_that_carries_a_documents_very_number_is_not_taken_by_another_number():
    # KPC-39357 booked in two parts; KPC-39309 of the same day was never booked, and its amount is
    # within a rupee of the first part: the part carries KPC-39357's number and stays with it
    day, no_tax = "2025-07-06", {"cgst": 0.0, "sgst": 0.0}
    ims = [doc("ims", "KPC-39357", date=day, tv=35424.42, row=1, **no_tax),
           doc("ims", "KPC-39309", date=day, tv=24626.79, row=2, **no_tax)]
    pr = [doc("pr", "KPC-39357", date=day, tv=24627.06, row=1, **no_tax),
          doc("pr", "KPC-39357", date=day, tv=10797.36, row=2, **no_tax)]
    result = run(ims, pr)
    got = pairs_of(result)
    assert got["KPC-39309"] == ("missing_in_pr", None) and got["KPC-39357"][0] == "exact"
    assert result.filter(pl.col("ims_doc_no").is_null())["match_status"].to_list() == ["duplicate"]
    why = result.filter(pl.col("ims_doc_no") == "KPC-39309").row(0, named=True)
    assert why["nearest_ruled_out_by"] == "doc_no"


def test_a_short_transposition_onto_another_documents_number_still_pairs():
    # DN00084 booked as DN00048, the number of a real debit note booked months before with its
    # own slip in the amount: the row a keystroke away (as written) still goes to DN00084
    ims = [doc("ims", "DN00048", cls="debit_note", date="2025-09-27", tv=5000, row=1),
           doc("ims", "DN00084", cls="debit_note", date="2026-01-04", tv=1200, row=2)]
    pr = [doc("pr", "DN00048", cls="debit_note", date="2025-09-27", tv=5100, row=1),
          doc("pr", "DN00048", cls="debit_note", date="2026-01-04", tv=1200, row=2)]
    assert pairs_of(run(ims, pr)) == {"DN00048": ("mismatch", 1), "DN00084": ("probable", 2)}


def test_a_number_that_is_only_a_year_is_not_emptied():
    # INV/2025 is invoice 2025 of its series: it must not take INV/2024's booking
    ims = [doc("ims", "INV/2025", tv=10000, row=1), doc("ims", "INV/2024", tv=7000, row=2)]
    pr = [doc("pr", "INV/2024", tv=10500, row=1)]
    assert pairs_of(run(ims, pr)) == {"INV/2025": ("missing_in_pr", None), "INV/2024": ("mismatch", 1)}


@pytest.mark.parametrize(("ims_no", "booked", "status"), [
    ("0000123", "123", "exact"), ("INV-0042", "inv42", "exact"), ("MH/24-25/77", "77", "probable"),
    ("KA/TI/1006", "1006", "probable"),
])
def test_leading_zeros_and_dropped_prefix(ims_no, booked, status):
    assert pairs_of(run([doc("ims", ims_no)], [doc("pr", booked)])) == {ims_no: (status, 1)}


def test_date_across_31_march():
    ims = [doc("ims", "A/99", date="2025-03-30")]
    pr = [doc("pr", "A/99", date="2025-04-02")]
    result = run(ims, pr)
    row = result.row(0, named=True)
    assert (row["match_status"], row["differences"], row["pr_row"]) == ("mismatch", "doc_date", 1)
    assert "doc_date=3d" in row["comparison"]
    off = run(ims, pr, cross_year=False)
    assert sorted(off["match_status"]) == ["missing_in_ims", "missing_in_pr"]
    assert off.filter(pl.col("ims_doc_no") == "A/99")["nearest_ruled_out_by"][0] == "fy"


def test_wrong_branch_gstin():
    ims = [doc("ims", "B/7", supplier=S1)]
    pr = [doc("pr", "B/7", supplier=BRANCH)]
    row = run(ims, pr).row(0, named=True)
    assert (row["match_status"], row["differences"], row["pr_supplier_gstin"]) == ("mismatch", "supplier_gstin", BRANCH)
    off = run(ims, pr, pan_pass=False)
    assert "mismatch" not in off["match_status"].to_list()


def test_igst_booked_as_cgst_sgst():
    row = run([doc("ims", "T1", igst=180, cgst=0, sgst=0)], [doc("pr", "T1", igst=0, cgst=90, sgst=90)]).row(0, named=True)
    assert (row["match_status"], row["differences"]) == ("mismatch", "igst;cgst;sgst")


def test_negative_credit_note_through_the_importer(tmp_path):
    from imsrecon.importers.base import ImportOptions
    from imsrecon.importers.register import RegisterImporter

    path = tmp_path / "books.csv"
    path.write_text("Supplier GSTIN,Invoice Number,Invoice Date,Document Type,Taxable Value,CGST,SGST\n"
                    f"{S1},CN-5,10-04-2025,Purchase,-1000,-90,-90\n")
    pr = RegisterImporter().read(path, ImportOptions(recipient_gstin=R)).documents
    ims = frame([doc("ims", "CN-5", date="2025-04-10", cls="credit_note")])
    rec = reconcile(ims, pr)
    assert rec.result.row(0, named=True)["match_status"] == "exact"


def test_document_booked_twice():
    result = run([doc("ims", "D1")], [doc("pr", "D1", row=1), doc("pr", "d-1", row=2)])
    assert pairs_of(result) == {"D1": ("exact", 1)}
    dup = result.filter(pl.col("match_status") == "duplicate").row(0, named=True)
    assert dup["pr_row"] == 2 and "register row 1" in dup["reason"]


def test_blank_supplier_date_uses_the_voucher_date_even_across_the_year():
    flags = {"flags": "doc_date_from_voucher"}
    same = run([doc("ims", "E1", date="2025-04-03")], [doc("pr", "E1", date="2025-04-03", **flags)])
    assert same["match_status"][0] == "exact"
    later = run([doc("ims", "E2", date="2025-03-20")], [doc("pr", "E2", date="2025-04-25", **flags)])
    row = later.row(0, named=True)
    assert (row["match_status"], row["differences"], row["pr_row"]) == ("mismatch", "doc_date", 1)


def test_amendment_booked_under_the_original_number():
    ims = [doc("ims", "INV-55A", ims_section="b2ba", orig_doc_no="INV-55", is_amendment=True)]
    got = pairs_of(run(ims, [doc("pr", "INV-55")]))
    assert got == {"INV-55A": ("probable", 1)}


def test_a_typo_with_other_values_is_not_paired_and_says_why():
    result = run([doc("ims", "INV-2041", tv=1000)], [doc("pr", "INV-2014", tv=9000)])
    ims_row = result.filter(pl.col("ims_doc_no").is_not_null()).row(0, named=True)
    assert ims_row["match_status"] == "missing_in_pr"
    assert ims_row["nearest_candidate"] == "register row 1: INV-2014 of 2025-04-01"
    assert ims_row["nearest_ruled_out_by"] == "taxable_value"


def test_tolerance_and_window_settings():
    ims = [doc("ims", "W1", tv=1000)]
    assert run(ims, [doc("pr", "W1", tv=1004)])["differences"][0] == "taxable_value"
    assert run(ims, [doc("pr", "W1", tv=1004)], tolerance_rupees=5.0)["match_status"][0] == "exact"
    ims = [doc("ims", "INV-1001", tv=1000)]
    far = [doc("pr", "INV-1010", tv=1000, date="2025-04-20")]  # a similar number, 19 days later
    assert "mismatch" not in run(ims, far)["match_status"].to_list()
    assert run(ims, far, date_window_days=30)["match_status"].to_list()[0] == "mismatch"


def test_config_round_trip(tmp_path):
    cfg = tmp_path / "match.toml"
    cfg.write_text("[match]\ntolerance_rupees = 10\ntolerance_percent = 0.5\ndate_window_days = 5\npan_pass = false\n")
    loaded = MatchConfig.load(cfg)
    assert loaded == MatchConfig(tolerance_rupees=10.0, tolerance_percent=0.5, date_window_days=5, pan_pass=False)
    assert MatchConfig.from_dict(loaded.to_dict()) == loaded


def test_credit_note_booked_as_a_debit_note_voucher():
    ims = [doc("ims", "CN-77", cls="credit_note")]
    row = run(ims, [doc("pr", "CN-77", cls="debit_note")]).row(0, named=True)
    assert (row["match_status"], row["differences"], row["pr_row"]) == ("mismatch", "doc_class", 1)
    other = run(ims, [doc("pr", "CN-77", cls="debit_note", tv=5000)])  # another amount: another document
    assert "mismatch" not in other["match_status"].to_list()


def test_wrong_branch_with_the_same_number_beats_another_series_of_the_right_gstin():
    ims = [doc("ims", "HR/25-26/572", supplier=S1, tv=4000)]
    pr = [doc("pr", "TN/25-26/572", supplier=S1, tv=4100, date="2025-04-03", row=1),  # another series
          doc("pr", "HR/25-26/572", supplier=BRANCH, tv=4000, row=2)]  # booked under the other branch
    result = run(ims, pr)
    assert pairs_of(result) == {"HR/25-26/572": ("mismatch", 2)}
    assert result.filter(pl.col("pr_row") == 1)["match_status"].to_list() == ["missing_in_ims"]


def test_a_branch_series_with_the_same_number_but_other_values_is_another_document():
    ims = [doc("ims", "NPT/2025-26/0260", supplier=S1, tv=1000)]
    pr = [doc("pr", "NPT/2025-26/0260", supplier=BRANCH, tv=8800, date="2025-05-20")]
    assert "mismatch" not in run(ims, pr)["match_status"].to_list()
