"""Bulk inserts of Polars frames: the one place where many rows go into the workspace at once.

Three ways, the fastest that applies:

* a **staged insert** into a SQLite *file* for a big frame: the frame is written by the ADBC
  SQLite driver (``adbc-driver-sqlite``: Arrow columns bound in C, no Python object per value)
  into a staging database next to the workspace, which the writing connection attaches and copies
  with one ``INSERT … SELECT`` inside its own transaction. The stage is detached and deleted when
  the transaction ends (:func:`release_stages`), committed or rolled back; nothing is written to
  the workspace outside its transaction. 1M result rows of 47 columns: 7 s against 20 s;
* ``executemany`` on the SQLite driver's cursor with values converted column-wise in Polars;
* SQLAlchemy's own ``executemany`` with its type processors (other engines, unusual dtypes).

Every way stores the same values: DATE as ``'YYYY-MM-DD'``, BOOLEAN as 0/1, a column null in
every row left out of the statement (NULL all the same; no column has a default).

The driver touches only the staging file, never the workspace: two SQLite libraries in one
process (the driver bundles its own) must not open the same database, since closing a file in
one drops the other's POSIX locks on it.

**Stale stages.** A process killed while it writes (SIGKILL, a power cut) leaves its staging
file behind (about 52 MB per 200,000 documents). So each stage lives beside a lock file
(``.imsrecon-stage-….lock``, created first) on which its process holds an exclusive
``flock`` as long as the stage lives; the kernel lets go of it when the process dies, however it
dies. :func:`remove_stale_stages` (at every open of a workspace file and before each staged
insert) removes every stage whose lock it can take — no process holds it — and every staging
file without a lock file (left by a version without locks). A lock on a sibling file, not on the
stage itself: SQLite's own POSIX locks on the stage must not meet ours (on NFS, ``flock`` is a
POSIX lock). Where ``fcntl`` does not exist (Windows), stages are not locked and stale ones are
not removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from imsrecon.store.dialect import is_memory

try:
    import fcntl
except ImportError:  # Windows: stages are not locked (see the module's docstring)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

STAGE_MIN_ROWS = 20_000  # smaller frames are not worth a staging file
_SQLITE_DTYPES = (pl.String, pl.Int64, pl.Float64, pl.Date, pl.Boolean)
_STAGES = "imsrecon_stages"  # key in the DBAPI connection's info: [(schema name, Stage)]
STAGE_PREFIX = ".imsrecon-stage-"
_LOCK = ".lock"


def insert_rows(conn: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Insert every row of ``frame`` (columns named as the table's) with one executemany."""
    if frame.height == 0:
        return
    values = _sqlite_values(conn, table, frame)
    if values is None:  # another engine, or unusual dtypes: SQLAlchemy's type processors do it
        conn.execute(insert(table), frame.to_dicts())
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=values.columns)
    values = values.select(compiled.positiontup or [])  # the statement's order of parameters
    statement = str(compiled)
    # one list per column, zipped into rows as the driver asks for them: cheaper than the frame's
    # own rows, and no list of all the row tuples at once
    rows = zip(*(values[c].to_list() for c in values.columns), strict=True)
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.cursor()  # the connection's own: the same transaction
    try:
        cursor.executemany(statement, rows)
    except dbapi_error as exc:  # raised as SQLAlchemy raises it (IntegrityError, OperationalError …)
        raise DBAPIError.instance(statement, None, exc, dbapi_error) from exc
    finally:
        cursor.close()


def insert_staged(conn: Connection, table: Table, frame: pl.DataFrame) -> bool:
    """Insert every row of a big ``frame`` into a SQLite file through a staging database, inside
    ``conn``'s transaction; False (nothing done) where that does not apply: another engine, an
    in-memory database, a small frame, unusual dtypes, or no ADBC driver installed. The caller
    calls :func:`release_stages` once the transaction has ended (``Workspace._write`` does)."""
    adbc = _adbc(conn) if frame.height >= STAGE_MIN_ROWS else None
    if adbc is None:
        return False
    values = _sqlite_values(conn, table, frame)
    if values is None:
        return False
    folder = _database(conn).parent
    remove_stale_stages(folder)
    claim: Stage | None = None
    try:
        claim = Stage.claim(folder)
        with contextlib.closing(adbc.connect(claim.path)) as staging:
            with contextlib.closing(staging.cursor()) as cursor:
                cursor.adbc_ingest("stage_rows", values, mode="create")
            staging.commit()
    except BaseException as exc:  # the staging file is ours alone: remove it, then fall back
        if claim is not None:
            claim.release()
        if not isinstance(exc, Exception):  # Ctrl-C and the like: stop, leaving nothing behind
            raise
        log.debug("staged insert into %s not used: %s", table.name, exc)
        return False
    stages = conn.connection.info.setdefault(_STAGES, [])
    schema = f"imsrecon_stage_{len(stages)}"
    raw = conn.connection.dbapi_connection
    assert raw is not None
    try:
        raw.execute(f"ATTACH DATABASE ? AS {schema}", (claim.path,))
    except BaseException:
        claim.release()
        raise
    stages.append((schema, claim))
    columns = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in values.columns)
    conn.exec_driver_sql(
        f"INSERT INTO {conn.dialect.identifier_preparer.format_table(table)} ({columns}) "
        f"SELECT {columns} FROM {schema}.stage_rows ORDER BY rowid"
    )
    return True


