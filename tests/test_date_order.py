"""Day-first or month-first: a register saved by Excel on a computer set to US English writes
`4/25/2025`. The file's dates decide (or the mapping file's `date_order`), for every date column
of the file at once, and a warning says when they are read month-first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imsrecon.importers.base import ImportOptions
from imsrecon.importers.register import RegisterImporter
from imsrecon.importers.register_columns import ColumnMapping
from imsrecon.issues import InputFileError, Severity
from imsrecon.normalise.dates import (
    DAY_FIRST,
    MONTH_FIRST,
    MONTH_FIRST_FORMATS,
    date_expr,
    date_order_evidence,
    parse_date_series,
)

D = dt.date
HEADER = "Supplier Name,Supplier GSTIN,Invoice Number,Invoice Date,Posting Date,Taxable Value,IGST,CGST,SGST\n"


@pytest.mark.parametrize(
    ("cells", "day_first", "month_first", "order"),
    [
        (["4/25/2025", "4/5/2025"], 0, 1, MONTH_FIRST),
        (["25/4/2025", "4/5/2025"], 1, 0, DAY_FIRST),
        (["25/4/2025", "4/25/2025"], 1, 1, DAY_FIRST),  # mixed: the Indian order, the rest are errors
        (["4/5/2025", "12/11/2025", "01-02-2025"], 0, 0, DAY_FIRST),  # nothing tells
        (["12/31/2025 12:00:00 AM"], 0, 1, MONTH_FIRST),  # Excel's US date-time
        (["04-30-25", "04.30.2025"], 0, 2, MONTH_FIRST),  # other separators, two-digit years
        (["2025/04/25", "1-Apr-2025", "45748"], 0, 0, DAY_FIRST),  # year first, month names, serials
        (["13/13/2025", "32/1/2025"], 1, 0, DAY_FIRST),  # 32/1 would be day-first if anything
        ([None, "", "yesterday"], 0, 0, DAY_FIRST),
    ],
)
def test_evidence_and_order(cells, day_first, month_first, order):
    evidence = date_order_evidence(pl.Series("d", cells, dtype=pl.String))
    assert (evidence.day_first, evidence.month_first, evidence.order) == (day_first, month_first, order)


def test_real_dates_tell_nothing():
    assert date_order_evidence(pl.Series("d", [D(2025, 4, 25)])).order == DAY_FIRST


@pytest.mark.parametrize(
    ("text", "day_first", "month_first"),
    [
        ("4/5/2025", D(2025, 5, 4), D(2025, 4, 5)),
        ("4/25/2025", None, D(2025, 4, 25)),
        ("25/4/2025", D(2025, 4, 25), None),
        ("04-30-25", None, D(2025, 4, 30)),
        ("1-Apr-2025", D(2025, 4, 1), D(2025, 4, 1)),  # a month name reads the same either way
        ("2025-04-05", D(2025, 4, 5), D(2025, 4, 5)),
        ("45748", D(2025, 4, 1), D(2025, 4, 1)),
    ],
)
def test_parse_in_either_order(text, day_first, month_first):
    series = pl.Series("d", [text])
    assert parse_date_series(series, DAY_FIRST).to_list() == [day_first]
    assert parse_date_series(series, MONTH_FIRST).to_list() == [month_first]


_CELLS = ["4/5/2025", "4/25/2025", "25/4/2025", "1-Apr-2025", "12/31/2025 12:00:00 AM", "", None, "x", "2025-04-05"]


@given(st.lists(st.sampled_from(_CELLS), max_size=60))
def test_series_reads_each_cell_like_the_expression(cells):
    out = parse_date_series(pl.Series("d", cells, dtype=pl.String), MONTH_FIRST)
    expected = pl.Series("d", cells, dtype=pl.String).to_frame().select(date_expr(pl.col("d"), MONTH_FIRST_FORMATS))
    assert out.to_list() == expected["d"].to_list()


def _register(tmp_path: Path, rows: list[tuple[str, str, str]], mapping: str | None = None):
    """rows: (number, invoice date, posting date)."""
    path = tmp_path / "register.csv"
    path.write_text(HEADER + "".join(f"A Ltd,29AAGCB1286Q1Z0,{n},{d},{p},1000,180,0,0\n" for n, d, p in rows))
    options = ImportOptions()
    if mapping is not None:
        (tmp_path / "m.toml").write_text(mapping)
        options = ImportOptions(mapping_file=tmp_path / "m.toml")
    result = RegisterImporter().read(path, options)
    dates = dict(zip(result.documents["doc_no"], zip(result.documents["doc_date"], result.documents["voucher_date"],
                                                     strict=True), strict=True))
    return dates, result.issues


def test_a_us_register_is_read_month_first_with_a_warning(tmp_path):
    dates, issues = _register(tmp_path, [("A1", "4/25/2025", "4/5/2025"), ("A2", "4/5/2025", "4/26/2025"),
                                         ("A3", "3/31/2025", "4/1/2025 12:00:00 AM")])
    # the posting date follows the file's order, also where its own dates could be either
    assert dates == {"A1": (D(2025, 4, 25), D(2025, 4, 5)), "A2": (D(2025, 4, 5), D(2025, 4, 26)),
                     "A3": (D(2025, 3, 31), D(2025, 4, 1))}
    [warning] = [i for i in issues if i.code == "date_order"]
    assert warning.severity is Severity.WARNING and warning.row is None
    assert warning.column == "Invoice Date, Posting Date" and warning.value == "3/31/2025"
    assert "month-first" in warning.reason and "3 distinct dates" in warning.reason
    assert not [i for i in issues if i.severity is Severity.ERROR]


def test_an_indian_register_stays_day_first_without_a_warning(tmp_path):
    dates, issues = _register(tmp_path, [("A1", "25/4/2025", "5/4/2025"), ("A2", "4/5/2025", "6/5/2025")])
    assert dates == {"A1": (D(2025, 4, 25), D(2025, 4, 5)), "A2": (D(2025, 5, 4), D(2025, 5, 6))}
    assert issues == []


def test_mixed_orders_stay_day_first_and_the_month_first_date_is_an_error(tmp_path):
    dates, issues = _register(tmp_path, [("A1", "25/4/2025", "25/4/2025"), ("A2", "4/26/2025", "26/4/2025")])
    assert dates == {"A1": (D(2025, 4, 25), D(2025, 4, 25))}
    [error] = [i for i in issues if i.severity is Severity.ERROR]
    assert (error.row, error.column, error.value) == (2, "Invoice Date", "4/26/2025")
    assert not [i for i in issues if i.code == "date_order"]


@pytest.mark.parametrize(
    ("order", "expected"),
    [("month_first", {"A1": (D(2025, 4, 5), D(2025, 4, 6))}), ("day_first", {"A1": (D(2025, 5, 4), D(2025, 6, 4))})],
)
def test_the_mapping_file_settles_dates_nothing_tells_apart(tmp_path, order, expected):
    dates, issues = _register(tmp_path, [("A1", "4/5/2025", "4/6/2025")], f'[options]\ndate_order = "{order}"\n')
    assert dates == expected and issues == []


def test_the_mapping_file_overrides_what_the_dates_say(tmp_path):
    dates, issues = _register(tmp_path, [("A1", "4/25/2025", "4/5/2025"), ("A2", "4/5/2025", "4/5/2025")],
                              '[options]\ndate_order = "day_first"\n')
    assert dates == {"A2": (D(2025, 5, 4), D(2025, 5, 4))}
    assert [(i.row, i.column) for i in issues if i.severity is Severity.ERROR] == [(1, "Invoice Date")]
    assert not [i for i in issues if i.code == "date_order"]


@pytest.mark.parametrize(
    ("options", "message"),
    [('date_order = "mdy"', "date_order must be 'day_first' or 'month_first'"),
     ("date_order = 1", "date_order must be"),
     ("header_rows = 3", r"\[options\] \['header_rows'\] unknown")],
)
def test_bad_options_are_refused(tmp_path, options, message):
    path = tmp_path / "m.toml"
    path.write_text(f"[options]\n{options}\n")
    with pytest.raises(InputFileError, match=message):
        ColumnMapping.load(path)


def test_the_warning_names_the_column_as_written(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("Supplier GSTIN,Supplier's Invoice No.,Supplier's Invoice Date,Taxable Value,IGST\n"
                    "29AAGCB1286Q1Z0,A1,4/25/2025,1000,180\n")
    [warning] = [i for i in RegisterImporter().read(path, ImportOptions()).issues if i.code == "date_order"]
    assert warning.column == "Supplier's Invoice Date"
