"""The workspace tables (SQLAlchemy Core).

``documents``, ``results`` and ``import_issues`` carry one column per field of
:data:`~imsrecon.model.DOCUMENT_SCHEMA`, :data:`~imsrecon.result.RESULT_SCHEMA` and
:data:`~imsrecon.issues.ISSUE_SCHEMA`, generated from those schemas so that the database can
never drift from the in-memory model. Those schemas only ever grow at the end; a column a newer
schema adds is added to an existing workspace when it is opened (see :mod:`.migrations`).

Timestamps are timezone-aware UTC (:class:`UTCDateTime`). JSON payloads are stored as text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

from imsrecon.issues import ISSUE_SCHEMA
from imsrecon.model import DOCUMENT_SCHEMA
from imsrecon.result import RESULT_SCHEMA
from imsrecon.store.dialect import ID_TYPE

__all__ = [
    "DECLARATION_COLUMNS",
    "GENERATED",
    "INDEXES",
    "audit_log",
    "decisions",
    "documents",
    "frame_schema",
    "import_issues",
    "imports",
    "metadata",
    "read_frame",
    "read_table",
    "results",
    "runs",
    "schema_version",
    "sql_type",
    "upload_items",
    "uploads",
    "utcnow",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive timestamp {value!r}: give a timezone-aware datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no zone: what was stored is UTC
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sql_type(dtype: pl.DataType | type[pl.DataType]) -> TypeEngine[Any]:
    """The column type for a Polars dtype of the model schemas."""
    if dtype == pl.String:
        return Text()
    if dtype == pl.Int64:
        return BigInteger()
    if dtype == pl.Float64:
        return Double()
    if dtype == pl.Date:
        return Date()
    if dtype == pl.Boolean:
        return Boolean(create_constraint=False)
    raise TypeError(f"no column type for Polars dtype {dtype}: extend store.schema.sql_type")


def frame_schema(table: Table) -> dict[str, pl.DataType]:
    """The Polars schema of a frame read from ``table`` (all of its columns, in order)."""
    out: dict[str, pl.DataType] = {}
    for col in table.columns:
        t = col.type
        if isinstance(t, UTCDateTime):
            out[col.name] = pl.Datetime("us", "UTC")
        elif isinstance(t, Double):
            out[col.name] = pl.Float64()
        elif isinstance(t, Integer):  # BigInteger and the id type too
            out[col.name] = pl.Int64()
        elif isinstance(t, Boolean):
            out[col.name] = pl.Boolean()
        elif isinstance(t, Date):
            out[col.name] = pl.Date()
        else:
            out[col.name] = pl.String()
    return out


READ_BATCH = 50_000  # rows turned into a frame at a time by read_frame


def read_frame(conn: Connection, stmt: Select[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """Run ``stmt`` and return its rows as a frame with exactly ``schema`` (names in order)."""
    # a frame per batch of rows: a million result rows held as Python rows took 4 GB, as frames 1.3
    frames = [pl.DataFrame(rows, schema=schema, orient="row") for rows in conn.execute(stmt).partitions(READ_BATCH)]
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def read_table(conn: Connection, table: Table) -> pl.DataFrame:
    """All rows of ``table`` in id order, typed by :func:`frame_schema`."""
    return read_frame(conn, select(table).order_by(table.c.id), frame_schema(table))


def _generated(schema: dict[str, pl.DataType], reserved: set[str]) -> list[Column[Any]]:
    clash = reserved & schema.keys()
    assert not clash, f"schema fields clash with table columns: {sorted(clash)}"
    return [Column(name, sql_type(dtype), nullable=True) for name, dtype in schema.items()]


def _id() -> Column[int]:
    return Column("id", ID_TYPE, primary_key=True, autoincrement=True)


schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
    Column("tool_version", Text, nullable=False),
)

imports = Table(
    "imports",
    metadata,
    _id(),
    Column("file_name", Text, nullable=False),
    Column("file_path", Text),
    Column("sha256", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("side", Text, nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("rows_read", BigInteger, nullable=False),
    Column("documents", BigInteger, nullable=False),
    Column("warnings", BigInteger, nullable=False),
    Column("errors", BigInteger, nullable=False),
    Column("recipient_gstin", Text),
    Column("notes", Text),  # JSON list of the importer's file-level remarks
    # migration 6: what the documents are and say (store.digest): the same download saved again
    # with other formatting is recognised by it
    Column("content_digest", Text),
)

documents = Table(
    "documents",
    metadata,
    _id(),
    Column("import_id", ID_TYPE, ForeignKey("imports.id"), nullable=False),
    *_generated(DOCUMENT_SCHEMA, {"id", "import_id"}),
)

import_issues = Table(
    "import_issues",
    metadata,
    _id(),
    Column("import_id", ID_TYPE, ForeignKey("imports.id"), nullable=False),
    *_generated(ISSUE_SCHEMA, {"id", "import_id"}),
)

runs = Table(
    "runs",
    metadata,
    _id(),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("config_json", Text, nullable=False),
    Column("ims_import_ids", Text, nullable=False),  # JSON list of ints
    Column("pr_import_ids", Text, nullable=False),  # JSON list of ints
    Column("counts_json", Text, nullable=False),
    Column("tool_version", Text, nullable=False),
    # migration 6: the recipient the run is for (its --gstin, else the one recipient of its
    # documents; null for a run over several): "the latest run" is the latest of a recipient
    Column("recipient_gstin", Text),
)

results = Table(
    "results",
    metadata,
    _id(),
    Column("run_id", ID_TYPE, ForeignKey("runs.id"), nullable=False),
    *_generated(RESULT_SCHEMA, {"id", "run_id", "ims_document_id", "pr_document_id"}),
    Column("ims_document_id", ID_TYPE, ForeignKey("documents.id"), nullable=True),
    Column("pr_document_id", ID_TYPE, ForeignKey("documents.id"), nullable=True),
)

DECLARATION_COLUMNS: dict[str, Any] = {"itc_red_req": Text, **dict.fromkeys(
    ("decl_igst", "decl_cgst", "decl_sgst", "decl_cess"), Double)}  # fmt: skip

decisions = Table(
    "decisions",
    metadata,
    _id(),
    Column("matching_key", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("remarks", Text),
    Column("decided_by", Text),
    Column("decided_at", UTCDateTime, nullable=False),
    Column("source", Text),
    Column("run_id", ID_TYPE, ForeignKey("runs.id"), nullable=True),
    # the ITC-reduction declaration that goes with an Accept (migration 6): Y (full, or partial
    # with the declared heads) or N (no reduction); null: none declared
    *(Column(c, t, nullable=True) for c, t in DECLARATION_COLUMNS.items()),
)

audit_log = Table(
    "audit_log",
    metadata,
    _id(),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", Text),
    Column("event", Text, nullable=False),
    Column("entity", Text),
    Column("entity_key", Text),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("reason", Text),
)

# Created by migration 3 (not by step 1, which creates only :data:`TABLES`).
uploads = Table(
    "uploads",
    metadata,
    _id(),
    Column("run_id", ID_TYPE, ForeignKey("runs.id"), nullable=True),
    Column("request", Text, nullable=False),  # "SAVE" or "RESET"
    Column("file_name", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("documents", BigInteger, nullable=False),
    Column("reference_id", Text),  # the portal's int_tran_id
    Column("status", Text),  # not uploaded, processing, uploaded, failed, partly failed
    Column("checked_at", UTCDateTime),
)

upload_items = Table(
    "upload_items",
    metadata,
    _id(),
    Column("upload_id", ID_TYPE, ForeignKey("uploads.id"), nullable=False),
    Column("section", Text),
    Column("supplier_gstin", Text),
    Column("doc_no", Text),
    Column("rtnprd", Text),
    Column("new_action", Text),
    Column("prev_status", Text),
    Column("status", Text, nullable=False),  # not uploaded, processing, uploaded, failed
    Column("error_cd", Text),
    Column("error_msg", Text),
    Column("status_at", UTCDateTime, nullable=True),  # when the status last changed (migration 6)
)

UPLOAD_TABLES = (uploads, upload_items)
UPLOAD_INDEXES = (Index(None, upload_items.c.upload_id),)

# One import per file, side and recipient (created by migration 6; until then one per file and
# side: "already imported" under a mistyped --gstin kept the right one out); also the sha256
# lookup index. Not in INDEXES: an index on an expression cannot be reflected for checkfirst.
IMPORT_PER_RECIPIENT = Index(
    "uq_imports_sha256_side_recipient", imports.c.sha256, imports.c.side,
    func.coalesce(imports.c.recipient_gstin, ""), unique=True,
)

# Created by migration 2, not with the tables (so they are defined apart from them).
INDEXES = (
    Index(None, documents.c.import_id),
    Index(None, results.c.run_id),  # a run's rows in id order (ids of a run are consecutive)
    Index(None, decisions.c.matching_key),
    Index(None, import_issues.c.import_id),
)

# Tables whose columns come from a model schema: table -> that schema.
GENERATED: dict[Table, dict[str, pl.DataType]] = {
    documents: DOCUMENT_SCHEMA,
    results: RESULT_SCHEMA,
    import_issues: ISSUE_SCHEMA,
}

# Every workspace table, in creation (foreign key) order.
TABLES = (imports, documents, import_issues, runs, results, decisions, audit_log)
