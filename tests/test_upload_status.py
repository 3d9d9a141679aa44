"""Upload status: uploads kept by export-upload, the portal's answers (P/PE/ER/IP) applied, the
failures reported."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import insert, inspect
from test_cli_upload import R, _files
from typer.testing import CliRunner

from imsrecon.cli.app import app
from imsrecon.store import dialect, migrations, schema
from imsrecon.store.uploads import upload_items, uploads
from imsrecon.store.workspace import Workspace
from imsrecon.workflow_upload_status import HINTS, hint

runner = CliRunner()


def _exported(tmp: Path) -> str:
    """A reconciled workspace with one SAVE file of four documents (U-1..U-4) recorded."""
    ims, pr = _files(tmp)
    db = str(tmp / "ws.db")
    assert (
        runner.invoke(app, ["reconcile", "--ims", str(ims), "--pr", str(pr), "--gstin", R, "--db", db]).exit_code == 0
    )
    result = runner.invoke(app, ["export-upload", "--out", str(tmp / "up"), "--with-recommendations", "--db", db])
    assert result.exit_code == 0, result.output
    return db


def _status(tmp: Path, db: str, answer: object, *extra: str) -> dict:
    path = tmp / "status.json"
    path.write_text(json.dumps(answer))
    result = runner.invoke(app, ["upload-status", "--from", str(path), "--db", db, "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _items(db: str) -> dict[str, tuple]:
    with Workspace.open(db) as ws:
        return {r["doc_no"]: (r["status"], r["error_cd"], r["error_msg"]) for r in upload_items(ws).to_dicts()}


def test_migration_from_version_2_keeps_data(tmp_path: Path) -> None:
    url = dialect.resolve_url(tmp_path / "old.db")
    engine = dialect.make_engine(url)
    assert migrations.migrate(engine, target=2) == 2
    with engine.begin() as conn:
        conn.execute(
            insert(schema.imports).values(
                file_name="old.json",
                sha256="old",
                kind="ims_json",
                side="ims",
                imported_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                rows_read=0,
                documents=0,
                warnings=0,
                errors=0,
            )
        )
        assert not inspect(conn).has_table("uploads")
    engine.dispose()
    with Workspace.open(tmp_path / "old.db") as ws:
        with ws._engine.connect() as conn:
            assert migrations.current_version(conn) == migrations.SCHEMA_VERSION >= 3
            assert inspect(conn).has_table("uploads") and inspect(conn).has_table("upload_items")
            assert "status_at" in {c["name"] for c in inspect(conn).get_columns("upload_items")}
        assert ws.imports()["file_name"].to_list() == ["old.json"]
        assert uploads(ws).height == 0 and upload_items(ws).height == 0


def test_export_upload_records_uploads_and_items(tmp_path: Path) -> None:
    db = _exported(tmp_path)
    with Workspace.open(db) as ws:
        [up] = uploads(ws).to_dicts()
        assert (up["request"], up["file_name"], up["documents"], up["status"]) == (
            "SAVE",
            "SAVE-1.json",
            4,
            "not uploaded",
        )
        assert up["reference_id"] is None and up["checked_at"] is None and up["run_id"] == int(ws.runs()["id"].max())
        items = upload_items(ws, up["id"])
    assert sorted(items["doc_no"].to_list()) == ["U-1", "U-2", "U-3", "U-4"]
    assert set(items["status"]) == {"not uploaded"} and set(items["section"]) == {"b2b"}
    assert set(items["supplier_gstin"]) == {R} and set(items["rtnprd"]) == {"042025"}
    got = {r["doc_no"]: (r["new_action"], r["prev_status"]) for r in items.to_dicts()}
    assert got == {"U-1": ("A", "N"), "U-2": ("P", "N"), "U-3": ("R", "N"), "U-4": ("P", "A")}


def test_processed(tmp_path: Path) -> None:
    db = _exported(tmp_path)
    out = _status(tmp_path, db, {"data": {"status_cd": "P", "int_tran_id": "T-1"}})
    assert out["status"] == "uploaded" and out["counts"] == {"uploaded": 4} and out["errors"] == []
    assert {s for s, _, _ in _items(db).values()} == {"uploaded"}
    with Workspace.open(db) as ws:
        up = uploads(ws).row(0, named=True)
        assert up["reference_id"] == "T-1" and up["checked_at"] is not None
        assert "upload_status" in ws.audit_log()["event"].to_list()


def test_in_progress(tmp_path: Path) -> None:
    db = _exported(tmp_path)
    out = _status(tmp_path, db, {"status_cd": "IP"})
    assert out["status"] == "processing" and out["counts"] == {"processing": 4}


def test_error(tmp_path: Path) -> None:
    db = _exported(tmp_path)
    out = _status(tmp_path, db, {"status_cd": "ER", "error_cd": "RET191", "error_msg": "system failure"})
    assert out["status"] == "failed" and out["counts"] == {"failed": 4}
    assert set(_items(db).values()) == {("failed", "RET191", "system failure")}


def test_processed_with_errors_marks_exactly_the_named_documents(tmp_path: Path) -> None:
    db = _exported(tmp_path)
    answer = {
        "status_cd": "PE",
        "error_report": {
            "B2B": [
                {
                    "stin": R.lower(),
                    "error_cd": "IMSSAV0010",
                    "error_msg": "previous action incorrect",
                    "inv": [{"rtnprd": "042025", "inum": "u-2"}],
                },
                {"stin": R, "error_cd": "IMSSAV0001", "error_msg": "bad", "inv": [{"rtnprd": "042025", "inum": "U-4"}]},
                {"stin": R, "error_cd": "X", "error_msg": "not ours", "inv": [{"rtnprd": "042025", "inum": "NOPE"}]},
            ]
        },
    }
    out = _status(tmp_path, db, answer, "--upload", "1")
    assert out["status"] == "partly failed" and out["counts"] == {"uploaded": 2, "failed": 2}
    assert _items(db) == {
        "U-1": ("uploaded", None, None),
        "U-2": ("failed", "IMSSAV0010", "previous action incorrect"),
        "U-3": ("uploaded", None, None),
        "U-4": ("failed", "IMSSAV0001", "bad"),
    }
    hints = {e["doc_no"]: e["hint"] for e in out["errors"]}
    assert hints["U-2"].startswith("download IMS again and re-apply") and hints["U-4"] is None
    assert [e["doc_no"] for e in out["unmatched"]] == ["NOPE"]
    text = runner.invoke(app, ["upload-status", "--from", str(tmp_path / "status.json"), "--db", db]).output
    assert "download IMS again and re-apply" in text and "partly failed" in text

    result = runner.invoke(app, ["report", "--errors", "--out", str(tmp_path / "errors.csv"), "--db", db])
    assert result.exit_code == 0, result.output
    with (tmp_path / "errors.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["doc_no"], r["error_cd"], r["file_name"], r["hint"]) for r in rows] == [
        ("U-2", "IMSSAV0010", "SAVE-1.json", hints["U-2"]),
        ("U-4", "IMSSAV0001", "SAVE-1.json", ""),
    ]
    assert runner.invoke(app, ["report", "--errors", "--out", str(tmp_path / "errors.xlsx"), "--db", db]).exit_code == 0
    assert (tmp_path / "errors.xlsx").stat().st_size > 0


@pytest.mark.parametrize("body", [
    "not json", json.dumps({"status_cd": "ZZ"}), json.dumps({"data": {"nothing": 1}}),
    json.dumps({"status_cd": "PE", "error_report": {"b2b": "oops"}}), json.dumps([1, 2]),
])  # fmt: skip
def test_malformed_response_changes_nothing(tmp_path: Path, body: str) -> None:
    db = _exported(tmp_path)
    (tmp_path / "bad.json").write_text(body)
    result = runner.invoke(app, ["upload-status", "--from", str(tmp_path / "bad.json"), "--db", db])
    assert result.exit_code == 1 and "bad.json" in result.output
    assert {s for s, _, _ in _items(db).values()} == {"not uploaded"}
    with Workspace.open(db) as ws:
        assert uploads(ws)["status"].to_list() == ["not uploaded"]
        assert "upload_status" not in ws.audit_log()["event"].to_list()


# --- short section keys, per-document errors, flat errors, envelopes (domain doc §5) ----------------

S = "29AAGCB1286Q1Z0"


def _notes_exported(tmp: Path) -> str:
    """A workspace with one SAVE file: debit notes DN-1 (accepted), DN-2 (rejected), credit notes
    CN-1 (accepted, the reduction declared in full as recommended) and CN-2 (rejected)."""
    def note(key: str, no: str, tv: float) -> dict:
        return {"stin": S, "nt_num": no, "nt_dt": "05-04-2025", "val": tv * 1.18, "pos": "29", "txval": tv,
                "iamt": tv * 0.18, "camt": 0, "samt": 0, "cess": 0, "action": "N", "ispendactblocked": "Y",
                "srcform": "R1", "rtnprd": "042025", "srcfilstatus": "Filed", "hash": "h" + no}
    ims = {"data": {"b2bdn": [note("dn", "DN-1", 1000), note("dn", "DN-2", 2000)],
                    "b2bcn": [note("cn", "CN-1", 300), note("cn", "CN-2", 400)]}}
    (tmp / "ims.json").write_text(json.dumps(ims))
    (tmp / "pr.csv").write_text("GSTIN of Supplier,Voucher Type,Supplier Invoice No,Supplier Invoice Date,Taxable,IGST\n"
                                f"{S},Debit Note,DN-1,05-04-2025,1000.00,180.00\n"
                                f"{S},Credit Note,CN 1,05/04/2025,-300,-54\n")
    db = str(tmp / "ws.db")
    done = runner.invoke(app, ["reconcile", "--ims", str(tmp / "ims.json"), "--pr", str(tmp / "pr.csv"), "--gstin", R,
                               "--db", db])
    assert done.exit_code == 0, done.output
    done = runner.invoke(app, ["export-upload", "--out", str(tmp / "up"), "--with-recommendations", "--db", db, "--json"])
    assert done.exit_code == 0, done.output
    sent = json.loads((tmp / "up" / "SAVE-1.json").read_text())["data"]["invdata"]
    assert {k: {r["nt_num"]: r["action"] for r in v} for k, v in sent.items()} == {
        "b2bdn": {"DN-1": "A", "DN-2": "R"}, "b2bcn": {"CN-1": "A", "CN-2": "R"}}
    return db


def test_short_section_keys_and_each_documents_own_error(tmp_path: Path) -> None:
    db = _notes_exported(tmp_path)
    answer = {"status_cd": "PE", "int_tran_id": "LAPN24235", "error_report": {
        "cn": [{"stin": S, "error_cd": "IMSSAV0054", "error_msg": "Please enter value for the column itcRedReq",
                "inv": [{"rtnprd": "042025", "inum": "CN-1"}]}],
        "dn": [{"stin": S, "error_cd": "IMSSAV0001", "error_msg": "one or more records failed",
                "inv": [{"rtnprd": "042025", "inum": "dn-2", "error_cd": "IMSSAV0010",
                         "error_msg": "Previous action is incorrect"}]}]}}  # fmt: skip
    out = _status(tmp_path, db, answer)
    assert out["status"] == "partly failed" and out["counts"] == {"uploaded": 2, "failed": 2} and out["unmatched"] == []
    assert _items(db) == {
        "DN-1": ("uploaded", None, None), "DN-2": ("failed", "IMSSAV0010", "Previous action is incorrect"),
        "CN-1": ("failed", "IMSSAV0054", "Please enter value for the column itcRedReq"), "CN-2": ("uploaded", None, None)}
    assert {e["doc_no"]: e["hint"] for e in out["errors"]} == {"DN-2": hint("IMSSAV0010"), "CN-1": hint("IMSSAV0054")}
    result = runner.invoke(app, ["report", "--errors", "--out", str(tmp_path / "errors.csv"), "--db", db])
    assert result.exit_code == 0, result.output
    with (tmp_path / "errors.csv").open(encoding="utf-8") as f:
        rows = {r["doc_no"]: r for r in csv.DictReader(f)}
    assert "--itc-reduction" in rows["CN-1"]["hint"] and rows["DN-2"]["error_cd"] == "IMSSAV0010"


def test_an_error_answer_with_one_flat_error_fails_the_upload(tmp_path: Path) -> None:
    db = _exported(tmp_path)
    answer = {"status_cd": "ER", "error_report": {"error_cd": "IMSSAV0015", "error_msg": "previous request in progress"}}
    out = _status(tmp_path, db, answer)
    assert out["status"] == "failed" and out["counts"] == {"failed": 4}
    assert set(_items(db).values()) == {("failed", "IMSSAV0015", "previous request in progress")}
    assert {e["hint"] for e in out["errors"]} == {hint("IMSSAV0015")}
    text = runner.invoke(app, ["upload-status", "--from", str(tmp_path / "status.json"), "--db", db]).output
    assert "still in progress" in text


def test_a_gsp_envelope_is_read(tmp_path: Path) -> None:
    db = _exported(tmp_path)
    out = _status(tmp_path, db, {"status_cd": "1", "data": {"status_cd": "P", "int_tran_id": "T-9"}})
    assert out["status"] == "uploaded" and out["reference_id"] == "T-9"


@pytest.mark.parametrize("answer, says", [
    ({"status_cd": "0", "error": {"error_cd": "AUTH4033", "message": "Invalid Session"}}, "log in again"),
    ({"status_cd": "PE", "error_report": {"error_cd": "X1", "error_msg": "bad"}}, "must name the documents"),
])  # fmt: skip
def test_answers_that_change_nothing_say_why(tmp_path: Path, answer: dict, says: str) -> None:
    db = _exported(tmp_path)
    (tmp_path / "bad.json").write_text(json.dumps(answer))
    result = runner.invoke(app, ["upload-status", "--from", str(tmp_path / "bad.json"), "--db", db])
    assert result.exit_code == 1 and says in result.output and "bad.json" in result.output
    assert {s for s, _, _ in _items(db).values()} == {"not uploaded"}


# code -> a word its hint must carry (what to do): every code the domain doc names
HINT_WORDS = {"IMSSAV0010": "download IMS again", "IMSSAV0054": "--itc-reduction", "IMSSAV0015": "wait",
              "IMS2005": "nothing to do", "IMS2B007": "return period", "GTR2B-001": "return period",
              "GTR2B-002": "GEN2B", "AUTH4033": "log in again", "AUTH403": "close the other sessions",
              "RETOTPREQUEST": "OTP", "RET11416": "download IMS again", "RET13508": "download IMS again",
              "RET13509": "download IMS again", "RET13510": "download IMS again"}  # fmt: skip


@pytest.mark.parametrize("code", HINT_WORDS)
def test_every_known_error_code_has_a_hint(code: str) -> None:
    assert HINT_WORDS[code] in hint(code) and hint(f" {code.lower()} ") == hint(code)
    assert hint("IMSSAV9999") is None and set(HINTS) == set(HINT_WORDS)


def test_a_status_time_is_kept_per_document_and_moves_only_when_the_status_changes(tmp_path: Path) -> None:
    db = _exported(tmp_path)
    _status(tmp_path, db, {"status_cd": "IP"})
    with Workspace.open(db) as ws:
        first = dict(upload_items(ws).select("doc_no", "status_at").iter_rows())
    _status(tmp_path, db, {"status_cd": "IP"})  # the same answer again: no change, no new time
    with Workspace.open(db) as ws:
        assert dict(upload_items(ws).select("doc_no", "status_at").iter_rows()) == first
    _status(tmp_path, db, {"status_cd": "PE", "error_report": {"b2b": [
        {"stin": R, "error_cd": "IMSSAV0010", "error_msg": "x", "inv": [{"inum": "U-1"}]}]}})  # fmt: skip
    with Workspace.open(db) as ws:
        items = upload_items(ws)
    later = dict(items.select("doc_no", "status_at").iter_rows())
    assert all(v is not None for v in first.values())
    assert all(later[d] > first[d] for d in ("U-2", "U-3", "U-4"))  # processing -> uploaded
    assert later["U-1"] > first["U-1"]  # processing -> failed


def _export_again(tmp: Path, db: str, name: str) -> tuple[dict, dict[str, dict]]:
    result = runner.invoke(app, ["export-upload", "--out", str(tmp / name), "--with-recommendations", "--db", db,
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    save = tmp / name / "SAVE-1.json"
    records = json.loads(save.read_text())["data"]["invdata"]["b2b"] if save.exists() else []
    return json.loads(result.output), {r["inum"]: r for r in records}


def test_after_an_upload_only_a_newer_download_sets_the_portal_action_again(tmp_path: Path) -> None:
    db = _exported(tmp_path)
    _status(tmp_path, db, {"status_cd": "P"})
    summary, records = _export_again(tmp_path, db, "again")
    assert records == {} and summary["unchanged"] == 4  # uploaded with the same action: not sent again

    # a newer download: U-2's Pending did not stick (the supplier edited it), the rest as uploaded
    ims = json.loads((tmp_path / "ims.json").read_text())
    now = {"U-1": "A", "U-2": "N", "U-3": "R", "U-4": "P"}
    for r in ims["data"]["b2b"]:
        r["action"], r["hash"] = now[r["inum"]], r["hash"] + "-edited"
    (tmp_path / "ims2.json").write_text(json.dumps(ims))
    done = runner.invoke(app, ["reconcile", "--ims", str(tmp_path / "ims2.json"), "--pr", str(tmp_path / "pr.csv"),
                               "--gstin", R, "--db", db])  # fmt: skip
    assert done.exit_code == 0, done.output
    summary, records = _export_again(tmp_path, db, "newer")
    assert {k: (r["action"], r["prev_status"]) for k, r in records.items()} == {"U-2": ("P", "N")}


def test_documents_of_an_upload_still_processing_are_held_back(tmp_path: Path) -> None:
    db = _exported(tmp_path)
    _status(tmp_path, db, {"status_cd": "IP"})
    summary, records = _export_again(tmp_path, db, "again")
    assert records == {} and summary["refused"] == 4
    with (tmp_path / "again" / "precheck.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["rule"] for r in rows} == {"upload_in_progress"}
    assert all("upload 1 (SAVE-1.json)" in r["message"] and "imsrecon upload-status" in r["message"] for r in rows)
    _status(tmp_path, db, {"status_cd": "PE", "error_report": {"b2b": [
        {"stin": R, "error_cd": "IMSSAV0015", "error_msg": "in progress", "inv": [{"inum": "U-3"}]}]}})  # fmt: skip
    summary, records = _export_again(tmp_path, db, "known")
    assert {k: r["prev_status"] for k, r in records.items()} == {"U-3": "N"}  # only the failed one, again
