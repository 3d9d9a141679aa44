"""`imsrecon figures` on a reconciled demo: ITC table, follow-up list and mail drafts."""

from __future__ import annotations

import json

import polars as pl
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from imsrecon.cli.app import app

runner = CliRunner()


def test_figures_follow_ups_and_mails(tmp_path):
    demo = tmp_path / "demo"
    runner.invoke(app, ["demo", "--dir", str(demo), "--size", "120", "--json"])
    db = str(demo / "imsrecon.db")
    out, mails = tmp_path / "figures.xlsx", tmp_path / "mails"
    result = runner.invoke(app, ["figures", "--out", str(out), "--mails", str(mails), "--company", "Acme",
                                 "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    categories = {r["category"] for r in summary["by_category"]}
    assert {"available", "at_risk", "rejected", "pending"} <= categories
    assert CalamineWorkbook.from_path(str(out)).sheet_names == ["ITC by category", "ITC by supplier", "Follow up"]
    report = pl.read_csv(demo / "reconciliation.csv", infer_schema=False)
    missing = report.filter(pl.col("match_status") == "missing_in_ims")
    drafts = sorted(mails.glob("*.txt"))
    assert len(drafts) == summary["followup_suppliers"] == missing["pr_supplier_gstin"].drop_nulls().n_unique()
    text = drafts[0].read_text()
    assert "Acme" in text and "₹" in text
    table = runner.invoke(app, ["figures", "--db", db]).output
    assert "ITC, run 1" in table and "documents missing in IMS" in table
