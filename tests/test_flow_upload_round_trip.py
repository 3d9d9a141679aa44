"""The upload round trip on generated books, through the command line: reconcile -> decide (the
recommendations, then a partial and a no-reduction declaration on credit notes) -> export-upload
-> the portal's PE answer (short section keys, a document's own error) -> report --errors ->
export-upload again: only what failed or changed is sent, with the portal's action as prev_status."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import polars as pl
from typer.testing import CliRunner

from imsrecon.cli.app import app
from imsrecon.demo.generator import generate
from imsrecon.exporters.upload_schema import validate_payload
from imsrecon.store.workspace import Workspace
from imsrecon.workflow_upload_status import hint

runner = CliRunner()
R = "27AAPFU0939F1ZV"


def cli(*args: Any) -> Any:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def sent(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(section, number) -> record of every SAVE/RESET file in ``folder``."""
    out = {}
    for path in sorted(folder.glob("*-[0-9]*.json")):
        payload = json.loads(path.read_text())
        validate_payload(path.name.split("-")[0], payload)
        for key, records in payload["data"]["invdata"].items():
            for r in records:
                out[(key, r.get("inum") or r.get("nt_num"))] = r
    return out


def test_upload_round_trip(tmp_path: Path) -> None:
    paths = generate(n_ims=300, seed=5, recipient_gstin=R, layout="tally").write(tmp_path / "in", pr_format="xlsx")
    db = tmp_path / "ws.db"
    cli("reconcile", "--ims", paths["ims"], "--pr", paths["pr"], "--gstin", R, "--db", db)
    with Workspace.open(db) as ws:
        result = ws.load_result().filter(pl.col("ims_doc_no").is_not_null())
    notes = result.filter((pl.col("ims_section") == "b2bcn") & pl.col("match_status").is_in(["exact", "probable"])
                          & (pl.col("ims_action") != "A")).sort("ims_doc_no")  # fmt: skip
    assert notes.height >= 2
    partial, nil = notes.row(0, named=True), notes.row(1, named=True)
    reduce = round(float(partial["ims_igst"] or 0) / 2, 2), round(float(partial["ims_cgst"] or 0) / 2, 2)

    cli("decide", "--all-recommended", "--db", db)
    cli("decide", partial["matching_key"], "--action", "accept", "--itc-reduction", "partial", "--reduce-igst",
        reduce[0], "--reduce-cgst", reduce[1], "--reduce-sgst", reduce[1], "--reduce-cess", 0, "--remarks",
        "half the ITC was availed", "--db", db)
    cli("decide", nil["matching_key"], "--action", "accept", "--itc-reduction", "none", "--remarks",
        "ITC never availed on this note", "--db", db)

    first = json.loads(cli("export-upload", "--out", tmp_path / "up1", "--db", db, "--json").output)
    assert first["refused"] == 0 and first["save_records"] > 100
    records = sent(tmp_path / "up1")
    p = records[("b2bcn", partial["ims_doc_no"])]
    assert (p["action"], p["itcRedReq"], p["remarks"]) == ("A", "Y", "half the ITC was availed")
    assert (p["declIgst"], p["declCgst"], p["declSgst"], p["declCess"]) == (reduce[0], reduce[1], reduce[1], 0.0)
    n = records[("b2bcn", nil["ims_doc_no"])]
    assert (n["itcRedReq"], n["remarks"]) == ("N", "ITC never availed on this note") and "declCgst" not in n
    # every other accepted credit note (the books hold it): declared in full, as the recommendation said
    for (section, _), r in records.items():
        if section == "b2bcn" and r.get("action") == "A":
            assert r["itcRedReq"] in ("Y", "N")

    # the portal's answer: short section keys, the note number as inum, one document's own error
    invoice = next(r for (s, _), r in records.items() if s == "b2b" and r.get("action") == "A")
    answer = {"status_cd": "PE", "int_tran_id": "LAPN2426", "error_report": {
        "cn": [{"stin": p["stin"], "error_cd": "IMSSAV0001", "error_msg": "records failed",
                "inv": [{"rtnprd": p["rtnprd"], "inum": p["nt_num"], "error_cd": "IMSSAV0010",
                         "error_msg": "Previous action is incorrect"}]}],
        "b2b": [{"stin": invoice["stin"].lower(), "error_cd": "IMS2B007", "error_msg": "3B already filed",
                 "inv": [{"rtnprd": invoice["rtnprd"], "inum": invoice["inum"]}]}]}}  # fmt: skip
    (tmp_path / "status.json").write_text(json.dumps(answer))
    status = json.loads(cli("upload-status", "--from", tmp_path / "status.json", "--db", db, "--json").output)
    assert status["counts"] == {"uploaded": len(records) - 2, "failed": 2} and status["unmatched"] == []

    cli("report", "--errors", "--out", tmp_path / "errors.csv", "--db", db)
    with (tmp_path / "errors.csv").open(encoding="utf-8") as f:
        errors = {r["doc_no"]: (r["error_cd"], r["hint"]) for r in csv.DictReader(f)}
    assert errors == {p["nt_num"]: ("IMSSAV0010", hint("IMSSAV0010")), invoice["inum"]: ("IMS2B007", hint("IMS2B007"))}

    # a decision changed after the upload: an uploaded invoice is now rejected
    changed = next(r for (s, _), r in records.items() if s == "b2b" and r.get("action") == "A" and r is not invoice)
    key = result.filter((pl.col("ims_section") == "b2b") & (pl.col("ims_doc_no") == changed["inum"])
                        & (pl.col("ims_supplier_gstin") == changed["stin"]))["matching_key"].item()  # fmt: skip
    cli("decide", key, "--action", "reject", "--remarks", "goods returned", "--db", db)

    second = json.loads(cli("export-upload", "--out", tmp_path / "up2", "--db", db, "--json").output)
    again = sent(tmp_path / "up2")
    assert set(again) == {("b2bcn", p["nt_num"]), ("b2b", invoice["inum"]), ("b2b", changed["inum"])}
    assert again[("b2bcn", p["nt_num"])]["prev_status"] == p["prev_status"]  # failed: the download's action stands
    assert again[("b2b", invoice["inum"])]["prev_status"] == invoice["prev_status"]
    assert (again[("b2b", changed["inum"])]["action"], again[("b2b", changed["inum"])]["prev_status"]) == ("R", "A")
    # every other document uploaded before is not sent again (the portal already has its action)
    assert second["unchanged"] == first["unchanged"] + len(records) - 3 and second["refused"] == 0
    precheck = pl.read_csv(tmp_path / "up2" / "precheck.csv")
    assert precheck["message"].str.contains("set by upload 1 \\(SAVE-1.json\\)").sum() == len(records) - 3
