"""Bulk inserts: the staged path (ADBC into a staging file, then one INSERT … SELECT) stores
exactly what the executemany path stores, inside the same transaction, and leaves nothing behind."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from polars.testing import assert_frame_equal
from sqlalchemy import Table, text
from test_workspace import ISSUES, _result_frame, document_frames, make_result, sample_docs, snapshot

from imsrecon.store import bulk, schema
from imsrecon.store.workspace import Workspace

pytest.importorskip("adbc_driver_sqlite")


def _spy(used: list[tuple[str, bool]]) -> Any:
    real = bulk.insert_staged

    def spy(conn: Any, table: Table, frame: pl.DataFrame) -> bool:
        staged = real(conn, table, frame)
        used.append((table.name, staged))
        return staged

    return spy


def _typed_rows(ws: Workspace, table: Table) -> list[tuple[Any, ...]]:
    """Every stored value with SQLite's own type of it (TEXT, INTEGER, REAL, NULL)."""
    cols = [c.name for c in table.columns if c.name != "id"]
    select = ", ".join(f'"{c}", typeof("{c}")' for c in cols)
    with ws._read() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT {select} FROM {table.name} ORDER BY id"))]


def _stages(folder: Path) -> list[Path]:
    """Staging files and their lock files."""
    return sorted(folder.glob(".imsrecon-stage-*"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=document_frames())
def test_staged_insert_stores_what_executemany_stores(frame: pl.DataFrame) -> None:
    stored = []
    with tempfile.TemporaryDirectory() as tmp:
        for min_rows in (sys.maxsize, 1):  # executemany, then staged
            used: list[tuple[str, bool]] = []
            with mock.patch.object(bulk, "STAGE_MIN_ROWS", min_rows), \
                    mock.patch.object(bulk, "insert_staged", _spy(used)):  # fmt: skip
                with Workspace.open(Path(tmp) / f"ws{min_rows}.db") as ws:
                    out = ws.record_import(make_result(frame), "f" * 64, "gen")
                    assert_frame_equal(ws.load_documents([out.import_id]).drop("document_id"), frame)
                    stored.append(_typed_rows(ws, schema.documents))
            assert used[0] == ("documents", min_rows == 1 and frame.height > 0)
        assert stored[0] == stored[1]
        assert _stages(Path(tmp)) == []


def test_staged_run_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "STAGE_MIN_ROWS", 1)
    used: list[tuple[str, bool]] = []
    monkeypatch.setattr(bulk, "insert_staged", _spy(used))
    with Workspace.open(tmp_path / "ws.db") as ws:
        ims = ws.record_import(make_result(sample_docs(3)), "a" * 64, "ims.json").import_id
        pr = ws.record_import(make_result(sample_docs(3, "pr"), "pr"), "b" * 64, "pr.csv").import_id
        ids = ws.load_documents([ims])["document_id"].to_list()
        frame = _result_frame(ids, [*ws.load_documents([pr])["document_id"].to_list()[:1], None, None])
        run_id = ws.record_run({"k": 1}, [ims], [pr], frame)
        got = ws.load_result(run_id, with_document_ids=True)
    assert ("results", True) in used
    assert_frame_equal(got.select(frame.columns), frame, check_dtypes=False)
    assert _stages(tmp_path) == []


def test_failed_staged_import_rolls_back_and_leaves_no_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "STAGE_MIN_ROWS", 1)
    ws = Workspace.open(tmp_path / "ws.db")
    ws.record_import(make_result(sample_docs(2)), "c" * 64, "earlier")
    before = snapshot(ws)
    real = bulk.insert_staged

    def failing(conn: Any, table: Table, frame: pl.DataFrame) -> bool:
        if table.name == "import_issues":  # the documents went in staged; the issues fail after them
            assert [p.suffix for p in _stages(tmp_path)] == [".db", ".lock"]  # the stage and its lock
            raise RuntimeError("disk on fire")
        return real(conn, table, frame)

    monkeypatch.setattr(bulk, "insert_staged", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        ws.record_import(make_result(sample_docs(5), issues=ISSUES), "d" * 64, "new")
    assert snapshot(ws) == before
    assert _stages(tmp_path) == []
    with ws._read() as conn:  # the stage was detached from the pooled connection
        assert not [r[1] for r in conn.execute(text("PRAGMA database_list")) if r[1].startswith("imsrecon_stage")]
    monkeypatch.setattr(bulk, "insert_staged", real)
    monkeypatch.setattr(bulk, "STAGE_MIN_ROWS", 1)
    out = ws.record_import(make_result(sample_docs(5), issues=ISSUES), "d" * 64, "new")
    assert ws.load_documents([out.import_id]).height == 5 and len(ws.load_issues(out.import_id)) == len(ISSUES)
    assert _stages(tmp_path) == []
    ws.close()


def test_staged_insert_not_used_where_it_does_not_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "STAGE_MIN_ROWS", 1)
    used: list[tuple[str, bool]] = []
    monkeypatch.setattr(bulk, "insert_staged", _spy(used))
    with Workspace.open(":memory:") as ws:  # no file to stage next to
        ws.record_import(make_result(sample_docs(4)), "e" * 64, "m")
    assert ("documents", False) in used and not any(staged for _, staged in used)
    used.clear()
    monkeypatch.setitem(sys.modules, "adbc_driver_sqlite", None)  # the driver not installed
    with Workspace.open(tmp_path / "ws.db") as ws:
        out = ws.record_import(make_result(sample_docs(4)), "e" * 64, "m")
        assert ws.load_documents([out.import_id]).height == 4
    assert ("documents", False) in used and not any(staged for _, staged in used)


