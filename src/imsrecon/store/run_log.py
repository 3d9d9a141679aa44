"""Reconciliation runs kept in the workspace: each run's settings, imports, counts and result rows,
and which run a command means ("the latest run" is the latest run of a recipient).

A mixin of :class:`~imsrecon.store.workspace.Workspace` (kept apart so that the workspace module
stays small); it uses the workspace's transactions and audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from typing import Any

import polars as pl
from sqlalchemy import func, insert, select

from imsrecon import __version__
from imsrecon.result import RESULT_SCHEMA, conform_result, summary_counts
from imsrecon.store.dialect import WorkspaceError
from imsrecon.store.schema import read_frame, read_table, results, runs, utcnow

__all__ = ["DOC_ID_COLUMNS", "NoRunError", "RunChoiceError", "RunLog"]

log = logging.getLogger(__name__)

DOC_ID_COLUMNS = ("ims_document_id", "pr_document_id")


class NoRunError(WorkspaceError, LookupError):
    """No such run (or no run at all yet)."""


class RunChoiceError(WorkspaceError, LookupError):
    """The run a command means is not clear: the workspace holds runs of several recipients (or
    the run asked for is another recipient's)."""


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


class RunLog:
    """Run methods of the workspace (they use its ``_write``, ``_read``, ``_insert``, ``_audit``
    and ``_check_imports``)."""

    def record_run(
        self,
        config: dict[str, Any],
        ims_import_ids: Iterable[int],
        pr_import_ids: Iterable[int],
        result: pl.DataFrame,
        actor: str = "cli",
        *,
        started_at: dt.datetime | None = None,
        recipient_gstin: str | None = None,
    ) -> int:
        """Store a reconciliation run and its result rows in one transaction; the run id.
        ``recipient_gstin``: the recipient the run is for (None: several, or not known)."""
        unknown = set(result.columns) - RESULT_SCHEMA.keys() - set(DOC_ID_COLUMNS)
        if unknown:
            raise ValueError(f"columns not in the result schema: {sorted(unknown)}")
        frame = conform_result(result.select([c for c in result.columns if c in RESULT_SCHEMA]))
        frame = frame.with_columns(
            (result[c] if c in result.columns else pl.lit(None)).cast(pl.Int64).alias(c)
            for c in DOC_ID_COLUMNS
        )
        counts = summary_counts(frame)
        with self._write() as conn:  # type: ignore[attr-defined]
            ims_ids = self._check_imports(conn, ims_import_ids)  # type: ignore[attr-defined]
            pr_ids = self._check_imports(conn, pr_import_ids)  # type: ignore[attr-defined]
            finished = utcnow()
            run = dict(
                started_at=started_at or finished, finished_at=finished, config_json=_json(config),
                ims_import_ids=_json(ims_ids), pr_import_ids=_json(pr_ids),
                counts_json=_json(counts), tool_version=__version__, recipient_gstin=recipient_gstin,
            )  # fmt: skip
            run_id = int(conn.execute(insert(runs).values(**run)).inserted_primary_key[0])
            rows = frame.with_columns(pl.lit(run_id, dtype=pl.Int64).alias("run_id"))
            self._insert(conn, results, rows)  # type: ignore[attr-defined]
            new = {"ims_import_ids": ims_ids, "pr_import_ids": pr_ids, "counts": counts,
                   "recipient_gstin": recipient_gstin}
            self._audit(conn, actor, "run", "run", str(run_id), None, new, None)  # type: ignore[attr-defined]
        log.info("recorded run %d (%d result rows)", run_id, frame.height)
        return run_id

    def load_result(
        self, run_id: int | None = None, *, with_document_ids: bool = False
    ) -> pl.DataFrame:
        """The result rows of a run (default: the latest) with exactly :data:`RESULT_SCHEMA`;
        ``with_document_ids`` adds ``ims_document_id`` and ``pr_document_id`` at the end."""
        schema = dict(RESULT_SCHEMA)
        if with_document_ids:
            schema |= {c: pl.Int64() for c in DOC_ID_COLUMNS}
        with self._read() as conn:  # type: ignore[attr-defined]
            if run_id is None:
                run_id = conn.execute(select(func.max(runs.c.id))).scalar()
                if run_id is None:
                    raise NoRunError("no reconciliation run has been recorded in this workspace")
            elif conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is None:
                raise NoRunError(f"no run with id {run_id}")
            stmt = (
                select(*(results.c[c] for c in schema))
                .where(results.c.run_id == run_id)
                .order_by(results.c.id)
            )
            return read_frame(conn, stmt, schema)

    def runs(self) -> pl.DataFrame:
        with self._read() as conn:  # type: ignore[attr-defined]
            return read_table(conn, runs)

    def choose_run(self, run_id: int | None = None, recipient_gstin: str | None = None) -> dict[str, Any] | None:
        """The run a command means, as a row of :meth:`runs`; None when the workspace has no run.

        ``run_id`` given: that run (NoRunError if there is none; RunChoiceError if
        ``recipient_gstin`` is given too and the run is for another recipient). Otherwise the
        latest run of ``recipient_gstin`` (NoRunError when it has none) or, with no recipient
        given, the latest run — refused (RunChoiceError) when the workspace holds runs of several
        recipients, since "the latest" would then be whichever recipient ran last. Runs whose
        recipient is not known (several in one run, or none named) go with any recipient.
        """
        frame = self.runs()
        if frame.height == 0:
            return None
        if run_id is not None:
            found = frame.filter(pl.col("id") == run_id)
            if found.height == 0:
                raise NoRunError(f"no run {run_id} in this workspace")
            run = found.row(0, named=True)
            if recipient_gstin is not None and run["recipient_gstin"] != recipient_gstin:
                raise RunChoiceError(f"run {run_id} is for {_for(run['recipient_gstin'])}, not {recipient_gstin}")
            return run
        latest = frame.group_by("recipient_gstin").agg(pl.col("id").max()).drop_nulls("recipient_gstin")
        if recipient_gstin is not None:
            mine = frame.filter(pl.col("recipient_gstin") == recipient_gstin)
            if mine.height == 0:
                others = ", ".join(sorted(latest["recipient_gstin"].to_list())) or "no named recipient"
                raise NoRunError(f"no reconciliation run for recipient {recipient_gstin} in this workspace "
                                 f"(its runs are for {others})")
            return mine.row(-1, named=True)
        if latest.height > 1:
            each = "; ".join(f"{r['recipient_gstin']}: run {r['id']}" for r in latest.sort("recipient_gstin").to_dicts())
            raise RunChoiceError(f"this workspace holds runs of {latest.height} recipients (latest {each}): "
                                 "say which with --gstin (or --run)")
        return frame.row(-1, named=True)


def _for(recipient: str | None) -> str:
    return f"recipient {recipient}" if recipient else "no one recipient"
