"""Issue 4's whole flow on generated books: two files -> reconcile -> Excel report -> the user's
decisions in the workbook -> decide --from -> export-upload -> validated SAVE/RESET files."""

from __future__ import annotations

import json

import openpyxl
import polars as pl
from typer.testing import CliRunner

from imsrecon.cli.app import app
from imsrecon.demo.generator import generate
from imsrecon.exporters.upload_schema import validate_payload
from imsrecon.store.workspace import Workspace

runner = CliRunner()
R = "27AAPFU0939F1ZV"


def cli(*args) -> object:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_from_two_files_to_a_validated_save_json_through_the_excel_round_trip(tmp_path):
    paths = generate(n_ims=150, seed=5, recipient_gstin=R, layout="busy").write(tmp_path / "in", pr_format="csv")
    db = tmp_path / "ws.db"
    recon = tmp_path / "recon.xlsx"
    cli("reconcile", "--ims", paths["ims"], "--pr", paths["pr"], "--gstin", R, "--db", db, "--out", recon)

    # the user decides in Excel: accept two exact documents, keep a mismatch pending where allowed
    wb = openpyxl.load_workbook(recon)
    chosen: dict[str, str] = {}
    for sheet, word, wanted in (("Exact", "Accept", 2), ("Mismatch", "Pending", 1)):
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        key_col, dec_col = header.index("matching_key") + 1, header.index("decision") + 1
        blocked_col = header.index("ims_ispendactblocked") + 1
        action_col = header.index("ims_action") + 1
        for row in range(2, ws.max_row + 1):
            if len([k for k, v in chosen.items() if v == word]) == wanted:
                break
            if ws.cell(row, blocked_col).value == "Y" or ws.cell(row, action_col).value not in ("N", None):
                continue
            ws.cell(row, dec_col).value = word
            chosen[ws.cell(row, key_col).value] = word
    wb.save(recon)
    applied = json.loads(cli("decide", "--from", recon, "--db", db, "--json").output)
    assert applied["applied"] == len(chosen) == 3

    out = tmp_path / "upload"
    summary = json.loads(cli("export-upload", "--out", out, "--db", db, "--json").output)
    assert summary["refused"] == 0 and summary["save_records"] == 3
    payload = json.loads((out / "SAVE-1.json").read_text())
    validate_payload("SAVE", payload)  # the schema the files were written against
    sent = {r.get("inum") or r.get("nt_num"): r["action"] for recs in payload["data"]["invdata"].values() for r in recs}
    with Workspace.open(str(db)) as ws:
        rows = ws.load_result().filter(pl.col("matching_key").is_in(list(chosen)))
    expected = {r["ims_doc_no"]: {"Accept": "A", "Pending": "P"}[chosen[r["matching_key"]]] for r in rows.iter_rows(named=True)}
    assert sent == expected
