"""A second IMS download shows new, changed and removed documents (and decisions to review)."""

from __future__ import annotations

import json
from pathlib import Path

from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from imsrecon.cli.app import app

runner = CliRunner()
R = "27AAPFU0939F1ZV"


def rec(no, tv, action="N", h=None):
    return {"stin": R, "inum": no, "idt": "01-04-2025", "val": tv * 1.18, "pos": "27", "txval": tv, "iamt": 0,
            "camt": tv * 0.09, "samt": tv * 0.09, "cess": 0, "action": action, "ispendactblocked": "N",
            "srcform": "R1", "rtnprd": "042025", "srcfilstatus": "Filed", "inv_typ": "R", "hash": h or f"h-{no}-{tv}"}


def write(path: Path, b2b: list[dict], b2ba: list[dict] | None = None) -> Path:
    path.write_text(json.dumps({"data": {"b2b": b2b, **({"b2ba": b2ba} if b2ba else {})}}))
    return path


def test_second_download_shows_new_changed_and_removed(tmp_path):
    db = str(tmp_path / "ws.db")
    first = write(tmp_path / "ims-apr.json", [rec("K-1", 1000), rec("K-2", 2000), rec("K-3", 3000), rec("K-4", 4000)])
    second = write(tmp_path / "ims-may.json", [rec("K-1", 1000), rec("K-2", 2500), rec("K-5", 5000)],
                   [{**rec("K-4A", 4400), "oinum": "K-4", "oidt": "01-04-2025"}])
    runner.invoke(app, ["import", str(first), "--gstin", R, "--db", db])
    from imsrecon.store.workspace import Workspace

    with Workspace.open(db) as ws:  # a decision on K-2, which the supplier then edits
        ws.record_decision(f"IMS/B2B/{R}/K2/2025-26", "Accept", None, "tester", "test")
    text = runner.invoke(app, ["import", str(second), "--gstin", R, "--db", db]).output
    assert "ims-may.json against ims-apr.json: 1 new, 2 changed, 1 removed; 1 decisions to review" in text
    out = tmp_path / "changes.xlsx"
    summary = json.loads(runner.invoke(app, ["changes", "--db", db, "--json", "--out", str(out)]).output)
    assert (summary["new"], summary["changed"], summary["removed"], summary["amended"]) == (1, 2, 1, 1)
    assert [r["identity_key"] for r in summary["review"]] == [f"IMS/B2B/{R}/K2/2025-26"]
    sheets = CalamineWorkbook.from_path(str(out)).sheet_names
    assert sheets == ["New", "Changed", "Removed", "Review"]
    # a removed document stays viewable with its last status and the decision that applied
    [gone] = summary["removed_documents"]
    assert (gone["doc_no"], gone["last_portal_action"], gone["decision"]) == ("K-3", "N", None)
    again = runner.invoke(app, ["changes", "--db", str(tmp_path / "empty.db")])
    assert again.exit_code == 1 and "no earlier IMS download" in again.output
