"""Table-driven tests of the normalisers: amounts, dates, document numbers, GSTINs, states."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imsrecon.normalise.amounts import amount_unreadable, parse_amount
from imsrecon.normalise.dates import financial_year, parse_date
from imsrecon.normalise.docno import normalise_doc_no
from imsrecon.normalise.gstin import check_character, gstin_problem
from imsrecon.normalise.states import place_of_supply_expr

D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,18,000.00", 118000.0),  # Indian grouping
        ("12,34,567.50", 1234567.5),
        ("1,234", 1234.0),  # grouping: the last group has three digits
        ("1 18 000,00", 118000.0),  # decimal comma (European-locale export), blanks grouping
        ("1.234,56", 1234.56),  # decimal comma, dots grouping
        ("118000,5", 118000.5),
        ("0,50", 0.5),
        ("(1.234,56)", -1234.56),
        ("1234,56 Cr", -1234.56),
        ("₹ 1.18.000,00", 118000.0),
        ("118,000.00", 118000.0),  # international grouping
        ("(1,234.50)", -1234.5),  # accountants' negative
        ("-1234.5", -1234.5),
        ("1234.5-", -1234.5),  # trailing minus (SAP)
        ("\u22121234.5", -1234.5),  # unicode minus sign
        ("₹ 5", 5.0),
        ("₹1,00,000", 100000.0),
        ("Rs. 1,000", 1000.0),
        ("INR 250.75", 250.75),
        ("1234 Cr", -1234.0),
        ("1234 Dr", 1234.0),
        ("1,18,000/-", 118000.0),  # whole rupees, Indian style
        ("1180-", -1180.0),
        (" 42 ", 42.0),
        ("1,18,000.005", 118000.0),  # rounded to paise (banker's rounding is not used for display)
        ("0", 0.0),
        ("118000.0", 118000.0),
        ("", None),
        ("-", None),
        ("nil", None),
        ("N/A", None),
        (None, None),
        ("abc", None),
        ("12..5", None),
        ("nan", None),  # a pandas export's empty cell
        ("NaN", None),
        ("inf", None),
    ],
)
def test_parse_amount(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "unreadable"),
    [("abc", True), ("12..5", True), ("1,18,000.00", False), ("", False), ("-", False), (None, False), ("nil", False)],
)
def test_amount_unreadable(text, unreadable):
    frame = pl.DataFrame({"v": [text]}, schema={"v": pl.String})
    assert frame.select(amount_unreadable(pl.col("v")))["v"][0] is unreadable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01-04-2025", D(2025, 4, 1)),
        ("1-4-2025", D(2025, 4, 1)),
        ("01/04/2025", D(2025, 4, 1)),
        ("01.04.2025", D(2025, 4, 1)),
        ("2025-04-01", D(2025, 4, 1)),
        ("2025/04/01", D(2025, 4, 1)),
        ("1-Apr-2025", D(2025, 4, 1)),
        ("01-APR-2025", D(2025, 4, 1)),
        ("1-apr-25", D(2025, 4, 1)),  # Tally's short year
        ("01 April 2025", D(2025, 4, 1)),
        ("01/04/25", D(2025, 4, 1)),
        ("45748", D(2025, 4, 1)),  # Excel serial
        ("45748.0", D(2025, 4, 1)),
        ("2025-04-01 00:00:00", D(2025, 4, 1)),
        ("2025-04-01T00:00:00", D(2025, 4, 1)),
        ("2025-04-01T00:00:00.000Z", D(2025, 4, 1)),
        ("2025-04-01T10:30:00+05:30", D(2025, 4, 1)),
        ("01-04-2025 10:30", D(2025, 4, 1)),  # a time after a day-first date
        ("1/4/2025 12:00:00 AM", D(2025, 4, 1)),
        ("01 Apr 25", D(2025, 4, 1)),
        ("Apr 1, 2025", D(2025, 4, 1)),
        ("April 1, 2025", D(2025, 4, 1)),
        ("2025.04.01", D(2025, 4, 1)),
        ("31-03-2026", D(2026, 3, 31)),
        ("31/02/2025", None),  # no such day
        ("13/13/2025", None),
        ("04/31/2025", None),  # month-first is never guessed
        ("yesterday", None),
        ("", None),
        (None, None),
        ("123", None),  # too small to be a serial date
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


_AMOUNT_CELLS = ["1,18,000.00", "118,000.00", "(1,234.50)", "-1234.5", "1234.5-", "₹ 5", "1234 Cr", "1,18,000/-",
                 " 42 ", "1,18,000.005", "0", "", "-", "nil", None, "abc", "12..5", "1,2", ",", "1,000-",
                 "1 18 000,00", "1.234,56", "118000,5", "1,234", "12,34,567.50", "1,23,4", "nan", "inf"]


@given(st.lists(st.sampled_from(_AMOUNT_CELLS), max_size=40))
def test_parse_amount_series_reads_each_cell_like_parse_amount(cells):
    """The column reader's tiers (plain numbers, grouped numbers, the full rules) agree with the
    rules for one cell."""
    from imsrecon.normalise.amounts import parse_amount_series

    out = parse_amount_series(pl.Series("a", cells, dtype=pl.String))
    assert out.name == "a"
    assert out.to_list() == [parse_amount(c) for c in cells]


_DATE_CELLS = ["01-04-2025", "1-apr-25", "2025-04-01", "45748", "31/02/2025", "yesterday", "", None, " 02-04-2025 ",
               "01-04-2025 10:30", "Apr 1, 2025"]


@given(st.lists(st.sampled_from(_DATE_CELLS), max_size=60))
def test_parse_date_series_reads_each_cell_like_parse_date(cells):
    """Repeated cells (read once per distinct value) and mostly distinct ones alike."""
    from imsrecon.normalise.dates import parse_date_series

    out = parse_date_series(pl.Series("d", cells, dtype=pl.String))
    assert out.name == "d" and out.dtype == pl.Date
    assert out.to_list() == [parse_date(c) for c in cells]


@pytest.mark.parametrize(
    ("date", "fy"),
    [(D(2025, 4, 1), "2025-26"), (D(2026, 3, 31), "2025-26"), (D(2000, 1, 1), "1999-00"), (D(2099, 12, 31), "2099-00")],
)
def test_financial_year(date, fy):
    assert financial_year(date) == fy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("inv/0012", "INV12"),
        ("INV-12", "INV12"),
        ("INV 012", "INV12"),
        ("INV/2025-26/0007", "INV2025267"),
        ("0000123", "123"),
        ("000", "0"),
        ("A01B02", "A1B2"),
        ("gst-1234", "GST1234"),
        ("12345.0", "12345"),  # a spreadsheet's number written out by a CSV export
        ("0012345.00", "12345"),
        ("1.5", "15"),  # not a whole number: the point is a separator
        ("INV12.0", "INV120"),
        ("  ", None),
        (None, None),
    ],
)
def test_normalise_doc_no(text, expected):
    assert normalise_doc_no(text) == expected


@pytest.mark.parametrize(
    ("gstin", "problem"),
    [
        ("27AAPFU0939F1ZV", None),
        ("27AAPFU0939F1ZA", "GSTIN check character should be V"),
        ("27AAPFU0939F1Z", "GSTIN must have 15 characters, not 14"),
        ("", "blank GSTIN"),
        (None, "blank GSTIN"),
        ("XXAAPFU0939F1ZV", "GSTIN has characters outside 0-9 A-Z or no 2-digit state code"),
    ],
)
def test_gstin_problem(gstin, problem):
    assert gstin_problem(gstin) == problem


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=14, max_size=14))
def test_check_character_makes_a_valid_gstin_and_one_change_breaks_it(first14):
    gstin = first14 + check_character(first14)
    assert gstin_problem(gstin) in (None, "GSTIN does not follow the normal-taxpayer pattern",
                                    "GSTIN has characters outside 0-9 A-Z or no 2-digit state code")
    if gstin_problem(gstin) is None:
        wrong = "0" if gstin[-1] != "0" else "1"
        assert gstin_problem(gstin[:-1] + wrong) is not None


@pytest.mark.parametrize(
    ("cell", "code"),
    [("27", "27"), ("7", "07"), ("27-Maharashtra", "27"), ("Maharashtra", "27"), ("MH", "27"),
     ("tamil nadu", "33"), ("Orissa", "21"), ("Jammu & Kashmir", "01"), ("Atlantis", None), (None, None)],
)
def test_place_of_supply(cell, code):
    frame = pl.DataFrame({"v": [cell]}, schema={"v": pl.String})
    assert frame.select(place_of_supply_expr(pl.col("v")))["v"][0] == code


@pytest.mark.parametrize(
    ("cell", "gstin"),
    [
        ("27AAPFU0939F1ZV", "27AAPFU0939F1ZV"),
        ("27aapfu0939f1zv ", "27AAPFU0939F1ZV"),
        ("27 AAPFU 0939F1ZV", "27AAPFU0939F1ZV"),
        ("27-AAPFU-0939-F1ZV", "27AAPFU0939F1ZV"),
        ("27AAPFU0939F1ZV (Maharashtra)", "27AAPFU0939F1ZV"),  # words around it
        ("GSTIN: 27AAPFU0939F1ZV", "27AAPFU0939F1ZV"),
        ("27AAPFU0939F1Z", "27AAPFU0939F1Z"),  # too short: kept for the warning
        ("", None),
        (None, None),
    ],
)
def test_gstin_cells_are_cleaned(cell, gstin):
    from imsrecon.normalise.gstin import gstin_clean_expr

    frame = pl.DataFrame({"g": [cell]}, schema={"g": pl.String})
    assert frame.select(gstin_clean_expr(pl.col("g")))["g"][0] == gstin
