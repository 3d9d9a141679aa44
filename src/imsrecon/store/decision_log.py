"""Decisions kept in the workspace: a user's decision per matching key, apart from the
recommendation, each audited with the decision it replaces (the latest one counts).

A mixin of :class:`~imsrecon.store.workspace.Workspace` (kept apart so that the workspace module
stays small); it uses the workspace's transactions and audit log.

A batch of decisions is one write transaction, and the check "is this decision already the
latest one?" is made inside it, on what the transaction reads: two processes deciding the same
documents at once queue on the write lock, and the second finds the first one's decisions and
records none of them again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import polars as pl
from sqlalchemy import func, insert, select

from imsrecon.sections import SECTIONS, DocClass
from imsrecon.store import dialect
from imsrecon.store.schema import (
    DECLARATION_COLUMNS,
    audit_log,
    decisions,
    documents,
    frame_schema,
    read_frame,
    utcnow,
)

_FIELDS = ("action", "remarks", "decided_by", "decided_at", "source", "run_id", *DECLARATION_COLUMNS)
# the sections whose documents may carry an ITC-reduction declaration (credit notes, amendments)
_DECLARING_SECTIONS = tuple(k for k, s in SECTIONS.items() if s.doc_class is DocClass.CREDIT_NOTE or s.is_amendment)


class DecisionRow(NamedTuple):
    """One decision to record: the key, the action word, remarks, why (for the audit log) and
    the ITC-reduction declaration (``itc_red_req`` Y/N and the declared heads; None: none)."""

    matching_key: str
    action: str
    remarks: str | None = None
    reason: str | None = None
    itc_red_req: str | None = None
    decl_igst: float | None = None
    decl_cgst: float | None = None
    decl_sgst: float | None = None
    decl_cess: float | None = None


# (the decision to record, the key's latest decision or None) -> is it unchanged (not recorded)?
Unchanged = Callable[[DecisionRow, Mapping[str, Any] | None], bool]


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
        self, items: Sequence[DecisionRow | tuple[Any, ...]], decided_by: str | None,
        source: str | None, run_id: int | None = None,
    ) -> list[int]:
        """Record decisions ((matching_key, action, remarks, reason[, itc_red_req, decl_*]) or
        :class:`DecisionRow`) in ONE transaction, each audited with the key's previous decision:
        all of them are kept, or none."""
        return [i for _, i in self.record_new_decisions(items, decided_by, source, run_id)[0]]

    def record_new_decisions(
        self, items: Sequence[DecisionRow | tuple[Any, ...]], decided_by: str | None, source: str | None,
        run_id: int | None = None, *, unchanged: Unchanged | None = None,
    ) -> tuple[list[tuple[str, int]], list[str]]:
        """Like :meth:`record_decisions`, but a decision that ``unchanged`` finds equal to its
        key's latest one — read inside the write transaction, so that a concurrent batch's
        decisions count — is not recorded. Returns (key, new id) of each recorded decision and
        the keys left unchanged."""
        rows = [DecisionRow(*item) for item in items]
        reasons: list[str | None] = []
        new: list[dict[str, Any]] = []  # the decisions to insert, in order
        prev: list[dict[str, Any] | int | None] = []  # each one's previous decision: a stored row, or the n-th new one
        kept: list[str] = []
        with self._write() as conn:
            dialect.lock_for_write(conn, decisions)
            latest: dict[str, dict[str, Any] | int] = dict(_latest(conn, {r.matching_key for r in rows}))
            for item in rows:
                before = latest.get(item.matching_key)
                if unchanged is not None and unchanged(item, new[before] if isinstance(before, int) else before):
                    kept.append(item.matching_key)
                    continue
                latest[item.matching_key] = len(new)  # a repeat in the batch sees this one
                prev.append(before)
                reasons.append(item.reason)
                new.append({"matching_key": item.matching_key, "action": item.action, "remarks": item.remarks,
                            "decided_by": decided_by, "decided_at": utcnow(), "source": source, "run_id": run_id,
                            **{c: getattr(item, c) for c in DECLARATION_COLUMNS}})  # fmt: skip
            if not new:
                return [], kept
            # two statements for the whole batch (one INSERT per decision cost ~1 ms each: 100k in minutes)
            stmt = insert(decisions).returning(decisions.c.id, sort_by_parameter_order=True)
            ids = [int(i) for i in conn.execute(stmt, new).scalars()]
            entries = []
            for n, (row, before, item_id) in enumerate(zip(new, prev, ids, strict=True)):
                old = ({"id": ids[before], **{f: new[before][f] for f in _FIELDS}} if isinstance(before, int)
                       else None if before is None else {"id": before["id"], **{f: before[f] for f in _FIELDS}})
                entries.append(self._audit_entry(decided_by, "decision", "decision", row["matching_key"], old,
                                                 {"id": item_id, **{f: row[f] for f in _FIELDS}}, reasons[n]))
            conn.execute(insert(audit_log), entries)
        return list(zip((r["matching_key"] for r in new), ids, strict=True)), kept

    @staticmethod
    def _audit_entry(actor: Any, event: str, entity: Any, entity_key: Any, old_value: Any, new_value: Any,
                     reason: Any) -> dict[str, Any]:
        """One audit-log row, its values encoded as the workspace's ``_audit`` encodes them (for
        inserting a batch of entries in one statement)."""
        from imsrecon.store.workspace import _text

        return {"at": utcnow(), "actor": actor, "event": event, "entity": entity, "entity_key": entity_key,
                "old_value": _text(old_value), "new_value": _text(new_value), "reason": reason}

    def latest_decisions(self) -> pl.DataFrame:
        """The latest decision per matching key, ordered by key."""
        latest = select(func.max(decisions.c.id)).group_by(decisions.c.matching_key)
        stmt = select(decisions).where(decisions.c.id.in_(latest.scalar_subquery()))
        with self._read() as conn:
            stmt = stmt.order_by(decisions.c.matching_key)
            return read_frame(conn, stmt, frame_schema(decisions))

    def declaration_flags(self, import_ids: Sequence[int]) -> pl.DataFrame:
        """What a decision's ITC-reduction declaration is checked against besides the result:
        ``is_itc_red_req_blocked`` of the credit notes and amendments of the given imports, by
        (``src_file``, ``ims_section``, ``src_row``), the result's (``ims_file``, …, ``ims_row``)."""
        cols = [documents.c.src_file, documents.c.ims_section, documents.c.src_row, documents.c.is_itc_red_req_blocked]
        schema = {"src_file": pl.String, "ims_section": pl.String, "src_row": pl.Int64,
                  "is_itc_red_req_blocked": pl.String}  # fmt: skip
        stmt = select(*cols).where(documents.c.import_id.in_([int(i) for i in import_ids]),
                                   documents.c.ims_section.in_(_DECLARING_SECTIONS))  # fmt: skip
        with self._read() as conn:
            return read_frame(conn, stmt, schema)


def _latest(conn: Any, keys: set[str]) -> dict[str, dict[str, Any]]:
    """The latest decision (as a dict) of each of ``keys`` that has one."""
    if not keys:
        return {}
    newest = select(func.max(decisions.c.id)).group_by(decisions.c.matching_key)
    if len(keys) <= 500:  # else every key's latest: one pass over the table beats thousands of lookups
        newest = newest.where(decisions.c.matching_key.in_(sorted(keys)))
    found = conn.execute(select(decisions).where(decisions.c.id.in_(newest.scalar_subquery())))
    names, at = list(found.keys()), list(found.keys()).index("matching_key")
    return {r[at]: dict(zip(names, r, strict=True)) for r in found.all() if r[at] in keys}
