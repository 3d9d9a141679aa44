"""Uploads kept in the workspace: each SAVE/RESET file written, its documents, and what the portal
answered for it (domain doc §5: ``status_cd`` P, PE, ER, IP and the ``error_report``).

Functions taking a :class:`~imsrecon.store.workspace.Workspace` (kept apart from it so that the
workspace module stays small). Every write is one transaction; a status change adds an audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import insert, select, update

from imsrecon.sections import section_for_key
from imsrecon.store.dialect import WorkspaceError
from imsrecon.store.schema import frame_schema, read_frame, utcnow
from imsrecon.store.schema import upload_items as items_table
from imsrecon.store.schema import uploads as uploads_table

if TYPE_CHECKING:
    from imsrecon.store.workspace import Workspace

__all__ = [
    "ITEM_STATUSES", "STATUS_CODES", "UPLOAD_STATUSES", "UnknownUploadError", "record_upload",
    "set_upload_status", "upload_history", "upload_items", "uploads",
]  # fmt: skip

NOT_UPLOADED, PROCESSING, UPLOADED, FAILED, PARTLY_FAILED = (
    "not uploaded", "processing", "uploaded", "failed", "partly failed")  # fmt: skip
UPLOAD_STATUSES = (NOT_UPLOADED, PROCESSING, UPLOADED, FAILED, PARTLY_FAILED)
ITEM_STATUSES = (NOT_UPLOADED, PROCESSING, UPLOADED, FAILED)
STATUS_CODES = {"P": "processed", "PE": "processed with errors", "ER": "error", "IP": "in progress"}
_ITEM_FIELDS = ("section", "supplier_gstin", "doc_no", "rtnprd", "new_action", "prev_status")


class UnknownUploadError(WorkspaceError, LookupError):
    """No such upload (or no upload at all yet)."""


def record_upload(ws: Workspace, run_id: int | None, request: str, file_name: str,
                  planned_items: Iterable[Mapping[str, Any]]) -> int:  # fmt: skip
    """Keep one written request file and its documents (each ``not uploaded``); return its id.

    Each item names ``section``, ``supplier_gstin``, ``doc_no``, ``rtnprd``, ``new_action`` and
    ``prev_status`` (missing ones are null)."""
    if request not in ("SAVE", "RESET"):
        raise ValueError(f"request must be SAVE or RESET, not {request!r}")
    rows = [{k: (None if item.get(k) is None else str(item.get(k))) for k in _ITEM_FIELDS} for item in planned_items]
    with ws._write() as conn:
        upload_id = int(conn.execute(
            insert(uploads_table).values(run_id=run_id, request=request, file_name=file_name, created_at=utcnow(),
                                         documents=len(rows), status=NOT_UPLOADED)
        ).inserted_primary_key[0])  # fmt: skip
        if rows:
            conn.execute(insert(items_table), [{**r, "upload_id": upload_id, "status": NOT_UPLOADED} for r in rows])
    return upload_id


def uploads(ws: Workspace) -> pl.DataFrame:
    """Every recorded upload, in id order."""
    with ws._read() as conn:
        return read_frame(conn, select(uploads_table).order_by(uploads_table.c.id), frame_schema(uploads_table))


def upload_items(ws: Workspace, upload_id: int | None = None) -> pl.DataFrame:
    """The documents of one upload (of every upload when ``upload_id`` is None), in id order."""
    stmt = select(items_table).order_by(items_table.c.id)
    if upload_id is not None:
        stmt = stmt.where(items_table.c.upload_id == upload_id)
    with ws._read() as conn:
        return read_frame(conn, stmt, frame_schema(items_table))


def upload_history(ws: Workspace) -> pl.DataFrame:
    """Every uploaded or processing document with its upload's file name and the time its status
    was recorded (``status_at``; for items recorded before that column, the upload's
    ``checked_at``): what :func:`imsrecon.upload_state.portal_action_now` reads."""
    cols = [items_table.c.id, items_table.c.upload_id, uploads_table.c.file_name, items_table.c.section,
            items_table.c.supplier_gstin, items_table.c.doc_no, items_table.c.rtnprd, items_table.c.new_action,
            items_table.c.status, items_table.c.status_at, uploads_table.c.checked_at]  # fmt: skip
    stmt = (select(*cols).join(uploads_table, uploads_table.c.id == items_table.c.upload_id)
            .where(items_table.c.status.in_([UPLOADED, PROCESSING])).order_by(items_table.c.id))  # fmt: skip
    schema = {**frame_schema(items_table), **frame_schema(uploads_table)}
    with ws._read() as conn:
        frame = read_frame(conn, stmt, {c.name: schema[c.name] for c in cols})
    return frame.with_columns(pl.coalesce("status_at", "checked_at").alias("status_at")).drop("checked_at")


def _norm(value: Any) -> str:
    return "" if value is None else str(value).strip().upper()


def _section(key: Any) -> str:
    found = section_for_key(str(key)) if key is not None else None
    return found.key if found is not None else _norm(key).lower()


def _inv_number(inv: Mapping[str, Any], section_key: str) -> Any:
    found = section_for_key(section_key)
    fields = ((found.number_field,) if found else ()) + ("inum", "nt_num", "boenum", "doc_no", "docnum")
    return next((inv[f] for f in fields if inv.get(f) not in (None, "")), None)


def _errors(error_report: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The error report flattened: one entry per named document (``doc_no`` None: every document
    of that supplier in that section). Section keys in any spelling (``cn``, ``b2bcn``, ``CN``);
    a document's own ``error_cd``/``error_msg`` beat its entry's."""
    out: list[dict[str, Any]] = []
    for key, entries in (error_report or {}).items():
        section = _section(key)
        for entry in entries if isinstance(entries, list) else []:
            base = {"section": section, "stin": _norm(entry.get("stin")),
                    "error_cd": entry.get("error_cd"), "error_msg": entry.get("error_msg")}  # fmt: skip
            invs = entry.get("inv") or []
            if not invs:
                out.append({**base, "doc_no": None, "rtnprd": None})
            for inv in invs:
                rtnprd = inv.get("rtnprd")
                own = {k: inv[k] for k in ("error_cd", "error_msg") if inv.get(k) not in (None, "")}
                out.append({**base, **own, "doc_no": _inv_number(inv, key),
                            "rtnprd": None if rtnprd is None else str(rtnprd)})  # fmt: skip
    return out


