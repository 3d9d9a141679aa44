"""End to end: `imsrecon reconcile` given an IMS download and the GSTR-2B of the same month, with
the [filing] settings saved with the run."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from imsrecon.cli.app import app

RECIPIENT = "27AAPFU0939F1ZV"
ALPHA, BETA, LAW = "27AABCU9603R1ZN", "29AAGCB1286Q1Z0", "27AAACR5055K1Z7"
runner = CliRunner()


def _ims(path: Path) -> Path:
    def rec(no: str, date: str, tv: float, stin: str = ALPHA, **kw: object) -> dict:
        intra = stin[:2] == "27"
        tax = {"iamt": 0, "camt": tv * 0.09, "samt": tv * 0.09} if intra else {"iamt": tv * 0.18, "camt": 0, "samt": 0}
        return {"stin": stin, "inv_typ": "R", "inum": no, "idt": date, "val": round(tv * 1.18, 2), "pos": "27",
                "txval": tv, **tax, "cess": 0, "action": "N", "ispendactblocked": "N", "srcform": "R1",
                "rtnprd": "102025", "srcfilstatus": "Filed", "hash": no} | kw  # fmt: skip

    path.write_text(json.dumps({"status_cd": "1", "data": {
        "b2b": [rec("INV/25-26/0012", "05-10-2025", 100000), rec("KA/1088", "07-10-2025", 50000, BETA),
                rec("INV/25-26/0020", "20-10-2025", 2000, action="A")],
        "b2bcn": [{**rec("CN/25-26/3", "25-10-2025", 1000), "nt_num": "CN/25-26/3", "nt_dt": "25-10-2025"}],
    }}))  # fmt: skip
    return path


def _gstr2b(path: Path) -> Path:
    def inv(no: str, date: str, tv: float, intra: bool = True, **kw: object) -> dict:
        tax = {"igst": 0, "cgst": tv * 0.09, "sgst": tv * 0.09} if intra else {"igst": tv * 0.18, "cgst": 0, "sgst": 0}
        return {"inum": no, "typ": "R", "dt": date, "val": round(tv * 1.18, 2), "pos": "27", "rev": "N", "itcavl": "Y",
                "rsn": "", "diffprcnt": 1, "txval": tv, **tax, "cess": 0} | kw  # fmt: skip

    path.write_text(json.dumps({"data": {"gstin": RECIPIENT, "rtnprd": "102025", "docdata": {
        "b2b": [
            {"ctin": ALPHA, "trdnm": "Umbrella Traders", "supprd": "102025",
             "inv": [inv("INV/25-26/0012", "05-10-2025", 100000), inv("INV/25-26/0020", "20-10-2025", 2000)]},
            {"ctin": BETA, "trdnm": "Bangalore Components", "supprd": "102025",
             "inv": [inv("KA/1088", "07-10-2025", 50000, intra=False)]},
            {"ctin": LAW, "trdnm": "Counsel & Co", "supprd": "102025",
             "inv": [inv("LEGAL/77", "10-10-2025", 30000, rev="Y")]},  # reverse charge: never in IMS
        ],
        "cdnr": [{"ctin": ALPHA, "trdnm": "Umbrella Traders", "supprd": "102025",
                  "nt": [{"ntnum": "CN/25-26/3", "typ": "C", "dt": "25-10-2025", "val": 1180, "pos": "27", "rev": "N",
                          "itcavl": "Y", "txval": 1000, "igst": 0, "cgst": 90, "sgst": 90, "cess": 0}]}],
    }}}))  # fmt: skip
    return path


def _register(path: Path) -> Path:
    path.write_text(
        "Supplier GSTIN,Party Name,Invoice Number,Invoice Date,Taxable Value,IGST,CGST,SGST,Reverse Charge\n"
        f"{ALPHA},Umbrella Traders,INV-12/25-26,05-10-2025,100000,0,9000,9000,N\n"
        f"{BETA},Bangalore Components,KA-1088,09-10-2025,50000,9000,0,0,N\n"  # the date slipped by two days
        f"{ALPHA},Umbrella Traders,INV/25-26/0020,20-10-2025,2100,0,180,180,N\n"  # taxable value only
        f"{ALPHA},Umbrella Traders,CN/25-26/3,25-10-2025,-1000,0,-90,-90,N\n"
        f"{LAW},Counsel & Co,LEGAL/77,10-10-2025,30000,0,2700,2700,Y\n"
    )
    return path


def test_ims_and_gstr2b_of_one_month_in_one_run(tmp_path):
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[match]\ndate_window_days = 5\n\n[filing]\ndefault = "monthly"\n"{RECIPIENT}" = "quarterly"\n')
    out, db = tmp_path / "r.csv", tmp_path / "ws.db"
    result = runner.invoke(app, ["reconcile", "--ims", str(_ims(tmp_path / "ims.json")), "--ims",
                                 str(_gstr2b(tmp_path / "2b.json")), "--pr", str(_register(tmp_path / "pr.csv")),
                                 "--gstin", RECIPIENT, "--config", str(settings), "--out", str(out), "--db", str(db),
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["statement_records_merged"] == 4 and summary["ims_documents"] == 5
    frame = pl.read_csv(out, infer_schema=False)
    rows = {r["ims_doc_no"]: r for r in frame.iter_rows(named=True)}
    assert frame.height == 5 and sorted(rows) == ["CN/25-26/3", "INV/25-26/0012", "INV/25-26/0020", "KA/1088",
                                                  "LEGAL/77"]  # one row per document, none missing_in_pr
    assert {r["ims_doc_no"]: (r["ims_side"], r["ims_file"], r["ims_supplier_name"]) for r in rows.values()} == {
        "INV/25-26/0012": ("ims", "ims.json", "Umbrella Traders"),
        "KA/1088": ("ims", "ims.json", "Bangalore Components"),
        "INV/25-26/0020": ("ims", "ims.json", "Umbrella Traders"),
        "CN/25-26/3": ("ims", "ims.json", "Umbrella Traders"),
        "LEGAL/77": ("gstr2b", "2b.json", "Counsel & Co"),
    }
    decided = {no: (r["match_status"], r["recommended_action"], r["recommendation_rule"]) for no, r in rows.items()}
    assert decided == {
        "INV/25-26/0012": ("probable", "Accept", "books_agree_probably"),
        "KA/1088": ("mismatch", "Accept", "doc_date_only_accept"),
        "INV/25-26/0020": ("mismatch", "", "already_actioned"),  # accepted; the taxable value changes no ITC
        "CN/25-26/3": ("exact", "Accept", "credit_note_books_agree"),
        "LEGAL/77": ("exact", "", "outside_ims"),  # paired with its reverse-charge booking
    }
    assert "correct your books" in rows["INV/25-26/0020"]["reason"]
    with_stored = json.loads(runner.invoke(app, ["report", "--out", str(tmp_path / "again.csv"), "--db", str(db),
                                                 "--json"]).output)  # fmt: skip
    assert with_stored["counts"]["missing_in_pr"] == 0
    from imsrecon.store.workspace import Workspace

    with Workspace.open(str(db)) as ws:
        saved = json.loads(ws.runs()["config_json"][0])
    assert saved["filing"] == {"default": "monthly", RECIPIENT: "quarterly"}


def test_bad_filing_settings_stop_the_run(tmp_path):
    settings = tmp_path / "bad.toml"
    settings.write_text('[filing]\n"27AAPFU0939F1Z" = "quarterly"\n')
    result = runner.invoke(app, ["reconcile", "--ims", str(_ims(tmp_path / "ims.json")), "--pr",
                                 str(_register(tmp_path / "pr.csv")), "--config", str(settings), "--db", ":memory:"])
    assert result.exit_code == 1
    assert "bad.toml: [filing] '27AAPFU0939F1Z' is neither 'default' nor a GSTIN" in result.output
