"""GSTR-2B JSON: the documents of one 2B period, grouped by supplier (domain doc §6).

``{"data": {"gstin", "rtnprd", "docdata": {"b2b": [{ctin, trdnm, supfildt, supprd, inv: [...]}],
"cdnr": [{ctin, nt: [...]}], "impg": [...], ...}, "docRejdata": {...}}}``, or the same without the
``data`` envelope. Every document becomes a row of the IMS-equivalent section (credit and debit
notes split by the note's ``typ``); documents under ``docRejdata`` are flagged ``rejected_in_2b``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import polars as pl

from imsrecon.importers.assemble import RawFrame, assemble
from imsrecon.importers.base import ImportOptions, ImportResult, load_json
from imsrecon.issues import InputFileError, RowIssue, Severity
from imsrecon.model import Side, SourceKind
from imsrecon.normalise.amounts import parse_amount
from imsrecon.sections import FIELD_ALIASES, GSTR2B_KEYS, SECTIONS

REJECTED_FLAG = "rejected_in_2b"
_CONTAINERS = ("docdata", "docRejdata")
_DOC_LISTS = ("inv", "nt", "boe", "doclist", "docs")  # a supplier entry's list of documents
_HEADS = {"taxable_value": "txval", "igst": "iamt", "cgst": "camt", "sgst": "samt", "cess": "cess"}
# model field -> record fields (canonical spellings, sections.FIELD_ALIASES applied), first present wins
_FIELDS: dict[str, tuple[str, ...]] = {
    "supplier_gstin": ("stin",),
    "supplier_name": ("trdnm",),
    "doc_no": ("inum", "nt_num", "boenum"),
    "doc_date": ("dt", "idt", "nt_dt", "boedt"),
    "orig_doc_no": ("oinum", "ont_num", "oboenum"),
    "orig_doc_date": ("oidt", "ont_dt", "oboedt"),
    "doc_value": ("val",),
    "place_of_supply": ("pos",),
    "reverse_charge": ("rev",),
    **{model: (field,) for model, field in _HEADS.items()},
}
_AMOUNTS = (*_HEADS, "doc_value")
_NOTE_KEYS = ("cdnr", "cdnra")
# note type -> (section, amendment section)
_NOTE_SECTIONS = {"C": ("b2bcn", "b2bcna"), "D": ("b2bdn", "b2bdna")}


def _unwrap(doc: Any) -> dict[str, Any] | None:
    """The object that holds ``docdata`` (inside ``data`` or at the top), or None."""
    if not isinstance(doc, dict):
        return None
    for body in (doc.get("data"), doc):
        if isinstance(body, dict) and isinstance(body.get("docdata"), dict):
            return body
    return None


def _canonical(record: dict[str, Any], seen: dict[str, str]) -> dict[str, Any]:
    out = {}
    for k, v in record.items():
        c = FIELD_ALIASES.get(k, k)
        seen.setdefault(c, k)
        out[c] = v
    return out


def _column(values: list[Any], text: bool = False) -> pl.Series:
    """Numbers stay numbers (amounts); anything else, and every text field, becomes text."""
    if not text and all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
        return pl.Series(values, dtype=pl.Float64)
    return pl.Series([_text(v) for v in values], dtype=pl.String)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number written as 4567999.0 is still 4567999
    return str(value)


def _sum_items(items: list[Any], field: str) -> Any:
    """The sum of one amount over a document's items; the first unreadable value as given."""
    total, seen = 0.0, False
    for item in items:
        v = item.get(field) if isinstance(item, dict) else None
        if v is None or v == "":
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            parsed = parse_amount(v)
            if parsed is None:
                return str(v)  # assemble reports it as not a number
            v = parsed
        total, seen = total + v, True
    return round(total, 2) if seen else None


def _documents(entries: list[Any]) -> tuple[list[tuple[dict[str, Any], Any]], list[str]]:
    """(supplier fields, document) pairs in file order, and the problems of entries that are not objects."""
    docs: list[tuple[dict[str, Any], Any]] = []
    problems = []
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            problems.append(f"entry {i} is not a JSON object: {repr(entry)[:60]}")
            continue
        child = next((entry[k] for k in _DOC_LISTS if isinstance(entry.get(k), list)), None)
        if child is None:  # a flat document (impg)
            docs.append(({}, entry))
            continue
        head = {k: v for k, v in entry.items() if not isinstance(v, (list, dict))}
        docs += [(head, d) for d in child]
    return docs, problems


def _count(entries: Any) -> int:
    if not isinstance(entries, list):
        return 0
    docs, problems = _documents(entries)
    return len(docs) + len(problems)


