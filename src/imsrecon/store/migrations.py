"""Schema migrations in code: an ordered list of steps and a ``schema_version`` table.

Opening a workspace brings it to :data:`SCHEMA_VERSION`: every step above the version recorded
in ``schema_version`` runs, in order, inside one transaction (SQLite and PostgreSQL both have
transactional DDL, so a failed upgrade leaves the workspace as it was). A workspace recorded at
a *newer* version than this code knows raises :class:`WorkspaceVersionError` and is not touched.

After the steps, columns that a newer :data:`~imsrecon.model.DOCUMENT_SCHEMA`,
:data:`~imsrecon.result.RESULT_SCHEMA` or :data:`~imsrecon.issues.ISSUE_SCHEMA` added are added
to their tables (those schemas only grow at the end; see :mod:`.schema`), so a new model field
needs no hand-written step.

Writing a step: append a :class:`Migration` with the next version number; never edit or reorder
a released one. Step 1 creates tables from the *current* table definitions, so a later step that
adds a column to a hand-written table must use :func:`add_column_if_missing` (on a new workspace
step 1 has already created it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, func, insert, inspect, select, text, update
from sqlalchemy.schema import CreateIndex, CreateTable

from imsrecon import __version__
from imsrecon.store import dialect
from imsrecon.store.schema import (
    DECLARATION_COLUMNS,
    GENERATED,
    IMPORT_PER_RECIPIENT,
    INDEXES,
    TABLES,
    UPLOAD_INDEXES,
    UPLOAD_TABLES,
    audit_log,
    decisions,
    imports,
    results,
    runs,
    schema_version,
    upload_items,
    utcnow,
)

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "NotAWorkspaceError",
    "WorkspaceVersionError",
    "add_column_if_missing",
    "current_version",
    "migrate",
]


class WorkspaceVersionError(dialect.WorkspaceError):
    """The workspace was written by a newer imsrecon than this one."""


class NotAWorkspaceError(dialect.WorkspaceError):
    """The database holds tables but no ``schema_version``: it is not an imsrecon workspace."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _create_tables(conn: Connection) -> None:
    for table in TABLES:
        conn.execute(CreateTable(table))


def _indexes_and_audit_guard(conn: Connection) -> None:
    for index in INDEXES:
        index.create(conn, checkfirst=True)
    dialect.install_append_only_guard(conn, audit_log)


def _upload_tables(conn: Connection) -> None:
    for table in UPLOAD_TABLES:
        conn.execute(CreateTable(table))
    for index in UPLOAD_INDEXES:
        index.create(conn, checkfirst=True)


def _drop_number_index(conn: Connection) -> None:
    # every stored document paid for it (a quarter of the insert time) and no query reads it;
    # step 2 no longer makes it, so only workspaces made before this step have it
    conn.execute(text("DROP INDEX IF EXISTS ix_documents_supplier_gstin_doc_no_norm"))


def _results_by_run(conn: Connection) -> None:
    # a run's rows are read in id order: on (run_id, matching_key) SQLite sorted all of them
    # again (2.5 s at 1M rows), and the random text keys slowed every insert; nothing looks a
    # result up by its key
    conn.execute(text("DROP INDEX IF EXISTS ix_results_run_id_matching_key"))
    for index in INDEXES:
        index.create(conn, checkfirst=True)


def _per_recipient(conn: Connection) -> None:
    # "already imported" is judged per recipient: a file imported under a mistyped --gstin was
    # reused under the right one (every document for the wrong recipient, the run empty)
    add_column_if_missing(conn, imports, imports.c.content_digest)
    add_column_if_missing(conn, runs, runs.c.recipient_gstin)
    conn.execute(text("DROP INDEX IF EXISTS ix_imports_sha256_side"))
    conn.execute(CreateIndex(IMPORT_PER_RECIPIENT, if_not_exists=True))
    # the recipient of each earlier run: its --gstin, else the one recipient of its result rows
    single = dict(
        conn.execute(
            select(results.c.run_id, func.min(results.c.recipient_gstin))
            .group_by(results.c.run_id)
            .having(func.count(func.distinct(results.c.recipient_gstin)) == 1)
        ).all()
    )
    for run_id, config_json in conn.execute(select(runs.c.id, runs.c.config_json)).all():
        config = json.loads(config_json or "{}")
        recipient = (config.get("recipient_gstin") if isinstance(config, dict) else None) or single.get(run_id)
        if recipient:
            conn.execute(update(runs).where(runs.c.id == run_id).values(recipient_gstin=recipient))


