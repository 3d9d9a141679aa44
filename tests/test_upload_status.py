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
    assert hints == {"U-2": "download IMS again and re-apply", "U-4": None}
    assert [e["doc_no"] for e in out["unmatched"]] == ["NOPE"]
    text = runner.invoke(app, ["upload-status", "--from", str(tmp_path / "status.json"), "--db", db]).output
    assert "download IMS again and re-apply" in text and "partly failed" in text

    result = runner.invoke(app, ["report", "--errors", "--out", str(tmp_path / "errors.csv"), "--db", db])
    assert result.exit_code == 0, result.output
    with (tmp_path / "errors.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["doc_no"], r["error_cd"], r["file_name"], r["hint"]) for r in rows] == [
        ("U-2", "IMSSAV0010", "SAVE-1.json", "download IMS again and re-apply"),
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
