"""Decisions kept in the workspace: a user's decision per matching key, apart from the
recommendation, each audited with the decision it replaces (the latest one counts).

A mixin of :class:`~imsrecon.store.workspace.Workspace` (kept apart so that the workspace module
stays small); it uses the workspace's transactions and audit log.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sqlalchemy import func, insert, select

from imsrecon.store.schema import decisions, frame_schema, read_frame, utcnow


class DecisionLog:
    """Decision methods of the workspace (they use its ``_write``, ``_read`` and ``_audit``)."""

    def record_decision(
        self,
        matching_key: str,
        action: str,
        remarks: str | None,
        decided_by: str | None,
        source: str | None,
        run_id: int | None = None,
        reason: str | None = None,
    ) -> int:
        """Record a decision for a matching key (the latest one counts); audited with the
        previous decision for the key as the old value."""
        return self.record_decisions([(matching_key, action, remarks, reason)], decided_by, source, run_id)[0]

    def record_decisions(
        self, items: Sequence[tuple[str, str, str | None, str | None]], decided_by: str | None,
        source: str | None, run_id: int | None = None,
    ) -> list[int]:
        """Record (matching_key, action, remarks, reason) decisions in ONE transaction, each
        audited with the key's previous decision: all of them are kept, or none."""
        fields = ("action", "remarks", "decided_by", "decided_at", "source", "run_id")
        ids = []
        with self._write() as conn:
            for matching_key, action, remarks, reason in items:
                prev = conn.execute(
                    select(decisions).where(decisions.c.matching_key == matching_key)
                    .order_by(decisions.c.id.desc()).limit(1)
                ).first()
                row = dict(
                    matching_key=matching_key, action=action, remarks=remarks, decided_by=decided_by,
                    decided_at=utcnow(), source=source, run_id=run_id,
                )  # fmt: skip
                decision_id = int(conn.execute(insert(decisions).values(**row)).inserted_primary_key[0])
                old = None if prev is None else {"id": prev.id, **{f: prev._mapping[f] for f in fields}}
                self._audit(conn, decided_by, "decision", "decision", matching_key, old,
                            {"id": decision_id, **{f: row[f] for f in fields}}, reason)
                ids.append(decision_id)
        return ids

    def latest_decisions(self) -> pl.DataFrame:
        """The latest decision per matching key, ordered by key."""
        latest = select(func.max(decisions.c.id)).group_by(decisions.c.matching_key)
        stmt = select(decisions).where(decisions.c.id.in_(latest.scalar_subquery()))
        with self._read() as conn:
            stmt = stmt.order_by(decisions.c.matching_key)
            return read_frame(conn, stmt, frame_schema(decisions))