def _declarations_and_item_times(conn: Connection) -> None:
    # a decision's ITC-reduction declaration; when an uploaded document's status last changed
    for name in DECLARATION_COLUMNS:
        add_column_if_missing(conn, decisions, decisions.c[name])
    add_column_if_missing(conn, upload_items, upload_items.c.status_at)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "tables", _create_tables),
    Migration(2, "lookup indexes; append-only audit_log", _indexes_and_audit_guard),
    Migration(3, "uploads and upload_items (upload status)", _upload_tables),
    Migration(4, "drop the unused index on documents (supplier GSTIN, number)", _drop_number_index),
    Migration(5, "results indexed by run alone", _results_by_run),
    Migration(6, "imports per recipient with a digest of their documents; the recipient of each run",
              _per_recipient),
    Migration(7, "decisions carry the ITC-reduction declaration; upload items their status time",
              _declarations_and_item_times),
)
SCHEMA_VERSION = MIGRATIONS[-1].version

assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def add_column_if_missing(conn: Connection, table: Table, column: Column[Any]) -> bool:
    present = {c["name"] for c in inspect(conn).get_columns(table.name)}
    if column.name in present:
        return False
    dialect.add_column(conn, table, column)
    return True


def current_version(conn: Connection) -> int:
    """The recorded schema version; 0 for an empty database."""
    insp = inspect(conn)
    if not insp.has_table(schema_version.name):
        others = insp.get_table_names()
        if others:
            raise NotAWorkspaceError(
                f"the database already holds tables ({', '.join(sorted(others)[:5])}"
                f"{', …' if len(others) > 5 else ''}) and is not an imsrecon workspace"
            )
        return 0
    return int(conn.execute(select(func.max(schema_version.c.version))).scalar() or 0)


def _missing_generated_columns(conn: Connection) -> list[tuple[Table, Column[Any]]]:
    insp = inspect(conn)
    missing: list[tuple[Table, Column[Any]]] = []
    for table, model_schema in GENERATED.items():
        present = {c["name"] for c in insp.get_columns(table.name)}
        missing += [(table, table.c[name]) for name in model_schema if name not in present]
    return missing


def _check_not_newer(found: int, where: str) -> None:
    if found > SCHEMA_VERSION:
        raise WorkspaceVersionError(
            f"workspace {where or '(unnamed)'} is at schema version {found}, but this imsrecon "
            f"({__version__}) knows schema versions up to {SCHEMA_VERSION}; "
            "upgrade imsrecon to open it"
        )


def migrate(engine: Engine, *, target: int | None = None, where: str = "") -> int:
    """Bring the database to ``target`` (default :data:`SCHEMA_VERSION`); return its version.

    ``where`` names the workspace in error messages (pass a masked URL).
    """
    target = SCHEMA_VERSION if target is None else target
    if not 0 <= target <= SCHEMA_VERSION:
        raise ValueError(f"no schema version {target}; known: 1..{SCHEMA_VERSION}")
    # Fast path without the write lock: most opens find the workspace up to date.
    with engine.connect() as conn:
        found = current_version(conn)
        _check_not_newer(found, where)
        if found >= target and (target < SCHEMA_VERSION or not _missing_generated_columns(conn)):
            return found
    with engine.connect() as conn:
        conn.execution_options(**dialect.WRITE)
        with conn.begin():
            found = current_version(conn)  # again: another process may have upgraded it
            _check_not_newer(found, where)
            if found == 0:
                schema_version.create(conn)
            for step in MIGRATIONS:
                if found < step.version <= target:
                    step.apply(conn)
                    conn.execute(
                        insert(schema_version).values(
                            version=step.version,
                            description=step.description,
                            applied_at=utcnow(),
                            tool_version=__version__,
                        )
                    )
                    found = step.version
            if found == SCHEMA_VERSION:
                for table, column in _missing_generated_columns(conn):
                    dialect.add_column(conn, table, column)
    return found