def _matches(err: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
    if err["section"] != _section(item["section"]) or (err["stin"] and err["stin"] != _norm(item["supplier_gstin"])):
        return False
    if err["doc_no"] is not None and _norm(err["doc_no"]) != _norm(item["doc_no"]):
        return False
    return not (err["rtnprd"] and item["rtnprd"] and _norm(err["rtnprd"]) != _norm(item["rtnprd"]))


def set_upload_status(
    ws: Workspace, upload_id: int, status_cd: str, reference_id: str | None,
    error_report: Mapping[str, Any] | None, *, error: tuple[Any, Any] | None = None, actor: str = "cli",
) -> dict[str, Any]:  # fmt: skip
    """Apply the portal's answer for an upload in one transaction, with an audit entry.

    ``P``: every document uploaded; ``IP``: processing; ``ER``: every document failed (with its
    error from ``error_report``, else ``error`` = (error_cd, error_msg)); ``PE``: the documents the
    error report names failed, the rest uploaded. Returns counts, the errors and the error
    report entries that named no document of the upload (``unmatched``)."""
    status_cd = _norm(status_cd)
    if status_cd not in STATUS_CODES:
        raise ValueError(f"status_cd must be one of {', '.join(STATUS_CODES)}, not {status_cd!r}")
    errors = _errors(error_report)
    with ws._write() as conn:
        upload = conn.execute(select(uploads_table).where(uploads_table.c.id == upload_id)).mappings().first()
        if upload is None:
            raise UnknownUploadError(f"no upload {upload_id} in this workspace")
        items = conn.execute(select(items_table).where(items_table.c.upload_id == upload_id)
                             .order_by(items_table.c.id)).mappings().all()  # fmt: skip
        used: set[int] = set()
        changes: list[dict[str, Any]] = []
        for item in items:
            hit = next(((n, e) for n, e in enumerate(errors) if _matches(e, item)), None)
            if hit is not None:
                used.add(hit[0])
            if status_cd == "IP":
                new = {"status": PROCESSING, "error_cd": None, "error_msg": None}
            elif status_cd == "P" or (status_cd == "PE" and hit is None):
                new = {"status": UPLOADED, "error_cd": None, "error_msg": None}
            elif hit is not None:
                new = {"status": FAILED, "error_cd": hit[1]["error_cd"], "error_msg": hit[1]["error_msg"]}
            else:  # ER, not named
                cd, msg = error or (None, None)
                new = {"status": FAILED, "error_cd": cd, "error_msg": msg}
            changes.append({"id": item["id"], **new})
            if new["status"] != item["status"]:  # when the portal's state of the document last changed
                new = {**new, "status_at": utcnow()}
            conn.execute(update(items_table).where(items_table.c.id == item["id"]).values(**new))
        statuses = [c["status"] for c in changes]
        failed = statuses.count(FAILED)
        if status_cd == "IP":
            status = PROCESSING
        elif status_cd == "ER" or (failed and failed == len(statuses)):
            status = FAILED
        else:
            status = PARTLY_FAILED if failed else UPLOADED
        values: dict[str, Any] = {"status": status, "checked_at": utcnow()}
        if reference_id is not None:
            values["reference_id"] = str(reference_id)
        conn.execute(update(uploads_table).where(uploads_table.c.id == upload_id).values(**values))
        summary = {
            "upload_id": upload_id, "file_name": upload["file_name"], "status_cd": status_cd, "status": status,
            "reference_id": values.get("reference_id", upload["reference_id"]),
            "counts": {s: statuses.count(s) for s in ITEM_STATUSES if statuses.count(s)},
            "errors": [{k: item[k] for k in ("section", "supplier_gstin", "doc_no", "rtnprd")}
                       | {"error_cd": c["error_cd"], "error_msg": c["error_msg"]}
                       for item, c in zip(items, changes, strict=True) if c["status"] == FAILED],
            "unmatched": [e for n, e in enumerate(errors) if n not in used],
        }  # fmt: skip
        ws._audit(
            conn,
            actor,
            "upload_status",
            "upload",
            str(upload_id),
            upload["status"],
            {k: summary[k] for k in ("status_cd", "status", "reference_id", "counts")},
            None,
        )
    return summary
