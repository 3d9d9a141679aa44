"""The books' period (reconcile --period), a month with books alone (--no-ims) and an empty IMS
month: register rows of other tax periods are reported apart, never as missing in IMS, and still
pair with documents reported late."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from builders import doc, frame
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from imsrecon.books_period import BooksPeriod, set_apart_other_periods, span_warning
from imsrecon.cli.app import app
from imsrecon.reconcile import reconcile
from imsrecon.result import MatchStatus

runner = CliRunner()
R = "27AAPFU0939F1ZV"
S1, S2 = "27AAACR5055K1Z7", "29AAGCB1286Q1Z0"


def cli(*args: object):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})


@pytest.mark.parametrize(("text", "expected"), [
    ("042025", ("042025", "042025")),
    ("072017", ("072017", "072017")),
    ("042025:032026", ("042025", "032026")),
    (" 042025 : 062025 ", ("042025", "062025")),
    ("122025:012026", ("122025", "012026")),
])
def test_period_parse(text, expected):
    period = BooksPeriod.parse(text)
    assert (period.first, period.last) == expected
    assert BooksPeriod.parse(str(period)) == period


@pytest.mark.parametrize(("text", "why"), [
    ("132025", "not a tax period"), ("0425", "not a tax period"), ("2025-04", "not a tax period"),
    ("062017", "before GST"), ("042016", "before GST"), ("041999", "not a tax period"), ("042025:052025:062025", "not a tax period"),
    ("042025:032025", "first period comes after the last"), ("", "not a tax period"),
])
def test_period_parse_refuses(text, why):
    with pytest.raises(ValueError, match=why):
        BooksPeriod.parse(text)


def _books_and_ims():
    """April's IMS (one March invoice reported late) against a register of March to May."""
    ims = [
        doc("ims", "APR-1", "2025-04-02", S1, tax_period="042025", row=1),
        doc("ims", "APR-2", "2025-04-09", S2, tv=5000.0, igst=900.0, cgst=0.0, sgst=0.0, tax_period="042025", row=2),
        doc("ims", "MAR-9", "2025-03-29", S1, tv=2500.0, tax_period="042025", row=3),  # reported late
    ]
    pr = [
        doc("pr", "APR-1", "2025-04-02", S1, tax_period="042025", row=1),
        doc("pr", "APR-2", "2025-04-09", S2, tv=5000.0, igst=900.0, cgst=0.0, sgst=0.0, tax_period="042025", row=2),
        doc("pr", "MAR-9", "2025-03-29", S1, tv=2500.0, tax_period="032025", row=3),
        doc("pr", "MAR-1", "2025-03-03", S1, tv=700.0, tax_period="032025", row=4),
        doc("pr", "MAR-2", "2025-03-17", S2, tv=800.0, tax_period="032025", row=5),
        doc("pr", "APR-7", "2025-04-21", S2, tv=900.0, tax_period="042025", row=6),  # never reported
        doc("pr", "MAY-1", "2025-05-02", S1, tv=1100.0, tax_period="052025", row=7),
        doc("pr", "NOP-1", "2025-04-05", S1, tv=1200.0, tax_period=None, row=8),  # period not known
    ]
    return reconcile(frame(ims), frame(pr), recipient_gstin=R).result


def _statuses(result: pl.DataFrame) -> dict[str, str]:
    return {r["ims_doc_no"] or r["pr_doc_no"]: r["match_status"] for r in result.iter_rows(named=True)}


def test_rows_of_other_periods_are_set_apart_and_late_documents_still_pair():
    result = _books_and_ims()
    apart = set_apart_other_periods(result, BooksPeriod.parse("042025"))
    assert _statuses(apart) == {
        "APR-1": "exact", "APR-2": "exact", "MAR-9": "exact",  # the late one pairs with its March booking
        "MAR-1": "other_period", "MAR-2": "other_period", "MAY-1": "other_period",
        "APR-7": "missing_in_ims", "NOP-1": "missing_in_ims",
    }
    moved = apart.filter(pl.col("match_status") == "other_period")
    assert moved["reason"].str.contains("outside the books' period 042025").all()
    assert moved["reason"].str.contains("booked in tax period 032025").sum() == 2
    unchanged = [c for c in result.columns if c not in ("match_status", "reason")]
    assert apart.select(unchanged).equals(result.select(unchanged))
    assert set_apart_other_periods(result, None) is result
    quarter = set_apart_other_periods(result, BooksPeriod.parse("032025:052025"))
    assert _statuses(quarter) == _statuses(result)  # every period in: nothing set apart


