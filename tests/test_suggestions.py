"""Learning from decisions: suggestions for documents like ones decided before, applied only
when the user confirms."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from imsrecon.cli.app import app

runner = CliRunner()
R = "27AAPFU0939F1ZV"
S = "29AAGCB1286Q1Z0"


def _files(tmp: Path) -> tuple[Path, Path]:
    # supplier S always bills 2 % more than the books hold: four mismatches naming taxable_value and igst
    recs = [{"stin": S, "inum": f"S-{n}", "idt": f"0{n}-04-2025", "val": 1224.0, "pos": "27", "txval": 1020.0,
             "iamt": 204.0, "camt": 0, "samt": 0, "cess": 0, "action": "N", "ispendactblocked": "N",
             "srcform": "R1", "rtnprd": "042025", "srcfilstatus": "Filed", "inv_typ": "R"} for n in range(1, 5)]
    (tmp / "ims.json").write_text(json.dumps({"data": {"b2b": recs}}))
    rows = "".join(f"{S},S-{n},0{n}-04-2025,1000,200\n" for n in range(1, 5))
    (tmp / "pr.csv").write_text("Supplier GSTIN,Invoice Number,Invoice Date,Taxable Value,IGST\n" + rows)
    return tmp / "ims.json", tmp / "pr.csv"


def test_suggestions_from_earlier_decisions_need_confirmation(tmp_path):
    ims, pr = _files(tmp_path)
    db = str(tmp_path / "ws.db")
    assert runner.invoke(app, ["reconcile", "--ims", str(ims), "--pr", str(pr), "--gstin", R, "--db", db]).exit_code == 0
    keys = [f"IMS/B2B/{S}/S{n}/2025-26" for n in (1, 2)]
    # the user accepts two such mismatches (the recommendation was Pending)
    assert runner.invoke(app, ["decide", *keys, "--action", "accept", "--db", db]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["decide", "--suggested", "--db", db, "--json"]).output)
    assert sorted(s["matching_key"] for s in listed["suggestions"]) == [f"IMS/B2B/{S}/S{n}/2025-26" for n in (3, 4)]
    assert {s["suggestion_reason"] for s in listed["suggestions"]} == {"suggested from your earlier decisions (2 times)"}
    from imsrecon.store.workspace import Workspace

    with Workspace.open(db) as ws:  # listing applied nothing
        assert ws.latest_decisions().height == 2
    applied = json.loads(runner.invoke(app, ["decide", "--suggested", "--yes", "--db", db, "--json"]).output)
    assert applied["applied"] == 2
    with Workspace.open(db) as ws:
        decided = ws.latest_decisions()
        assert decided.height == 4 and set(decided["action"]) == {"Accept"}
        assert set(decided.filter(decided["source"] == "suggested")["matching_key"]) == {
            f"IMS/B2B/{S}/S{n}/2025-26" for n in (3, 4)}
