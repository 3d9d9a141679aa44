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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from imsrecon.exporters.sanitize import neutralise_frame
from imsrecon.exporters.tables import atomic_path
from imsrecon.exporters.upload_schema import validate_payload
from imsrecon.normalise.gstin import GSTIN_LOOSE_PATTERN
from imsrecon.sections import ACTIONS, FIELD_ALIASES, SECTIONS, UPLOAD_SECTION_KEYS, DocClass, Section, section_for_key

__all__ = [
    "DEFAULT_MAX_BYTES", "MAX_REMARKS", "RULES", "PlannedAction", "UploadPlan", "UploadProblem",
    "plan_upload", "split_invdata", "upload_payloads", "write_upload",
]  # fmt: skip

MAX_REMARKS = 250  # unconfirmed (domain doc §4: "max length unconfirmed, 250 seen")
DEFAULT_MAX_BYTES = 4_000_000  # per request (domain doc §5, single source)
_TOLERANCE = 0.005  # amounts compare at paise precision
REQUEST_ENVELOPE = {"SAVE": ("SAVE", "SAVE"), "RESET": ("RESETIMS", "RESET")}  # request -> (action, reqtyp)
_HEADS = {"decl_igst": "igst", "decl_cgst": "cgst", "decl_sgst": "sgst", "decl_cess": "cess"}
# model column -> the portal field an upload sets (when the record has none of its spellings)
_UPLOAD_FIELDS = {"remarks": "remarks", "itc_red_req": "itcRedReq", "decl_igst": "declIgst",
                  "decl_cgst": "declCgst", "decl_sgst": "declSgst", "decl_cess": "declCess"}  # fmt: skip
_FLAGS = {"ispendactblocked": "ispendactblocked", "is_remarks_blocked": "isRemarksBlocked",
          "is_itc_red_req_blocked": "isItcRedReqBlocked"}  # fmt: skip
_STALE = re.compile(r"^(SAVE|RESET)-[0-9]+\.json$")
_LOOSE_GSTIN = re.compile(GSTIN_LOOSE_PATTERN)


def _spellings(canonical: str) -> list[str]:
    return [canonical, *(k for k, v in FIELD_ALIASES.items() if v == canonical and k != canonical)]


@dataclass(frozen=True, slots=True)
class UploadProblem:
    section: str | None
    doc_no: str | None
    supplier_gstin: str | None
    rule: str
    message: str
    src_file: str | None = None
    src_row: int | None = None
    current_action: str | None = None
    new_action: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedAction:
    request: str  # "SAVE" or "RESET"
    section: str  # the invdata key
    doc_no: str | None
    supplier_gstin: str | None
    prev_status: str
    new_action: str
    record: dict[str, Any]


@dataclass
class UploadPlan:
    recipient_gstin: str
    planned: list[PlannedAction]
    skipped: pl.DataFrame  # the input rows whose action does not change, with `reason`
    problems: list[UploadProblem] = field(default_factory=list)

    def _records(self, request: str) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for p in self.planned:
            if p.request == request:
                out.setdefault(p.section, []).append(p.record)
        return out

    @property
    def save_records(self) -> dict[str, list[dict[str, Any]]]:
        return self._records("SAVE")

    @property
    def reset_records(self) -> dict[str, list[dict[str, Any]]]:
        return self._records("RESET")


# --- one document -----------------------------------------------------------------------------


def _yes(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().upper() in ("Y", "YES", "TRUE"))


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
    section: Section
    rec: dict[str, Any]
    new: str
    current: str

    def portal(self, column: str, canonical: str) -> Any:
        """The downloaded value: the parsed column, else the record under any spelling."""
        if self.row.get(column) is not None:
            return self.row[column]
        return next((self.rec[k] for k in _spellings(canonical) if k in self.rec), None)

    def downloaded(self, column: str) -> Any:
        return next((self.rec[k] for k in _spellings(_UPLOAD_FIELDS[column]) if k in self.rec), None)

    @property
    def new_remarks(self) -> str | None:
        v = self.row.get("remarks")
        return v if v is not None and v != self.downloaded("remarks") else None

    @property
    def new_itc(self) -> dict[str, Any]:
        """The ITC-reduction fields whose value differs from the download."""
        out: dict[str, Any] = {}
        v = self.row.get("itc_red_req")
        if v is not None and v != self.downloaded("itc_red_req"):
            out["itc_red_req"] = v
        for col in _HEADS:
            v = _num(self.row.get(col))
            if self.row.get(col) is not None and (v is None or not _same(v, _num(self.downloaded(col)))):
                out[col] = v if v is not None else math.nan
        return out

    def effective(self, column: str) -> Any:
        changed = self.new_itc if column != "remarks" else {"remarks": self.new_remarks}
        if changed.get(column) is not None:
            return changed[column]
        value = self.downloaded(column)
        return _num(value) if column in _HEADS else value

    def tax(self, column: str) -> float:
        return _num(self.row.get(_HEADS[column])) or 0.0

    @property
    def reduction(self) -> str | None:
        """"full", "partial" or "nil" for the effective declaration; None without one."""
        itc = self.effective("itc_red_req")
        if itc == "N":
            return "nil"
        if itc != "Y":
            return None
        declared = {c: self.effective(c) for c in _HEADS}
        if all(v is not None and v <= _TOLERANCE for v in declared.values()):
            return "nil"
        short = any(v is not None and v < self.tax(c) - _TOLERANCE for c, v in declared.items())
        return "partial" if short else "full"