def section_frame(key: str, entries: list[Any], sheet: str, file: str, rejected: bool,
                  ) -> tuple[pl.DataFrame | None, dict[str, str], list[RowIssue]]:
    """Raw frame (model fields) for one ``docdata`` key; display names; record-level issues."""
    key = key.lower()
    base = SECTIONS[GSTR2B_KEYS[key]]
    pairs, problems = _documents(entries)
    issues = [RowIssue(Severity.ERROR, file, None, None, None, p, sheet, code="record") for p in problems]
    seen: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    for n, (head, doc) in enumerate(pairs, 1):
        if not isinstance(doc, dict):
            issues.append(RowIssue(Severity.ERROR, file, n, None, repr(doc)[:60], "document is not a JSON object",
                                   sheet, code="record"))
            continue
        section = base
        if key in _NOTE_KEYS:
            typ = str(doc.get("typ") or "").strip().upper()
            if typ not in _NOTE_SECTIONS:
                issues.append(RowIssue(Severity.ERROR, file, n, "typ", None if doc.get("typ") is None else str(doc["typ"]),
                                       "note type must be C (credit note) or D (debit note)", sheet, code="note_type"))
                continue
            section = SECTIONS[_NOTE_SECTIONS[typ][base.is_amendment]]
        record = {**head, **doc}
        canon = _canonical(record, seen)
        row = {m: next((canon[f] for f in fields if canon.get(f) is not None), None) for m, fields in _FIELDS.items()}
        items = doc.get("items")
        if isinstance(items, list) and all(canon.get(f) is None for f in _HEADS.values()):
            items = [_canonical(i, {}) if isinstance(i, dict) else i for i in items]
            row |= {m: _sum_items(items, f) for m, f in _HEADS.items()}
        typ_field = "suptyp" if key in _NOTE_KEYS else "typ"
        row["inv_typ"] = canon.get(typ_field, canon.get("inv_typ"))
        row |= {"src_row": n, "section": section, "portal_record": orjson.dumps(record).decode()}
        rows.append(row)
    display = {m: next((seen[f] for f in fields if f in seen), fields[0]) for m, fields in _FIELDS.items()}
    display["inv_typ"] = "suptyp" if key in _NOTE_KEYS else "typ"
    if not rows:
        return None, display, issues
    columns = {m: _column([r[m] for r in rows], text=m not in _AMOUNTS) for m in (*_FIELDS, "inv_typ")}
    frame = pl.DataFrame(columns).with_columns(
        pl.Series("src_row", [r["src_row"] for r in rows], dtype=pl.Int64),
        pl.Series("doc_class", [r["section"].doc_class.value for r in rows], dtype=pl.String),
        pl.Series("ims_section", [r["section"].key for r in rows], dtype=pl.String),
        pl.Series("is_amendment", [r["section"].is_amendment for r in rows], dtype=pl.Boolean),
        pl.Series("portal_record", [r["portal_record"] for r in rows], dtype=pl.String),
        pl.lit(sheet).alias("src_sheet"),
        pl.lit(REJECTED_FLAG if rejected else None, pl.String).alias("flags"),
    )
    return frame, display, issues


class Gstr2bJsonImporter:
    kind = SourceKind.GSTR2B_JSON
    side = Side.GSTR2B

    def identify(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() == ".json" and b'"docdata"' in head

    def read(self, path: Path, options: ImportOptions) -> ImportResult:
        doc = load_json(path, options)
        body = _unwrap(doc)
        if body is None:
            raise InputFileError(path.name, "not a GSTR-2B download: no 'docdata' object in this JSON")
        recipient = str(body.get("gstin") or options.recipient_gstin or "").strip().upper() or None
        period = body.get("rtnprd")
        result = ImportResult(path.name, self.kind, self.side, recipient_gstin=recipient)
        frames: list[pl.DataFrame] = []
        for container in _CONTAINERS:
            sections = body.get(container)
            if sections is None:
                continue
            if not isinstance(sections, dict):
                raise InputFileError(path.name, f"'{container}' is not an object")
            for key, entries in sections.items():
                sheet = key if container == "docdata" else f"{container}.{key}"
                frames += self._read_section(path.name, key, entries, sheet, container != "docdata",
                                             recipient, period, result)
        if frames:
            result.documents = pl.concat(frames, how="vertical")
        return result

    def _read_section(self, file: str, key: str, entries: Any, sheet: str, rejected: bool,
                      recipient: str | None, period: Any, result: ImportResult) -> list[pl.DataFrame]:
        n = _count(entries)
        result.rows_read += n
        if key.lower() not in GSTR2B_KEYS:
            if n:
                result.issues.append(RowIssue(
                    Severity.WARNING, file, None, None, None,
                    f"section '{key}' is not an IMS-equivalent section: its {n} records were not imported",
                    sheet=sheet, code="unknown_section"))
            return []
        if not isinstance(entries, list):
            if entries:
                result.issues.append(RowIssue(Severity.WARNING, file, None, None, None,
                                              f"section '{key}' is not a list: not imported", sheet=sheet,
                                              code="unknown_section"))
            return []
        frame, display, issues = section_frame(key, entries, sheet, file, rejected)
        if frame is None:
            result.issues += issues
            return []
        frame = frame.with_columns(pl.lit(None if period is None else str(period), pl.String).alias("rtnprd"))
        raw = RawFrame(frame, file, Side.GSTR2B, self.kind.value, display=display, recipient_gstin=recipient)
        docs, found = assemble(raw)
        result.issues += sorted(issues + found, key=lambda i: i.row or 0)
        return [docs]


__all__ = ["REJECTED_FLAG", "Gstr2bJsonImporter", "section_frame"]
