"""The IMS upload files: SAVE and RESET requests built from the downloaded records (domain doc §4–§5).

:func:`plan_upload` takes the IMS documents (the document schema, side ``ims``) with the caller's
columns ``new_action`` (``A``/``R``/``P``, or ``N`` to go back to No action) and the values to
send: ``remarks``, ``itc_red_req``, ``decl_igst``/``decl_cgst``/``decl_sgst``/``decl_cess``. Those
share the names of the documents' own parsed columns, so a value equal to the downloaded one (or
null) changes nothing; only a *different* value counts as a change and is checked and sent.

Each record of a request is the downloaded record (``portal_record``) echoed key by key, without
``hash``, with ``prev_status`` = the downloaded ``action`` and, on SAVE, ``action`` = the new one.
A record already at the new action is skipped. A document the portal would refuse is reported as
an :class:`UploadProblem` (see :data:`RULES`) and kept out of the files.

:func:`write_upload` writes ``SAVE-1.json``…, ``RESET-1.json``… (compact UTF-8 JSON, each below
``max_bytes``, each validated with :mod:`imsrecon.exporters.upload_schema`) and ``precheck.csv``
(problems and skipped documents). Everything is serialised before the first file is written, and
every file is written atomically.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import polars as pl

from imsrecon.exporters.sanitize import neutralise_frame
from imsrecon.exporters.tables import atomic_path
from imsrecon.exporters.upload_schema import DEFAULT_MAX_BYTES, PlannedAction, UploadPlan, UploadProblem, request_files
from imsrecon.normalise.flags import NO, flag_value, is_yes
from imsrecon.normalise.gstin import GSTIN_LOOSE_PATTERN
from imsrecon.sections import ACTIONS, FIELD_ALIASES, SECTIONS, UPLOAD_SECTION_KEYS, DocClass, Section, section_for_key

__all__ = [
    "DECISION_RULES", "DEFAULT_MAX_BYTES", "MAX_REMARKS", "RULES", "PlannedAction", "UploadPlan", "UploadProblem",
    "action_problems", "plan_upload", "precheck_frame", "upload_payloads", "write_upload",
]  # fmt: skip

MAX_REMARKS = 250  # unconfirmed (domain doc §4: "max length unconfirmed, 250 seen")
_TOLERANCE = 0.005  # amounts compare at paise precision
# declared amount -> (its tax head's model column, portal field)
_HEADS = {"decl_igst": ("igst", "iamt"), "decl_cgst": ("cgst", "camt"), "decl_sgst": ("sgst", "samt"),
          "decl_cess": ("cess", "cess")}  # fmt: skip
# model column -> the portal field an upload sets (when the record has none of its spellings)
_UPLOAD_FIELDS = {"remarks": "remarks", "itc_red_req": "itcRedReq", "decl_igst": "declIgst",
                  "decl_cgst": "declCgst", "decl_sgst": "declSgst", "decl_cess": "declCess"}  # fmt: skip
_FLAGS = {"ispendactblocked": "ispendactblocked", "is_remarks_blocked": "isRemarksBlocked",
          "is_itc_red_req_blocked": "isItcRedReqBlocked"}  # fmt: skip
_STALE = re.compile(r"^(SAVE|RESET)-[0-9]+\.json$")
_LOOSE_GSTIN = re.compile(GSTIN_LOOSE_PATTERN)


@cache
def _spellings(canonical: str) -> tuple[str, ...]:
    return (canonical, *(k for k, v in FIELD_ALIASES.items() if v == canonical and k != canonical))


# --- one document -----------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _same(a: float | None, b: float | None) -> bool:
    return (a is None) == (b is None) and (a is None or abs(a - b) <= _TOLERANCE)  # type: ignore[operator]


@dataclass
class _Doc:
    """One document being planned: the row, its downloaded record, and what would change."""

    row: dict[str, Any]
    section: Section  # checked before any rule runs
    rec: dict[str, Any]
    new: str
    current: str

    def flag(self, column: str) -> bool:
        """A Y/N block flag: the parsed column, else the record under any spelling."""
        value = self.row.get(column)
        if value is None:
            value = next((self.rec[k] for k in _spellings(_FLAGS[column]) if k in self.rec), None)
        return is_yes(value)

    def downloaded(self, column: str) -> Any:
        return next((self.rec[k] for k in _spellings(_UPLOAD_FIELDS[column]) if k in self.rec), None)

    @cached_property
    def new_remarks(self) -> str | None:
        v = self.row.get("remarks")
        return v if isinstance(v, str) and v.strip() and v != self.downloaded("remarks") else None

    @cached_property
    def new_itc(self) -> dict[str, Any]:
        """The ITC-reduction fields whose value differs from the download (NaN: not a number)."""
        out: dict[str, Any] = {}
        v = self.row.get("itc_red_req")
        if v is not None and (flag_value(v) or v) != self.effective_flag(self.downloaded("itc_red_req")):
            out["itc_red_req"] = flag_value(v) or v
        for col in _HEADS:
            v = _num(self.row.get(col))
            if self.row.get(col) is not None and (v is None or not _same(v, _num(self.downloaded(col)))):
                out[col] = v if v is not None else math.nan
        return out

    def effective(self, column: str) -> Any:
        """The value the record will carry: the new one, else the downloaded one."""
        new = self.new_remarks if column == "remarks" else self.new_itc.get(column)
        if new is not None:
            return new
        value = self.downloaded(column)
        if column == "itc_red_req":
            return self.effective_flag(value)
        return _num(value) if column in _HEADS else value

    @staticmethod
    def effective_flag(value: Any) -> Any:
        """A downloaded flag as Y/N (JSON true is Y); anything else as given, for the checks."""
        return flag_value(value) or value

    def tax(self, column: str) -> float:
        model, portal = _HEADS[column]
        value = self.row.get(model)
        return (_num(value) if value is not None else _num(self.rec.get(portal))) or 0.0

    @cached_property
    def reduction(self) -> str | None:
        """The effective declaration: "full", "partial", "nil", or None without one.
        Under Y a head without a declared amount counts as reduced in full."""
        itc = self.effective("itc_red_req")
        if itc != "Y":
            return "nil" if itc == "N" else None
        declared = {c: self.effective(c) for c in _HEADS}
        if all(v is not None and v <= _TOLERANCE for v in declared.values()):
            return "nil"
        return "partial" if any(v is not None and v < self.tax(c) - _TOLERANCE for c, v in declared.items()) else "full"

    @property
    def declared_new(self) -> dict[str, float]:
        return {c: v for c, v in self.new_itc.items() if c in _HEADS}

    @property
    def above_tax(self) -> list[str]:
        return [f"{c} {v:.2f} > tax {self.tax(c):.2f}" for c in _HEADS
                if (v := self.effective(c)) is not None and v > self.tax(c) + _TOLERANCE]  # fmt: skip

    @property
    def specified(self) -> bool:
        """May an ITC reduction be declared? Credit notes and their amendments always; another
        amendment only where the portal marks it so (its record carries the block flag as N)."""
        if self.section.doc_class is DocClass.CREDIT_NOTE:
            return True
        flag = next((self.rec[k] for k in _spellings(_FLAGS["is_itc_red_req_blocked"]) if k in self.rec), None)
        return self.section.is_amendment and flag_value(flag) == NO


def _cgst_ne_sgst(d: _Doc) -> bool:
    c, s = d.effective("decl_cgst"), d.effective("decl_sgst")
    return (c is not None or s is not None) and not _same(c, s)


_ITC = "ITC-reduction fields"

# rule -> (does the portal refuse the document?, the message) (domain doc §4). Remarks and ITC
# fields are checked where they change; a value as downloaded is the portal's own and is echoed.
RULES: dict[str, tuple[Callable[[_Doc], bool], Callable[[_Doc], str]]] = {
    "pending_blocked": (
        lambda d: d.new == "P" and d.flag("ispendactblocked"),
        lambda d: "Pending is not allowed for this record (ispendactblocked = Y)"),
    "reject_import_of_goods": (
        lambda d: d.new == "R" and d.section.import_of_goods,
        lambda d: "import of goods can be accepted or kept pending, never rejected"),
    "remarks_blocked": (
        lambda d: d.new_remarks is not None and d.flag("is_remarks_blocked"),
        lambda d: "remarks are blocked for this record (isRemarksBlocked = Y)"),
    "remarks_too_long": (
        lambda d: d.new_remarks is not None and len(d.new_remarks) > MAX_REMARKS,
        lambda d: f"remarks have {len(d.new_remarks or '')} characters, more than {MAX_REMARKS}"),
    "remarks_not_allowed": (
        lambda d: d.new_remarks is not None and (d.new == "N" or (d.new == "A" and d.reduction is None)),
        lambda d: f"remarks go with Reject, Pending or Accept with an ITC-reduction declaration, not {d.new}"),
    "itc_red_req_blocked": (
        lambda d: bool(d.new_itc) and d.flag("is_itc_red_req_blocked"),
        lambda d: f"{_ITC} are blocked for this record (isItcRedReqBlocked = Y)"),
    "itc_red_req_not_specified": (
        lambda d: bool(d.new_itc) and not d.specified,
        lambda d: f"{_ITC} apply to credit notes and downward amendments only"),
    "itc_red_req_not_accept": (
        lambda d: bool(d.new_itc) and d.new != "A",
        lambda d: f"{_ITC} go with Accept only, not {d.new}"),
    "itc_red_req_value": (
        lambda d: bool(d.new_itc) and d.effective("itc_red_req") not in ("Y", "N"),
        lambda d: f"itc_red_req must be Y or N, not {d.effective('itc_red_req')!r}"),
    "decl_negative": (
        lambda d: any(not v >= 0 for v in d.declared_new.values()),
        lambda d: "declared amounts must be numbers of at least 0: "
        + ", ".join(f"{c} {v}" for c, v in d.declared_new.items() if not v >= 0)),
    "decl_above_tax": (
        lambda d: bool(d.new_itc) and bool(d.above_tax),
        lambda d: "declared amount above the record's tax: " + "; ".join(d.above_tax)),
    "decl_cgst_ne_sgst": (
        lambda d: bool(d.new_itc) and _cgst_ne_sgst(d),
        lambda d: f"declared CGST {d.effective('decl_cgst')} differs from declared SGST {d.effective('decl_sgst')}"),
    "decl_with_itc_red_req_n": (
        lambda d: bool(d.new_itc) and d.effective("itc_red_req") == "N"
        and any((d.effective(c) or 0) > _TOLERANCE for c in _HEADS),
        lambda d: "amounts declared with itc_red_req = N (no reduction)"),
    "decl_without_remarks": (
        lambda d: bool(d.new_itc) and d.reduction in ("partial", "nil") and not (d.effective("remarks") or "").strip(),
        lambda d: f"a {d.reduction} ITC reduction needs remarks"),
}  # fmt: skip


# The rules a decision can be checked against before any upload: they need no downloaded record.
DECISION_RULES = ("pending_blocked", "reject_import_of_goods", "remarks_too_long", "remarks_not_allowed")


def action_problems(
    new_action: str, ims_section: str | None, ispendactblocked: Any = None, remarks: str | None = None,
    rules: tuple[str, ...] = DECISION_RULES,
) -> list[tuple[str, str]]:
    """(rule, message) for each of ``rules`` (names in :data:`RULES`) that one proposed action
    (``A``/``R``/``P``/``N``) would break, checked without a downloaded record: for checking a
    decision before an upload is planned. A section that is not an IMS section is refused."""
    section = section_for_key(ims_section or "")
    if section is None:
        return [("unknown_section", f"section {ims_section!r} is not an IMS section")]
    d = _Doc({"ispendactblocked": ispendactblocked, "remarks": remarks}, section, {}, new_action, "")
    return [(rule, RULES[rule][1](d)) for rule in rules if RULES[rule][0](d)]


def _upload_record(d: _Doc) -> dict[str, Any]:
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
            key = next((k for k in _spellings(_UPLOAD_FIELDS[column]) if k in out), _UPLOAD_FIELDS[column])
            if column in _HEADS:
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
    """The downloaded action: the record's own, else the parsed column."""
    for value in ((rec or {}).get("action"), row.get("action")):
        if isinstance(value, str) and value.strip().upper() in ACTIONS:
            return value.strip().upper()
    return None


def _identity(d: _Doc) -> tuple[Any, ...]:
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
    ready: list[_Doc] = []

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
        d = _Doc(row, section, rec or {}, new, current)
        if new == current:
            extra = "; the new remarks / ITC declaration are not sent" if d.new_remarks or d.new_itc else ""
            skipped.append((i, f"action already {ACTIONS[current]} ({current}){extra}"))
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
            failed = [(rule, message(d)) for rule, (refused, message) in RULES.items() if refused(d)]
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