def _specified(d: _Doc) -> bool:
    """May an ITC reduction be declared? Credit notes and their amendments always; another
    amendment only where the portal marks it (its record carries the block flag as N)."""
    if d.section.doc_class is DocClass.CREDIT_NOTE:
        return True
    flag = next((d.rec[k] for k in _spellings("isItcRedReqBlocked") if k in d.rec), None)
    return d.section.is_amendment and isinstance(flag, str) and flag.strip().upper() == "N"


def _declared(d: _Doc) -> dict[str, float]:
    return {c: v for c, v in d.new_itc.items() if c in _HEADS}


def _too_high(d: _Doc) -> list[str]:
    return [f"{c} {d.effective(c):.2f} > tax {d.tax(c):.2f}" for c in _HEADS
            if d.effective(c) is not None and d.effective(c) > d.tax(c) + _TOLERANCE]  # fmt: skip


def _cgst_sgst_differ(d: _Doc) -> bool:
    c, s = d.effective("decl_cgst"), d.effective("decl_sgst")
    return (c is not None or s is not None) and not _same(c, s)


_Check = Callable[[_Doc], str | None]
_ITC = "ITC-reduction fields"

# rule -> check returning the message when the portal would refuse the document (domain doc §4).
RULES: dict[str, _Check] = {
    "pending_blocked": lambda d: "Pending is not allowed for this record (ispendactblocked = Y)"
    if d.new == "P" and _yes(d.portal("ispendactblocked", _FLAGS["ispendactblocked"])) else None,
    "reject_import_of_goods": lambda d: "import of goods can be accepted or kept pending, never rejected"
    if d.new == "R" and d.section.import_of_goods else None,
    "remarks_blocked": lambda d: "remarks are blocked for this record (isRemarksBlocked = Y)"
    if d.new_remarks is not None and _yes(d.portal("is_remarks_blocked", _FLAGS["is_remarks_blocked"])) else None,
    "remarks_too_long": lambda d: f"remarks have {len(d.new_remarks)} characters, more than {MAX_REMARKS}"
    if d.new_remarks is not None and len(d.new_remarks) > MAX_REMARKS else None,
    "remarks_not_allowed": lambda d: "remarks go with Reject, Pending, or Accept with an ITC-reduction declaration"
    if d.new_remarks is not None and (d.new == "N" or (d.new == "A" and d.effective("itc_red_req") is None)) else None,
    "itc_red_req_blocked": lambda d: f"{_ITC} are blocked for this record (isItcRedReqBlocked = Y)"
    if d.new_itc and _yes(d.portal("is_itc_red_req_blocked", _FLAGS["is_itc_red_req_blocked"])) else None,
    "itc_red_req_not_specified": lambda d: f"{_ITC} apply to credit notes and downward amendments only"
    if d.new_itc and not _specified(d) else None,
    "itc_red_req_not_accept": lambda d: f"{_ITC} go with Accept only (new action {d.new})"
    if d.new_itc and d.new != "A" else None,
    "itc_red_req_value": lambda d: f"itc_red_req must be Y or N, not {d.effective('itc_red_req')!r}"
    if d.new_itc and d.effective("itc_red_req") not in ("Y", "N") else None,
    "decl_negative": lambda d: "declared amounts must be numbers of at least 0: "
    + ", ".join(f"{c} {v}" for c, v in _declared(d).items() if not v >= 0)
    if any(not v >= 0 for v in _declared(d).values()) else None,
    "decl_above_tax": lambda d: "declared amount above the record's tax: " + "; ".join(_too_high(d))
    if d.new_itc and _too_high(d) else None,
    "decl_cgst_ne_sgst": lambda d: f"declared CGST {d.effective('decl_cgst')} differs from declared SGST "
    f"{d.effective('decl_sgst')}" if d.new_itc and _cgst_sgst_differ(d) else None,
    "decl_with_itc_red_req_n": lambda d: "amounts declared with itc_red_req = N (no reduction)"
    if d.new_itc and d.effective("itc_red_req") == "N" and any((d.effective(c) or 0) > _TOLERANCE for c in _HEADS)
    else None,
    "decl_without_remarks": lambda d: f"a {d.reduction} ITC reduction needs remarks"
    if d.new_itc and d.reduction in ("partial", "nil") and not (d.effective("remarks") or "").strip() else None,
}  # fmt: skip


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


def _parse_record(text: Any) -> dict[str, Any] | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        rec = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError:
        return None
    return rec if isinstance(rec, dict) else None


def _current_action(row: dict[str, Any], rec: dict[str, Any] | None) -> str | None:
    """The downloaded action: the record's own, else the parsed column."""
    for value in ((rec or {}).get("action"), row.get("action")):
        if isinstance(value, str) and value.strip().upper() in ACTIONS:
            return value.strip().upper()
    return None


