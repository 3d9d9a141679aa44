"""Everything that depends on the database engine in use, and (with the bulk inserts of
:mod:`.bulk`) the only place with raw SQL.

The rest of :mod:`imsrecon.store` speaks SQLAlchemy Core and nothing else. What lives here:

* turning a workspace *target* (``None``, a path, ``":memory:"``, a URL) into an engine URL, and
  masking the password in anything shown to a person;
* engine creation: SQLite pragmas (foreign keys, WAL for files, busy timeout), the pool for
  ``:memory:``, and real transactions with the ``sqlite3`` driver (it does not begin one before
  DDL by itself, and a write transaction starts ``BEGIN IMMEDIATE`` so that two writers queue on
  the busy timeout instead of failing on a lock upgrade);
* the few DDL statements SQLAlchemy Core has no construct for (add a column, append-only guard).

A PostgreSQL workspace needs only the generic branches here plus a driver (``psycopg``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    Table,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateColumn

__all__ = [
    "DEFAULT_FILE_NAME",
    "ENV_VAR",
    "ID_TYPE",
    "WRITE",
    "TargetError",
    "WorkspaceError",
    "add_column",
    "has_append_only_guard",
    "install_append_only_guard",
    "is_memory",
    "lock_for_write",
    "make_engine",
    "mask_url",
    "resolve_url",
    "scrub",
]

ENV_VAR = "IMSRECON_DB"
DEFAULT_FILE_NAME = "imsrecon.db"
BUSY_TIMEOUT_S = 30

# Execution option that marks a connection as about to write (see ``_begin``).
WRITE = {"imsrecon_write": True}

# Surrogate keys: BIGINT everywhere except SQLite, where only INTEGER PRIMARY KEY is the rowid.
ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")

_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


class WorkspaceError(Exception):
    """A workspace cannot be opened or used. Messages never hold a password."""


class TargetError(WorkspaceError, ValueError):
    """The workspace target cannot be turned into a database URL."""


# --------------------------------------------------------------------------------------------
# URLs


def resolve_url(target: str | os.PathLike[str] | URL | None) -> URL:
    """The engine URL for a workspace target.

    ``None`` → ``$IMSRECON_DB`` if set, else ``imsrecon.db`` in the current folder. A string
    with a scheme (``sqlite:///x.db``, ``postgresql+psycopg://…``) is a URL; ``":memory:"`` is an
    in-memory SQLite database; anything else is a file path. File paths are made absolute.
    """
    if target is None:
        target = os.environ.get(ENV_VAR) or str(Path.cwd() / DEFAULT_FILE_NAME)
    if isinstance(target, URL):
        url = target
    elif isinstance(target, os.PathLike):
        url = _file_url(Path(target))
    elif target == ":memory:":
        url = URL.create("sqlite")  # renders as "sqlite://"
    elif _URL_RE.match(target):
        url = _parse_url(target)
    else:
        url = _file_url(Path(target))
    if url.get_backend_name() == "sqlite" and not is_memory(url) and url.database:
        db = url.database
        if not db.startswith("file:"):  # leave sqlite URI filenames alone
            url = url.set(database=str(Path(db).expanduser().absolute()))
    return url


def _parse_url(text: str) -> URL:
    try:
        return make_url(text)
    except (ArgumentError, ValueError):
        pass
    # raised outside the handler, so no chained exception repeats the unmasked text
    raise TargetError(f"not a valid database URL: {_mask_text(text)}")


def _file_url(path: Path) -> URL:
    path = path.expanduser().absolute()
    if path.is_dir():
        raise TargetError(f"{path} is a folder; give a database file name inside it")
    if path.exists() and not path.is_file():  # a FIFO or a device: opening it would never end
        raise TargetError(f"{path} is not a regular file; give a database file name")
    if not path.parent.is_dir():
        raise TargetError(f"folder {path.parent} does not exist")
    return URL.create("sqlite", database=str(path))


def is_memory(url: URL) -> bool:
    if url.get_backend_name() != "sqlite":
        return False
    db = url.database or ""
    return (
        db in ("", ":memory:") or db.startswith("file::memory:") or url.query.get("mode") == "memory"
    )


def mask_url(url: URL) -> str:
    """The URL as text with any password replaced by ``***``."""
    return url.render_as_string(hide_password=True)


def _mask_text(text: str) -> str:
    """Mask ``user:password@`` in a URL-like string that may not even parse."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)


def scrub(text: str, url: URL | None) -> str:
    """``text`` with the URL's password (raw and URL-encoded) and any ``user:pw@`` masked."""
    text = _mask_text(text)
    if url is not None and url.password:
        pw = str(url.password)
        for form in {pw, quote(pw, safe=""), quote_plus(pw)}:
            if form:
                text = text.replace(form, "***")
    return text


# --------------------------------------------------------------------------------------------
# Engines


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    memory = is_memory(url)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_S}}
    if memory:
        # one connection shared by every checkout, so the database lives as long as the engine
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"]["check_same_thread"] = False
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see _begin)
        cur = dbapi_connection.cursor()
        try:
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
            if not memory:
                cur.execute("PRAGMA journal_mode = WAL")
                # a big import leaves a big WAL; cut it back after each checkpoint
                cur.execute(f"PRAGMA journal_size_limit = {64 * 1024 * 1024}")
                # a 64 MB page cache (default 2 MB): the indexes of a million-row import are
                # built with far fewer page reads (1M register rows: 10.6 s -> 9.3 s)
                cur.execute(f"PRAGMA cache_size = -{64 * 1024}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("imsrecon_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


# --------------------------------------------------------------------------------------------
# DDL that Core has no construct for


def add_column(conn: Connection, table: Table, column: Column[Any]) -> None:
    """``ALTER TABLE … ADD COLUMN`` (standard SQL; SQLite and PostgreSQL both accept it)."""
    spec = CreateColumn(column).compile(dialect=conn.dialect)
    name = conn.dialect.identifier_preparer.format_table(table)
    conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {spec}")


def lock_for_write(conn: Connection, table: Table) -> None:
    """Make the writers of ``table`` queue for the rest of this transaction, so that what one of
    them reads before writing cannot change under it (readers are not blocked). SQLite: a write
    transaction already begins ``BEGIN IMMEDIATE`` (one writer at a time); PostgreSQL: a table
    lock that conflicts with itself."""
    if conn.dialect.name == "postgresql":
        name = conn.dialect.identifier_preparer.format_table(table)
        conn.exec_driver_sql(f"LOCK TABLE {name} IN SHARE ROW EXCLUSIVE MODE")


def install_append_only_guard(conn: Connection, table: Table) -> None:
    """Make the database refuse UPDATE and DELETE on ``table``."""
    name = conn.dialect.identifier_preparer.format_table(table)
    raw = table.name
    if conn.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS {raw}_no_{op.lower()} BEFORE {op} ON {name} "
                f"BEGIN SELECT RAISE(ABORT, '{raw} is append-only'); END"
            )
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION imsrecon_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END $$"
        )
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {raw}_append_only ON {name}")
        conn.exec_driver_sql(
            f"CREATE TRIGGER {raw}_append_only BEFORE UPDATE OR DELETE ON {name} "
            "FOR EACH ROW EXECUTE FUNCTION imsrecon_append_only()"
        )
    # other engines: the API never updates or deletes; nothing more to enforce


def has_append_only_guard(conn: Connection, table: Table) -> bool:
    """True when :func:`install_append_only_guard` has been applied (SQLite and PostgreSQL)."""
    if conn.dialect.name == "sqlite":
        stmt = text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t")
    elif conn.dialect.name == "postgresql":
        stmt = text(
            "SELECT count(*) FROM information_schema.triggers WHERE event_object_table = :t"
        )
    else:
        return False
    return bool(conn.execute(stmt.bindparams(bindparam("t", table.name))).scalar())
