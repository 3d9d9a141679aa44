"""`imsrecon export-upload` end to end: from two files to validated SAVE/RESET files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from imsrecon.cli.app import app

runner = CliRunner()
R = "27AAPFU0939F1ZV"


def _files(tmp: Path) -> tuple[Path, Path]:
    def rec(no, date, tv, action="N", blocked="N", key="inum", dkey="idt"):
        return {"stin": R, key: no, dkey: date, "val": tv * 1.18, "pos": "27", "txval": tv, "iamt": 0,
                "camt": tv * 0.09, "samt": tv * 0.09, "cess": 0, "action": action, "ispendactblocked": blocked,
                "srcform": "R1", "rtnprd": "042025", "srcfilstatus": "Filed", "inv_typ": "R", "hash": "h-" + no}
    ims = {"data": {"b2b": [rec("U-1", "01-04-2025", 1000), rec("U-2", "02-04-2025", 2000),
                            rec("U-3", "03-04-2025", 3000, blocked="Y"), rec("U-4", "04-04-2025", 4000, action="A")]}}
    (tmp / "ims.json").write_text(json.dumps(ims))
    (tmp / "pr.csv").write_text(
        "Supplier GSTIN,Invoice Number,Invoice Date,Taxable Value,CGST,SGST\n"
        f"{R},U-1,01-04-2025,1000,90,90\n{R},U-2,02-04-2025,2500,225,225\n")
    return tmp / "ims.json", tmp / "pr.csv"


def test_export_upload_with_recommendations(tmp_path):
    ims, pr = _files(tmp_path)
    db = str(tmp_path / "ws.db")
    assert runner.invoke(app, ["reconcile", "--ims", str(ims), "--pr", str(pr), "--gstin", R, "--db", db]).exit_code == 0
    nothing = json.loads(runner.invoke(app, ["export-upload", "--out", str(tmp_path / "up0"), "--db", db, "--json"]).output)
    assert (nothing["save_records"], nothing["reset_records"]) == (0, 0)  # no decisions yet
    out = tmp_path / "up"
    result = runner.invoke(app, ["export-upload", "--out", str(out), "--with-recommendations", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    save = json.loads((out / "SAVE-1.json").read_text())
    assert save["action"] == "SAVE" and save["data"]["rtin"] == R and save["data"]["reqtyp"] == "SAVE"
    records = {r["inum"]: r for r in save["data"]["invdata"]["b2b"]}
    # U-1 exact -> Accept; U-2 mismatch -> Pending; U-3 missing, Pending blocked -> Reject;
    # U-4 already accepted on the portal but missing in the books -> Pending
    assert {k: (r["action"], r["prev_status"]) for k, r in records.items()} == {
        "U-1": ("A", "N"), "U-2": ("P", "N"), "U-3": ("R", "N"), "U-4": ("P", "A")}
    assert all("hash" not in r for r in records.values())
    assert summary["save_records"] == 4 and summary["refused"] == 0
    assert (out / "precheck.csv").exists()


def test_export_upload_from_decisions_with_reset_and_refusal(tmp_path):
    from imsrecon.store.workspace import Workspace

    ims, pr = _files(tmp_path)
    db = str(tmp_path / "ws.db")
    runner.invoke(app, ["reconcile", "--ims", str(ims), "--pr", str(pr), "--gstin", R, "--db", db])
    with Workspace.open(db) as ws:
        keys = dict(zip(ws.load_result()["ims_doc_no"], ws.load_result()["matching_key"], strict=True))
        ws.record_decision(keys["U-1"], "Accept", None, "tester", "test")
        ws.record_decision(keys["U-3"], "Pending", None, "tester", "test")  # blocked: refused
        ws.record_decision(keys["U-4"], "No action", None, "tester", "test")  # back to N: RESET
    out = tmp_path / "up"
    summary = json.loads(runner.invoke(app, ["export-upload", "--out", str(out), "--db", db, "--json"]).output)
    assert (summary["save_records"], summary["reset_records"], summary["refused"]) == (1, 1, 1)
    assert [p["rule"] for p in summary["problems"]] == ["pending_blocked"]
    reset = json.loads((out / "RESET-1.json").read_text())
    assert reset["action"] == "RESETIMS" and reset["data"]["reqtyp"] == "RESET"
    [record] = reset["data"]["invdata"]["b2b"]
    assert record["inum"] == "U-4" and record["prev_status"] == "A" and "action" not in record
    with Workspace.open(db) as ws:
        assert "export_upload" in ws.audit_log()["event"].to_list()


def _notes(tmp_path):
    """CN-1 and CN-2 booked (CN-2's record blocks a declaration), CN-3 not booked."""

    def note(no, tv, blocked="N"):
        return {"stin": R, "nt_num": no, "nt_dt": "05-04-2025", "val": tv * 1.18, "pos": "27", "txval": tv,
                "iamt": 0, "camt": tv * 0.09, "samt": tv * 0.09, "cess": 0, "action": "N", "ispendactblocked": "N",
                "isItcRedReqBlocked": blocked, "srcform": "R1", "rtnprd": "042025", "srcfilstatus": "Filed",
                "hash": "h-" + no}

    notes = [note("CN-1", 1000), note("CN-2", 2000, blocked="Y"), note("CN-3", 3000)]
    (tmp_path / "ims.json").write_text(json.dumps({"data": {"b2bcn": notes}}))
    (tmp_path / "pr.csv").write_text(
        "Supplier GSTIN,Voucher Type,Invoice Number,Invoice Date,Taxable Value,CGST,SGST\n"
        f"{R},Credit Note,CN-1,05-04-2025,-1000,-90,-90\n{R},Credit Note,CN-2,05-04-2025,-2000,-180,-180\n")
    db = str(tmp_path / "ws.db")
    done = runner.invoke(app, ["reconcile", "--ims", str(tmp_path / "ims.json"), "--pr", str(tmp_path / "pr.csv"),
                               "--gstin", R, "--db", db, "--json"])
    assert done.exit_code == 0, done.output
    from imsrecon.store.workspace import Workspace

    with Workspace.open(db) as ws:
        result = ws.load_result()
    assert dict(zip(result["ims_doc_no"], result["match_status"], strict=True)) == {
        "CN-1": "exact", "CN-2": "exact", "CN-3": "missing_in_pr"}
    return db, dict(zip(result["ims_doc_no"], result["matching_key"], strict=True))


def _export(tmp_path, db, name, *extra):
    out = tmp_path / name
    done = runner.invoke(app, ["export-upload", "--out", str(out), "--db", db, "--json", *extra])
    assert done.exit_code == 0, done.output
    save = out / "SAVE-1.json"
    records = {r["nt_num"]: r for r in json.loads(save.read_text())["data"]["invdata"]["b2bcn"]} if save.exists() else {}
    return json.loads(done.output), records


def test_an_accepted_credit_note_is_sent_only_with_a_decided_declaration(tmp_path):
    """Domain doc §4: itcRedReq is mandatory on Accept of a credit note unless the record blocks
    it (IMSSAV0054); nothing is declared without a decision saying so."""
    from imsrecon.store.workspace import Workspace

    db, keys = _notes(tmp_path)
    assert runner.invoke(app, ["decide", keys["CN-1"], keys["CN-2"], keys["CN-3"], "--action", "accept",
                               "--db", db]).exit_code == 0
    summary, records = _export(tmp_path, db, "up1")
    assert sorted((p["doc_no"], p["rule"]) for p in summary["problems"]) == [
        ("CN-1", "itc_red_req_missing"), ("CN-3", "itc_red_req_missing")]  # books hold it or not: no silent default
    assert summary["reductions_declared"] == 0 and list(records) == ["CN-2"]
    assert "itcRedReq" not in records["CN-2"]  # the record blocks a declaration

    # the recommendations, made decisions: the full declaration recorded, visible and reviewable
    assert runner.invoke(app, ["decide", "--all-recommended", "--db", db]).exit_code == 0
    with Workspace.open(db) as ws:
        latest = {r["matching_key"]: (r["action"], r["itc_red_req"]) for r in ws.latest_decisions().iter_rows(named=True)}
    assert latest == {keys["CN-1"]: ("Accept", "Y"), keys["CN-2"]: ("Accept", None), keys["CN-3"]: ("Reject", None)}
    summary, records = _export(tmp_path, db, "up2")
    assert summary["refused"] == 0 and summary["reductions_declared"] == 1
    assert (records["CN-1"]["action"], records["CN-1"]["itcRedReq"]) == ("A", "Y")
    assert "declCgst" not in records["CN-1"] and "itcRedReq" not in records["CN-2"]
    assert records["CN-3"]["action"] == "R" and "itcRedReq" not in records["CN-3"]


def test_export_with_recommendations_carries_the_recommended_declaration(tmp_path):
    db, _ = _notes(tmp_path)
    summary, records = _export(tmp_path, db, "up", "--with-recommendations")
    assert summary["refused"] == 0 and (summary["reductions_declared"], summary["reductions_recommended"]) == (0, 1)
    assert records["CN-1"]["itcRedReq"] == "Y" and "itcRedReq" not in records["CN-2"]
