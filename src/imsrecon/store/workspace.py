"""The workspace: imports, documents, runs, results, decisions and the audit log in one database.

SQLite by default (a file, or ``":memory:"``); any SQLAlchemy URL otherwise. Only Core
constructs here; engine specifics live in :mod:`.dialect`. Every write is one transaction: it
happens completely or not at all. Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Table, insert, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError

from imsrecon.importers.base import ImportResult
from imsrecon.issues import ISSUE_SCHEMA, RowIssue, Severity, issues_frame
from imsrecon.model import DOCUMENT_SCHEMA, conform, empty_documents
from imsrecon.store import bulk, dialect, migrations
from imsrecon.store.decision_log import DecisionLog
from imsrecon.store.dialect import TargetError, WorkspaceError
from imsrecon.store.digest import documents_digest
from imsrecon.store.migrations import NotAWorkspaceError, WorkspaceVersionError
from imsrecon.store.run_log import DOC_ID_COLUMNS, NoRunError, RunChoiceError, RunLog
from imsrecon.store.schema import (
    audit_log,
    documents,
    import_issues,
    imports,
    read_frame,
    read_table,
    utcnow,
)

__all__ = [
    "ImportOutcome",
    "ANY_RECIPIENT",
    "DOC_ID_COLUMNS",
    "NoRunError",
    "NotAWorkspaceError",
    "RunChoiceError",
    "TargetError",
    "UnknownImportError",
    "Workspace",
    "WorkspaceError",
    "WorkspaceVersionError",
]

log = logging.getLogger(__name__)

CHUNK_ROWS = 20_000  # rows per executemany in a bulk insert


class UnknownImportError(WorkspaceError, LookupError):
    """An import id that the workspace does not hold."""


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    import_id: int
    already_imported: bool
    imported_at: dt.datetime  # UTC
    # when the workspace knew the documents from another file (the same download saved again):
    # that import's file name
    same_documents_as: str | None = None


class _Any:
    def __repr__(self) -> str:
        return "ANY_RECIPIENT"


ANY_RECIPIENT: Any = _Any()  # find_import: an import of the file for any recipient


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else _json(value)


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc) or type(exc).__name__


def _insert_chunk(conn: Connection, table: Table, frame: pl.DataFrame) -> None:
    bulk.insert_rows(conn, table, frame)


def _insert_frame(conn: Connection, table: Table, frame: pl.DataFrame) -> None:
    if bulk.insert_staged(conn, table, frame):  # a big frame into a SQLite file: all at once
        return
    for start in range(0, frame.height, CHUNK_ROWS):
        _insert_chunk(conn, table, frame.slice(start, CHUNK_ROWS))


class Workspace(DecisionLog, RunLog):
    """A workspace database. Open with :meth:`open`; close with :meth:`close` (or ``with``)."""

    def __init__(self, engine: Engine, url: URL) -> None:
        self._engine = engine
        self._url = url
        self._closed = False

    # ---------------------------------------------------------------------------- lifecycle

    @classmethod
    def open(cls, target: str | os.PathLike[str] | URL | None = None) -> Workspace:
        """Open (creating or upgrading as needed) the workspace at ``target``.

        ``None`` → ``$IMSRECON_DB``, else ``imsrecon.db`` in the current folder; a path;
        ``":memory:"``; or an SQLAlchemy URL (``sqlite:///x.db``, ``postgresql+psycopg://…``).
        """
        url = dialect.resolve_url(target)
        where = dialect.mask_url(url)
        engine: Engine | None = None
        failure: BaseException | None = None
        try:
            engine = dialect.make_engine(url)
            version = migrations.migrate(engine, where=where)
        except WorkspaceError:
            if engine is not None:
                engine.dispose()
            raise
        except Exception as exc:  # driver missing, server unreachable, not a database file …
            if engine is not None:
                engine.dispose()
            if not url.password:
                raise WorkspaceError(f"cannot open workspace {where}: {_reason(exc)}") from exc
            failure = exc
        if failure is not None:
            # raised outside the handler: nothing chained that might spell out the password
            raise WorkspaceError(
                f"cannot open workspace {where}: {dialect.scrub(_reason(failure), url)}"
            )
        assert engine is not None
        if url.get_backend_name() == "sqlite" and not dialect.is_memory(url) and url.database:
            bulk.remove_stale_stages(Path(url.database).parent)  # left by killed processes
        log.debug("opened workspace %s at schema version %d", where, version)
        return cls(engine, url)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({self.url!r}{', closed' if self._closed else ''})"

    @property
    def url(self) -> str:
        return dialect.mask_url(self._url)

    @property
    def is_memory(self) -> bool:
        return dialect.is_memory(self._url)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if self._closed:
            raise WorkspaceError(f"workspace {self.url} is closed")
        with self._engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One transaction: committed at the end of the block, rolled back on any exception."""
        if self._closed:
            raise WorkspaceError(f"workspace {self.url} is closed")
        with self._engine.connect() as conn:
            conn.execution_options(**dialect.WRITE)
            try:
                with conn.begin():
                    yield conn
            finally:
                bulk.release_stages(conn)

    # ---------------------------------------------------------------------------- imports

    def find_import(self, sha256: str, side: str, recipient_gstin: str | None | Any = ANY_RECIPIENT
                    ) -> dict[str, Any] | None:
        """The ``imports`` row (as a dict) of this file for this side and recipient (None: an
        import without one), if imported before; with :data:`ANY_RECIPIENT`, the latest import
        of the file for the side, whatever its recipient."""
        with self._read() as conn:
            return self._find_import(conn, imports.c.sha256 == sha256, side, recipient_gstin)

    @staticmethod
    def _find_import(conn: Connection, where: Any, side: str, recipient_gstin: str | None | Any
                     ) -> dict[str, Any] | None:
        stmt = select(imports).where(where, imports.c.side == str(side))
        if recipient_gstin is not ANY_RECIPIENT:
            stmt = stmt.where(imports.c.recipient_gstin.is_not_distinct_from(recipient_gstin))
        row = conn.execute(stmt.order_by(imports.c.id.desc()).limit(1)).first()
        return None if row is None else dict(row._mapping)

    def _known(self, conn: Connection, sha256: str, digest: str | None, side: str, recipient: str | None
               ) -> ImportOutcome | None:
        """The stored import of the same file, or else of the same documents, for this side and
        recipient."""
        found = self._find_import(conn, imports.c.sha256 == sha256, side, recipient)
        if found is not None:
            return ImportOutcome(found["id"], True, found["imported_at"])
        if digest is None:
            return None
        found = self._find_import(conn, imports.c.content_digest == digest, side, recipient)
        if found is None:
            return None
        return ImportOutcome(found["id"], True, found["imported_at"], str(found["file_name"]))

    def record_import(
        self, result: ImportResult, sha256: str, file_path: str, actor: str = "cli"
    ) -> ImportOutcome:
        """Store an import in one transaction. "Already imported" is judged per side and
        recipient: the same file (sha256), or a file with the same documents (the same download
        saved again with other formatting: :mod:`.digest`), is a no-op that returns
        ``already_imported=True`` (and, for the second, the file that brought the documents)."""
        side, recipient = str(result.side), result.recipient_gstin
        with self._read() as conn:
            found = self._known(conn, sha256, None, side, recipient)
        if found is not None:
            return found
        # (conform() of a frame with no columns at all would broadcast to one null row)
        docs = conform(result.documents) if result.documents.width else empty_documents()
        digest = documents_digest(docs)
        issues = issues_frame(result.issues)
        try:
            with self._write() as conn:
                found = self._known(conn, sha256, digest, side, recipient)
                if found is not None:
                    return found
                now = utcnow()
                row = dict(
                    file_name=result.file, file_path=str(file_path), sha256=sha256,
                    kind=str(result.kind), side=side, imported_at=now, rows_read=result.rows_read,
                    documents=docs.height, warnings=len(result.warnings),
                    errors=len(result.errors), recipient_gstin=recipient,
                    notes=_json(list(result.notes)), content_digest=digest,
                )  # fmt: skip
                import_id = int(conn.execute(insert(imports).values(**row)).inserted_primary_key[0])
                key = pl.lit(import_id, dtype=pl.Int64).alias("import_id")
                _insert_frame(conn, documents, docs.with_columns(key))
                _insert_frame(conn, import_issues, issues.with_columns(key))
                summary = {k: v for k, v in row.items() if k not in ("imported_at", "notes", "content_digest")}
                self._audit(conn, actor, "import", "import", str(import_id), None, summary, None)
        except IntegrityError:
            # a concurrent writer recorded the same file first (unique sha256 + side + recipient)
            with self._read() as conn:
                found = self._known(conn, sha256, digest, side, recipient)
            if found is None:
                raise
            return found
        log.info("recorded import %d: %s (%d documents)", import_id, result.file, docs.height)
        return ImportOutcome(import_id, False, now)

    def imports(self) -> pl.DataFrame:
        with self._read() as conn:
            return read_table(conn, imports)

    def _check_imports(self, conn: Connection, import_ids: Iterable[int]) -> list[int]:
        ids = list(dict.fromkeys(int(i) for i in import_ids))
        known = set(conn.execute(select(imports.c.id).where(imports.c.id.in_(ids))).scalars())
        missing = [i for i in ids if i not in known]
        if missing:
            raise UnknownImportError(f"no import with id {', '.join(map(str, missing))}")
        return ids

    def load_documents(self, import_ids: Sequence[int] | int) -> pl.DataFrame:
        """The documents of the given imports: ``document_id`` then :data:`DOCUMENT_SCHEMA`,
        in the order of ``import_ids``, then in insertion order."""
        if isinstance(import_ids, int):
            import_ids = [import_ids]
        schema = {"document_id": pl.Int64(), **DOCUMENT_SCHEMA}
        cols = [documents.c.id.label("document_id"), *(documents.c[c] for c in DOCUMENT_SCHEMA)]
        with self._read() as conn:
            ids = self._check_imports(conn, import_ids)
            by_import = select(*cols).order_by(documents.c.id)
            frames = [
                read_frame(conn, by_import.where(documents.c.import_id == i), schema) for i in ids
            ]
        return pl.concat(frames) if frames else pl.DataFrame(schema=schema)

    def load_issues(self, import_id: int) -> list[RowIssue]:
        with self._read() as conn:
            self._check_imports(conn, [import_id])
            rows = conn.execute(
                select(*(import_issues.c[c] for c in ISSUE_SCHEMA))
                .where(import_issues.c.import_id == import_id)
                .order_by(import_issues.c.id)
            ).all()
        return [RowIssue(**{**r._mapping, "severity": Severity(r.severity)}) for r in rows]

    # ---------------------------------------------------------------------------- audit log

    @staticmethod
    def _insert(conn: Connection, table: Table, frame: pl.DataFrame) -> None:
        _insert_frame(conn, table, frame)

    def audit(self, actor: str | None, event: str, entity: str | None, entity_key: str | None,
              old_value: Any, new_value: Any, reason: str | None) -> None:  # fmt: skip
        """Append an entry to the audit log (values that are not text are stored as JSON)."""
        with self._write() as conn:
            self._audit(conn, actor, event, entity, entity_key, old_value, new_value, reason)

    @staticmethod
    def _audit(conn: Connection, actor: Any, event: str, entity: Any, entity_key: Any,
               old_value: Any, new_value: Any, reason: Any) -> None:  # fmt: skip
        conn.execute(
            insert(audit_log).values(
                at=utcnow(), actor=actor, event=event, entity=entity, entity_key=entity_key,
                old_value=_text(old_value), new_value=_text(new_value), reason=reason,
            )  # fmt: skip
        )

    def audit_log(self) -> pl.DataFrame:
        with self._read() as conn:
            return read_table(conn, audit_log)