def release_stages(conn: Connection) -> None:
    """Detach and delete the staging databases of ``conn`` (after its transaction has ended)."""
    if conn.closed or conn.connection.dbapi_connection is None:
        return
    raw = conn.connection.dbapi_connection
    for schema, stage in conn.connection.info.pop(_STAGES, []):
        try:
            raw.execute(f"DETACH DATABASE {schema}")
        except Exception as exc:  # noqa: BLE001 - the file goes all the same (unlinked while open)
            log.warning("could not detach staging database %s: %s", stage.path, exc)
        stage.release()


class Stage:
    """A staging file and the lock that says a live process holds it (see the module's
    docstring): ``path`` (``….db``) and ``lock`` (``….lock``, held with ``flock``)."""

    def __init__(self, path: str, lock: str, handle: int | None) -> None:
        self.path, self.lock, self._handle = path, lock, handle

    @classmethod
    def claim(cls, folder: Path) -> Stage:
        """A new staging file name in ``folder``, its lock file created and held first."""
        while True:
            handle, lock = tempfile.mkstemp(prefix=STAGE_PREFIX, suffix=_LOCK, dir=folder)
            if fcntl is None:
                os.close(handle)
                return cls(lock[: -len(_LOCK)] + ".db", lock, None)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                # a cleaner may have taken the new file for a stale one (between mkstemp and
                # flock) and removed it: then take another name
                held = os.stat(lock).st_ino == os.fstat(handle).st_ino
            except (BlockingIOError, FileNotFoundError):
                held = False
            if held:
                return cls(lock[: -len(_LOCK)] + ".db", lock, handle)
            os.close(handle)

    def release(self) -> None:
        """Delete the staging file (and its journal), then the lock file, then let go of the lock."""
        _remove_stage_files(self.path)
        _unlink(self.lock)
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None


def remove_stale_stages(folder: Path) -> list[str]:
    """Delete the staging files in ``folder`` that no live process holds; their names."""
    if fcntl is None:
        return []
    removed = []
    for lock in folder.glob(f"{STAGE_PREFIX}*{_LOCK}"):
        try:
            handle = os.open(lock, os.O_RDONLY)
        except OSError:  # gone meanwhile, or not ours to read
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: its process lives
            os.close(handle)
            continue
        try:
            stage = str(lock)[: -len(_LOCK)] + ".db"
            _remove_stage_files(stage)
            _unlink(str(lock))
            removed.append(stage)
        except OSError as exc:  # a folder we may not write to: leave it as it is
            log.debug("stale staging file %s not removed: %s", lock, exc)
        finally:
            os.close(handle)
    for leftover in folder.glob(f"{STAGE_PREFIX}*.db*"):
        # a staging file has its lock file from before it exists until after it is gone: one
        # without is a killed process's whose lock went above, or a version's without locks
        lock = leftover.with_name(leftover.name[: leftover.name.index(".db")] + _LOCK)
        if not lock.exists():
            with contextlib.suppress(OSError):
                _unlink(str(leftover))
                removed.append(str(leftover))
    if removed:
        log.info("removed %d stale staging files in %s", len(removed), folder)
    return removed


def _remove_stage_files(stage: str) -> None:
    for path in (stage, f"{stage}-journal", f"{stage}-wal", f"{stage}-shm"):
        _unlink(path)


def _adbc(conn: Connection) -> Any:
    """The ADBC SQLite driver's DBAPI module for a SQLite *file* workspace, else None (another
    engine, an in-memory database, or the driver not installed: an optional speed-up)."""
    if conn.dialect.name != "sqlite" or is_memory(conn.engine.url):
        return None
    try:
        from adbc_driver_sqlite import dbapi
    except ImportError:
        return None
    return dbapi


def _database(conn: Connection) -> Path:
    return Path(conn.engine.url.database or ".").resolve()


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _sqlite_values(conn: Connection, table: Table, frame: pl.DataFrame) -> pl.DataFrame | None:
    """The columns to insert, converted to what SQLAlchemy's SQLite types store (DATE as text,
    BOOLEAN as 0/1) and without columns null in every row (documents of one side leave a third
    to a half of them empty: the register has no portal fields, IMS no voucher fields); None
    for another engine, dtypes other than these, or names the table does not have."""
    if conn.dialect.name != "sqlite" or not set(frame.columns) <= set(table.columns.keys()):
        return None
    if not all(any(d == t for t in _SQLITE_DTYPES) for d in frame.dtypes):
        return None
    keep = [c for c in frame.columns if frame[c].null_count() < frame.height] or frame.columns[:1]
    schema = frame.schema
    return frame.select(
        pl.col(c).dt.strftime("%Y-%m-%d") if schema[c] == pl.Date
        else pl.col(c).cast(pl.Int8) if schema[c] == pl.Boolean
        else pl.col(c)
        for c in keep
    )  # fmt: skip
