"""Portal flags and filing status in every spelling: the importer, the recommender and the upload
checks read them the same way (one normaliser, imsrecon.normalise.flags)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from imsrecon.cli.app import app
from imsrecon.normalise.flags import filed_expr, flag_expr, flag_value, is_yes

runner = CliRunner()
R = "27AAPFU0939F1ZV"
S = "29AAGCB1286Q1Z0"

FLAG_CASES = [
    ("Y", "Y"), ("y", "Y"), ("Yes", "Y"), ("TRUE", "Y"), ("true", "Y"), (True, "Y"), ("1", "Y"), (1, "Y"),
    ("N", "N"), ("no", "N"), ("False", "N"), (False, "N"), ("0", "N"), (0, "N"),
    (None, None), ("", None), ("maybe", None), (2, None),
]


@pytest.mark.parametrize(("value", "expected"), FLAG_CASES)
def test_flag_value_and_flag_expr_agree(value, expected):
    assert flag_value(value) == expected
    assert is_yes(value) is (expected == "Y")
    text = None if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
    assert pl.select(flag_expr(pl.lit(text, pl.String))).item() == expected


@pytest.mark.parametrize(("status", "filed"), [
    ("Filed", True), ("FILED", True), ("F", True), ("f", True), (" filed ", True),
    ("Not Filed", False), ("NOT FILED", False), ("S", False), ("SAVED", False), ("Saved", False),
    ("", None), (None, None),
])
def test_filing_status_in_any_spelling(status, filed):
    assert pl.select(filed_expr(pl.lit(status, pl.String))).item() is filed


def _ims(path, **flags):
    """An IMS download of one b2b invoice that the books do not hold."""
    rec = {"stin": S, "inum": "INV-77", "idt": "05-11-2025", "val": 1180, "pos": "29", "txval": 1000,
           "iamt": 180, "camt": 0, "samt": 0, "cess": 0, "inv_typ": "R", "action": "N",
           "srcform": "R1", "rtnprd": "112025", **flags}
    path.write_text(json.dumps({"status_cd": "1", "data": {"b2b": [rec]}}))
    return path


def _books(path):
    path.write_text("Supplier GSTIN,Invoice No,Invoice Date,Taxable Value,IGST\n"
                    f"{S},OTHER-1,01-11-2025,500,90\n")
    return path


def _reconcile(tmp_path, ims):
    db = tmp_path / "ws.db"
    out = runner.invoke(app, ["reconcile", "--ims", str(ims), "--pr", str(_books(tmp_path / "pr.csv")),
                              "--gstin", R, "--db", str(db), "--out", str(tmp_path / "r.csv"), "--json"])
    assert out.exit_code == 0, out.output
    row = pl.read_csv(tmp_path / "r.csv").filter(pl.col("ims_doc_no") == "INV-77").row(0, named=True)
    return db, row


@pytest.mark.parametrize("blocked", [True, "Y", "yes"])
def test_pending_blocked_as_json_boolean_is_neither_recommended_pending_nor_left_without_action(tmp_path, blocked):
    db, row = _reconcile(tmp_path, _ims(tmp_path / "ims.json", ispendactblocked=blocked, srcfilstatus="F"))
    assert row["ims_ispendactblocked"] == "Y"
    assert (row["recommended_action"], row["recommendation_rule"]) == ("Reject", "not_booked_reject")
    assert "not filed" not in row["reason"]  # F is filed
    up = runner.invoke(app, ["export-upload", "--out", str(tmp_path / "up"), "--with-recommendations",
                             "--db", str(db), "--json"])
    assert up.exit_code == 0, up.output
    summary = json.loads(up.output)
    assert (summary["refused"], summary["save_records"]) == (0, 1)
    sent = json.loads((tmp_path / "up" / "SAVE-1.json").read_text())["data"]["invdata"]["b2b"][0]
    assert sent["action"] == "R" and sent["ispendactblocked"] == blocked  # echoed exactly as downloaded


@pytest.mark.parametrize("allowed", [False, "N", "no"])
def test_pending_allowed_in_any_spelling_is_recommended_and_uploaded(tmp_path, allowed):
    db, row = _reconcile(tmp_path, _ims(tmp_path / "ims.json", ispendactblocked=allowed, srcfilstatus="S"))
    assert (row["recommended_action"], row["recommendation_rule"]) == ("Pending", "not_booked_pending")
    assert row["reason"].endswith("the supplier has not filed this return yet")  # S is saved, not filed
    up = runner.invoke(app, ["export-upload", "--out", str(tmp_path / "up"), "--with-recommendations",
                             "--db", str(db), "--json"])
    assert json.loads(up.output)["refused"] == 0