def test_span_warning():
    result = _books_and_ims()
    warning = span_warning(result)
    assert warning is not None
    assert "spans 3 tax periods (032025…052025), the IMS documents 1 (042025)" in warning
    assert "3 register rows of other periods are counted missing in IMS" in warning and "--period" in warning
    april = result.filter(pl.col("pr_tax_period").is_null() | (pl.col("pr_tax_period") != "052025"))
    assert span_warning(april) is None  # two periods against one: not "far more"


# ------------------------------------------------------------------------------- end to end


def _write(tmp_path: Path) -> tuple[Path, Path]:
    def rec(no, date, tv, stin=S1, rtnprd="042025"):
        return {"stin": stin, "inum": no, "idt": date, "val": round(tv * 1.18, 2), "pos": "27", "txval": tv,
                "iamt": 0, "camt": round(tv * 0.09, 2), "samt": round(tv * 0.09, 2), "cess": 0, "action": "N",
                "ispendactblocked": "N", "srcform": "R1", "rtnprd": rtnprd, "srcfilstatus": "Filed", "inv_typ": "R",
                "hash": no}
    ims = tmp_path / "IMS-Apr-2025.json"
    ims.write_text(json.dumps({"status_cd": "1", "data": {"b2b": [
        rec("APR/1", "02-04-2025", 1000), rec("APR/2", "09-04-2025", 5000, stin=S2), rec("MAR/9", "29-03-2025", 2500)]}}))
    books = tmp_path / "Purchase Register FY 2024-25.csv"  # a Tally export: title rows, voucher dates
    rows = [
        ("02-Apr-2025", "Alpha Ltd", "APR/1", "02-04-2025", S1, 1000), ("09-Apr-2025", "Beta Co", "APR/2", "09-04-2025", S2, 5000),
        ("31-Mar-2025", "Alpha Ltd", "MAR/9", "29-03-2025", S1, 2500), ("03-Mar-2025", "Alpha Ltd", "MAR/1", "", S1, 700),
        ("17-Mar-2025", "Beta Co", "MAR/2", "17-03-2025", S2, 800), ("21-Apr-2025", "Beta Co", "APR/7", "21-04-2025", S2, 900),
        ("02-May-2025", "Alpha Ltd", "MAY/1", "02-05-2025", S1, 1100),
    ]
    lines = ["Acme Traders Pvt Ltd", "Purchase Register", "1-Mar-2025 to 31-May-2025", "",
             "Date,Particulars,Voucher Type,Supplier Invoice No.,Supplier Invoice Date,GSTIN/UIN,Taxable Value,"
             "Central Tax Amount,State/UT Tax Amount"]
    lines += [f"{d},{p},Purchase,{n},{sd},{g},{tv:.2f},{tv * 0.09:.2f},{tv * 0.09:.2f}" for d, p, n, sd, g, tv in rows]
    books.write_text("\n".join(lines) + "\n")
    return ims, books


