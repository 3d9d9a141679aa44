"""The workspace under real use: imports judged per recipient, a download recognised by its
documents, the recipient of each run and which run a command means, the upgrade to version 6."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import IntegrityError
from test_workspace import _made_at, document_frames, make_result, sample_docs

from imsrecon.model import DOCUMENT_SCHEMA, SourceKind, conform
from imsrecon.store import dialect, migrations, schema
from imsrecon.store.digest import DIGEST_FIELDS, documents_digest
from imsrecon.store.workspace import ANY_RECIPIENT, NoRunError, RunChoiceError, Workspace

A, B = "27AAPFU0939F1ZV", "29AAGCB1286Q1Z0"


def for_recipient(frame: pl.DataFrame, recipient: str | None, side: str = "ims"):
    result = make_result(frame.with_columns(pl.lit(recipient, pl.String).alias("recipient_gstin")), side)
    return dataclasses.replace(result, recipient_gstin=recipient)


@pytest.fixture
def ws(tmp_path: Path):
    with Workspace.open(tmp_path / "ws.db") as w:
        yield w


# ------------------------------------------------------------------------------- per recipient


def test_the_same_file_is_imported_once_per_recipient(ws: Workspace) -> None:
    typo = ws.record_import(for_recipient(sample_docs(3), "27AAPFU0939F1ZX"), "a" * 64, "ims.json")
    right = ws.record_import(for_recipient(sample_docs(3), A), "a" * 64, "ims.json")
    assert not typo.already_imported and not right.already_imported and right.import_id != typo.import_id
    again = ws.record_import(for_recipient(sample_docs(3), A), "a" * 64, "ims.json")
    assert again.already_imported and again.import_id == right.import_id and again.same_documents_as is None
    none = ws.record_import(for_recipient(sample_docs(3), None), "a" * 64, "ims.json")
    assert not none.already_imported
    assert ws.find_import("a" * 64, "ims", A)["id"] == right.import_id
    assert ws.find_import("a" * 64, "ims", None)["id"] == none.import_id
    assert ws.find_import("a" * 64, "ims", B) is None
    assert ws.find_import("a" * 64, "ims", ANY_RECIPIENT)["id"] == none.import_id  # the latest
    assert ws.load_documents([right.import_id])["recipient_gstin"].unique().to_list() == [A]


def test_a_download_saved_again_is_recognised_by_its_documents(ws: Workspace) -> None:
    first = ws.record_import(for_recipient(sample_docs(5), A), "1" * 64, "IMS-Apr.json")
    # saved again: another file name, its records in another order, another SHA-256
    shuffled = sample_docs(5).with_columns(src_file=pl.lit("IMS-Apr (1).json")).reverse()
    again = ws.record_import(for_recipient(shuffled, A), "2" * 64, "IMS-Apr (1).json")
    assert again.already_imported and again.import_id == first.import_id
    assert again.same_documents_as == "ims.file"
    assert ws.imports().height == 1
    # what differs in a document's identity or values is another download
    acted = sample_docs(5).with_columns(action=pl.Series(["A", "N", "N", "N", "N"]))
    assert not ws.record_import(for_recipient(acted, A), "3" * 64, "IMS-Apr-later.json").already_imported
    assert not ws.record_import(for_recipient(sample_docs(5), B), "4" * 64, "IMS-B.json").already_imported
    assert not ws.record_import(for_recipient(sample_docs(5), A, "pr"), "5" * 64, "books.csv").already_imported
    assert ws.imports()["content_digest"].null_count() == 0


def test_empty_downloads_are_not_the_same_download(ws: Workspace) -> None:
    empty = conform(pl.DataFrame())
    jan = ws.record_import(for_recipient(empty, A), "6" * 64, "IMS-Jan.json")
    feb = ws.record_import(for_recipient(empty, A), "7" * 64, "IMS-Feb.json")
    assert not feb.already_imported and feb.import_id != jan.import_id
    assert documents_digest(empty) is None


# ------------------------------------------------------------------------------- the digest


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=document_frames(), seed=st.integers(0, 2**16), data=st.data())
def test_digest_sees_documents_not_their_place(frame: pl.DataFrame, seed: int, data: st.DataObject) -> None:
    if frame.height == 0:
        return
    digest = documents_digest(frame)
    moved = frame.sample(fraction=1.0, shuffle=True, seed=seed).with_columns(
        src_file=pl.lit("other name.json"), src_row=pl.col("src_row").reverse(), portal_record=pl.lit("{ }"))
    assert documents_digest(moved) == digest
    field = data.draw(st.sampled_from(DIGEST_FIELDS))
    row = data.draw(st.integers(0, frame.height - 1))
    old = frame[field][row]
    dtype = DOCUMENT_SCHEMA[field]
    new = {pl.String: "x" if old != "x" else "y", pl.Int64: 1 if old != 1 else 2, pl.Float64: 1.5 if old != 1.5 else 2.5,
           pl.Date: dt.date(2025, 1, 1) if old != dt.date(2025, 1, 1) else dt.date(2025, 1, 2),
           pl.Boolean: not old if old is not None else True}[dtype]
    changed = frame.with_columns(frame[field].scatter(row, new))
    assert documents_digest(changed) != digest, field


def test_digest_reads_amounts_as_values() -> None:
    base = sample_docs(3)
    assert documents_digest(base.with_columns(pl.col("taxable_value") + 0.00001)) == documents_digest(base)
    assert documents_digest(base.with_columns(pl.col("taxable_value") + 0.01)) != documents_digest(base)
    twice = pl.concat([base, base.head(1)])
    assert documents_digest(twice) != documents_digest(base)  # a document held twice is not held once


# ------------------------------------------------------------------------------- which run


def _run(ws: Workspace, recipient: str | None) -> int:
    imp = ws.record_import(for_recipient(sample_docs(1), recipient or A), f"{ws.runs().height:064x}", "i.json")
    return ws.record_run({"recipient_gstin": recipient}, [imp.import_id], [], pl.DataFrame(), recipient_gstin=recipient)


@pytest.mark.parametrize(
    ("recipients", "run_id", "gstin", "expected"),
    [
        ([A, A], None, None, 2),  # one recipient: the latest run
        ([A, B, A], None, A, 3),
        ([A, B, A], None, B, 2),
        ([A, B], None, None, RunChoiceError),  # several recipients: say which
        ([A, B], 1, None, 1),  # --run alone is never ambiguous
        ([A, B], 1, A, 1),
        ([A, B], 1, B, RunChoiceError),  # run 1 is A's
        ([A, None, A], None, None, 3),  # a run without one named recipient goes with any
        ([A, None], None, None, 2),
        ([A], None, B, NoRunError),
        ([A], 9, None, NoRunError),
    ],
)
def test_choose_run(ws: Workspace, recipients, run_id, gstin, expected) -> None:
    for r in recipients:
        _run(ws, r)
    if isinstance(expected, type):
        with pytest.raises(expected) as err:
            ws.choose_run(run_id, gstin)
        if len(set(recipients) - {None}) > 1 and run_id is None:
            assert f"{A}: run 1" in str(err.value) and "--gstin" in str(err.value)
        return
    assert ws.choose_run(run_id, gstin)["id"] == expected


def test_no_run_at_all(ws: Workspace) -> None:
    assert ws.choose_run() is None and ws.choose_run(None, A) is None


# ------------------------------------------------------------------------------- migration 6


def test_upgrade_from_version_5(tmp_path: Path) -> None:
    # as version 2 made the file index before
    made = _made_at(tmp_path / "v5.db", 5, "CREATE UNIQUE INDEX ix_imports_sha256_side ON imports (sha256, side)")
    engine = dialect.make_engine(dialect.resolve_url(made))
    now = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        for i, (sha, recipient) in enumerate([("same", A), ("other", None)], 1):
            conn.execute(text(
                "INSERT INTO imports (id, file_name, sha256, kind, side, imported_at, rows_read, documents, warnings, "
                "errors, recipient_gstin) VALUES (:i, 'ims.json', :s, 'ims_json', 'ims', :t, 0, 0, 0, 0, :r)"),
                {"i": i, "s": sha, "t": now, "r": recipient})
        runs = [({"recipient_gstin": A}, []), ({}, [B, B]), ({}, [A, B]), ({"recipient_gstin": None}, [])]
        for run_id, (config, rows) in enumerate(runs, 1):
            conn.execute(text(
                "INSERT INTO runs (id, started_at, finished_at, config_json, ims_import_ids, pr_import_ids, "
                "counts_json, tool_version) VALUES (:i, :t, :t, :c, '[1]', '[]', '{}', '0.1.0')"),
                {"i": run_id, "t": now, "c": json.dumps(config)})
            for r in rows:
                conn.execute(text("INSERT INTO results (run_id, match_status, recipient_gstin) VALUES (:i, 'exact', :r)"),
                             {"i": run_id, "r": r})
        assert "ix_imports_sha256_side" in {i["name"] for i in inspect(conn).get_indexes("imports")}
    engine.dispose()
    with Workspace.open(made) as ws:
        with ws._engine.connect() as conn:
            assert migrations.current_version(conn) == migrations.SCHEMA_VERSION >= 6
            names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                     "AND tbl_name = 'imports'"))}
        assert names == {"uq_imports_sha256_side_recipient"}
        assert ws.runs()["recipient_gstin"].to_list() == [A, B, None, None]
        assert ws.choose_run(None, B)["id"] == 2
        with pytest.raises(RunChoiceError):
            ws.choose_run()
        # one import per file, side and recipient: enforced by the database too
        row = dict(file_name="x", kind="ims_json", side="ims", imported_at=now, rows_read=0, documents=0,
                   warnings=0, errors=0)
        for sha, recipient in (("same", A), ("other", None)):  # a blank recipient is one recipient too
            with pytest.raises(IntegrityError), ws._engine.begin() as conn:
                conn.execute(insert(schema.imports).values(**row, sha256=sha, recipient_gstin=recipient))
        with ws._engine.begin() as conn:
            conn.execute(insert(schema.imports).values(**row, sha256="same", recipient_gstin=B))
            assert conn.execute(select(schema.imports.c.id).where(schema.imports.c.recipient_gstin == B)).first()
        # make_result's recipient is 27AAACR1234A1Z1: a new import of the same file
        out = ws.record_import(make_result(sample_docs(1)), "same", "ims.json")
        assert not out.already_imported and ws.imports()["kind"][-1] == SourceKind.IMS_JSON.value
