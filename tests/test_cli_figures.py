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


def test_mail_drafts_from_a_register_with_line_breaks_in_names(tmp_path):
    """A supplier name with a line break inside a quoted CSV cell, and a --company with one."""
    ims = tmp_path / "ims.json"
    ims.write_text(json.dumps({"status_cd": "1", "data": {"b2b": []}}))
    books = tmp_path / "books.csv"
    books.write_text('Supplier GSTIN,Supplier Name,Invoice Number,Invoice Date,Taxable Value,IGST\n'
                     '29AAGCB1286Q1Z0,"Beta Supplies\r\nBcc: attacker@example.com",B-7,05-04-2025,1000,180\n')
    db, mails = tmp_path / "ws.db", tmp_path / "mails"
    done = runner.invoke(app, ["reconcile", "--ims", str(ims), "--pr", str(books), "--gstin", "27AAPFU0939F1ZV",
                               "--db", str(db)])
    assert done.exit_code == 0, done.output
    result = runner.invoke(app, ["figures", "--mails", str(mails), "--company", "Acme\r\nCc: boss@example.com",
                                 "--db", str(db)])
    assert result.exit_code == 0, result.output
    (draft,) = mails.glob("*.txt")
    raw = draft.read_bytes().decode("utf-8")
    headers = raw.split("\n\n", 1)[0].split("\n")
    assert headers[0] == "To: Beta Supplies Bcc: attacker@example.com (GSTIN 29AAGCB1286Q1Z0)"
    assert [h.split(":", 1)[0] for h in headers] == ["To", "Subject"] and "\r" not in raw
    assert "\nAcme Cc: boss@example.com\n" in raw
