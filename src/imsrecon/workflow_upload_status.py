"""Use cases: apply the portal's request-status answer to a recorded upload, and write the failed
documents of every upload (domain doc §5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from imsrecon.issues import InputFileError
from imsrecon.store.uploads import FAILED, STATUS_CODES, set_upload_status, upload_items, uploads
from imsrecon.store.workspace import Workspace

# error code -> what it means and what to do about it (domain doc §5, §5a). The one table of hints.
HINTS = {
    "IMSSAV0010": "download IMS again and re-apply: the previous action was not the portal's, or the supplier "
                  "changed the record (import the new download, reconcile, export-upload again)",
    "IMSSAV0054": "the ITC-reduction declaration (itcRedReq) is missing on an accepted credit note: decide one "
                  "with `imsrecon decide KEY --action accept --itc-reduction full|partial|none`, then export-upload again",
    "IMSSAV0015": "a previous SAVE or RESET is still in progress: wait, apply its request status "
                  "(`imsrecon upload-status`), then upload this document again",
    "IMS2005": "nothing changed, so GSTR-2B cannot be regenerated: nothing to do for this document",
    "IMS2B007": "wrong ITC period, or GSTR-3B of the period is already filed: the action can no longer be changed "
                "for this period; check the return period",
    "GTR2B-001": "GSTR-2B is not applicable for this period: check the return period",
    "GTR2B-002": "GSTR-2B is not generated for this period: generate it on the portal (GEN2B), then try again",
    "AUTH4033": "the portal session is invalid or has expired: log in again (new OTP) and upload again",
    "AUTH403": "too many sessions for this GSP account: close the other sessions, then log in and upload again",
    "RETOTPREQUEST": "the portal asks for an OTP: log in again, then upload again",
    **dict.fromkeys(("RET11416", "RET13508", "RET13509", "RET13510"),
                    "the portal has no documents for this request: download IMS again to see what it holds"),
}  # fmt: skip
ERROR_COLUMNS = ("upload_id", "file_name", "request", "reference_id", "section", "supplier_gstin", "doc_no",
                 "rtnprd", "new_action", "prev_status", "error_cd", "error_msg", "hint")  # fmt: skip


def hint(error_cd: Any) -> str | None:
    """What to do about a portal error code (None when the code has no hint)."""
    return HINTS.get(str(error_cd).strip().upper()) if error_cd is not None else None


def _flat_error(report: dict[str, Any]) -> bool:
    """An error_report that is one {error_cd, error_msg} object, not section -> errors."""
    return bool(report) and ("error_cd" in report or "error_msg" in report) and not any(
        isinstance(v, list) for v in report.values())


def parse_status(path: Path) -> dict[str, Any]:
    """The request-status answer in ``path`` (bare, or inside a ``data`` envelope: the GSP's
    ``{"status_cd": "1", "data": {...}}`` too), checked: ``status_cd``, ``reference_id``
    (``int_tran_id``/``reference_id``), ``error_report`` (section -> errors, short section keys
    such as ``cn`` too) and the overall ``error`` (error_cd, error_msg; an ``ER`` answer's
    error_report may be that one flat object). Raises :class:`InputFileError` when malformed or
    when the portal refused the request itself (``status_cd`` 0)."""
    name = str(path)
    try:
        body = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InputFileError(name, f"cannot read the file: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(name, f"not a JSON file: {exc}") from exc
    if isinstance(body, dict) and str(body.get("status_cd", "")).strip() == "0":  # the call itself failed
        err = body.get("error") if isinstance(body.get("error"), dict) else {}
        cd, msg = err.get("error_cd"), err.get("message") or err.get("error_msg")
        todo = hint(cd)
        raise InputFileError(name, f"the portal refused the request ({cd or 'no error code'}: {msg or 'no message'})"
                             + (f": {todo}" if todo else ""))  # fmt: skip
    enveloped = isinstance(body, dict) and isinstance(body.get("data"), dict) and "status_cd" in body["data"]
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and ("status_cd" not in body or enveloped):
        outer, body = body, body["data"]
    else:
        outer = body
    if not isinstance(body, dict) or "status_cd" not in body:
        raise InputFileError(name, "not a request-status answer: no status_cd")
    status_cd = str(body["status_cd"]).strip().upper()
    if status_cd not in STATUS_CODES:
        raise InputFileError(name, f"unknown status_cd {body['status_cd']!r} (expected {', '.join(STATUS_CODES)})")
    report = body.get("error_report") or {}
    if not isinstance(report, dict):
        raise InputFileError(name, "error_report must be an object of section -> list of errors")
    flat: dict[str, Any] = {}
    if _flat_error(report):
        if status_cd != "ER":
            raise InputFileError(name, f"a {status_cd} answer must name the documents in error_report "
                                 "(section -> list of errors), not one error for the whole upload")  # fmt: skip
        flat, report = report, {}
    for key, entries in report.items():
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise InputFileError(name, f"error_report[{key!r}] must be a list of objects")
        for e in entries:
            inv = e.get("inv")
            if inv is not None and (not isinstance(inv, list) or not all(isinstance(i, dict) for i in inv)):
                raise InputFileError(name, f"error_report[{key!r}]: inv must be a list of objects")
    error = body.get("error") or (outer.get("error") if isinstance(outer, dict) else None)
    error = error if isinstance(error, dict) else {}
    error_cd = body.get("error_cd") or error.get("error_cd") or flat.get("error_cd")
    error_msg = body.get("error_msg") or error.get("message") or error.get("error_msg") or flat.get("error_msg")
    reference = body.get("int_tran_id") or body.get("reference_id") or body.get("ref_id")
    return {"status_cd": status_cd, "reference_id": None if reference is None else str(reference),
            "error_report": report, "error": (error_cd, error_msg)}  # fmt: skip


def apply_upload_status(ws: Workspace, response: Path, upload_id: int | None = None,
                        actor: str = "cli") -> dict[str, Any] | None:  # fmt: skip
    """Apply the answer in ``response`` to upload ``upload_id`` (the latest when None). None when
    the workspace holds no upload. Nothing changes when the answer is malformed."""
    answer = parse_status(response)
    known = uploads(ws)
    if known.height == 0:
        return None
    if upload_id is None:
        upload_id = int(known["id"].max())  # type: ignore[arg-type]
    elif upload_id not in known["id"].to_list():
        raise InputFileError(str(ws.url), f"no upload {upload_id} in this workspace")
    summary = set_upload_status(ws, upload_id, answer["status_cd"], answer["reference_id"], answer["error_report"],
                                error=answer["error"], actor=actor)  # fmt: skip
    for e in summary["errors"] + summary["unmatched"]:
        e["hint"] = hint(e.get("error_cd"))
    return summary


def error_frame(ws: Workspace) -> pl.DataFrame:
    """The failed documents of every upload, with their upload and a hint where one is known."""
    schema = {c: (pl.Int64 if c == "upload_id" else pl.String) for c in ERROR_COLUMNS}
    items = upload_items(ws).filter(pl.col("status") == FAILED)
    if items.height == 0:
        return pl.DataFrame(schema=schema)
    heads = uploads(ws).select(pl.col("id").alias("upload_id"), "file_name", "request", "reference_id")
    out = items.join(heads, on="upload_id", how="left").with_columns(
        pl.col("error_cd").map_elements(hint, return_dtype=pl.String).alias("hint")
    )
    return out.select([pl.col(c).cast(t) for c, t in schema.items()])


def write_error_report(ws: Workspace, out: Path) -> dict[str, Any]:
    """Write the failed documents of every upload to ``out`` (.csv or .xlsx)."""
    from imsrecon.exporters.sanitize import neutralise_frame
    from imsrecon.exporters.tables import atomic_path, export_format

    frame = error_frame(ws)
    if export_format(out) == "xlsx":
        from imsrecon.exporters.excel import write_tables_xlsx

        write_tables_xlsx(out, {"Upload errors": frame})
    else:
        with atomic_path(out) as tmp:
            neutralise_frame(frame).write_csv(tmp, quote_style="non_numeric")
    return {"failed": frame.height, "uploads": frame["upload_id"].n_unique(), "out": str(out)}
