"""The IMS upload files: SAVE and RESET requests built from the downloaded records (domain doc §4–§5).

:func:`plan_upload` takes the IMS documents (the document schema, side ``ims``) with the caller's
columns ``new_action`` (``A``/``R``/``P``, or ``N`` to go back to No action) and the values to
send: ``remarks``, ``itc_red_req``, ``decl_igst``/``decl_cgst``/``decl_sgst``/``decl_cess``. Those
share the names of the documents' own parsed columns, so a value equal to the downloaded one (or
null) changes nothing; only a *different* value counts as a change and is checked and sent.
Optional columns: ``portal_action`` (the portal's action now, when a later successful upload set
it: it beats the downloaded one) with ``portal_action_from`` (which upload), and
``upload_processing`` (an upload of the document the portal is still processing: refused).

Each record of a request is the downloaded record (``portal_record``) echoed key by key, without
``hash``, with ``prev_status`` = the portal's action now and, on SAVE, ``action`` = the new one.
A record already at the new action is skipped. A document the portal would refuse is reported as
an :class:`UploadProblem` (see :data:`~imsrecon.exporters.upload_rules.RULES`) and kept out of
the files.

:func:`write_upload` writes ``SAVE-1.json``…, ``RESET-1.json``… (compact UTF-8 JSON, each below
``max_bytes``, each validated with :mod:`imsrecon.exporters.upload_schema`) and ``precheck.csv``
(problems and skipped documents). Everything is serialised before the first file is written, and
every file is written atomically.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl

from imsrecon.exporters.sanitize import neutralise_frame
from imsrecon.exporters.tables import atomic_path
from imsrecon.exporters.upload_rules import (
    DECISION_RULES,
    HEADS,
    MAX_REMARKS,
    RULES,
    UPLOAD_FIELDS,
    UPLOAD_RULES,
    Doc,
    action_problems,
    spellings,
)
from imsrecon.exporters.upload_schema import DEFAULT_MAX_BYTES, PlannedAction, UploadPlan, UploadProblem, request_files
from imsrecon.normalise.gstin import GSTIN_LOOSE_PATTERN
from imsrecon.sections import ACTIONS, SECTIONS, UPLOAD_SECTION_KEYS, section_for_key

__all__ = [
    "DECISION_RULES", "DEFAULT_MAX_BYTES", "MAX_REMARKS", "RULES", "UPLOAD_RULES", "PlannedAction", "UploadPlan",
    "UploadProblem", "action_problems", "plan_upload", "precheck_frame", "upload_payloads", "write_upload",
]  # fmt: skip

_STALE = re.compile(r"^(SAVE|RESET)-[0-9]+\.json$")
_LOOSE_GSTIN = re.compile(GSTIN_LOOSE_PATTERN)


def _upload_record(d: Doc) -> dict[str, Any]:
    """The downloaded record echoed: without hash, action/prev_status set, changed values set."""
    out = {k: v for k, v in d.rec.items() if k != "hash"}
    if d.new == "N":
        out.pop("action", None)
    else:
        out["action"] = d.new
        changes: dict[str, Any] = dict(d.new_itc)
        if d.new_remarks is not None:
            changes["remarks"] = d.new_remarks
        for column, value in changes.items():
            key = next((k for k in spellings(UPLOAD_FIELDS[column]) if k in out), UPLOAD_FIELDS[column])
            if column in HEADS:
                value = round(value, 2)
                value = f"{value:.2f}" if isinstance(out.get(key), str) else value
            out[key] = value
    out["prev_status"] = d.current
    return out


# --- the plan ---------------------------------------------------------------------------------


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_record(text: Any) -> dict[str, Any] | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        rec = json.loads(text, parse_constant=_no_constant)
    except ValueError:
        return None
    return rec if isinstance(rec, dict) else None


def _current_action(row: dict[str, Any], rec: dict[str, Any] | None) -> str | None:
    """The portal's action now: set by a later upload (``portal_action``), else the downloaded
    one (the record's own, else the parsed column)."""
    for value in (row.get("portal_action"), (rec or {}).get("action"), row.get("action")):
        if isinstance(value, str) and value.strip().upper() in ACTIONS:
            return value.strip().upper()
    return None


def _identity(d: Doc) -> tuple[Any, ...]:
    """The document as the portal identifies it: section, supplier, number, date (and original)."""
    s = d.section
    fields = ("stin", s.number_field, s.date_field, s.orig_number_field, "portcode")
    return (s.key, *(d.rec.get(f) for f in fields if f))


def plan_upload(docs_with_actions: pl.DataFrame, recipient_gstin: str) -> UploadPlan:
    """Sort each document into a SAVE or RESET record, a skip (action unchanged) or problems."""
    rtin = (recipient_gstin or "").strip().upper()
    if not _LOOSE_GSTIN.match(rtin):
        raise ValueError(f"recipient GSTIN {recipient_gstin!r} is not a 15-character GSTIN")
    missing = {"new_action", "portal_record", "ims_section"} - set(docs_with_actions.columns)
    if missing:
        raise ValueError(f"the documents need the columns {sorted(missing)}")
    problems: list[UploadProblem] = []
    skipped: list[tuple[int, str]] = []
    ready: list[Doc] = []

    def refuse(row: dict[str, Any], rule: str, message: str, current: str | None = None) -> None:
        problems.append(UploadProblem(
            row.get("ims_section"), row.get("doc_no"), row.get("supplier_gstin"), rule, message,
            row.get("src_file"), row.get("src_row"), current, row.get("new_action")))  # fmt: skip

    for i, row in enumerate(docs_with_actions.iter_rows(named=True)):
        new = row["new_action"]
        rec = _parse_record(row.get("portal_record"))
        current = _current_action(row, rec)
        section = section_for_key(row.get("ims_section") or "")
        if new not in ACTIONS:
            refuse(row, "unknown_action", f"new action {new!r} is not one of {', '.join(ACTIONS)}", current)
            continue
        if current is None:
            refuse(row, "no_current_action", "the downloaded action (A/R/P/N) is unknown: download again")
            continue
        if row.get("upload_processing"):
            refuse(row, "upload_in_progress", f"{row['upload_processing']} with this document is still being "
                   "processed by the portal: apply its request status (`imsrecon upload-status --from "
                   "RESPONSE.json --upload ID`) before sending the document again", current)  # fmt: skip
            continue
        d = Doc(row, section, rec or {}, new, current)
        if new == current:
            by = f" on the portal, set by {row['portal_action_from']}" if row.get("portal_action_from") else ""
            # against the download: what that upload sent is not known here
            changed = (d.new_remarks or d.new_itc) and not by
            extra = "; the new remarks / ITC declaration are not sent" if changed else ""
            skipped.append((i, f"action already {ACTIONS[current]} ({current}){by}{extra}"))
            continue
        structural = [
            ("not_ims", "not an IMS document", row.get("side") not in (None, "ims")),
            ("no_portal_record", "no downloaded record (portal_record) to echo: import the portal JSON",
             rec is None),
            ("unknown_section", f"section {row.get('ims_section')!r} cannot be uploaded",
             section is None or section.key not in UPLOAD_SECTION_KEYS),
            ("other_recipient", f"the document is for recipient {row.get('recipient_gstin')}, not {rtin}",
             row.get("recipient_gstin") not in (None, rtin)),
        ]  # fmt: skip
        failed = [(rule, msg) for rule, msg, bad in structural if bad]
        if not failed:
            failed = [(rule, RULES[rule][1](d)) for rule in UPLOAD_RULES if RULES[rule][0](d)]
        for rule, msg in failed:
            refuse(row, rule, msg, current)
        if not failed:
            ready.append(d)

    counts = Counter(_identity(d) for d in ready)
    planned: list[PlannedAction] = []
    for d in ready:
        if counts[_identity(d)] > 1:
            refuse(d.row, "duplicate_document", "the same document is listed more than once", d.current)
            continue
        request = "RESET" if d.new == "N" else "SAVE"
        planned.append(PlannedAction(request, UPLOAD_SECTION_KEYS[d.section.key], d.row.get("doc_no"),
                                     d.row.get("supplier_gstin"), d.current, d.new, _upload_record(d)))
    order = {key: n for n, key in enumerate(UPLOAD_SECTION_KEYS[k] for k in SECTIONS)}
    planned.sort(key=lambda p: order[p.section])  # stable: documents keep their order within a section
    index = pl.Series([i for i, _ in skipped], dtype=pl.Int64)
    reasons = pl.Series("reason", [r for _, r in skipped], dtype=pl.String)
    skipped_frame = docs_with_actions[index].with_columns(reasons)
    return UploadPlan(rtin, planned, skipped_frame, problems)


# --- the files --------------------------------------------------------------------------------


def upload_payloads(plan: UploadPlan, max_bytes: int = DEFAULT_MAX_BYTES) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every request file, each validated and below ``max_bytes``."""
    records = {"SAVE": plan.save_records, "RESET": plan.reset_records}
    return request_files(plan.recipient_gstin, records, max_bytes)


PRECHECK_SCHEMA = {
    "kind": pl.String, "rule": pl.String, "section": pl.String, "supplier_gstin": pl.String,
    "doc_no": pl.String, "current_action": pl.String, "new_action": pl.String, "message": pl.String,
    "src_file": pl.String, "src_row": pl.Int64,
}  # fmt: skip


def precheck_frame(plan: UploadPlan) -> pl.DataFrame:
    """One row per problem (kind ``problem``) and per skipped document (kind ``skipped``)."""
    rows = [{"kind": "problem", **{k: getattr(p, k) for k in PRECHECK_SCHEMA if k != "kind"}} for p in plan.problems]
    for r in plan.skipped.iter_rows(named=True):
        rows.append({"kind": "skipped", "rule": "unchanged", "section": r.get("ims_section"),
                     "supplier_gstin": r.get("supplier_gstin"), "doc_no": r.get("doc_no"),
                     "current_action": r.get("new_action"), "new_action": r.get("new_action"), "message": r["reason"],
                     "src_file": r.get("src_file"), "src_row": r.get("src_row")})  # fmt: skip
    return pl.DataFrame(rows, schema=PRECHECK_SCHEMA)


def _emit(tmp: Path, data: bytes) -> None:
    tmp.write_bytes(data)


def write_upload(plan: UploadPlan, out_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Path]:
    """Write SAVE-n.json, RESET-n.json and precheck.csv into ``out_dir``; return their paths.

    Request files of an earlier run (``SAVE-n.json``/``RESET-n.json`` not written now) are removed
    afterwards, so the folder never mixes two plans."""
    out_dir = Path(out_dir)
    files = upload_payloads(plan, max_bytes)
    csv = neutralise_frame(precheck_frame(plan)).write_csv(quote_style="non_numeric")
    files.append(("precheck.csv", csv.encode("utf-8")))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files:
        with atomic_path(out_dir / name) as tmp:
            _emit(tmp, data)
        written.append(out_dir / name)
    names = {name for name, _ in files}
    for stale in out_dir.iterdir():
        if _STALE.match(stale.name) and stale.name not in names:
            stale.unlink()
    return written