def _identity(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(c) for c in ("ims_section", "supplier_gstin", "doc_no", "doc_date", "orig_doc_no"))


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
    ready: list[tuple[dict[str, Any], _Doc]] = []

    def refuse(row: dict[str, Any], rule: str, message: str, current: str | None = None) -> None:
        problems.append(UploadProblem(
            row.get("ims_section"), row.get("doc_no"), row.get("supplier_gstin"), rule, message,
            row.get("src_file"), row.get("src_row"), current, row.get("new_action")))  # fmt: skip

    for i, row in enumerate(docs_with_actions.iter_rows(named=True)):
        new = row["new_action"]
        rec = _parse_record(row.get("portal_record"))
        current = _current_action(row, rec)
        if new not in ACTIONS:
            refuse(row, "unknown_action", f"new action {new!r} is not one of {', '.join(ACTIONS)}", current)
            continue
        if current is None:
            refuse(row, "no_current_action", "the downloaded action (A/R/P/N) is unknown: download again")
            continue
        if new == current:
            extra = "; the new remarks / ITC declaration are not sent" if rec and _changes_values(row, rec) else ""
            skipped.append((i, f"action already {ACTIONS[current]} ({current}){extra}"))
            continue
        section = section_for_key(row.get("ims_section") or "")
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
            d = _Doc(row, section, rec, new, current)  # type: ignore[arg-type]
            failed = [(rule, msg) for rule, check in RULES.items() if (msg := check(d)) is not None]
        for rule, msg in failed:
            refuse(row, rule, msg, current)
        if not failed:
            ready.append((row, d))

    counts = Counter(_identity(row) for row, _ in ready)
    planned: list[PlannedAction] = []
    for row, d in ready:
        if counts[_identity(row)] > 1:
            refuse(row, "duplicate_document", "the same document is listed more than once", d.current)
            continue
        request = "RESET" if d.new == "N" else "SAVE"
        planned.append(PlannedAction(request, UPLOAD_SECTION_KEYS[d.section.key], row.get("doc_no"),
                                     row.get("supplier_gstin"), d.current, d.new, _upload_record(d)))
    order = {key: n for n, key in enumerate(UPLOAD_SECTION_KEYS[k] for k in SECTIONS)}
    planned.sort(key=lambda p: order[p.section])  # stable: documents keep their order within a section
    index, reasons = zip(*skipped, strict=True) if skipped else ((), ())
    skipped_frame = docs_with_actions[list(index)].with_columns(pl.Series("reason", reasons, dtype=pl.String))
    return UploadPlan(rtin, planned, skipped_frame, problems)


def _changes_values(row: dict[str, Any], rec: dict[str, Any]) -> bool:
    d = _Doc(row, SECTIONS["b2b"], rec, "", "")
    return d.new_remarks is not None or bool(d.new_itc)


# --- the files --------------------------------------------------------------------------------


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _envelope(request: str, rtin: str, invdata: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    action, reqtyp = REQUEST_ENVELOPE[request]
    return {"action": action, "data": {"rtin": rtin, "reqtyp": reqtyp, "invdata": invdata}}


def split_invdata(request: str, rtin: str, records: dict[str, list[dict[str, Any]]],
                  max_bytes: int) -> Iterator[dict[str, list[dict[str, Any]]]]:  # fmt: skip
    """Greedy: records in order into each request until the next would reach ``max_bytes``.

    Sizes are those of the compact JSON :func:`_dumps` writes, counted exactly."""
    base = len(_dumps(_envelope(request, rtin, {})))
    chunk: dict[str, list[dict[str, Any]]] = {}
    size = base
    for key, recs in records.items():
        opening = len(_dumps(key)) + 3  # "key":[ ... ]
        for rec in recs:
            rb = len(_dumps(rec))
            add = rb + 1 if key in chunk else rb + opening + (1 if chunk else 0)
            if size + add >= max_bytes and chunk:
                yield chunk
                chunk, size, add = {}, base, rb + opening
            if size + add >= max_bytes:
                raise ValueError(f"a {request} record of {rb} bytes cannot fit in a request below {max_bytes} bytes")
            chunk.setdefault(key, []).append(rec)
            size += add
    if chunk:
        yield chunk


def upload_payloads(plan: UploadPlan, max_bytes: int = DEFAULT_MAX_BYTES) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every request file, each validated and below ``max_bytes``."""
    files: list[tuple[str, bytes]] = []
    for request, records in (("SAVE", plan.save_records), ("RESET", plan.reset_records)):
        for n, invdata in enumerate(split_invdata(request, plan.recipient_gstin, records, max_bytes), 1):
            payload = _envelope(request, plan.recipient_gstin, invdata)
            validate_payload(request, payload)
            data = _dumps(payload)
            if len(data) >= max_bytes:  # the split counts exactly: this is a bug, never the input
                raise AssertionError(f"{request}-{n}.json has {len(data)} bytes, not below {max_bytes}")
            files.append((f"{request}-{n}.json", data))
    return files


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
                     "current_action": r.get("action"), "new_action": r.get("new_action"), "message": r["reason"],
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
