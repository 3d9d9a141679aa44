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


def _mismatch_sheet(path: Path) -> list[dict]:
    import openpyxl

    sheet = openpyxl.load_workbook(path)["Mismatch"]
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, (c.value for c in cells), strict=True)) for cells in sheet.iter_rows(min_row=2)]


def _summary_values(path: Path) -> dict:
    import openpyxl

    sheet = openpyxl.load_workbook(path)["Summary"]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}


def test_the_excel_report_shows_suggestions_beside_the_decisions(tmp_path):
    ims, pr = _files(tmp_path)
    db = str(tmp_path / "ws.db")
    assert runner.invoke(app, ["reconcile", "--ims", str(ims), "--pr", str(pr), "--gstin", R, "--db", db]).exit_code == 0
    keys = [f"IMS/B2B/{S}/S{n}/2025-26" for n in (1, 2)]
    assert runner.invoke(app, ["decide", *keys, "--action", "reject", "--remarks", "rate not agreed", "--db", db]).exit_code == 0
    report = tmp_path / "recon.xlsx"
    assert runner.invoke(app, ["report", "--out", str(report), "--db", db]).exit_code == 0
    rows = {r["matching_key"]: r for r in _mismatch_sheet(report)}
    for n in (1, 2):  # decided: the decision, no suggestion
        row = rows[f"IMS/B2B/{S}/S{n}/2025-26"]
        assert (row["decision"], row["remarks"], row["suggested_decision"]) == ("Reject", "rate not agreed", None)
    for n in (3, 4):  # undecided: the suggestion and why, the decision left to the user
        row = rows[f"IMS/B2B/{S}/S{n}/2025-26"]
        assert (row["decision"], row["suggested_decision"]) == (None, "Reject")
        assert row["suggestion_reason"] == "suggested from your earlier decisions (2 times)"
    assert _summary_values(report)["suggested_decisions"].startswith("2 rows have a suggested_decision")
    # reading the workbook back applies the decisions only, never the suggestions
    out = json.loads(runner.invoke(app, ["decide", "--from", str(report), "--db", db, "--json"]).output)
    assert (out["applied"], out["unchanged"], out["skipped"]) == (0, 2, 2)
    from imsrecon.store.workspace import Workspace

    with Workspace.open(db) as ws:
        assert ws.latest_decisions().height == 2


def test_a_fresh_report_has_empty_suggestion_columns(tmp_path):
    ims, pr = _files(tmp_path)
    report = tmp_path / "recon.xlsx"
    args = ["reconcile", "--ims", str(ims), "--pr", str(pr), "--gstin", R, "--db", str(tmp_path / "ws.db")]
    assert runner.invoke(app, [*args, "--out", str(report)]).exit_code == 0
    rows = _mismatch_sheet(report)
    assert len(rows) == 4 and all(r["suggested_decision"] is None and r["decision"] is None for r in rows)
    assert "suggested_decisions" not in _summary_values(report)


def _settings(tmp: Path, text: str) -> Path:
    path = tmp / "settings.toml"
    path.write_text(text)
    return path


def test_suggestions_are_applied_without_asking_only_when_turned_on(tmp_path):
    from imsrecon.store.workspace import Workspace

    ims, pr = _files(tmp_path)
    db = str(tmp_path / "ws.db")
    base = ["reconcile", "--ims", str(ims), "--pr", str(pr), "--gstin", R, "--db", db]
    assert runner.invoke(app, base).exit_code == 0
    keys = [f"IMS/B2B/{S}/S{n}/2025-26" for n in (1, 2)]
    assert runner.invoke(app, ["decide", *keys, "--action", "accept", "--db", db]).exit_code == 0
    off = _settings(tmp_path, "[decisions]\napply_suggestions = false\n")
    summary = json.loads(runner.invoke(app, [*base, "--config", str(off), "--json"]).output)
    assert "suggestions_applied" not in summary
    with Workspace.open(db) as ws:
        assert ws.latest_decisions().height == 2
    on = _settings(tmp_path, "[decisions]\napply_suggestions = true\n")
    done = runner.invoke(app, [*base, "--config", str(on)])
    assert done.exit_code == 0 and "2 suggestions from your earlier decisions applied" in done.output
    with Workspace.open(db) as ws:
        decided = ws.latest_decisions()
        auto = decided.filter(decided["source"] == "suggested-auto")
        assert sorted(auto["matching_key"]) == [f"IMS/B2B/{S}/S{n}/2025-26" for n in (3, 4)]
        assert set(auto["action"]) == {"Accept"}
        run = ws.runs().row(-1, named=True)
        assert json.loads(run["config_json"])["decisions"] == {"apply_suggestions": True}


def test_decisions_settings_are_checked(tmp_path):
    ims, pr = _files(tmp_path)
    base = ["reconcile", "--ims", str(ims), "--pr", str(pr), "--gstin", R, "--db", str(tmp_path / "ws.db")]
    for text, says in (("[decisions]\napply_suggestions = 'yes'\n", "apply_suggestions must be true or false"),
                       ("[decisions]\napply_sugestions = true\n", "unknown [decisions] setting")):
        done = runner.invoke(app, [*base, "--config", str(_settings(tmp_path, text))])
        assert done.exit_code == 1 and says in done.output, done.output