def test_staging_falls_back_when_the_folder_refuses_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "STAGE_MIN_ROWS", 1)
    used: list[tuple[str, bool]] = []
    monkeypatch.setattr(bulk, "insert_staged", _spy(used))

    def refuse(*_: Any, **__: Any) -> Any:
        raise PermissionError("read-only folder")

    with Workspace.open(tmp_path / "ws.db") as ws:
        monkeypatch.setattr(bulk.tempfile, "mkstemp", refuse)
        out = ws.record_import(make_result(sample_docs(4)), "e" * 64, "m")
        assert ws.load_documents([out.import_id])["src_row"].to_list() == [1, 2, 3, 4]
    assert used[0] == ("documents", False) and _stages(tmp_path) == []


def test_interrupted_staging_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import adbc_driver_sqlite.dbapi as adbc

    monkeypatch.setattr(bulk, "STAGE_MIN_ROWS", 1)
    real_connect = adbc.connect

    def interrupted(path: str) -> Any:  # Ctrl-C while the driver writes the stage
        staging = real_connect(path)
        cursor = staging.cursor()
        staging.cursor = lambda: mock.Mock(adbc_ingest=mock.Mock(side_effect=KeyboardInterrupt), close=cursor.close)
        return staging

    with Workspace.open(tmp_path / "ws.db") as ws:
        ws.record_import(make_result(sample_docs(2)), "c" * 64, "earlier")
        before = snapshot(ws)
        monkeypatch.setattr(adbc, "connect", interrupted)
        with pytest.raises(KeyboardInterrupt):
            ws.record_import(make_result(sample_docs(5)), "d" * 64, "new")
        assert snapshot(ws) == before
    assert _stages(tmp_path) == []


# A child process that holds a stage: it writes the staging file (the real driver), says so, then
# waits forever before the stage is copied into the workspace, as a process busy inserting does.
_HOLD_A_STAGE = """
import sys, time
sys.path.insert(0, sys.argv[2])
import adbc_driver_sqlite.dbapi as adbc
from test_workspace import make_result, sample_docs
from imsrecon.store import bulk
from imsrecon.store.workspace import Workspace

bulk.STAGE_MIN_ROWS = 1
real_connect = adbc.connect

def connect(path):
    staging = real_connect(path)
    real_commit = staging.commit
    def commit():
        real_commit()
        print("staged", flush=True)
        time.sleep(600)
    staging.commit = commit
    return staging

adbc.connect = connect
Workspace.open(sys.argv[1]).record_import(make_result(sample_docs(500)), "9" * 64, "big.json")
"""


def _holding_child(tmp_path: Path) -> Any:
    import subprocess

    child = subprocess.Popen([sys.executable, "-c", _HOLD_A_STAGE, str(tmp_path / "ws.db"), str(Path(__file__).parent)],
                             stdout=subprocess.PIPE, text=True, env={**__import__("os").environ})
    assert child.stdout is not None and child.stdout.readline().strip() == "staged"
    return child


@pytest.mark.skipif(bulk.fcntl is None, reason="stages are locked with flock (POSIX)")
def test_stages_of_killed_processes_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    import signal

    Workspace.open(tmp_path / "ws.db").close()
    child = _holding_child(tmp_path)
    try:
        held = _stages(tmp_path)
        assert [p.suffix for p in held] == [".db", ".lock"] and held[0].stat().st_size > 0
        # a live process's stage is never taken for a stale one (the child holds the workspace's
        # write lock too: another insert would wait for it; the cleaning is the same one)
        assert bulk.remove_stale_stages(tmp_path) == []
        with Workspace.open(tmp_path / "ws.db") as ws:
            assert _stages(tmp_path) == held and ws.imports().height == 0
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        child.stdout.close()  # type: ignore[union-attr]
    assert child.returncode == -signal.SIGKILL
    assert _stages(tmp_path) == held  # killed mid-write: nothing removed its stage
    # a leftover of a version without locks, and a journal of a stage killed mid-write
    (tmp_path / ".imsrecon-stage-old12345.db").write_bytes(b"x" * 1000)
    (tmp_path / ".imsrecon-stage-old12345.db-journal").write_bytes(b"x")
    (tmp_path / "imsrecon-stage-notours.db").write_bytes(b"kept")  # not a hidden stage: not ours
    with Workspace.open(tmp_path / "ws.db") as ws:  # the next open removes every stale stage
        assert _stages(tmp_path) == []
        assert ws.imports().height == 0  # the killed import left nothing in the workspace
    assert (tmp_path / "imsrecon-stage-notours.db").read_bytes() == b"kept"


@pytest.mark.skipif(bulk.fcntl is None, reason="stages are locked with flock (POSIX)")
def test_the_next_staged_insert_removes_stale_stages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    ws = Workspace.open(tmp_path / "ws.db")  # open before the child dies: only the insert can clean
    child = _holding_child(tmp_path)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    child.stdout.close()  # type: ignore[union-attr]
    assert len(_stages(tmp_path)) == 2
    monkeypatch.setattr(bulk, "STAGE_MIN_ROWS", 1)
    out = ws.record_import(make_result(sample_docs(4)), "7" * 64, "next.json")
    assert ws.load_documents([out.import_id]).height == 4
    assert _stages(tmp_path) == []
    ws.close()
