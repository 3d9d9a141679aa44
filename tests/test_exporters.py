"""Exporters: CSV / JSON / XLSX of the result and of import issues, formula-injection safety."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tempfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from golden import assert_golden
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from imsrecon.exporters import excel, tables
from imsrecon.exporters.sanitize import neutralise, neutralise_expr, unneutralise, unneutralise_expr
from imsrecon.exporters.tables import write_issues, write_result
from imsrecon.issues import ISSUE_SCHEMA, RowIssue, Severity
from imsrecon.result import (
    CONTRACT_COLUMNS,
    RESULT_COLUMNS,
    RESULT_SCHEMA,
    STATUS_ORDER,
    conform_result,
    summary_counts,
)  # fmt: skip

D = dt.date
TEXT_COLUMNS = [c for c, t in RESULT_SCHEMA.items() if t == pl.String]
HYPERLINK = '=HYPERLINK("http://x")'


def _row(status: str, **kw: object) -> dict[str, object]:
    return {"match_status": status, "recipient_gstin": "27AAAAA0000A1Z5", **kw}


def _ims(gstin: str, no: str, date: D, tv: float, igst: float = 0.0, **kw: object) -> dict:
    return {"ims_section": "b2b", "doc_class": "invoice", "ims_supplier_gstin": gstin,
            "ims_doc_no": no, "ims_doc_date": date, "ims_taxable_value": tv, "ims_igst": igst,
            "ims_cgst": 0.0, "ims_sgst": 0.0, "ims_cess": 0.0, "ims_file": "ims.json", **kw}  # fmt: skip


def _pr(gstin: str, name: str | None, no: str, date: D, tv: float, igst: float, **kw: object) -> dict:
    return {"pr_file": "pr.xlsx", "pr_sheet": "Purchases", "pr_supplier_gstin": gstin,
            "pr_supplier_name": name, "pr_doc_no": no, "pr_doc_date": date, "pr_taxable_value": tv,
            "pr_igst": igst, "pr_cgst": None, "pr_sgst": None, "pr_cess": 0.0, **kw}  # fmt: skip


def sample_result() -> pl.DataFrame:
    g1, g2, g3 = "29ABCDE1234F1Z5", "07PQRSX9876K1Z2", "33LMNOP4321Q1Z9"
    rows = [
        _row("exact", **_ims(g1, "INV/001", D(2024, 4, 5), 1000.0, 180.0, ims_row=1),
             **_pr(g1, "शर्मा ट्रेडर्स ₹", "INV/001", D(2024, 4, 5), 1000.0, 180.0, pr_row=1,
                   pr_line=2), score=1.0, recommended_action="Accept", reason="all fields agree",
             matching_key=f"{g1}|INV001|2024-04-05", reverse_charge=False),
        _row("probable", **_ims(g2, "A-17", D(2024, 4, 9), 0.125, 1234567.891, ims_row=2),
             **_pr(g2, HYPERLINK, "A17", D(2024, 4, 9), 0.125, 1234567.891, pr_row=2, pr_line=3),
             differences="doc_no", score=0.856749, recommended_action="Pending",
             reason='doc no differs: "A-17" vs "A17", check', reverse_charge=True),
        _row("mismatch", **_ims(g3, "CN/9", D(2024, 5, 1), -1500.5, -270.09, ims_row=3,
                                doc_class="credit_note"),
             **_pr(g3, "+91 98765 43210", "CN/9", D(2024, 5, 2), -1500.5, -0.001, pr_row=3,
                   pr_line=4), differences="doc_date;igst", score=0.5,
             recommended_action="Reject", reason="IGST ₹270.09 vs ₹0.00"),
        _row("missing_in_pr", **_ims(g1, "\tTAB-1", D(2024, 6, 30), 5000.0, 900.0, ims_row=4),
             recommended_action="Pending", reason="no register row\nsecond line",
             nearest_candidate="pr.xlsx row 7", nearest_score=0.31, nearest_ruled_out_by="amount"),
        _row("missing_in_ims", **_pr(g2, "-5", "-INV/77", D(2024, 7, 1), 99.99, 0.0, pr_row=5,
                                     pr_line=6), recommended_action="", reason="'not on portal"),
        _row("duplicate", **_pr(g3, "@SUM(A1)", "INV/001", D(2024, 4, 5), 10.0, 1.8, pr_row=6,
                                pr_line=7), recommended_action="No action",
             reason="same as row 1, also \"quoted\"; and ;semicolon", pr_flags="\rcr"),
        _row("other_period", **_pr(g1, "=Alpha", "INV/300", D(2024, 3, 28), 400.0, 72.0, pr_row=7, pr_line=8,
                                   pr_tax_period="032024"), recommended_action="",
             reason="booked in tax period 032024, outside the books' period 042024"),
    ]  # fmt: skip
    return conform_result(pl.DataFrame(rows, infer_schema_length=None))


# ---------------------------------------------------------------- sanitize


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+2", "'=1+2"), ("+91", "'+91"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("'x", "''x"), ("", ""), ("a=b", "a=b"), (" =x", " =x"),
     ("₹ 5", "₹ 5"), (-5, -5), (-5.5, -5.5), (None, None)],
)  # fmt: skip
def test_neutralise_value(value: object, expected: object) -> None:
    assert neutralise(value) == expected
    assert unneutralise(neutralise(value)) == value


@given(
    st.lists(st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["=", "+1", "-1", "@", "\t", "\rx", "'", "a"])))
)
def test_neutralise_expr_agrees_with_scalar_and_reverses(values: list[str | None]) -> None:
    s = pl.Series("v", values, dtype=pl.String)
    out = s.to_frame().select(neutralise_expr("v")).to_series()
    assert out.name == "v"
    assert out.to_list() == [neutralise(v) for v in values]
    assert out.to_frame().select(unneutralise_expr("v")).to_series().to_list() == values
    assert not any(v and v[0] in "=+-@\t\r" for v in out.to_list())



_CELLS = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["=1", "+1", "-1", "@a", "'x", "a"]))


@given(st.lists(st.tuples(_CELLS, _CELLS, st.integers(-(10**9), 10**9)), max_size=12))
def test_neutralise_frame_rewrites_every_text_cell_and_nothing_else(rows: list[tuple]) -> None:
    """Columns are rewritten only where one of their cells needs it; the frame as a whole equals
    neutralising each cell."""
    from imsrecon.exporters.sanitize import neutralise_frame

    df = pl.DataFrame(rows, schema={"a": pl.String, "b": pl.String, "n": pl.Int64}, orient="row")
    out = neutralise_frame(df)
    assert out.columns == df.columns and out.schema == df.schema
    assert out.rows() == [(neutralise(a), neutralise(b), n) for a, b, n in rows]


# ---------------------------------------------------------------- CSV / JSON


def test_csv_golden_and_format(tmp_path: Path) -> None:
    path = write_result(sample_result(), tmp_path / "result.csv")
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM
    text = raw.decode("utf-8")
    assert_golden("exporters_result_csv", text.split("\n"))
    back = pl.read_csv(path, infer_schema=False)
    assert back.columns == RESULT_COLUMNS
    assert [c for c in back.columns if c in CONTRACT_COLUMNS] == CONTRACT_COLUMNS
    for c in tables.AMOUNT_COLUMNS:
        assert all(re.fullmatch(r"-?\d+\.\d\d", v) for v in back[c].drop_nulls()), c
    assert all(re.fullmatch(r"\d\.\d{4}", v) for v in back["score"].drop_nulls())
    assert back["ims_doc_date"].drop_nulls().to_list()[0] == "2024-04-05"
    names = back["pr_supplier_name"].to_list()
    assert names == ["शर्मा ट्रेडर्स ₹", "'" + HYPERLINK, "'+91 98765 43210", None, "'-5", "'@SUM(A1)", "'=Alpha"]
    assert back["ims_doc_no"][3] == "'\tTAB-1" and back["pr_doc_no"][4] == "'-INV/77"
    assert back["ims_igst"][2] == "-270.09"  # a negative number is a number, not neutralised
    assert back["pr_igst"][2] == "0.00"  # -0.001 rounds to 0.00, never "-0.00"
    assert back["recommended_action"][4] == ""  # empty string stays empty, not null
    assert back["pr_cgst"][0] is None


def test_json_golden_and_types(tmp_path: Path) -> None:
    path = write_result(sample_result(), tmp_path / "result.json")
    text = path.read_text(encoding="utf-8")
    assert "शर्मा ट्रेडर्स ₹" in text  # unescaped UTF-8
    records = json.loads(text)
    assert_golden("exporters_result_json", records)
    assert [list(r) for r in records] == [RESULT_COLUMNS] * 7
    first, probable = records[0], records[1]
    assert first["ims_doc_date"] == "2024-04-05" and first["pr_cgst"] is None
    assert isinstance(first["ims_igst"], float) and isinstance(first["pr_row"], int)
    assert probable["pr_supplier_name"] == HYPERLINK  # JSON is not neutralised
    assert probable["pr_igst"] == 1234567.89 and probable["ims_taxable_value"] == 0.13
    assert probable["score"] == 0.8567 and probable["reverse_charge"] is True


@pytest.mark.parametrize("slice_rows", [1, 4, 6, 100])
def test_json_equals_polars_records_across_slices(tmp_path: Path, monkeypatch, slice_rows: int) -> None:
    monkeypatch.setattr(tables, "_JSON_SLICE_ROWS", slice_rows)
    result = sample_result()
    text = write_result(result, tmp_path / "r.json").read_text(encoding="utf-8")
    assert json.loads(text) == json.loads(tables.prepare_result(result).write_json())
    assert text.count("\n") == result.height + 2  # "[", one record per line, "]"


def test_json_and_csv_of_empty_result(tmp_path: Path) -> None:
    empty = conform_result(pl.DataFrame({"match_status": []}, schema={"match_status": pl.String}))
    assert json.loads(write_result(empty, tmp_path / "e.json").read_text()) == []
    assert write_result(empty, tmp_path / "e.csv").read_text() == ",".join(f'"{c}"' for c in RESULT_COLUMNS) + "\n"


@pytest.mark.parametrize("name", ["out.txt", "out.xls", "out", "out.csv.gz"])
def test_unknown_suffix(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=r"\.csv, \.json, \.xlsx"):
        write_result(sample_result(), tmp_path / name)
    with pytest.raises(ValueError, match=r"\.csv, \.json, \.xlsx"):
        write_issues([], tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_uppercase_suffix_accepted(tmp_path: Path) -> None:
    assert write_result(sample_result(), tmp_path / "R.CSV").read_text().startswith('"match_status"')


_text = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["=1+2", "-5", "'x", "a,b", 'q"q', "l1\nl2", "x\r\ny", "₹ राम", "", " "]),
)
_money = st.one_of(st.none(), st.floats(-1e12, 1e12, allow_nan=False))
_row_strategy = st.fixed_dictionaries(
    {
        **{c: _text for c in TEXT_COLUMNS},
        **{c: st.one_of(st.none(), st.dates()) for c, t in RESULT_SCHEMA.items() if t == pl.Date},
        **{c: _money for c in tables.AMOUNT_COLUMNS},
        **{c: st.one_of(st.none(), st.floats(0, 1)) for c in tables.SCORE_COLUMNS},
        **{
            c: st.one_of(st.none(), st.integers(-(2**53), 2**53)) for c, t in RESULT_SCHEMA.items() if t == pl.Int64
        },  # fmt: skip
        "reverse_charge": st.one_of(st.none(), st.booleans()),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_row_strategy, min_size=1, max_size=4))
def test_csv_round_trip(rows: list[dict]) -> None:
    df = conform_result(pl.DataFrame(rows, schema=RESULT_SCHEMA))
    with tempfile.TemporaryDirectory() as d:
        back = pl.read_csv(write_result(df, Path(d) / "r.csv"), infer_schema=False)
    back = back.with_columns(unneutralise_expr(c) for c in TEXT_COLUMNS)
    assert back.columns == RESULT_COLUMNS and back.height == df.height
    for c, t in RESULT_SCHEMA.items():
        for orig, got in zip(df[c].to_list(), back[c].to_list(), strict=True):
            if orig is None:
                assert got is None, c
            elif t == pl.String:
                assert got == orig, c
            elif t == pl.Date:
                assert got == orig.isoformat(), c
            elif t == pl.Float64:
                places = tables.DECIMALS[c]
                assert re.fullmatch(rf"-?\d+\.\d{{{places}}}", got), (c, got)
                tolerance = 0.5 * 10**-places + 2 * math.ulp(abs(orig))
                assert abs(float(got) - orig) <= tolerance, (c, got, orig)
            elif t == pl.Boolean:
                assert got == str(orig).lower(), c
            else:
                assert got == str(orig), c


# ---------------------------------------------------------------- atomic writes


def _failing_write(self: pl.DataFrame, file: object, *args: object, **kw: object) -> None:
    if isinstance(file, (str, Path)):
        Path(file).write_text("half a fi")
    else:
        file.write(b"half a fi")  # type: ignore[attr-defined]
    raise OSError("disk full")


@pytest.mark.parametrize(("suffix", "method"), [("csv", "write_csv"), ("json", "write_csv")])
def test_failed_write_leaves_no_file(tmp_path: Path, monkeypatch, suffix: str, method: str) -> None:
    monkeypatch.setattr(pl.DataFrame, method, _failing_write)
    target = tmp_path / f"result.{suffix}"
    with pytest.raises(OSError, match="disk full"):
        write_result(sample_result(), target)
    assert list(tmp_path.iterdir()) == []
    target.write_text("previous export")
    with pytest.raises(OSError, match="disk full"):
        write_result(sample_result(), target)
    assert target.read_text() == "previous export"
    assert list(tmp_path.iterdir()) == [target]


def test_failed_xlsx_leaves_no_file(tmp_path: Path, monkeypatch) -> None:
    real = excel._write_table
    calls = []

    def fail_on_third(*args: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return real(*args)

    monkeypatch.setattr(excel, "_write_table", fail_on_third)
    target = tmp_path / "result.xlsx"
    target.write_bytes(b"previous")
    with pytest.raises(RuntimeError, match="boom"):
        write_result(sample_result(), target)
    assert target.read_bytes() == b"previous"
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize(("durable", "syncs"), [(True, 1), (False, 0)])
def test_durable_writes_reach_the_disk_before_they_replace(tmp_path: Path, monkeypatch, durable: bool, syncs: int) -> None:
    synced: list[int] = []
    monkeypatch.setattr(tables.os, "fsync", lambda fd: synced.append(fd))
    target = tmp_path / "out.json"
    target.write_text("old")
    with tables.atomic_path(target, durable=durable) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and len(synced) == syncs and list(tmp_path.iterdir()) == [target]


def test_reports_are_not_forced_to_disk(tmp_path: Path, monkeypatch) -> None:
    """A report is written again from the workspace at will (the portal's upload files keep the
    default, durable, tested above)."""
    calls: list[bool] = []
    real = tables.atomic_path

    def spy(path, durable=True):
        calls.append(durable)
        return real(path, durable)

    monkeypatch.setattr(tables, "atomic_path", spy)
    for name in ("r.csv", "r.json"):
        write_result(sample_result(), tmp_path / name)
    write_issues([], tmp_path / "issues.csv")
    assert calls == [False, False, False]


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_result(sample_result(), tmp_path / "nope" / "r.csv")


# ---------------------------------------------------------------- XLSX


def _openpyxl_values(path: Path) -> dict[str, list[list[object]]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


SUMMARY = {"Files reconciled": ["ims.json", "pr.xlsx"], "Run id": "=cmd|' /C calc'!A0",
           "Generated at": dt.datetime(2024, 8, 1, 10, 30, 5), "Rows": 6}  # fmt: skip


def test_xlsx_layout(tmp_path: Path) -> None:
    result = sample_result()
    path = write_result(result, tmp_path / "result.xlsx", SUMMARY)
    sheets = list(excel.SHEET_NAMES.values())
    assert sheets == ["Exact", "Probable", "Mismatch", "Missing in PR", "Missing in IMS",
                      "Duplicate", "Other periods"]  # fmt: skip
    csv_header = pl.read_csv(write_result(result, tmp_path / "r.csv"), n_rows=0).columns
    cal = CalamineWorkbook.from_path(str(path))
    assert cal.sheet_names == ["Summary", *sheets]
    counts = summary_counts(result)
    for status, name in excel.SHEET_NAMES.items():
        rows = cal.get_sheet_by_name(name).to_python()
        assert rows[0] == [*csv_header, *excel.ANNOTATION_COLUMNS]  # decision, remarks, suggestion: XLSX only
        assert len(rows) - 1 == counts[status]
    exact = cal.get_sheet_by_name("Exact").to_python()[1]
    assert exact[RESULT_COLUMNS.index("ims_doc_date")] == D(2024, 4, 5)
    assert exact[RESULT_COLUMNS.index("ims_igst")] == 180.0

    wb = openpyxl.load_workbook(path)
    action_col = openpyxl.utils.get_column_letter(RESULT_COLUMNS.index("recommended_action") + 1)
    decision_col = openpyxl.utils.get_column_letter(len(RESULT_COLUMNS) + 1)
    for name in sheets:
        ws = wb[name]
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref and ws["A1"].font.b
        assert ws.column_dimensions["A"].width >= len("match_status")
        dv, decision_dv, itc_dv = ws.data_validations.dataValidation
        assert itc_dv.type == "list" and itc_dv.formula1 == '"Full,Partial,None"'
        assert dv.type == "list" and dv.formula1 == '"Accept,Reject,Pending,No action"'
        assert re.fullmatch(rf"{action_col}2(:{action_col}\d+)?", str(dv.sqref))
        assert decision_dv.type == "list" and decision_dv.formula1 == dv.formula1
        assert re.fullmatch(rf"{decision_col}2(:{decision_col}\d+)?", str(decision_dv.sqref))
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (name, cell.coordinate, cell.value)
    ws = wb["Probable"]
    header = [c.value for c in ws[1]]
    cell = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert cell["pr_supplier_name"].value == "'" + HYPERLINK
    assert isinstance(cell["ims_doc_date"].value, dt.datetime)
    assert cell["ims_doc_date"].number_format == "dd-mm-yyyy"
    assert cell["pr_igst"].value == 1234567.89 and cell["pr_igst"].number_format == "#,##0.00"
    assert cell["score"].value == 0.8567 and cell["reverse_charge"].value is True
    assert cell["pr_row"].value == 2
    values = _openpyxl_values(path)
    assert values["Mismatch"][1][header.index("pr_supplier_name")] == "'+91 98765 43210"
    assert values["Missing in IMS"][1][header.index("pr_supplier_name")] == "'-5"
    assert values["Missing in IMS"][1][header.index("pr_doc_no")] == "'-INV/77"
    assert values["Missing in IMS"][1][header.index("recommended_action")] is None  # "" → blank
    assert values["Duplicate"][1][header.index("pr_supplier_name")] == "'@SUM(A1)"
    assert values["Missing in PR"][1][header.index("ims_doc_no")] == "'\tTAB-1"
    assert values["Missing in PR"][1][header.index("reason")] == "no register row\nsecond line"


def test_xlsx_summary_sheet(tmp_path: Path) -> None:
    rows = _openpyxl_values(write_result(sample_result(), tmp_path / "r.xlsx", SUMMARY))["Summary"]
    assert rows[0][0] == "IMS reconciliation summary"
    assert rows[2] == ["Status", "Sheet", "Documents", "IMS taxable value", "IMS total tax",
                       "PR taxable value", "PR total tax"]  # fmt: skip
    table = {r[0]: r[1:] for r in rows[3:11]}
    assert list(table) == [*excel.SHEET_NAMES.values(), "Total"]
    assert table["Exact"] == ["Exact", 1, 1000.0, 180.0, 1000.0, 180.0]
    assert table["Mismatch"] == ["Mismatch", 1, -1500.5, -270.09, -1500.5, 0.0]
    assert table["Missing in PR"][1:] == [1, 5000.0, 900.0, 0.0, 0.0]
    assert table["Other periods"][1:] == [1, 0.0, 0.0, 400.0, 72.0]
    assert table["Total"][1] == 7 and table["Total"][2] == pytest.approx(1000 + 0.13 - 1500.5 + 5000)
    details = {r[0]: r[1] for r in rows[11:] if r[0]}
    assert details["Files reconciled"] == "ims.json\npr.xlsx"
    assert details["Run id"] == "'=cmd|' /C calc'!A0"
    assert details["Generated at"] == "2024-08-01 10:30:05" and details["Rows"] == 6


def test_xlsx_empty_categories_keep_their_sheet(tmp_path: Path) -> None:
    only_exact = sample_result().filter(pl.col("match_status") == "exact")
    values = _openpyxl_values(write_result(only_exact, tmp_path / "r.xlsx"))
    for name in excel.SHEET_NAMES.values():
        assert values[name][0] == [*RESULT_COLUMNS, *excel.ANNOTATION_COLUMNS]
        assert len(values[name]) == (2 if name == "Exact" else 1)


def test_xlsx_rejects_unknown_status(tmp_path: Path) -> None:
    bad = sample_result().with_columns(pl.lit("weird").alias("match_status"))
    with pytest.raises(ValueError, match="weird"):
        write_result(bad, tmp_path / "r.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_xlsx_overflow_continues_on_numbered_sheets(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(excel, "MAX_DATA_ROWS", 2)
    base = sample_result()
    five_exact = pl.concat([base.filter(pl.col("match_status") == "exact")] * 5)
    values = _openpyxl_values(write_result(pl.concat([five_exact, base]), tmp_path / "r.xlsx"))
    assert list(values)[:5] == ["Summary", "Exact", "Exact (2)", "Exact (3)", "Probable"]
    assert [len(values[n]) - 1 for n in ("Exact", "Exact (2)", "Exact (3)")] == [2, 2, 2]
    summary = values["Summary"]
    assert summary[3][:3] == ["Exact", "Exact, Exact (2), Exact (3)", 6]
    notes = [r[0] for r in summary if r[0] and "continued on" in str(r[0])]
    assert notes == ["Exact has 6 rows, more than the 2 an Excel sheet holds: "
                     "continued on Exact (2), Exact (3)."]  # fmt: skip


def test_xlsx_fast_path_matches_xlsxwriter_cells(tmp_path: Path, monkeypatch) -> None:
    tricky = ["a_x0041_b", "ctl\x01\x1f", "<&>\"'", " lead", "trail ", "\n", "x" * 40000]
    result = pl.concat([
        sample_result(),
        conform_result(pl.DataFrame({
            "match_status": ["missing_in_ims"] * len(tricky), "pr_supplier_name": tricky,
            "pr_doc_date": [D(1850, 1, 1), D(1900, 1, 1), D(1900, 2, 28), D(1900, 3, 1),
                            D(9999, 12, 31), None, D(2024, 1, 1)],
            "pr_row": [0, -1, 2**40, None, 5, 6, 7], "pr_igst": [1e20, -1e-7, 0.1, 2.5, None, 0, 1],
        })),
    ])  # fmt: skip
    fast = _openpyxl_values(write_result(result, tmp_path / "fast.xlsx"))
    monkeypatch.setattr(excel, "FAST_XLSX", False)
    slow = _openpyxl_values(write_result(result, tmp_path / "slow.xlsx"))
    assert fast == slow  # same cells, same raw (Excel-escaped) text
    rows = (
        CalamineWorkbook.from_path(str(tmp_path / "fast.xlsx")).get_sheet_by_name("Missing in IMS").to_python()
    )  # calamine, like Excel, decodes the _xHHHH_ escapes
    name, date = RESULT_COLUMNS.index("pr_supplier_name"), RESULT_COLUMNS.index("pr_doc_date")
    assert [r[name] for r in rows[2:]] == [*tricky[:-1], "x" * 32767]
    assert rows[2][date] == "1850-01-01"  # Excel has no dates before 1900: ISO text
    assert [r[date] for r in rows[3:7]] == [D(1900, 1, 1), D(1900, 2, 28), D(1900, 3, 1),
                                            D(9999, 12, 31)]  # fmt: skip


# ---------------------------------------------------------------- issues


def _issues() -> list[RowIssue]:
    return [
        RowIssue(Severity.ERROR, "pr.xlsx", 3, "doc_date", "=1+2", "not a date", "Sheet1", 4,
                 "bad_date"),
        RowIssue(Severity.WARNING, "रजिस्टर.csv", 7, None, None, "total row, ₹ 1,000 skipped"),
    ]  # fmt: skip


def test_write_issues_csv_json_xlsx(tmp_path: Path) -> None:
    csv = pl.read_csv(write_issues(_issues(), tmp_path / "i.csv"), infer_schema=False)
    assert csv.columns == list(ISSUE_SCHEMA)
    assert csv.row(0) == ("error", "pr.xlsx", "3", "doc_date", "'=1+2", "not a date", "Sheet1",
                          "4", "bad_date")  # fmt: skip
    assert csv.row(1)[:6] == ("warning", "रजिस्टर.csv", "7", None, None,
                              "total row, ₹ 1,000 skipped")  # fmt: skip
    records = json.loads(write_issues(_issues(), tmp_path / "i.json").read_text(encoding="utf-8"))
    assert records[0] == {**_issues()[0].as_dict(), "severity": "error"}
    assert records[0]["value"] == "=1+2" and records[1]["line"] is None
    values = _openpyxl_values(write_issues(_issues(), tmp_path / "i.xlsx"))
    assert list(values) == ["Issues"]
    assert values["Issues"][0] == list(ISSUE_SCHEMA)
    assert values["Issues"][1] == ["error", "pr.xlsx", 3, "doc_date", "'=1+2", "not a date",
                                   "Sheet1", 4, "bad_date"]  # fmt: skip
    assert values["Issues"][2][1] == "रजिस्टर.csv"
    empty = _openpyxl_values(write_issues([], tmp_path / "none.xlsx"))
    assert empty["Issues"] == [list(ISSUE_SCHEMA)]


def test_all_statuses_covered_by_sample() -> None:
    assert set(sample_result()["match_status"]) == set(STATUS_ORDER)
