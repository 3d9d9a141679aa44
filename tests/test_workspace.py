"""The workspace database: round trips, idempotent imports, atomic writes, migrations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import traceback
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from imsrecon.importers.base import ImportResult
from imsrecon.issues import RowIssue, Severity
from imsrecon.model import DOCUMENT_SCHEMA, Side, SourceKind, conform, empty_documents
from imsrecon.result import RESULT_SCHEMA, conform_result
from imsrecon.store import dialect, migrations, schema
from imsrecon.store import workspace as W
from imsrecon.store.workspace import (
    ImportOutcome,
    NoRunError,
    NotAWorkspaceError,
    UnknownImportError,
    Workspace,
    WorkspaceError,
    WorkspaceVersionError,
)

_sha = (f"{i:064x}" for i in itertools.count(1))


# ------------------------------------------------------------------------------- helpers


def docs(**cols: list[Any]) -> pl.DataFrame:
    """A conformant document frame from a few columns (the rest null)."""
    return conform(pl.DataFrame(cols)) if cols else empty_documents()


def sample_docs(n: int = 3, side: str = "ims") -> pl.DataFrame:
    return docs(
        side=[side] * n,
        source_kind=["ims_json" if side == "ims" else "pr_csv"] * n,
        src_file=["f.json"] * n,
        src_row=list(range(1, n + 1)),
        supplier_gstin=["29ABCDE1234F1Z5"] * n,
        supplier_name=["Śrī Traders ₹"] * n,
        doc_class=["invoice"] * n,
        is_amendment=[False, True, None][:n] + [False] * max(0, n - 3),
        doc_no=[f"INV/{i}" for i in range(n)],
        doc_no_norm=[f"INV{i}" for i in range(n)],
        doc_date=[dt.date(2025, 4, 1) + dt.timedelta(days=i) for i in range(n)],
        taxable_value=[1000.5 + i for i in range(n)],
        igst=[180.09] * n,
        cgst=[None] * n,
        reverse_charge=[i % 2 == 0 for i in range(n)],
    )


def make_result(frame: pl.DataFrame, side: str = "ims", issues: list[RowIssue] | None = None) -> ImportResult:
    return ImportResult(
        file=f"{side}.file",
        kind=SourceKind.IMS_JSON if side == "ims" else SourceKind.PR_CSV,
        side=Side(side),
        documents=frame,
        issues=issues or [],
        rows_read=frame.height + len(issues or []),
        recipient_gstin="27AAACR1234A1Z1",
        notes=["header row found at 3"],
    )


ISSUES = [
    RowIssue(Severity.ERROR, "pr.csv", 4, "Invoice Date", "31/02/2025", "no such date", "Sheet1", 6, "bad_date"),
    RowIssue(Severity.WARNING, "pr.csv", 5, None, None, "blank GSTIN"),
]


def table_rows(ws: Workspace, table: Table) -> list[tuple[Any, ...]]:
    with ws._engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]


def snapshot(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    tables = (schema.imports, schema.documents, schema.import_issues, schema.audit_log)
    return {t.name: table_rows(ws, t) for t in tables}


@pytest.fixture
def ws(tmp_path: Path):
    w = Workspace.open(tmp_path / "ws.db")
    yield w
    w.close()


# ------------------------------------------------------------------------------- imports


def test_import_round_trip(ws: Workspace) -> None:
    frame = sample_docs(5)
    sha = next(_sha)
    out = ws.record_import(make_result(frame, issues=ISSUES), sha, "/data/ims.json")
    assert isinstance(out, ImportOutcome) and not out.already_imported
    assert out.imported_at.tzinfo is not None and out.imported_at.utcoffset() == dt.timedelta(0)

    loaded = ws.load_documents([out.import_id])
    assert loaded.columns == ["document_id", *DOCUMENT_SCHEMA]
    assert loaded.schema["document_id"] == pl.Int64
    assert_frame_equal(loaded.drop("document_id"), frame)
    assert loaded["document_id"].is_sorted() and loaded["document_id"].n_unique() == 5

    assert ws.load_issues(out.import_id) == ISSUES
    row = ws.find_import(sha, "ims")
    assert row is not None and row["id"] == out.import_id and row["file_path"] == "/data/ims.json"
    assert row["imported_at"] == out.imported_at
    assert ws.find_import(sha, "pr") is None


def test_imports_frame(ws: Workspace) -> None:
    out = ws.record_import(make_result(sample_docs(2), issues=ISSUES), "abc", "/x/ims.json")
    imp = ws.imports()
    assert imp.columns[:12] == [
        "id", "file_name", "file_path", "sha256", "kind", "side", "imported_at",
        "rows_read", "documents", "warnings", "errors", "recipient_gstin",
    ]  # fmt: skip
    assert imp.schema["imported_at"] == pl.Datetime("us", "UTC")
    r = imp.row(0, named=True)
    assert (r["id"], r["kind"], r["side"], r["sha256"]) == (out.import_id, "ims_json", "ims", "abc")
    assert (r["rows_read"], r["documents"], r["warnings"], r["errors"]) == (4, 2, 1, 1)
    assert r["recipient_gstin"] == "27AAACR1234A1Z1"
    assert json.loads(r["notes"]) == ["header row found at 3"]
    assert r["imported_at"] == out.imported_at


def test_load_documents_order_and_unknown_ids(ws: Workspace) -> None:
    a = ws.record_import(make_result(sample_docs(2)), next(_sha), "a").import_id
    b = ws.record_import(make_result(sample_docs(3, "pr"), side="pr"), next(_sha), "b").import_id
    both = ws.load_documents([b, a])
    assert both["side"].to_list() == ["pr"] * 3 + ["ims"] * 2
    assert ws.load_documents([a]).height == 2 and ws.load_documents(a).height == 2
    empty = ws.load_documents([])
    assert empty.height == 0 and empty.columns == ["document_id", *DOCUMENT_SCHEMA]
    with pytest.raises(UnknownImportError, match="999"):
        ws.load_documents([a, 999])
    with pytest.raises(UnknownImportError):
        ws.load_issues(999)


def test_same_file_twice_is_a_no_op(ws: Workspace) -> None:
    sha = next(_sha)
    first = ws.record_import(make_result(sample_docs(3), issues=ISSUES), sha, "/a/ims.json")
    before = snapshot(ws)
    again = ws.record_import(make_result(sample_docs(4), issues=ISSUES), sha, "/b/copy.json")
    assert again.already_imported and again.import_id == first.import_id
    assert again.imported_at == first.imported_at
    assert snapshot(ws) == before
    # the same file for the other side is a different import
    other = ws.record_import(make_result(sample_docs(1, "pr"), side="pr"), sha, "/a/pr.csv")
    assert not other.already_imported and other.import_id != first.import_id


def test_empty_import(ws: Workspace) -> None:
    out = ws.record_import(make_result(docs()), next(_sha), "empty.json")
    assert ws.load_documents([out.import_id]).height == 0
    # a frame with no columns at all is an empty document set too, not one null row
    out = ws.record_import(make_result(pl.DataFrame()), next(_sha), "empty2.json")
    assert ws.load_documents([out.import_id]).height == 0
    assert ws.load_issues(out.import_id) == []


@pytest.mark.parametrize("fail_at", [2, 4], ids=["documents-chunk-2", "issues-chunk"])
def test_failed_import_rolls_back(ws: Workspace, monkeypatch: pytest.MonkeyPatch, fail_at: int) -> None:
    ws.record_import(make_result(sample_docs(2), issues=ISSUES), next(_sha), "earlier")
    before = snapshot(ws)
    calls: list[str] = []
    real = W._insert_chunk

    def flaky(conn: Any, table: Table, frame: pl.DataFrame) -> None:
        calls.append(table.name)
        if len(calls) == fail_at:
            raise RuntimeError("disk on fire")
        real(conn, table, frame)

    monkeypatch.setattr(W, "CHUNK_ROWS", 2)
    monkeypatch.setattr(W, "_insert_chunk", flaky)
    sha = next(_sha)
    with pytest.raises(RuntimeError, match="disk on fire"):
        ws.record_import(make_result(sample_docs(5), issues=ISSUES), sha, "new")
    assert calls[0] == "documents" and len(calls) == fail_at
    assert snapshot(ws) == before
    assert ws.find_import(sha, "ims") is None

    monkeypatch.setattr(W, "_insert_chunk", real)
    out = ws.record_import(make_result(sample_docs(5), issues=ISSUES), sha, "new")
    assert not out.already_imported and ws.load_documents([out.import_id]).height == 5


# ------------------------------------------------------------------------------- property


def _values(dtype: Any) -> st.SearchStrategy[Any]:
    if dtype == pl.String:
        return st.text(max_size=12)
    if dtype == pl.Int64:
        return st.integers(-(2**63), 2**63 - 1)
    if dtype == pl.Float64:
        return st.floats(allow_nan=False)  # SQLite stores NaN as NULL
    if dtype == pl.Date:
        return st.dates()
    if dtype == pl.Boolean:
        return st.booleans()
    raise AssertionError(dtype)


@st.composite
def document_frames(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(0, 6))
    cols = {
        name: draw(st.lists(st.none() | _values(dtype), min_size=n, max_size=n))
        for name, dtype in DOCUMENT_SCHEMA.items()
    }
    return pl.DataFrame(cols, schema=DOCUMENT_SCHEMA)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=document_frames())
def test_documents_round_trip_property(frame: pl.DataFrame) -> None:
    with Workspace.open(":memory:") as ws:
        out = ws.record_import(make_result(frame), "f" * 64, "gen")
        assert_frame_equal(ws.load_documents([out.import_id]).drop("document_id"), frame)


# ------------------------------------------------------------------------------- runs


def _result_frame(ims_ids: list[int], pr_ids: list[int | None]) -> pl.DataFrame:
    n = len(ims_ids)
    return pl.DataFrame(
        {
            "match_status": ["exact", "mismatch", "missing_in_pr"][:n],
            "ims_doc_no": [f"INV/{i}" for i in range(n)],
            "ims_doc_date": [dt.date(2025, 4, 1)] * n,
            "pr_row": [7, None, None][:n],
            "ims_igst": [180.09, 1.5, None][:n],
            "score": [1.0, 0.42, None][:n],
            "reverse_charge": [True, None, False][:n],
            "differences": ["", "igst", ""][:n],
            "matching_key": [f"K{i}" for i in range(n)],
            "ims_document_id": ims_ids,
            "pr_document_id": pr_ids,
        }
    )


def test_record_run_and_load_result(ws: Workspace) -> None:
    with pytest.raises(NoRunError):
        ws.load_result()
    ims = ws.record_import(make_result(sample_docs(3)), next(_sha), "i").import_id
    pr = ws.record_import(make_result(sample_docs(1, "pr"), side="pr"), next(_sha), "p").import_id
    ims_docs = ws.load_documents([ims])["document_id"].to_list()
    pr_doc = ws.load_documents([pr])["document_id"][0]
    frame = _result_frame(ims_docs, [pr_doc, None, None])

    run1 = ws.record_run({"tolerance": 1.0, "path": Path("/x")}, [ims], [pr], frame, actor="tester")
    expected = conform_result(frame.drop("ims_document_id", "pr_document_id"))
    got = ws.load_result(run1)
    assert got.columns == list(RESULT_SCHEMA)
    assert_frame_equal(got, expected)
    assert_frame_equal(ws.load_result(), expected)
    with_ids = ws.load_result(run1, with_document_ids=True)
    assert with_ids["ims_document_id"].to_list() == ims_docs
    assert with_ids["pr_document_id"].to_list() == [pr_doc, None, None]

    run2 = ws.record_run({}, [ims], [pr], conform_result(frame.head(1).drop("ims_document_id", "pr_document_id")))
    assert run2 > run1 and ws.load_result().height == 1 and ws.load_result(run1).height == 3
    with pytest.raises(NoRunError, match="999"):
        ws.load_result(999)

    runs = ws.runs()
    assert runs["id"].to_list() == [run1, run2]
    r = runs.row(0, named=True)
    assert json.loads(r["config_json"]) == {"tolerance": 1.0, "path": "/x"}
    assert json.loads(r["ims_import_ids"]) == [ims] and json.loads(r["pr_import_ids"]) == [pr]
    assert json.loads(r["counts_json"])["exact"] == 1
    assert r["started_at"] <= r["finished_at"] and r["tool_version"]
    audit = ws.audit_log().filter(pl.col("event") == "run")
    assert audit["entity_key"].to_list() == [str(run1), str(run2)]
    assert audit["actor"][0] == "tester"


def test_record_run_is_atomic(ws: Workspace) -> None:
    ims = ws.record_import(make_result(sample_docs(2)), next(_sha), "i").import_id
    before = (table_rows(ws, schema.runs), table_rows(ws, schema.results), snapshot(ws))
    with pytest.raises(UnknownImportError):
        ws.record_run({}, [ims], [424242], _result_frame([None, None], [None, None]))
    with pytest.raises(IntegrityError):  # foreign key to documents: enforced on SQLite too, raised as SQLAlchemy raises it
        ws.record_run({}, [ims], [], _result_frame([1, 987654], [None, None]))
    with pytest.raises(ValueError, match="bogus"):
        ws.record_run({}, [ims], [], _result_frame([None], [None]).with_columns(bogus=pl.lit(1)))
    assert (table_rows(ws, schema.runs), table_rows(ws, schema.results), snapshot(ws)) == before


# ------------------------------------------------------------------------------- decisions


def test_decisions_and_audit(ws: Workspace) -> None:
    d1 = ws.record_decision("K1", "Accept", None, "asha", "review")
    d2 = ws.record_decision("K2", "Pending", "ask supplier", "ravi", "review")
    d3 = ws.record_decision("K1", "Reject", "duplicate", "asha", "excel", reason="supplier confirmed")
    assert d1 < d2 < d3

    latest = ws.latest_decisions()
    assert latest["matching_key"].to_list() == ["K1", "K2"]
    assert latest["id"].to_list() == [d3, d2]
    assert latest["action"].to_list() == ["Reject", "Pending"]
    assert latest.schema["decided_at"] == pl.Datetime("us", "UTC")

    log = ws.audit_log().filter(pl.col("event") == "decision")
    assert log["entity_key"].to_list() == ["K1", "K2", "K1"]
    assert log["old_value"][0] is None
    old, new = json.loads(log["old_value"][2]), json.loads(log["new_value"][2])
    assert (old["id"], old["action"], old["remarks"]) == (d1, "Accept", None)
    assert (new["id"], new["action"], new["remarks"], new["source"]) == (d3, "Reject", "duplicate", "excel")
    assert log["reason"][2] == "supplier confirmed" and log["actor"][2] == "asha"


def test_audit_is_append_only(ws: Workspace) -> None:
    ws.audit("asha", "export", "file", "out.xlsx", None, {"rows": 3}, "monthly")
    log = ws.audit_log()
    assert log.row(0, named=True) | {"id": 0, "at": None} == {
        "id": 0, "at": None, "actor": "asha", "event": "export", "entity": "file",
        "entity_key": "out.xlsx", "old_value": None, "new_value": '{"rows": 3}', "reason": "monthly",
    }  # fmt: skip
    assert log["at"][0].tzinfo is not None
    with pytest.raises(SQLAlchemyError, match="append-only"), ws._engine.begin() as conn:
        conn.execute(update(schema.audit_log).values(actor="mallory"))
    with pytest.raises(SQLAlchemyError, match="append-only"), ws._engine.begin() as conn:
        conn.execute(schema.audit_log.delete())
    assert ws.audit_log()["actor"].to_list() == ["asha"]


# ------------------------------------------------------------------------------- migrations


def _version(ws: Workspace) -> int:
    with ws._engine.connect() as conn:
        return migrations.current_version(conn)


def _made_at(path: Path, version: int, *statements: str) -> Path:
    """A workspace file at an older schema version, then changed by ``statements`` (to look as
    that version's code made it)."""
    engine = dialect.make_engine(dialect.resolve_url(path))
    assert migrations.migrate(engine, target=version) == version
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()
    return path


def test_upgrade_from_version_3_drops_the_unused_number_index(tmp_path: Path) -> None:
    # as version 2 made it before
    made = _made_at(tmp_path / "v3.db", 3,
                    "CREATE INDEX ix_documents_supplier_gstin_doc_no_norm ON documents (supplier_gstin, doc_no_norm)")
    with Workspace.open(made) as ws, ws._engine.connect() as conn:
        assert _version(ws) == migrations.SCHEMA_VERSION >= 4
        names = {i["name"] for i in inspect(conn).get_indexes("documents")}
        assert names == {"ix_documents_import_id"}


def test_upgrade_from_version_4_indexes_results_by_run_alone(tmp_path: Path) -> None:
    made = _made_at(tmp_path / "v4.db", 4, "DROP INDEX IF EXISTS ix_results_run_id",  # as version 2 made it before
                    "CREATE INDEX ix_results_run_id_matching_key ON results (run_id, matching_key)")
    with Workspace.open(made) as ws, ws._engine.connect() as conn:
        assert _version(ws) == migrations.SCHEMA_VERSION >= 5
        assert [i["column_names"] for i in inspect(conn).get_indexes("results")] == [["run_id"]]
        # a run's rows are read along the index, in id order, without sorting them again
        plan = " ".join(r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN SELECT * FROM results WHERE run_id = 1 ORDER BY id")))
        assert "ix_results_run_id" in plan and "TEMP B-TREE" not in plan


def test_upgrade_from_version_1(tmp_path: Path) -> None:
    url = dialect.resolve_url(tmp_path / "old.db")
    engine = dialect.make_engine(url)
    assert migrations.migrate(engine, target=1) == 1
    with engine.begin() as conn:
        conn.execute(
            insert(schema.imports).values(
                file_name="old.json", sha256="old", kind="ims_json", side="ims",
                imported_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                rows_read=0, documents=0, warnings=0, errors=0,
            )
        )  # fmt: skip
        assert inspect(conn).get_indexes("documents") == []
    engine.dispose()

    with Workspace.open(tmp_path / "old.db") as ws:
        assert _version(ws) == migrations.SCHEMA_VERSION > 1
        with ws._engine.connect() as conn:
            names = {i["name"] for i in inspect(conn).get_indexes("documents")}
            assert "ix_documents_import_id" in names
            assert "ix_documents_supplier_gstin_doc_no_norm" not in names  # no query reads it
            assert dialect.has_append_only_guard(conn, schema.audit_log)
            versions = conn.execute(select(schema.schema_version.c.version)).scalars().all()
        assert versions == list(range(1, migrations.SCHEMA_VERSION + 1))
        assert ws.imports()["file_name"].to_list() == ["old.json"]
        assert ws.record_import(dataclasses.replace(make_result(docs()), recipient_gstin=None), "old", "x").already_imported
        assert not ws.record_import(make_result(docs()), "old", "x").already_imported  # another recipient


def test_newer_workspace_is_refused(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "new.db") as ws, ws._engine.begin() as conn:
        conn.execute(
            insert(schema.schema_version).values(
                version=migrations.SCHEMA_VERSION + 5, description="from the future",
                applied_at=dt.datetime.now(dt.UTC), tool_version="99.0",
            )
        )  # fmt: skip
    with pytest.raises(WorkspaceVersionError) as err:
        Workspace.open(tmp_path / "new.db")
    msg = str(err.value)
    assert f"schema version {migrations.SCHEMA_VERSION + 5}" in msg
    assert f"up to {migrations.SCHEMA_VERSION}" in msg and "new.db" in msg and "upgrade" in msg


def test_new_model_columns_are_added_on_open(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "w.db") as ws, ws._engine.begin() as conn:
        # what a workspace written before `portal_record` joined DOCUMENT_SCHEMA would look like
        conn.exec_driver_sql("ALTER TABLE documents DROP COLUMN portal_record")
    with Workspace.open(tmp_path / "w.db") as ws:
        frame = sample_docs(2).with_columns(portal_record=pl.lit('{"inum": "1"}'))
        out = ws.record_import(make_result(frame), next(_sha), "x")
        assert_frame_equal(ws.load_documents([out.import_id]).drop("document_id"), frame)


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    other = MetaData()
    Table("customers", other, Column("id", Integer, primary_key=True))
    engine = dialect.make_engine(dialect.resolve_url(tmp_path / "other.db"))
    other.create_all(engine)
    engine.dispose()
    with pytest.raises(NotAWorkspaceError, match="customers"):
        Workspace.open(tmp_path / "other.db")
    (tmp_path / "notes.txt").write_text("not a database at all " * 100)
    with pytest.raises(WorkspaceError, match="notes.txt"):
        Workspace.open(tmp_path / "notes.txt")


# ------------------------------------------------------------------------------- targets


def test_file_path_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "w.db"
    path.parent.mkdir()
    ws = Workspace.open(str(path))
    assert not ws.is_memory and ws.url == f"sqlite:///{path}"
    out = ws.record_import(make_result(sample_docs(2)), next(_sha), "x")
    assert Path(f"{path}-wal").exists()  # WAL journal while open
    ws.close()
    with pytest.raises(WorkspaceError, match="closed"):
        ws.imports()
    with Workspace.open(path) as again:
        assert again.load_documents([out.import_id]).height == 2
    with pytest.raises(WorkspaceError, match="does not exist"):
        Workspace.open(tmp_path / "missing" / "w.db")


def test_env_var_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("IMSRECON_DB", str(tmp_path / "from_env.db"))
    with Workspace.open() as ws:
        assert ws.url.endswith("from_env.db")
    assert (tmp_path / "from_env.db").exists()
    monkeypatch.setenv("IMSRECON_DB", "sqlite:///relative.db")
    with Workspace.open() as ws:
        assert ws.url == f"sqlite:///{tmp_path / 'relative.db'}"
    monkeypatch.delenv("IMSRECON_DB")
    with Workspace.open() as ws:
        assert ws.url == f"sqlite:///{tmp_path / 'imsrecon.db'}"
    assert (tmp_path / "imsrecon.db").exists()


def test_memory_workspaces_are_separate() -> None:
    a, b = Workspace.open(":memory:"), Workspace.open("sqlite://")
    assert a.is_memory and b.is_memory
    out = a.record_import(make_result(sample_docs(2)), next(_sha), "x")
    assert a.load_documents([out.import_id]).height == 2  # survives between connections
    assert b.imports().height == 0
    a.close()
    b.close()


def _exception_text(exc: BaseException | None) -> str:
    """Every message and repr along the exception chain (chained or suppressed)."""
    out = []
    while exc is not None:
        out += ["".join(traceback.format_exception_only(exc)), repr(exc)]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(out)


def test_passwords_are_masked() -> None:
    url = "postgresql+psycopg://alice:s3cr%40t-pw@db.example:5432/ims"
    assert dialect.mask_url(dialect.resolve_url(url)) == "postgresql+psycopg://alice:***@db.example:5432/ims"
    with pytest.raises(WorkspaceError) as err:  # no driver here, or no server: either way masked
        Workspace.open(url)
    shown = _exception_text(err.value)
    assert "s3cr" not in shown and "alice:***@" in shown
    with pytest.raises(WorkspaceError) as err:
        Workspace.open("postgresql://alice:s3cret@db.example:port/ims")
    assert "s3cret" not in _exception_text(err.value) and "alice:***@" in str(err.value)
    assert dialect.scrub("failed for postgresql://bob:hunter2@h/db", None) == "failed for postgresql://bob:***@h/db"


def test_repr_masks_password() -> None:
    ws = Workspace(dialect.make_engine(dialect.resolve_url(":memory:")), dialect.resolve_url("postgresql://u:pw1@h/d"))
    assert "pw1" not in repr(ws) and "u:***@h" in repr(ws)
    ws.close()


def test_chunked_insert_keeps_every_row(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(W, "CHUNK_ROWS", 3)
    out = ws.record_import(make_result(sample_docs(10)), next(_sha), "x")
    with ws._engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(schema.documents)).scalar()
    assert n == 10 and ws.load_documents([out.import_id])["src_row"].to_list() == list(range(1, 11))


def test_reads_in_batches_keep_every_row_in_order(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = sample_docs(7)
    out = ws.record_import(make_result(frame), next(_sha), "x")
    monkeypatch.setattr(schema, "READ_BATCH", 3)
    assert_frame_equal(ws.load_documents([out.import_id]).drop("document_id"), conform(frame))