def test_reconcile_with_the_books_period(tmp_path):
    ims, books = _write(tmp_path)
    db, out = tmp_path / "ws.db", tmp_path / "recon.xlsx"
    result = cli("reconcile", "--ims", ims, "--pr", books, "--gstin", R, "--period", "042025", "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    assert "Other periods" in result.output and "Missing in IMS" in result.output
    assert "3 register rows booked outside --period 042025 are reported apart (Other periods)" in result.output
    summary = json.loads(cli("report", "--out", tmp_path / "r.json", "--db", db, "--json").output)
    assert summary["counts"]["other_period"] == 3 and summary["counts"]["missing_in_ims"] == 1
    assert summary["counts"]["exact"] == 3
    rows = json.loads((tmp_path / "r.json").read_text())
    assert {r["pr_doc_no"] for r in rows if r["match_status"] == "other_period"} == {"MAR/1", "MAR/2", "MAY/1"}
    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Other periods").to_python()
    assert sorted(r[sheet[0].index("pr_doc_no")] for r in sheet[1:]) == ["MAR/1", "MAR/2", "MAY/1"]
    key = next(r["matching_key"] for r in rows if r["pr_doc_no"] == "MAR/1")
    refused = cli("decide", key, "--action", "accept", "--db", db)
    assert refused.exit_code == 1 and "register-only row (other_period)" in refused.output
    figures = json.loads(cli("figures", "--db", db, "--json").output)
    at_risk = next(c for c in figures["by_category"] if c["category"] == "at_risk")
    assert at_risk["documents"] == 1  # APR/7 only: other periods' rows are not this period's ITC
    assert figures["followup_suppliers"] == 1
    from imsrecon.store.workspace import Workspace

    with Workspace.open(db) as ws:
        assert json.loads(ws.runs()["config_json"][0])["books_period"] == "042025"


def test_without_the_period_a_wide_register_is_warned_about(tmp_path):
    ims, books = _write(tmp_path)
    result = cli("reconcile", "--ims", ims, "--pr", books, "--gstin", R, "--db", ":memory:", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["counts"]["missing_in_ims"] == 4 and summary["counts"]["other_period"] == 0
    assert len(summary["warnings"]) == 1 and "the register spans 3 tax periods" in summary["warnings"][0]
    text = cli("reconcile", "--ims", ims, "--pr", books, "--gstin", R, "--db", ":memory:").output
    assert "warning: the register spans 3 tax periods" in text and "Other periods" not in text
    with_period = json.loads(cli("reconcile", "--ims", ims, "--pr", books, "--gstin", R, "--period", "042025",
                                 "--db", ":memory:", "--json").output)
    assert with_period["warnings"] == [] and with_period["books_period"] == "042025"


@pytest.mark.parametrize(("args", "why"), [
    (["--period", "13-2025"], "not a tax period MMYYYY"),
    (["--period", "052025:042025"], "first period comes after the last"),
    ([], "give --ims FILE"),
    (["--no-ims", "--ims", "IMS"], "--no-ims and --ims exclude each other"),
])
def test_usage_errors(tmp_path, args, why):
    ims, books = _write(tmp_path)
    args = [str(ims) if a == "IMS" else a for a in args]
    result = cli("reconcile", "--pr", books, *args, "--db", tmp_path / "ws.db")
    assert result.exit_code == 2 and why in result.output and "Traceback" not in result.output
    assert not (tmp_path / "ws.db").exists()


def test_a_month_with_books_alone(tmp_path):
    _, books = _write(tmp_path)
    db = tmp_path / "ws.db"
    result = cli("reconcile", "--pr", books, "--no-ims", "--gstin", R, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["counts"]["missing_in_ims"] == 7 and sum(summary["counts"].values()) == 7
    assert summary["ims_documents"] == 0 and summary["run_id"] == 1
    assert "no IMS download given (--no-ims): every register row is missing in IMS" in summary["notes"]
    apart = json.loads(cli("reconcile", "--pr", books, "--no-ims", "--gstin", R, "--period", "042025",
                           "--db", db, "--json").output)
    assert (apart["counts"]["missing_in_ims"], apart["counts"]["other_period"]) == (3, 4)  # APR/1, APR/2, APR/7


def test_an_empty_ims_month(tmp_path):
    _, books = _write(tmp_path)
    empty = tmp_path / "IMS-Jun-2025.json"
    empty.write_text(json.dumps({"status_cd": "1", "data": {"b2b": [], "b2bcn": []}}))
    result = cli("reconcile", "--ims", empty, "--pr", books, "--gstin", R, "--db", tmp_path / "ws.db", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["counts"][MatchStatus.MISSING_IN_IMS] == 7
    assert any("hold no documents (an empty month)" in n for n in summary["notes"])
